"""Python jobs on a standalone cluster and through `kiln submit`.

A real `kiln master` and one `kiln worker` (2 cores) run on 127.0.0.1 with
a private secret, started with an environment that names no Python path:
the executors they start find the kiln package, the _kiln module and the
py-files only because the driver ships them. Jobs use lambdas, a shuffle
and modules from py-files, and are checked against plain Python; `kiln
submit job.py` runs in local[2] and on the cluster; an executor whose
Python is another version fails the context with PySpark's message.
"""
import json
import os
import random
import re
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from collections import Counter

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("KILN_BUILD_DIR") or os.path.join(ROOT, "build")
KILN = os.path.join(BUILD, "bin", "kiln")

VERSION_MESSAGE = ("Python in worker has different version %s than that in driver %s, PySpark "
                   "cannot run with different minor versions. Please check environment variables "
                   "PYSPARK_PYTHON and PYSPARK_DRIVER_PYTHON are correctly set.")


def _clean_env(**extra):
    """The environment of the daemons and submitted jobs: no Python path, no
    kiln settings of the caller's."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KILN_PYTHON_PATH", "KILN_SECRET_FILE", "KILN_MASTER",
                        "KILN_SUBMIT_CONF", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    env["KILN_LOG_LEVEL"] = "WARN"
    env.update(extra)
    return env


def _wait(what, seconds, check):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Cluster:
    """A master and a worker, their files in tmp."""

    def __init__(self, tmp):
        if not os.access(KILN, os.X_OK):
            pytest.skip("%s is not built" % KILN)
        self.tmp = tmp
        self.secret = os.path.join(tmp, "secret")
        old = os.umask(0o077)
        try:
            with open(self.secret, "w") as f:
                f.write(subprocess.check_output([KILN, "secret"], text=True))
        finally:
            os.umask(old)
        self.procs = []
        out = open(os.path.join(tmp, "master.out"), "w")
        self.procs.append(subprocess.Popen(
            [KILN, "master", "--host", "127.0.0.1", "--port", "0", "--http-port", "0",
             "--secret-file", self.secret], stdout=out,
            stderr=open(os.path.join(tmp, "master.err"), "w"), env=_clean_env(), cwd=tmp))

        def url():
            with open(os.path.join(tmp, "master.out")) as f:
                m = re.search(r"master listening on (kiln://[^,\s]+)", f.read())
            return m and m.group(1)
        self.url = _wait("the master's address", 10, url)
        self.work = os.path.join(tmp, "w1")
        self.procs.append(subprocess.Popen(
            [KILN, "worker", self.url, "--cores", "2", "--memory", "2g", "--work-dir", self.work,
             "--secret-file", self.secret, "--heartbeat-ms", "200"],
            stderr=open(os.path.join(tmp, "worker.err"), "w"), env=_clean_env(), cwd=tmp))
        _wait("an ALIVE worker", 15, lambda: self.status().get("aliveworkers") == 1)

    def status(self):
        r = subprocess.run([KILN, "status", self.url, "--secret-file", self.secret],
                           capture_output=True, text=True, env=_clean_env())
        return json.loads(r.stdout) if r.returncode == 0 else {}

    def conf(self):
        import kiln
        return (kiln.SparkConf().set("kiln.authenticate.secret", "file:" + self.secret)
                .set("kiln.executor.memory", "512m").set("kiln.ui.showConsoleProgress", "false"))

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("cluster")))
    yield c
    c.stop()


@pytest.fixture(scope="module")
def pyfiles(tmp_path_factory):
    """A module as a .py file and a package in a zip, as py-files."""
    d = str(tmp_path_factory.mktemp("pyfiles"))
    py = os.path.join(d, "kiln_helper_mod.py")
    with open(py, "w") as f:
        f.write("def norm(w):\n    return w.strip().lower()\n")
    z = os.path.join(d, "kiln_deps.zip")
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("kiln_zipped/__init__.py", "")
        zf.writestr("kiln_zipped/weights.py", "def weight(k):\n    return len(k) + 1\n")
    return py, z


def _words(seed, n=3000):
    rnd = random.Random(seed)
    vocab = ["Apple", "apple ", "Ünïcode", "ß", "", " x", "long-" * 5, "z"] + \
        ["w%d" % i for i in range(40)]
    # Skewed: the first words come most often.
    return [vocab[min(int(rnd.expovariate(0.3)), len(vocab) - 1)] for _ in range(n)]


def _reference(words):
    counts = Counter(w.strip().lower() for w in words)
    return {k: v * (len(k) + 1) for k, v in counts.items()}


def test_python_job_on_the_cluster(cluster, pyfiles):
    import kiln
    py, z = pyfiles
    words = _words(1)
    sc = kiln.SparkContext(cluster.url, "py-standalone", conf=cluster.conf(), pyFiles=[py, z])
    try:
        assert sc.defaultParallelism == 2

        def score(kv):
            import kiln_zipped.weights as w  # from the zip, on the executor
            return kv[0], kv[1] * w.weight(kv[0])

        import kiln_helper_mod
        got = dict(sc.parallelize(words, 5).map(lambda w: (kiln_helper_mod.norm(w), 1))
                   .reduceByKey(lambda a, b: a + b, 3).map(score).collect())
        assert got == _reference(words)
        # Empty input, one partition, None values.
        assert sc.parallelize([], 1).map(lambda x: x).collect() == []
        assert sorted(sc.parallelize([None, "a", None], 1).map(lambda x: (x, 1))
                      .reduceByKey(lambda a, b: a + b).collect(), key=repr) == \
            sorted([(None, 2), ("a", 1)], key=repr)
        # The executors ran on the worker, with what the driver shipped.
        where = sc.parallelize(range(4), 4).map(
            lambda _: (os.getcwd(), __import__("kiln").__file__,
                       __import__("_kiln").__file__, sys.version_info[:2])).collect()
        for cwd, kiln_file, so_file, ver in where:
            assert cwd.startswith(cluster.work + os.sep)
            assert "kiln-python-" in kiln_file and kiln_file.startswith(cwd)
            assert so_file.startswith(cwd)
            assert tuple(ver) == sys.version_info[:2]
        # A .py added after the start travels by value with the functions.
        late = os.path.join(os.path.dirname(py), "kiln_late_mod.py")
        with open(late, "w") as f:
            f.write("def triple(x):\n    return 3 * x\n")
        sc.addPyFile(late)
        import kiln_late_mod
        assert sc.parallelize(range(10), 2).map(kiln_late_mod.triple).collect() == \
            [3 * i for i in range(10)]
    finally:
        sc.stop()
    # The worker cached the files by sha256; the executable (python3) was not fetched.
    cached = os.listdir(os.path.join(cluster.work, "cache"))
    import hashlib
    with open(z, "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() in cached
    with open(os.path.realpath(sys.executable), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() not in cached


JOB = textwrap.dedent("""\
    import json, sys
    import kiln_helper_mod
    from kiln import SparkContext
    sc = SparkContext()
    words = sys.argv[2].split(",")
    out = (sc.parallelize(words, 3).map(lambda w: (kiln_helper_mod.norm(w), 1))
           .reduceByKey(lambda a, b: a + b).collect())
    with open(sys.argv[1], "w") as f:
        json.dump({"master": sc.master, "counts": dict(out)}, f)
    sc.stop()
    """)


def _submit(tmp, args, words, timeout=60):
    job = os.path.join(tmp, "job.py")
    with open(job, "w") as f:
        f.write(JOB)
    out = os.path.join(tmp, "out.json")
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run([KILN, "submit"] + args + [job, out, ",".join(words)],
                       capture_output=True, text=True, env=_clean_env(), cwd=tmp,
                       timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    with open(out) as f:
        return json.load(f)


@pytest.mark.parametrize("mode", ["local[2]", "cluster"])
def test_kiln_submit_python_job(cluster, pyfiles, tmp_path, mode):
    py, _ = pyfiles
    words = [w for w in _words(2, 500) if "," not in w]
    want = dict(Counter(w.strip().lower() for w in words))
    if mode == "cluster":
        args = ["--master", cluster.url, "--secret-file", cluster.secret,
                "--executor-memory", "512m", "--py-files", py,
                "--conf", "kiln.ui.showConsoleProgress=false"]
    else:
        args = ["--master", mode, "--py-files", py]
    got = _submit(str(tmp_path), args, words)
    assert got["counts"] == want
    assert got["master"] == (cluster.url if mode == "cluster" else mode)


def test_kiln_submit_refuses_missing_py_file(tmp_path):
    if not os.access(KILN, os.X_OK):
        pytest.skip("kiln is not built")
    r = subprocess.run([KILN, "submit", "--master", "local[1]", "--py-files",
                        str(tmp_path / "nosuch.py"), str(tmp_path / "job.py")],
                       capture_output=True, text=True, env=_clean_env())
    assert r.returncode != 0 and "nosuch.py" in r.stderr


def _fake_python(tmp, version):
    """An interpreter that says it is Python `version`: /usr/bin/python3
    running the executor's boot code with sys.version_info replaced (the
    check itself is the real one of kiln/context.py)."""
    path = os.path.join(tmp, "python-%s" % version)
    major, minor = version.split(".")
    with open(path, "w") as f:
        f.write(textwrap.dedent("""\
            #!/usr/bin/python3
            import sys
            assert sys.argv[1] == "-c"
            code = sys.argv[2]
            sys.argv = ["-c"] + sys.argv[3:]
            sys.version_info = (%s, %s, 0, "final", 0)
            exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
            """ % (major, minor)))
    os.chmod(path, stat.S_IRWXU)
    return path


def test_version_mismatch_on_the_cluster(cluster, tmp_path):
    import kiln
    fake = _fake_python(str(tmp_path), "3.1")
    conf = cluster.conf().set("kiln.pyspark.python", fake)
    start = time.monotonic()
    with pytest.raises(kiln.KilnError) as e:
        kiln.SparkContext(cluster.url, "py-mismatch", conf=conf)
    assert VERSION_MESSAGE % ("3.1", "%d.%d" % sys.version_info[:2]) in str(e.value)
    assert time.monotonic() - start < 30
    assert kiln.SparkContext._active is None


def _other_python():
    """An installed interpreter of another minor version, or None."""
    import glob
    mine = "%d.%d" % sys.version_info[:2]
    for p in sorted(glob.glob("/usr/bin/python3.[0-9]*") +
                    glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3"))):
        m = re.search(r"(3\.\d+)", os.path.basename(p) if "pyenv" not in p else p)
        if m and m.group(1) != mine and os.access(p, os.X_OK) and not p.endswith("-config"):
            return p, m.group(1)
    return None


def test_version_mismatch_real_interpreter(cluster):
    import kiln
    other = _other_python()
    if other is None:
        pytest.skip("no Python of another minor version is installed")
    path, version = other
    conf = cluster.conf().set("kiln.pyspark.python", path)
    with pytest.raises(kiln.KilnError) as e:
        kiln.SparkContext(cluster.url, "py-mismatch-real", conf=conf)
    assert VERSION_MESSAGE % (version, "%d.%d" % sys.version_info[:2]) in str(e.value)


def test_version_mismatch_local_cluster(tmp_path):
    """local-cluster: the executors' stderr is the driver's, and the context
    fails."""
    fake = _fake_python(str(tmp_path), "3.1")
    script = tmp_path / "lc.py"
    script.write_text(textwrap.dedent("""\
        import kiln
        conf = kiln.SparkConf().set("kiln.pyspark.python", %r).set(
            "kiln.deploy.maxExecutorRetries", "1")
        try:
            kiln.SparkContext("local-cluster[1,1,256]", "mm", conf=conf)
        except kiln.KilnError as e:
            print("failed:", e)
        """ % fake))
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, KILN_LOG_LEVEL="WARN"))
    assert VERSION_MESSAGE % ("3.1", "%d.%d" % sys.version_info[:2]) in r.stderr
    assert "failed:" in r.stdout
