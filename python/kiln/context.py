"""SparkContext: the entry point of the RDD API, with PySpark's names.

kiln runs in this process: `import kiln` and a context take milliseconds,
and there is no JVM. Executor processes (local-cluster and cluster modes)
are this same Python interpreter loading kiln again
(`python3 -c ... import kiln.executor`), so functions defined here,
lambdas and notebook cells included, travel to them with cloudpickle.
"""
import os
import sys
import threading

import _kiln

from .accumulators import Accumulator
from .broadcast import Broadcast
from .conf import SparkConf
from .rdd import RDD

__all__ = ["SparkContext"]

# What an executor process runs: the same interpreter, finding kiln where
# the driver found it (KILN_PYTHON_PATH, the driver's sys.path).
_EXECUTOR_BOOT = ("import os, sys; "
                  "sys.path[:0] = [p for p in os.environ.get('KILN_PYTHON_PATH', '').split(os.pathsep) if p]; "
                  "import kiln.executor")


_WORKER_BOOT = _EXECUTOR_BOOT.replace("kiln.executor", "kiln.worker")


def _prepare_executors():
    os.environ["KILN_PYTHON_PATH"] = os.pathsep.join(p for p in sys.path if p)
    _kiln.set_executor_command([os.path.realpath(sys.executable), "-c", _EXECUTOR_BOOT])


def use_workers(cores, mode="auto"):
    """Python pipelines of this process's task threads go to worker
    processes (one per thread, so every core runs Python) when the process
    runs tasks on more than one thread; mode "inline" keeps them in this
    process (one GIL), "processes" forces workers."""
    on = mode == "processes" or (mode == "auto" and cores > 1)
    _kiln.set_workers(on, [os.path.realpath(sys.executable), "-c", _WORKER_BOOT])


def _settings(conf):
    """The conf as kiln's keys: spark.master and spark.app.name are kiln's own
    names there; other spark.* keys are passed on (kiln maps those it knows)."""
    out = {}
    for k, v in conf.getAll():
        if k == "spark.master":
            k = "kiln.master"
        elif k == "spark.app.name":
            k = "kiln.app.name"
        out[k] = v
    return out


class SparkContext:
    """The connection to kiln (PySpark's SparkContext)."""

    _active = None
    _lock = threading.RLock()

    def __init__(self, master=None, appName=None, sparkHome=None, pyFiles=None, environment=None,
                 batchSize=0, serializer=None, conf=None, gateway=None, jsc=None,
                 profiler_cls=None):
        with SparkContext._lock:
            if SparkContext._active is not None:
                a = SparkContext._active
                raise ValueError("Cannot run multiple SparkContexts at once; existing "
                                 "SparkContext(app=%s, master=%s)" % (a.appName, a.master))
            self._conf = SparkConf()
            for k, v in (conf.getAll() if conf is not None else []):
                self._conf.set(k, v)
            if master:
                self._conf.setMaster(master)
            if appName:
                self._conf.setAppName(appName)
            _prepare_executors()
            settings = _settings(self._conf)
            workers = settings.pop("kiln.python.workers", "auto")
            if workers not in ("auto", "processes", "inline"):
                raise ValueError("kiln.python.workers: expected auto, processes or inline, got %r"
                                 % workers)
            self._c = _kiln.Context(settings)
            # local[N]: tasks run on this process's threads. In cluster modes
            # they run in executors, which decide for themselves.
            master = self._c.conf("kiln.master") or "local"
            use_workers(self._c.cores() if master.startswith("local") and
                        not master.startswith("local-cluster") else 0, workers)
            self._stopped = False
            for path in pyFiles or []:
                self.addPyFile(path)
            SparkContext._active = self

    # ---- Properties ------------------------------------------------------------
    def _ctx(self):
        if self._stopped:
            raise ValueError("Cannot call methods on a stopped SparkContext.")
        return self._c

    @property
    def master(self):
        return self._c.conf("kiln.master")

    @property
    def appName(self):
        return self._c.conf("kiln.app.name")

    @property
    def version(self):
        return _kiln.version()

    @property
    def defaultParallelism(self):
        return self._ctx().default_parallelism()

    @property
    def defaultMinPartitions(self):
        return min(self.defaultParallelism, 2)

    @property
    def applicationId(self):
        return "local-kiln-%d" % os.getpid()

    @property
    def uiWebUrl(self):
        return None

    @property
    def startTime(self):
        return getattr(self, "_start_time", None)

    def getConf(self):
        conf = SparkConf()
        conf.setAll(self._conf.getAll())
        return conf

    @classmethod
    def getOrCreate(cls, conf=None):
        with cls._lock:
            if cls._active is None:
                cls(conf=conf or SparkConf())
            return cls._active

    # ---- Sources ---------------------------------------------------------------
    def parallelize(self, c, numSlices=None):
        n = numSlices or 0
        if isinstance(c, range):
            if len(c) == 0:
                return RDD(self._ctx().parallelize([], n), self)
            return RDD(self._ctx().range(c.start, c.stop, c.step, n), self)
        if not isinstance(c, list):
            c = list(c)
        return RDD(self._ctx().parallelize(c, n), self)

    def range(self, start, end=None, step=1, numSlices=None):
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def textFile(self, name, minPartitions=None, use_unicode=True):
        rdd = RDD(self._ctx().text_file(str(name), minPartitions or 0), self)
        return rdd if use_unicode else rdd.map(lambda s: s.encode("utf-8", "surrogateescape"))

    def wholeTextFiles(self, path, minPartitions=None, use_unicode=True):
        return RDD(self._ctx().whole_text_files(str(path), minPartitions or 0), self)

    def emptyRDD(self):
        return RDD(self._ctx().parallelize([], 1), self)

    def union(self, rdds):
        rdds = list(rdds)
        if not rdds:
            raise ValueError("union needs at least one RDD")
        out = rdds[0]
        for r in rdds[1:]:
            out = out.union(r)
        return out

    # ---- Shared variables --------------------------------------------------------
    def broadcast(self, value):
        return Broadcast(self, value, self._ctx().broadcast(value))

    def accumulator(self, value, accum_param=None):
        is_float = isinstance(value, float)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError("kiln's accumulators sum ints or floats, not %s" % type(value).__name__)
        aid = self._ctx().accumulator("accumulator", is_float)
        return Accumulator(self, aid, is_float, value)

    # ---- Control -------------------------------------------------------------------
    def setLogLevel(self, logLevel):
        _kiln.set_log_level(logLevel)

    def setJobDescription(self, value):
        self._job_description = value

    def setJobGroup(self, groupId, description, interruptOnCancel=False):
        self._job_group = (groupId, description)

    def setLocalProperty(self, key, value):
        pass

    def cancelAllJobs(self):
        self._ctx().cancel_jobs()

    def cancelJobGroup(self, groupId):
        self._ctx().cancel_jobs()

    def addPyFile(self, path):
        """Makes a .py, .zip or .egg importable here and in executors started
        after this call (they find it through the driver's sys.path)."""
        path = os.path.abspath(path)
        if path.endswith(".py"):
            path = os.path.dirname(path)
        if path not in sys.path:
            sys.path.insert(0, path)
        _prepare_executors()

    def addFile(self, path, recursive=False):
        self._files = getattr(self, "_files", []) + [os.path.abspath(path)]

    def stop(self):
        with SparkContext._lock:
            if not self._stopped:
                self._stopped = True
                self._c.stop()
            if SparkContext._active is self:
                SparkContext._active = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()

    def __repr__(self):
        return "<SparkContext master=%s appName=%s>" % (self.master, self.appName)

    def _metrics(self):
        return self._ctx().metrics()
