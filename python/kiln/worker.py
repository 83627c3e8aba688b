"""The entry of a Python worker process (python/src/py_worker.c): a task
thread of a kiln process with several cores starts one with its pipes on
fds 3 and 4 and hands it Python pipelines to run, so that each core has
an interpreter of its own. Importing this module serves until the pipe
closes, then exits."""
import signal

import _kiln

import kiln  # noqa: F401 (the error handler, the package's modules)

# Ctrl-C in a terminal reaches the whole process group: the driver cancels
# its jobs; this process must live on for the next ones.
signal.signal(signal.SIGINT, signal.SIG_IGN)
_kiln.worker_main(3, 4)
raise SystemExit(0)
