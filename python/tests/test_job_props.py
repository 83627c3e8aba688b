"""Job descriptions, job groups and local properties (sc.setJobDescription,
setJobGroup, setLocalProperty / getLocalProperty, cancelJobGroup) and RDD
names (rdd.setName / name), under local[2] and local-cluster[2,1,512]:
what each job carried is read back from the event log's
SparkListenerJobStart "Properties" and compared with a model of the
thread's properties; another thread's properties stay its own; cancelling
a group fails only that group's running job."""
import glob
import json
import os
import threading
import time

import pytest

from kiln import SparkConf, SparkContext

XSS = ["<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>"]


@pytest.fixture(params=["local[2]", "local-cluster[2,1,512]"])
def logged(request, tmp_path):
    conf = (SparkConf().setMaster(request.param).setAppName("props")
            .set("kiln.eventLog.enabled", "true").set("kiln.eventLog.dir", str(tmp_path))
            .set("kiln.ui.enabled", "true").set("kiln.ui.port", "0"))
    sc = SparkContext(conf=conf)
    yield sc, tmp_path
    if SparkContext._active is not None:
        SparkContext._active.stop()


def job_starts(log_dir):
    """{job id: properties} of the finished log in log_dir."""
    (path,) = [p for p in glob.glob(os.path.join(str(log_dir), "*"))
               if not p.endswith(".inprogress")]
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            ev = json.loads(line)
            if ev["Event"] == "SparkListenerJobStart":
                out[ev["Job ID"]] = ev["Properties"]
    return out


def test_properties_reach_jobs(logged):
    sc, log_dir = logged
    assert sc.getLocalProperty("spark.job.description") is None
    model = {}
    expected = []  # the properties each job of this thread must carry, in order
    steps = [("desc", XSS[0]), ("prop", "x", XSS[1]), ("group", "g1", XSS[1]),
             ("desc", None), ("prop", "x", None), ("group", XSS[0], None), ("desc", "")]
    for step in steps:
        if step[0] == "desc":
            sc.setJobDescription(step[1])
            model.pop("spark.job.description", None)
            if step[1] is not None:
                model["spark.job.description"] = step[1]
        elif step[0] == "prop":
            sc.setLocalProperty(step[1], step[2])
            model.pop(step[1], None)
            if step[2] is not None:
                model[step[1]] = step[2]
        else:
            sc.setJobGroup(step[1], step[2])
            model["spark.jobGroup.id"] = step[1]
            model["spark.job.interruptOnCancel"] = "false"
            model.pop("spark.job.description", None)
            if step[2] is not None:
                model["spark.job.description"] = step[2]
        for k in ("spark.job.description", "spark.jobGroup.id", "x"):
            assert sc.getLocalProperty(k) == model.get(k)
        n = len(expected) * 7 % 11  # an empty RDD among them
        assert sc.parallelize(range(n), 3).count() == n
        expected.append(dict(model))

    # Another thread sees none of this thread's properties, and its own stay its own.
    seen = {}

    def other():
        seen["before"] = sc.getLocalProperty("spark.job.description")
        sc.setJobDescription("other thread")
        seen["count"] = sc.parallelize(range(5), 2).count()
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen == {"before": None, "count": 5}
    assert sc.getLocalProperty("spark.job.description") == model.get("spark.job.description")
    sc.stop()

    starts = job_starts(log_dir)
    assert len(starts) == len(expected) + 1
    for job_id, want in enumerate(expected):
        got = {k: v for k, v in starts[job_id].items()
               if k not in ("kiln.job.action", "spark.sql.execution.id")}
        assert got == want, job_id
    assert starts[len(expected)]["spark.job.description"] == "other thread"


def test_rdd_names(logged):
    sc, log_dir = logged
    rdd = sc.parallelize(range(100), 4).map(lambda x: x * 2)
    assert rdd.name() is None
    assert rdd.setName("first") is rdd
    assert rdd.setName(XSS[0]) is rdd and rdd.name() == XSS[0]
    assert XSS[0] in repr(rdd)
    rdd.cache()
    assert rdd.sum() == 9900
    other = sc.parallelize([1, 2], 2).setName(None)
    assert other.name() is None
    sc.stop()
    names = set()
    path = [p for p in glob.glob(os.path.join(str(log_dir), "*"))][0]
    with open(path, encoding="utf-8") as f:
        for line in f:
            ev = json.loads(line)
            for si in ev.get("Stage Infos", []):
                for ri in si["RDD Info"]:
                    names.add(ri["Name"])
    assert XSS[0] in names


@pytest.mark.parametrize("master", ["local[1]", "local[2]", "local-cluster[2,1,512]"])
def test_cancel_job_group(master, tmp_path):
    """Group ga's job (600 records of 50 ms: 30 s) is cancelled within
    seconds of cancelJobGroup and its running task stops (no record is
    processed after it ends): inline Python (one core) and Python worker
    processes (two), in this process and on executors. Group gb's job runs
    on."""
    sc = SparkContext(master, "cancel")
    marks = str(tmp_path / "marks")

    def slow(s):
        time.sleep(s)
        with open(marks, "a") as f:
            f.write("x\n")
        return s
    try:
        results = {}

        def run(group, key, data):
            sc.setJobGroup(group, "waits")
            try:
                results[key] = sc.parallelize(data, 1).map(slow).collect()
            except Exception as e:  # the cancelled one
                results[key] = e
        a = threading.Thread(target=run, args=("ga", "a", [0.05] * 600))
        b = threading.Thread(target=run, args=("gb", "b", [1.5]))
        a.start()
        b.start()
        time.sleep(0.7)
        cancelled = time.monotonic()
        sc.cancelJobGroup("ga")
        a.join(60)
        took = time.monotonic() - cancelled
        b.join(60)
        assert results["b"] == [1.5]
        assert isinstance(results["a"], Exception) and "cancel" in str(results["a"])
        assert took < 10, f"the cancelled job ended {took:.1f} s after cancelJobGroup"

        def count():
            with open(marks) as f:
                return len(f.readlines())
        time.sleep(1)
        seen = count()
        time.sleep(1)
        assert count() == seen < 600, "the cancelled job's task still runs"
        # Its slots are free again: a job needing every slot runs at once.
        started = time.monotonic()
        assert sc.parallelize(range(4), 4).map(lambda x: x * 2).collect() == [0, 2, 4, 6]
        assert time.monotonic() - started < 10
    finally:
        stopping = time.monotonic()
        sc.stop()
    assert time.monotonic() - stopping < 10, "stop waited for the cancelled task"
