"""SparkConf and SparkContext: properties, one active context, stop and
the context manager, getOrCreate, text files, broadcasts, accumulators,
checkpoints, TaskContext and addPyFile, under local[1], local[2] and
local-cluster[2,1,512] (each test makes and stops its own contexts)."""
import operator
import os

import pytest

import kiln
from kiln import SparkConf, SparkContext, StorageLevel, TaskContext
from conftest import MASTERS

PARALLELISM = {"local[1]": 1, "local[2]": 2, "local-cluster[2,1,512]": 2}


@pytest.fixture(params=MASTERS)
def master(request):
    yield request.param
    if SparkContext._active is not None:
        SparkContext._active.stop()


def test_conf():
    conf = SparkConf().setMaster("local[2]").setAppName("é app")
    assert conf.get("spark.master") == "local[2]" and conf.get("kiln.app.name") == "é app"
    assert conf.set("spark.executor.memory", "1g") is conf
    assert conf.get("spark.executor.memory") == "1g" and conf.contains("kiln.executor.memory")
    assert conf.setIfMissing("spark.executor.memory", "2g").get("spark.executor.memory") == "1g"
    assert conf.get("absent") is None and conf.get("absent", "d") == "d"
    conf.setAll([("a.b", 1), ("c", True)])
    assert ("a.b", "1") in conf.getAll() and conf.get("c") == "True"
    assert "a.b=1" in conf.toDebugString()
    assert not conf.contains("nothing")


def test_context_properties(master):
    sc = SparkContext(master, "props")
    try:
        assert sc.master == master and sc.appName == "props"
        assert sc.defaultParallelism == PARALLELISM[master]
        assert sc.defaultMinPartitions == min(PARALLELISM[master], 2)
        assert sc.version == kiln.__version__
        assert sc.pythonVer == "%d.%d" % os.sys.version_info[:2]
        assert isinstance(sc.sparkUser(), str) and sc.sparkUser()
        assert isinstance(sc.startTime, int) and sc.startTime > 0
        assert isinstance(sc.applicationId, str)
        assert sc.getConf().get("spark.master") == master
        assert "props" in repr(sc)
        assert sc.parallelize(range(10)).getNumPartitions() == PARALLELISM[master]
        for level in ("WARN", "ERROR", "INFO", "warn"):
            sc.setLogLevel(level)
        sc.setLogLevel("WARN")
        sc.setJobDescription("a job")
        sc.setJobGroup("g", "a group")
        sc.setLocalProperty("k", "v")
    finally:
        sc.stop()


def test_one_context_stop_and_context_manager(master):
    conf = SparkConf().setMaster(master).setAppName("cm")
    with SparkContext(conf=conf) as sc:
        assert SparkContext.getOrCreate() is sc
        with pytest.raises(ValueError, match="multiple SparkContexts"):
            SparkContext(master, "second")
        rdd = sc.parallelize([1, 2, 3], 2)
        assert rdd.sum() == 6
    with pytest.raises(ValueError, match="stopped"):
        sc.parallelize([1])
    with pytest.raises(ValueError):
        rdd.count()
    sc.stop()  # twice is fine
    sc2 = SparkContext.getOrCreate(conf)
    try:
        assert sc2 is not sc and sc2.master == master
        assert sc2.parallelize([1, 2, 3], 2).map(lambda x: x * 2).collect() == [2, 4, 6]
    finally:
        sc2.stop()
    assert SparkContext._active is None
    with SparkContext(master, "again") as sc3:  # a new context after stop works
        assert sc3.range(5).sum() == 10


def test_text_files(master, tmp_path):
    lines = ["first line", "é ü 日本", "", "\U0001F600 emoji", "last"]
    path = tmp_path / "in.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    other = tmp_path / "dir"
    other.mkdir()
    (other / "a.txt").write_text("alpha\nbeta\n", encoding="utf-8")
    (other / "b.txt").write_text("日本\n", encoding="utf-8")
    with SparkContext(master, "files") as sc:
        assert sc.textFile(str(path)).collect() == lines
        assert sc.textFile(path, minPartitions=3).collect() == lines
        assert sc.textFile(str(path), use_unicode=False).collect() == \
            [s.encode("utf-8") for s in lines]
        assert sorted(sc.textFile(str(other)).collect()) == ["alpha", "beta", "日本"]
        whole = dict(sc.wholeTextFiles(str(other)).collect())
        assert {os.path.basename(k): v for k, v in whole.items()} == \
            {"a.txt": "alpha\nbeta\n", "b.txt": "日本\n"}
        raw = dict(sc.wholeTextFiles(str(other), use_unicode=False).collect())
        assert sorted(raw.values()) == [b"alpha\nbeta\n", "日本\n".encode()]
        out = tmp_path / "out"
        sc.parallelize(["x", "é", 3, None, b"raw"], 2).saveAsTextFile(str(out))
        assert sorted(sc.textFile(str(out)).collect()) == sorted(["x", "é", "3", "None", "raw"])
        counts = sc.textFile(str(path)).flatMap(str.split).map(lambda w: (w, 1)) \
            .reduceByKey(operator.add).collectAsMap()
        want = {}
        for w in " ".join(lines).split():
            want[w] = want.get(w, 0) + 1
        assert counts == want
        with pytest.raises(Exception, match="does not exist|No such|not exist"):
            sc.textFile(str(tmp_path / "missing.txt")).collect()


def test_broadcast(master):
    import numpy as np
    with SparkContext(master, "bc") as sc:
        values = [{"a": [1, 2], "é": (None, 2.5)}, list(range(1000)), 2**80, "日本", b"\x00\xff",
                  np.arange(5, dtype=np.float64)]
        bs = [sc.broadcast(v) for v in values]
        assert [b.value for b in bs[:5]] == values[:5]
        got = sc.parallelize(range(4), 2).map(lambda i: [repr(b.value) for b in bs[:5]]).collect()
        assert got == [[repr(v) for v in values[:5]]] * 4
        arr = sc.parallelize([0, 4], 2).map(lambda i: float(bs[5].value[i])).collect()
        assert arr == [0.0, 4.0]
        lookup = sc.broadcast({i: i * i for i in range(100)})
        rdd = sc.parallelize(range(100), 4).map(lambda i: lookup.value[i])
        assert rdd.sum() == sum(i * i for i in range(100))
        assert rdd.sum() == sum(i * i for i in range(100))  # again, from cached functions
        lookup.unpersist()
        lookup.destroy()
        with pytest.raises(ValueError, match="destroyed"):
            lookup.value
        lookup.destroy()  # twice is fine
        assert isinstance(bs[0].id, int)


def test_accumulators(master):
    with SparkContext(master, "acc") as sc:
        ints = sc.accumulator(5)
        fl = sc.accumulator(0.5)
        rdd = sc.parallelize(range(100), 4)
        rdd.foreach(lambda x: ints.add(x))
        assert ints.value == 5 + sum(range(100))

        def add_both(x):
            global_acc = fl
            global_acc += x / 2
        rdd.foreach(add_both)
        assert fl.value == pytest.approx(0.5 + sum(range(100)) / 2)
        ints += 10
        assert ints.value == 5 + sum(range(100)) + 10
        ints.value = 1
        assert ints.value == 1
        rdd.map(lambda x: ints.add(1) or x).count()
        assert ints.value == 101
        assert "101" == str(ints)
        # Updates inside a transformation count when its action runs.
        c = sc.accumulator(0)
        mapped = rdd.map(lambda x: c.add(1) or x)
        assert c.value == 0
        mapped.count()
        assert c.value == 100
        with pytest.raises(TypeError):
            sc.accumulator("text")
        with pytest.raises(NotImplementedError):
            class ListParam(kiln.AccumulatorParam):
                def zero(self, v):
                    return []

                def addInPlace(self, a, b):
                    return a + [b]
            sc.accumulator([], ListParam())
        assert sc.accumulator(0, kiln.AccumulatorParam()).value == 0

        def read_in_task(x):
            return c.value
        with pytest.raises(RuntimeError, match="inside tasks"):
            sc.parallelize([1]).map(read_in_task).collect()


def test_checkpoints(master, tmp_path):
    conf = SparkConf().setMaster(master).set("spark.checkpoint.dir", str(tmp_path / "c1"))
    with SparkContext(conf=conf) as sc:
        assert sc.getCheckpointDir() == str(tmp_path / "c1")
        rdd = sc.parallelize(range(50), 3).map(lambda x: x * 3)
        rdd.checkpoint()
        assert rdd.isCheckpointed() and rdd.getCheckpointFile() is not None
        assert rdd.collect() == [x * 3 for x in range(50)]
        assert rdd.map(lambda x: x + 1).sum() == sum(x * 3 + 1 for x in range(50))
        assert os.listdir(tmp_path / "c1")
    with SparkContext(master, "ck") as sc:
        assert sc.getCheckpointDir() is None
        with pytest.raises(kiln.KilnError, match="setCheckpointDir"):
            sc.parallelize([1]).checkpoint()
        sc.setCheckpointDir(str(tmp_path / "c2"))
        assert sc.getCheckpointDir() == str(tmp_path / "c2") and (tmp_path / "c2").is_dir()
        rdd = sc.parallelize(range(20), 2).map(lambda x: -x)
        assert not rdd.isCheckpointed()
        rdd.checkpoint()
        assert rdd.isCheckpointed()
        assert rdd.collect() == [-x for x in range(20)]
        local = sc.parallelize([1, 2]).map(lambda x: x)
        local.localCheckpoint()
        assert local.isLocallyCheckpointed() and local.collect() == [1, 2]
        assert local.getStorageLevel() == StorageLevel.MEMORY_AND_DISK


def test_task_context(master):
    with SparkContext(master, "tc") as sc:
        assert TaskContext.get() is None
        got = sc.parallelize(range(6), 3).mapPartitionsWithIndex(
            lambda i, it: [(i, TaskContext.get().partitionId(), TaskContext.get().attemptNumber(),
                            isinstance(TaskContext.get().stageId(), int))]).collect()
        assert got == [(i, i, 0, True) for i in range(3)]


def test_add_py_file(master, tmp_path):
    mod = tmp_path / "kiln_test_helper_mod.py"
    mod.write_text("def triple(x):\n    return 3 * x\n")
    with SparkContext(master, "pyfile") as sc:
        sc.addPyFile(str(mod))
        import kiln_test_helper_mod
        assert sc.parallelize([1, 2], 2).map(kiln_test_helper_mod.triple).collect() == [3, 6]


def test_pickle_files_and_run_job(master, tmp_path):
    import numpy as np
    data = [None, 2**90, "é", (1, [2, {"x": b"y"}]), 1.5, {3, 4}, np.float64(2.5)]
    with SparkContext(master, "pickles") as sc:
        sc.parallelize(data, 3).saveAsPickleFile(str(tmp_path / "p"), batchSize=2)
        got = sc.pickleFile(str(tmp_path / "p")).collect()
        assert sorted(map(repr, got)) == sorted(map(repr, data))
        rdd = sc.parallelize(range(10), 3)
        assert sc.runJob(rdd, lambda it: [x * x for x in it]) == [x * x for x in range(10)]
        assert sc.runJob(rdd, lambda it: [sum(it)], partitions=[0, 2]) == [0 + 1 + 2, 6 + 7 + 8 + 9]
        sc.setLocalProperty("spark.scheduler.pool", "p1")
        assert sc.getLocalProperty("spark.scheduler.pool") == "p1"
        assert rdd.collectWithJobGroup("g", "d") == list(range(10))
