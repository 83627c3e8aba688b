"""The entry of an executor process (local-cluster and cluster modes):
the driver starts `python3 -c "...; import kiln.executor"` with the
environment kiln's executors read (KILN_EXECUTOR_*); importing this
module serves tasks until the driver goes and never returns."""
import _kiln

import os

import kiln  # noqa: F401 (the error handler, the package's modules)
from kiln.context import use_workers

use_workers(int(os.environ.get("KILN_EXECUTOR_CORES", "1")),
            os.environ.get("KILN_PYTHON_WORKERS", "auto"))
_kiln.executor_main()
raise SystemExit("kiln.executor: this process was not started as an executor by a kiln driver")
