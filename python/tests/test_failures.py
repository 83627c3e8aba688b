"""Failures: an exception in a user function reaches the driver as the same
type with its traceback and the job/stage/partition; a function that kills
its executor is retried, then fails clearly, and the context goes on; an
unpicklable closure is named with the variable it captures; a worker of
another Python version refuses the task with PySpark's message; a destroyed
broadcast; accumulator updates of a retried task counted once."""
import operator
import os
import threading
import time

import pytest

import _kiln
import kiln
from kiln import SparkContext, TaskContext
from kiln.functions import PicklingError


class Boom(Exception):
    """An exception class of the test module: the driver rebuilds it."""


def _explode(x):
    if x == 7:
        raise Boom("seven is bad: é")
    return x


@pytest.fixture
def alone():
    """Room for a test's own context: the module's `sc` (if one is running)
    is set aside meanwhile (kiln's C contexts can coexist; PySpark's rule of
    one active context is the Python package's)."""
    parked = SparkContext._active
    SparkContext._active = None
    yield
    if SparkContext._active is not None:
        SparkContext._active.stop()
    SparkContext._active = parked


def _check_message(msg, function):
    assert "Traceback (most recent call last)" in msg
    assert function in msg
    assert "job " in msg and "stage " in msg and "partition " in msg


def test_exception_reaches_driver(sc):
    with pytest.raises(Boom) as info:
        sc.parallelize(range(20), 3).map(_explode).collect()
    _check_message(str(info.value), "_explode")
    assert "seven is bad: é" in str(info.value)
    with pytest.raises(ZeroDivisionError) as info:
        sc.parallelize([1, 0], 2).map(lambda x: 1 / x).count()
    _check_message(str(info.value), "<lambda>")
    with pytest.raises(KeyError):
        sc.parallelize([("a", 1), ("b", 2)], 2).reduceByKey(lambda a, b: {}["missing"]) \
            .union(sc.parallelize([("a", 3)])).reduceByKey(lambda a, b: {}["x"]).collect()
    with pytest.raises(Boom):
        sc.parallelize(range(10), 2).foreach(_explode)
    with pytest.raises(Boom):
        sc.parallelize(range(10), 2).sortBy(_explode).collect()
    with pytest.raises(Boom):
        sc.parallelize(range(10), 2).map(lambda x: (x % 2, x)) \
            .aggregateByKey(0, lambda a, v: _explode(v), operator.add).collect()
    with pytest.raises(AttributeError):
        sc.parallelize(["a"]).map(lambda s: s.no_such_method()).collect()
    # The context still works.
    assert sc.parallelize(range(20), 3).map(lambda x: x + 1).sum() == 210


def _wait_until_usable(sc, timeout=20.0):
    """Runs a small job until it succeeds (local-cluster replaces a dead
    executor within about a second); its result."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return sc.parallelize(range(10), 2).map(lambda x: x * 2).sum()
        except kiln.KilnError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_killed_executor_local_cluster(alone):
    with SparkContext("local-cluster[2,1,512]", "kill") as sc:
        def die(x):
            if x == 5:
                os._exit(1)
            return x
        with pytest.raises(kiln.KilnError) as info:
            sc.parallelize(range(10), 2).map(die).collect()
        msg = str(info.value)
        assert "partition 1" in msg and "attempt 4 of 4" in msg
        assert "lost" in msg
        assert _wait_until_usable(sc) == 90
        assert sc.parallelize(range(100), 4).map(lambda x: (x % 3, x)) \
            .reduceByKey(operator.add).collectAsMap() == \
            {r: sum(x for x in range(100) if x % 3 == r) for r in range(3)}

        # A task that kills its executor only on its first attempt succeeds.
        def die_once(i, it):
            if i == 0 and TaskContext.get().attemptNumber() == 0:
                os._exit(1)
            return it
        _wait_until_usable(sc)
        assert sc.parallelize(range(10), 2).mapPartitionsWithIndex(die_once).collect() == \
            list(range(10))


def test_unpicklable_closure(sc):
    lock = threading.Lock()

    def uses_lock(x):
        with lock:
            return x
    with pytest.raises(PicklingError) as info:
        sc.parallelize(range(4), 2).map(uses_lock).collect()
    msg = str(info.value)
    assert "uses_lock" in msg and "lock" in msg and "cannot be pickled" in msg
    assert isinstance(info.value, TypeError)

    def outer(x):
        return uses_lock(x) + 1
    with pytest.raises(PicklingError, match="outer.*uses_lock -> lock"):
        sc.parallelize(range(4), 2).map(outer).collect()
    with pytest.raises(PicklingError, match="lock"):
        sc.parallelize([("a", 1)]).reduceByKey(lambda a, b: (lock, a + b)[1]).collect()
    with pytest.raises(PicklingError, match="lock"):
        sc.parallelize([1]).filter(lambda x: lock is not None).count()
    assert sc.parallelize(range(4), 2).map(lambda x: x + 1).collect() == [1, 2, 3, 4]


def test_version_mismatched_worker(sc):
    driver = "%d.%d" % os.sys.version_info[:2]
    _kiln.set_env_version(3, 10)
    try:
        with pytest.raises(Exception) as info:
            sc.parallelize(range(10), 2).map(lambda x: x + 1).collect()
    finally:
        _kiln.set_env_version(0, 0)
    msg = str(info.value)
    assert "Python in worker has different version %s than that in driver 3.10" % driver in msg
    assert "PySpark cannot run with different minor versions" in msg
    assert sc.parallelize(range(10), 2).map(lambda x: x + 1).sum() == 55


def test_destroyed_broadcast(sc):
    b = sc.broadcast({"k": [1, 2, 3]})
    rdd = sc.parallelize(range(3), 2).map(lambda i: b.value["k"][i])
    assert rdd.collect() == [1, 2, 3]
    b.destroy()
    with pytest.raises(ValueError, match="destroyed"):
        b.value
    # A job already holding the function fails: the value is gone. Executors
    # drop their copies in the background (as Spark's destroy(blocking=False)),
    # so on a cluster a job started at once may still find one: it fails
    # within a few seconds.
    deadline = time.time() + 10
    while True:
        try:
            rdd.collect()
        except kiln.KilnError as e:
            assert "broadcast %d was destroyed" % b.id in str(e)
            break
        assert time.time() < deadline, "a destroyed broadcast was still read after 10 s"
        time.sleep(0.2)
    # A new function cannot take it along.
    with pytest.raises(PicklingError, match="destroyed"):
        sc.parallelize(range(3), 2).map(lambda i: b.value["k"][i]).collect()
    c = sc.broadcast([7])
    assert sc.parallelize(range(3), 2).map(lambda i: c.value[0] + i).collect() == [7, 8, 9]


def test_accumulator_counted_once_despite_retries(alone):
    with SparkContext("local[2,3]", "retries") as sc:
        acc = sc.accumulator(0)
        records = sc.accumulator(0)

        def flaky(i, it):
            n = 0
            for x in it:
                acc.add(x)
                n += 1
            records.add(n)
            if TaskContext.get().attemptNumber() == 0:
                raise RuntimeError("first attempt of partition %d" % i)
            return [(i, n, TaskContext.get().attemptNumber())]
        got = sc.parallelize(range(100), 4).mapPartitionsWithIndex(flaky).collect()
        assert got == [(i, 25, 1) for i in range(4)]
        assert acc.value == sum(range(100)) and records.value == 100

        # Failing every attempt: the last attempt's error, after 3 of them.
        def always(x):
            raise Boom("attempt %d" % TaskContext.get().attemptNumber())
        with pytest.raises(Boom) as info:
            sc.parallelize([1], 1).map(always).collect()
        assert "attempt 3 of 3" in str(info.value) and "Boom: attempt 2" in str(info.value)
        assert acc.value == sum(range(100))
        assert sc.parallelize(range(5), 2).sum() == 10
