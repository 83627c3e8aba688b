"""The entry of an executor process (local-cluster and cluster modes):
the driver (local-cluster) or a standalone worker starts the executor
command kiln/context.py set (`python3 -c BOOT VERSION ZIPS...`: BOOT checks
the interpreter's version against the driver's, puts the kiln package,
the _kiln module and the py-files on sys.path, and imports this module)
with the environment kiln's executors read (KILN_EXECUTOR_*); importing
this module serves tasks until the driver goes and never returns."""
import signal

import _kiln

import os

import kiln  # noqa: F401 (the error handler, the package's modules)
from kiln.context import use_workers

use_workers(int(os.environ.get("KILN_EXECUTOR_CORES", "1")),
            os.environ.get("KILN_PYTHON_WORKERS", "auto"))
# Ctrl-C in a terminal reaches the whole process group: the driver cancels
# its jobs; this process must live on for the next ones.
signal.signal(signal.SIGINT, signal.SIG_IGN)
_kiln.executor_main()
raise SystemExit("kiln.executor: this process was not started as an executor by a kiln driver")
