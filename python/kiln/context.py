"""SparkContext: the entry point of the RDD API, with PySpark's names.

kiln runs in this process: `import kiln` and a context take milliseconds,
and there is no JVM. Executor processes (local-cluster and cluster modes)
are this same Python interpreter loading kiln again
(`python3 -c ... import kiln.executor`), so functions defined here,
lambdas and notebook cells included, travel to them with cloudpickle.
"""
import os
import getpass
import sys
import threading
import time

import _kiln

from .accumulators import Accumulator
from .broadcast import Broadcast
from .conf import SparkConf
from .rdd import RDD

__all__ = ["SparkContext"]

# What an executor process runs: an interpreter (kiln.pyspark.python, else
# $PYSPARK_PYTHON, else the driver's) given the driver's Python version and
# the names of the zips shipped with the application. It checks the version
# first (an extension module built for another Python cannot even load),
# then finds kiln where the driver found it (KILN_PYTHON_PATH, the driver's
# sys.path: local-cluster) or in its working directory (a standalone
# worker links the application's files there: the _kiln module, the zip of
# the kiln package, the --py-files), and serves tasks.
_EXECUTOR_BOOT = (
    "import os, sys\n"
    "driver, worker = sys.argv[1], '%d.%d' % sys.version_info[:2]\n"
    "if worker != driver:\n"
    "    sys.exit('Python in worker has different version %s than that in driver %s, PySpark "
    "cannot run with different minor versions. Please check environment variables "
    "PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON are correctly set.' % (worker, driver))\n"
    "path = ([os.path.abspath(p) for p in sys.argv[2:] if os.path.isfile(p)] + "
    "[p for p in os.environ.get('KILN_PYTHON_PATH', '').split(os.pathsep) if p] + [os.getcwd()])\n"
    "sys.path[:0] = path\n"
    "os.environ['KILN_PYTHON_PATH'] = os.pathsep.join(path)\n"
    "import kiln.executor\n")

_WORKER_BOOT = ("import os, sys; "
                "sys.path[:0] = [p for p in os.environ.get('KILN_PYTHON_PATH', '')"
                ".split(os.pathsep) if p]; "
                "import kiln.worker")


def _python_version():
    return "%d.%d" % sys.version_info[:2]


def _submit_conf(key):
    """A key of $KILN_SUBMIT_CONF (kiln submit's key=value lines), which
    the context reads too; needed here before the context starts."""
    for line in os.environ.get("KILN_SUBMIT_CONF", "").splitlines():
        k, sep, v = line.partition("=")
        if sep and k in (key, "spark." + key[len("kiln."):]):
            return v
    return None


def _package_zip():
    """A zip of the kiln package (its .py files, stored, with fixed times,
    so the same sources give the same bytes and workers fetch it once), made
    in a per-user temporary directory, reused while the sources are unchanged."""
    import hashlib
    import tempfile
    import zipfile
    root = os.path.dirname(os.path.abspath(__file__))
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for n in sorted(names):
            if not n.endswith((".pyc", ".pyo")):
                path = os.path.join(d, n)
                st = os.stat(path)
                files.append((os.path.relpath(path, os.path.dirname(root)), path, st.st_size,
                              st.st_mtime_ns))
    sig = hashlib.sha256(repr([(r, s, m) for r, _, s, m in files]).encode()).hexdigest()[:16]
    tmp = os.path.join(tempfile.gettempdir(), "kiln-python-%d" % os.getuid())
    os.makedirs(tmp, mode=0o700, exist_ok=True)
    out = os.path.join(tmp, "kiln-python-%s.zip" % sig)
    if not os.path.isfile(out):
        part = "%s.%d" % (out, os.getpid())
        with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as z:
            for rel, path, _, _ in files:
                info = zipfile.ZipInfo(rel.replace(os.sep, "/"), (1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                with open(path, "rb") as f:
                    z.writestr(info, f.read())
        os.replace(part, out)
    return out


def _executor_python(settings):
    """The interpreter executors run (PySpark's spark.pyspark.python, then
    PYSPARK_PYTHON): an absolute path, on every worker host."""
    python = (settings.get("kiln.pyspark.python") or settings.get("spark.pyspark.python")
              or _submit_conf("kiln.pyspark.python") or os.environ.get("PYSPARK_PYTHON")
              or sys.executable)
    if not os.path.isabs(python):
        raise ValueError("kiln.pyspark.python: %r is not an absolute path" % python)
    return python


def _prepare_executors(settings=None, py_files=()):
    """Sets the executor command and the files it needs on other hosts
    (kiln_set_executor_files: the _kiln module, the kiln package's zip, the
    py-files), and KILN_PYTHON_PATH for executors on this host."""
    os.environ["KILN_PYTHON_PATH"] = os.pathsep.join(p for p in sys.path if p)
    settings = settings or {}
    # Executors on this host (local-cluster) find everything through
    # KILN_PYTHON_PATH; only a cluster's workers need the files shipped.
    master = (settings.get("kiln.master") or _submit_conf("kiln.master")
              or os.environ.get("KILN_MASTER") or "")
    local = master.startswith("local")
    shipped = [os.path.abspath(_kiln.__file__)] + ([] if local else [_package_zip()])
    shipped += [p for p in py_files if p not in shipped]
    zips = [os.path.basename(p) for p in shipped if p.endswith((".zip", ".egg", ".whl"))]
    if len(zips) > 12:
        raise ValueError("at most 12 .zip/.egg py-files can go to executors, got %d" % len(zips))
    _kiln.set_executor_files(shipped)
    _kiln.set_executor_command([_executor_python(settings), "-c", _EXECUTOR_BOOT,
                                _python_version()] + zips)


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


def _py_files_conf(settings):
    """kiln.submit.pyFiles (spark.submit.pyFiles) of the settings, else of
    $KILN_SUBMIT_CONF (kiln submit --py-files), as a list."""
    v = (settings.get("kiln.submit.pyFiles") or settings.get("spark.submit.pyFiles")
         or _submit_conf("kiln.submit.pyFiles") or "")
    return [p for p in v.split(",") if p]


def _add_to_path(path):
    """Puts a py-file on sys.path (a .py file's directory, a zip itself);
    returns its absolute path."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError("py-file %s does not exist" % path)
    entry = os.path.dirname(path) if path.endswith(".py") else path
    if entry not in sys.path:
        sys.path.insert(0, entry)
    return path


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
            settings = _settings(self._conf)
            settings["kiln.python.version"] = _python_version()
            self._py_files = []
            for path in list(pyFiles or []) + _py_files_conf(settings):
                self._py_files.append(_add_to_path(path))
            _prepare_executors(settings, self._py_files)
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
            self._start_time = int(time.time() * 1000)
            # Names this context's broadcasts in executors' caches.
            self._token = "%d-%d-%s" % (os.getpid(), self._start_time, os.urandom(4).hex())
            self._checkpoint_dir = self._c.conf("kiln.checkpoint.dir") or None
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
        """When the context started, in milliseconds since the epoch."""
        return self._start_time

    @property
    def pythonVer(self):
        """The interpreter's major.minor version (executors must run the same)."""
        return "%d.%d" % sys.version_info[:2]

    @property
    def pythonExec(self):
        return os.path.realpath(sys.executable)

    def sparkUser(self):
        """The user the context runs as."""
        try:
            return getpass.getuser()
        except Exception:
            return str(os.getuid())

    def getConf(self):
        conf = SparkConf()
        conf.setAll(self._conf.getAll())
        return conf

    @classmethod
    def getOrCreate(cls, conf=None):
        """The running context, or a new one made with conf."""
        with cls._lock:
            if cls._active is None:
                cls(conf=conf or SparkConf())
            return cls._active

    # ---- Sources ---------------------------------------------------------------
    def parallelize(self, c, numSlices=None):
        n = numSlices or 0
        if isinstance(c, range):
            if len(c) == 0:
                return self._rdd(self._ctx().parallelize([], n), True)
            return self._rdd(self._ctx().range(c.start, c.stop, c.step, n), True)
        if not isinstance(c, list):
            c = list(c)
        return self._rdd(self._ctx().parallelize(c, n), False)

    def _rdd(self, j, keys_ok):
        """An RDD of the kiln RDD j; keys_ok: whether its records cannot hold
        keys kiln cannot hash (pairs are checked before a shuffle if not)."""
        out = RDD(j, self)
        out._keys_ok = keys_ok
        return out

    def range(self, start, end=None, step=1, numSlices=None):
        """An RDD of the ints of range(start, end, step) (range(start) without end)."""
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def textFile(self, name, minPartitions=None, use_unicode=True):
        rdd = self._rdd(self._ctx().text_file(str(name), minPartitions or 0), True)
        return rdd if use_unicode else rdd.map(lambda s: s.encode("utf-8", "surrogateescape"))

    def wholeTextFiles(self, path, minPartitions=None, use_unicode=True):
        rdd = self._rdd(self._ctx().whole_text_files(str(path), minPartitions or 0), True)
        if use_unicode:
            return rdd
        return rdd.mapValues(lambda text: text.encode("utf-8", "surrogateescape"))

    def pickleFile(self, name, minPartitions=None):
        """The records rdd.saveAsPickleFile saved."""
        def decode(line):
            import base64
            import pickle
            return pickle.loads(base64.b64decode(line))
        return self.textFile(name, minPartitions).flatMap(decode)

    def runJob(self, rdd, partitionFunc, partitions=None, allowLocal=False):
        """partitionFunc over the iterators of the partitions (all, or those
        listed), its results concatenated."""
        wanted = None if partitions is None else set(partitions)

        def func(i, it):
            if wanted is not None and i not in wanted:
                return iter(())
            return partitionFunc(it)
        return rdd.mapPartitionsWithIndex(func).collect()

    def emptyRDD(self):
        """An RDD without records (kiln's has one empty partition)."""
        return self._rdd(self._ctx().parallelize([], 1), True)

    def union(self, rdds):
        """The records of all the RDDs, in order."""
        rdds = list(rdds)
        if not rdds:
            raise ValueError("union needs at least one RDD")
        out = rdds[0]
        for r in rdds[1:]:
            out = out.union(r)
        return out

    # ---- Shared variables --------------------------------------------------------
    def broadcast(self, value):
        """A read-only copy of value for every task (b.value)."""
        return Broadcast(self, value, self._ctx().broadcast(value))

    def accumulator(self, value, accum_param=None):
        """An int or float sum tasks add to (kiln's accumulators are numbers;
        an accum_param other than a sum is refused)."""
        if accum_param is not None and not _is_sum_param(accum_param, value):
            raise NotImplementedError("kiln's accumulators sum ints or floats; a custom "
                                      "AccumulatorParam is not supported")
        is_float = isinstance(value, float)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError("kiln's accumulators sum ints or floats, not %s" % type(value).__name__)
        aid = self._ctx().accumulator("accumulator", is_float)
        return Accumulator(self, aid, is_float, value)

    # ---- Control -------------------------------------------------------------------
    def setLogLevel(self, logLevel):
        """ALL, DEBUG, INFO, WARN, ERROR, FATAL, OFF or TRACE."""
        _kiln.set_log_level(logLevel)

    def setCheckpointDir(self, dirName):
        """The directory rdd.checkpoint() writes to (created if missing)."""
        dirName = os.path.abspath(str(dirName))
        os.makedirs(dirName, exist_ok=True)
        setter = getattr(self._ctx(), "set_checkpoint_dir", None)
        if setter is not None:
            setter(dirName)
        self._checkpoint_dir = dirName

    def getCheckpointDir(self):
        """The checkpoint directory, or None."""
        return self._checkpoint_dir

    def _can_checkpoint(self):
        """Whether kiln itself writes checkpoints to the directory set (its
        kiln.checkpoint.dir at start, or set since by a C setter)."""
        return self._checkpoint_dir is not None and (
            self._c.conf("kiln.checkpoint.dir") == self._checkpoint_dir
            or hasattr(self._c, "set_checkpoint_dir"))

    def setJobDescription(self, value):
        """Describes the jobs this thread starts from now on (the web UI
        shows it above each job's action); None clears it."""
        self._ctx().set_local_property("spark.job.description",
                                       None if value is None else str(value))

    def setJobGroup(self, groupId, description, interruptOnCancel=False):
        """Puts the jobs this thread starts from now on in group groupId,
        with a description; cancelJobGroup(groupId) cancels the running
        ones. kiln stops a cancelled job's tasks at their next check,
        whatever interruptOnCancel says."""
        c = self._ctx()
        c.set_local_property("spark.job.description",
                             None if description is None else str(description))
        c.set_local_property("spark.jobGroup.id", str(groupId))
        c.set_local_property("spark.job.interruptOnCancel",
                             "true" if interruptOnCancel else "false")

    def setLocalProperty(self, key, value):
        """Sets a property of this thread that each job it starts carries
        (the web UI and the event log show them); None removes it. Another
        thread's jobs do not see it."""
        self._ctx().set_local_property(str(key), None if value is None else str(value))

    def getLocalProperty(self, key):
        """This thread's value of a local property, or None."""
        return self._ctx().get_local_property(str(key))

    def setInterruptOnCancel(self, interruptOnCancel):
        """Kept for PySpark's API: kiln always stops a cancelled job's tasks."""

    @classmethod
    def setSystemProperty(cls, key, value):
        """Kept for PySpark's API: sets the environment variable key."""
        os.environ[key] = value

    @property
    def sparkHome(self):
        return None

    @property
    def listFiles(self):
        """The files addFile added."""
        return list(getattr(self, "_files", []))

    def cancelAllJobs(self):
        self._ctx().cancel_jobs()

    def cancelJobGroup(self, groupId):
        """Cancels the running jobs of the group (setJobGroup); other jobs go on."""
        self._ctx().cancel_job_group(str(groupId))

    def addPyFile(self, path):
        """Makes a .py, .zip or .egg importable here and in executors.

        Files named before the context starts (``pyFiles=``, ``kiln submit
        --py-files``, ``kiln.submit.pyFiles``) are shipped to the executors
        of every mode, standalone workers included. One added afterwards is
        on this process's sys.path at once; executors already running
        cannot get a file, so a .py file's module is imported here and its
        functions travel by value with the functions that use them
        (cloudpickle's register_pickle_by_value); a .zip or .egg added
        afterwards reaches only executors started later (local-cluster
        restarts)."""
        path = _add_to_path(path)
        if path not in self._py_files:
            self._py_files.append(path)
        _prepare_executors(_settings(self._conf), self._py_files)
        if path.endswith(".py"):
            import importlib
            import cloudpickle
            name = os.path.splitext(os.path.basename(path))[0]
            cloudpickle.register_pickle_by_value(importlib.import_module(name))

    def addFile(self, path, recursive=False):
        self._files = getattr(self, "_files", []) + [os.path.abspath(path)]

    def stop(self):
        """Stops the context and its executors; a new one may be made after."""
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


def _is_sum_param(param, value):
    """Whether an AccumulatorParam adds values (what kiln's accumulators do)."""
    from .accumulators import AccumulatorParam
    add = getattr(type(param), "addInPlace", None)
    return add is AccumulatorParam.addInPlace
