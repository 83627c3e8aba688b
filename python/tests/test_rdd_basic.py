"""The RDD API's core against plain Python on random data."""
import operator
import random

import pytest


def _data(seed, n=2000):
    rng = random.Random(seed)
    words = ["a", "b", "é", "", "long word", "x" * 40]
    return [(rng.choice(words), rng.randint(-5, 5)) for _ in range(n)]


def test_map_filter_flatmap(sc):
    data = list(range(-500, 1500))
    got = sc.parallelize(data, 7).map(lambda x: x * 3).filter(lambda x: x % 2 == 0) \
        .flatMap(lambda x: [x, -x]).collect()
    want = [y for x in data for y in (x * 3, -x * 3) if (x * 3) % 2 == 0]
    assert got == want


def test_reduce_by_key_against_dict(sc):
    data = _data(1)
    want = {}
    for k, v in data:
        want[k] = want.get(k, 0) + v
    assert dict(sc.parallelize(data, 5).reduceByKey(operator.add).collect()) == want
    assert dict(sc.parallelize(data, 5).reduceByKey(lambda a, b: a + b).collect()) == want
    prod = {}
    for k, v in data:
        prod[k] = prod.get(k, 1) * (v or 1)
    got = sc.parallelize(data, 5).mapValues(lambda v: v or 1).reduceByKey(lambda a, b: a * b)
    assert dict(got.collect()) == prod


def test_add_overflows_into_python_ints(sc):
    big = 2**62
    got = dict(sc.parallelize([("k", big)] * 8, 3).reduceByKey(operator.add).collect())
    assert got == {"k": 8 * big}
    assert sc.parallelize(["ab", "cd"], 1).reduce(operator.add) == "abcd"


def test_exception_type_reaches_driver(sc):
    def bad(x):
        if x == 3:
            raise KeyError("three")
        return x
    with pytest.raises(KeyError) as info:
        sc.parallelize(range(10), 2).map(bad).collect()
    msg = str(info.value)
    assert "Traceback (most recent call last)" in msg and "bad" in msg
    assert "partition" in msg and "stage" in msg
    # The context still works afterwards.
    assert sc.parallelize(range(10), 2).count() == 10


def test_max_min_len_run_in_c_with_pythons_results(sc):
    """max, min (reductions) and len (a map) run in C where the result is
    certain and call Python otherwise: the results are Python's."""
    nan = float("nan")
    pairs = [("i", 3), ("i", -7), ("i", 3), ("f", 1.5), ("f", -0.0), ("f", 0.0),
             ("m", 2), ("m", 2.5), ("m", True), ("s", "b"), ("s", "ab"), ("t", (1, "a")),
             ("t", (1, "b")), ("n", 1.0), ("n", nan), ("n", 2.0)]

    def reference(f):
        out = {}
        for k, v in pairs:
            out[k] = f(out[k], v) if k in out else v
        return out
    for f in (max, min):
        got = dict(sc.parallelize(pairs, 1).reduceByKey(f).collect())
        want = reference(f)
        assert {k: repr(v) for k, v in got.items()} == {k: repr(v) for k, v in want.items()}
        assert sc.parallelize([4, -2, 9, 9, 0], 2).reduce(f) == f([4, -2, 9, 9, 0])
    values = ["abc", "", "é中😀", (1, 2, 3), [], b"\x00\xff", {"a": 1, "b": 2}, [1, [2, 3]]]
    rdd = sc.parallelize(values, 3).map(len)
    assert b"len in C" in rdd.toDebugString()
    assert rdd.collect() == [len(v) for v in values]
