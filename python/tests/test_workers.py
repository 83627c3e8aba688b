"""Python worker processes under local[N]: pipelines run on every core,
with broadcasts, accumulators, TaskContext, errors and dead workers."""
import os

import pytest

import kiln


@pytest.fixture(scope="module")
def sc2():
    ctx = kiln.SparkContext("local[2,2]", "workers")
    yield ctx
    ctx.stop()


def test_pipelines_run_in_other_processes(sc2):
    pids = set(sc2.parallelize(range(100), 4).map(lambda x: os.getpid()).collect())
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_broadcast_accumulator_taskcontext(sc2):
    b = sc2.broadcast({"k": 10})
    acc = sc2.accumulator(0)

    def f(x):
        acc.add(x)
        return x + b.value["k"] + kiln.TaskContext.get().partitionId() * 1000
    got = sc2.parallelize(list(range(20)), 4).map(f).collect()
    want = [x + 10 + (x // 5) * 1000 for x in range(20)]
    assert got == want
    assert acc.value == sum(range(20))


def test_take_stops_a_long_pipeline(sc2):
    assert sc2.range(0, 10_000_000, 1, 2).map(lambda x: x * 2).take(3) == [0, 2, 4]
    # The worker is still usable afterwards.
    assert sc2.parallelize(range(10), 2).map(lambda x: -x).sum() == -45


def test_a_dead_worker_fails_the_attempt_and_is_replaced(sc2):
    from kiln.taskcontext import TaskContext

    def die_once(x):
        if x == 3 and TaskContext.get().attemptNumber() == 0:
            os._exit(7)
        return x
    assert sc2.parallelize(range(8), 2).map(die_once).collect() == list(range(8))

    def die(x):
        os._exit(9)
    with pytest.raises(kiln.KilnError) as info:
        sc2.parallelize(range(4), 1).map(die).collect()
    assert "Python worker exited unexpectedly (exit code 9)" in str(info.value)
    assert sc2.parallelize(range(4), 2).map(lambda x: x + 1).collect() == [1, 2, 3, 4]


def test_errors_and_keys(sc2):
    with pytest.raises(ZeroDivisionError):
        sc2.parallelize(range(4), 2).map(lambda x: 1 // (x - 2)).collect()
    with pytest.raises(TypeError) as info:
        sc2.parallelize(range(4), 2).map(lambda x: ({"a": x}, 1)).reduceByKey(lambda a, b: a + b) \
            .collect()
    assert "dict" in str(info.value)


def test_map_side_combine_of_additions(sc2):
    """A pipeline feeding reduceByKey(operator.add) adds int values of equal
    keys in the worker first: results stay Python's for every value type,
    past 64 bits, with more keys than a message holds."""
    import operator
    import random
    rng = random.Random(3)
    values = [1, -1, 2**62, 2**63 - 1, -2**63, 0.5, True, "s", [1], None]
    data = []
    for _ in range(30000):
        k = rng.choice([rng.randrange(20000), ("t", rng.randrange(3)), None, "é", rng.randrange(5)])
        data.append((k, rng.choice(values[:5]) if rng.random() < 0.9 else 1))
    mixed = [("f", 0.5), ("f", 1), ("s", "a"), ("s", "b"), ("b", True), ("b", True),
             ("l", [1]), ("l", [2]), ("o", 2**63 - 1), ("o", 1), ("o", 2**63 - 1)]

    def reference(pairs):
        out = {}
        for k, v in pairs:
            out[k] = out[k] + v if k in out else v
        return out
    for pairs in (data, mixed, data + mixed):
        got = dict(sc2.parallelize(pairs, 3).map(lambda kv: kv).reduceByKey(operator.add)
                   .collect())
        assert got == reference(pairs)
    # Many distinct keys: the combiner gives up after its trial, and what it
    # held still arrives.
    many = [("k%d" % (i % 150000), i % 7) for i in range(400000)]
    got = dict(sc2.parallelize(many, 2).map(lambda kv: kv).reduceByKey(operator.add).collect())
    assert got == reference(many)
    # Few keys first (the combiner stays on), then more than it holds (4,096):
    # it empties and fills again.
    phased = [(i % 100, 1) for i in range(20000)] + [(1000 + i % 10000, 3) for i in range(100000)]
    got = dict(sc2.parallelize(phased, 1).map(lambda kv: kv).reduceByKey(operator.add).collect())
    assert got == reference(phased)
    # Keys are still checked on the way.
    with pytest.raises(TypeError):
        sc2.parallelize([({1: 2}, 1)], 1).map(lambda kv: kv).reduceByKey(operator.add).collect()


def test_map_side_merge_with_a_python_function(sc2):
    """reduceByKey with a Python function after a pipeline merges values in
    the pipeline first; kiln's key identity is kept (True, 1 and 1.0 are
    three keys; lists are keys), more keys than a round holds included."""
    import random
    rng = random.Random(5)
    keys = [True, 1, 1.0, 0, False, "a", ("t", 1), ("t", 1.0), [1, 2], None, b"x"]
    pairs = [(rng.choice(keys), rng.randint(1, 3)) for _ in range(5000)]
    pairs += [("k%d" % (i % 120000), 2) for i in range(240000)]

    def reference(ps):
        out = {}
        for k, v in ps:
            key = (type(k), repr(k))
            out[key] = (k, out[key][1] * v if key in out else v)
        return sorted(out.values(), key=repr)
    got = sc2.parallelize(pairs, 3).map(lambda kv: kv).reduceByKey(lambda a, b: a * b).collect()
    assert sorted(got, key=repr) == reference(pairs)
    with pytest.raises(TypeError):
        sc2.parallelize([({1: 2}, 1)], 1).map(lambda kv: kv).reduceByKey(lambda a, b: a * b) \
            .collect()
