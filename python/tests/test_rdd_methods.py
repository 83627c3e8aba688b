"""RDD sources, transformations and actions against plain Python on random
data (None, unicode, big ints, floats, nested values, empty RDDs, one
partition, more partitions than records), under each master of `sc`."""
import functools
import operator

import pytest

from kiln import StorageLevel
from rdd_data import SLICES, canon, floats, ints, same_items, sizes, values


def test_sources(sc):
    for n, slices in sizes():
        data = values(n, n)
        rdd = sc.parallelize(data, slices)
        assert rdd.getNumPartitions() == slices
        assert rdd.collect() == data
        assert rdd.count() == n
        assert rdd.isEmpty() == (n == 0)
        assert rdd.take(5) == data[:5]
        if n:
            assert rdd.first() == data[0]
        else:
            with pytest.raises(ValueError):
                rdd.first()
    assert sc.parallelize(iter([1, 2, 3])).collect() == [1, 2, 3]
    assert sc.range(5).collect() == list(range(5))
    assert sc.range(3, 20, 4, numSlices=3).collect() == list(range(3, 20, 4))
    assert sc.range(10, -7, -3).collect() == list(range(10, -7, -3))
    assert sc.range(4, 4).collect() == []
    assert sc.range(2**40, 2**40 + 3).collect() == [2**40, 2**40 + 1, 2**40 + 2]
    assert sc.parallelize(range(0, 100, 7), 4).collect() == list(range(0, 100, 7))
    e = sc.emptyRDD()
    assert e.collect() == [] and e.count() == 0 and e.isEmpty()
    assert sc.parallelize([1]).context is sc


def test_map_family(sc):
    for n, slices in sizes():
        data = values(10 + n, n)
        rdd = sc.parallelize(data, slices)
        assert rdd.map(lambda x: (x, repr(x))).collect() == [(x, repr(x)) for x in data]
        assert rdd.filter(lambda x: isinstance(x, str)).collect() == \
            [x for x in data if isinstance(x, str)]
        assert rdd.flatMap(lambda x: [x] * (len(repr(x)) % 3)).collect() == \
            [y for x in data for y in [x] * (len(repr(x)) % 3)]
        assert rdd.mapPartitions(lambda it: [sum(1 for _ in it)]).collect() == \
            [len(p) for p in rdd.glom().collect()]
        parts = rdd.glom().collect()
        assert len(parts) == slices and [x for p in parts for x in p] == data
        assert rdd.mapPartitionsWithIndex(lambda i, it: [(i, len(list(it)))]).collect() == \
            [(i, len(p)) for i, p in enumerate(parts)]
        assert rdd.keyBy(repr).collect() == [(repr(x), x) for x in data]
        assert rdd.zipWithIndex().collect() == [(x, i) for i, x in enumerate(data)]
        want = [(x, i * slices + k) for k, p in enumerate(parts) for i, x in enumerate(p)]
        assert rdd.zipWithUniqueId().collect() == want
        # Fused steps, then a C step, then Python again.
        got = rdd.map(repr).filter(lambda s: "a" in s).distinct().map(len).collect()
        assert sorted(got) == sorted(len(s) for s in set(map(repr, data)) if "a" in s)


def test_set_operations(sc):
    a = ints(1, 200, -30, 30) + [None] * 3
    b = ints(2, 150, 0, 60) + [None]
    for slices in SLICES:
        ra, rb = sc.parallelize(a, slices), sc.parallelize(b, 2)
        assert same_items(ra.distinct().collect(), set(a))
        assert same_items(ra.distinct(numPartitions=3).collect(), set(a))
        assert ra.union(rb).collect() == a + b
        assert (ra + rb).count() == len(a) + len(b)
        assert sc.union([ra, rb, ra]).collect() == a + b + a
        assert same_items(ra.intersection(rb).collect(), set(a) & set(b))
        assert same_items(ra.subtract(rb).collect(), [x for x in a if x not in set(b)])
        small = sc.parallelize(["x", None, "é"], slices)
        assert same_items(small.cartesian(sc.parallelize([1, (2, 3)])).collect(),
                          [(x, y) for x in ["x", None, "é"] for y in [1, (2, 3)]])
    words = ["w%d" % i for i in range(len(a))]
    assert sc.parallelize(a, 3).zip(sc.parallelize(words, 3)).collect() == list(zip(a, words))
    assert sc.emptyRDD().union(sc.parallelize([1])).collect() == [1]


def _reduce_ref(parts, op):
    vals = [functools.reduce(op, p) for p in parts if p]
    return functools.reduce(op, vals)


def test_reduce_fold_aggregate(sc):
    def concat(a, b):
        return a + b
    for n, slices in sizes():
        data = ints(20 + n, n)
        rdd = sc.parallelize(data, slices)
        parts = rdd.glom().collect()
        if data:
            assert rdd.reduce(operator.add) == sum(data)
            assert rdd.reduce(lambda a, b: a * 3 - b) == _reduce_ref(parts, lambda a, b: a * 3 - b)
            assert rdd.treeReduce(operator.add, 3) == sum(data)
            assert rdd.max() == max(data) and rdd.min() == min(data)
            assert rdd.max(key=lambda x: -x) == min(data)
            assert rdd.min(key=abs) == min(data, key=abs)
        else:
            with pytest.raises(ValueError):
                rdd.reduce(operator.add)
            with pytest.raises(ValueError):
                rdd.reduce(lambda a, b: a * b)
        with pytest.raises(ValueError):
            rdd.treeReduce(operator.add, 0)
        # fold and aggregate start every partition from zeroValue, then
        # merge the partitions' results starting from zeroValue again.
        for op in (operator.add, lambda a, b: a + b, lambda a, b: a - b):
            want = functools.reduce(op, [functools.reduce(op, p, 10) for p in parts], 10)
            assert rdd.fold(10, op) == want
        want = functools.reduce(concat, [[0] + p for p in parts], [0])
        assert rdd.aggregate([0], lambda acc, x: acc + [x], concat) == want
        seq = lambda acc, x: (acc[0] + x, acc[1] + 1)  # noqa: E731
        comb = lambda a, b: (a[0] + b[0], a[1] + b[1])  # noqa: E731
        assert rdd.aggregate((0, 0), seq, comb) == (sum(data), len(data))
        assert rdd.treeAggregate((0, 0), seq, comb, depth=2) == (sum(data), len(data))
        assert rdd.sum() == sum(data)
        assert rdd.count() == len(data)


def test_numbers_of_every_kind(sc):
    big = [2**62, 2**62, -2**63, 2**100, 3]
    assert sc.parallelize(big, 3).sum() == sum(big)
    assert sc.parallelize(big, 3).reduce(operator.add) == sum(big)
    assert sc.parallelize(big, 2).max() == 2**100
    f = floats(3, 500)
    assert sc.parallelize(f, 3).sum() == pytest.approx(sum(f))
    nan = sc.parallelize([1.0, float("nan"), 2.0], 2).sum()
    assert nan != nan
    assert sc.parallelize([1, 2.5, True], 2).sum() == 4.5
    strs = ["b", "é", "a", "日本", ""]
    assert sc.parallelize(strs, 2).max() == max(strs)
    assert sc.parallelize(strs, 2).reduce(operator.add) == "".join(strs)
    assert sc.parallelize([[1], [2, None]], 2).reduce(operator.add) == [1, 2, None]


def test_top_take_ordered(sc):
    for n, slices in sizes():
        data = ints(30 + n, n)
        rdd = sc.parallelize(data, slices)
        for num in (0, 1, 5, n + 3):
            assert rdd.top(num) == sorted(data, reverse=True)[:num]
            assert rdd.takeOrdered(num) == sorted(data)[:num]
            assert rdd.top(num, key=str) == sorted(data, key=str, reverse=True)[:num]
            assert rdd.takeOrdered(num, key=lambda x: -x) == sorted(data, key=lambda x: -x)[:num]
    words = ["b", "é", "a", "日本", "", "zz"]
    assert sc.parallelize(words, 3).top(2) == ["日本", "é"]
    assert sc.parallelize(words, 3).takeOrdered(3, key=len) == sorted(words, key=len)[:3]


def test_count_by_and_lookup(sc):
    from rdd_data import pairs
    data = pairs(5, 400, lambda rng: rng.randint(0, 3))
    for slices in SLICES:
        rdd = sc.parallelize(data, slices)
        want = {}
        for k, _ in data:
            want[k] = want.get(k, 0) + 1
        got = rdd.countByKey()
        assert dict(got) == want and got["absent"] == 0
        byval = {}
        for kv in data:
            byval[kv] = byval.get(kv, 0) + 1
        assert dict(rdd.countByValue()) == byval
        assert rdd.collectAsMap() == dict(data)
        for k in ("hot", None, ("é", 1), "absent"):
            assert sorted(rdd.lookup(k)) == sorted(v for kk, v in data if kk == k)
    assert sc.emptyRDD().countByValue() == {}
    assert sc.parallelize(["a", None, "a"], 2).countByValue() == {"a": 2, None: 1}


def test_foreach(sc):
    data = ints(6, 300)
    acc = sc.accumulator(0)
    sc.parallelize(data, 4).foreach(lambda x: acc.add(x))
    assert acc.value == sum(data)
    parts = sc.accumulator(0)
    total = sc.accumulator(0.0)

    def each_partition(it):
        parts.add(1)
        total.add(float(sum(it)))
    sc.parallelize(data, 5).foreachPartition(each_partition)
    assert parts.value == 5 and total.value == float(sum(data))


def test_sample_and_split(sc):
    data = list(range(2000))
    rdd = sc.parallelize(data, 4)
    s1 = rdd.sample(False, 0.1, 7).collect()
    assert s1 == rdd.sample(False, 0.1, 7).collect()
    assert len(set(s1)) == len(s1) and set(s1) <= set(data) and 100 < len(s1) < 320
    assert rdd.sample(False, 0.0, 1).collect() == []
    assert sorted(rdd.sample(False, 1.0, 1).collect()) == data
    s2 = rdd.sample(True, 2.0, 3).collect()
    assert 3400 < len(s2) < 4600 and set(s2) <= set(data)
    with pytest.raises(ValueError):
        rdd.sample(False, -0.5)
    splits = rdd.randomSplit([1, 2, 7], seed=11)
    got = [s.collect() for s in splits]
    assert sorted(x for s in got for x in s) == data
    assert [s.collect() for s in rdd.randomSplit([1, 2, 7], seed=11)] == got
    assert 100 < len(got[0]) < 320 and 1200 < len(got[2]) < 1600
    for with_replacement in (False, True):
        t = rdd.takeSample(with_replacement, 25, seed=3)
        assert len(t) == 25 and set(t) <= set(data)
        assert t == rdd.takeSample(with_replacement, 25, seed=3)
        if not with_replacement:
            assert len(set(t)) == 25
    assert sorted(sc.parallelize([1, 2, 3], 2).takeSample(False, 10, 1)) == [1, 2, 3]
    assert len(sc.parallelize([1, 2, 3], 2).takeSample(True, 10, 1)) == 10
    assert sc.emptyRDD().takeSample(False, 3) == []
    assert rdd.takeSample(False, 0) == []
    with pytest.raises(ValueError):
        rdd.takeSample(False, -1)


def test_repartition_coalesce(sc):
    data = values(8, 500)
    rdd = sc.parallelize(data, 4)
    for n in (1, 3, 7):
        r = rdd.repartition(n)
        assert r.getNumPartitions() == n and same_items(r.collect(), data)
        c = rdd.coalesce(n)
        assert c.getNumPartitions() == min(n, 4)
        assert c.collect() == data  # coalescing without a shuffle keeps the order
        cs = rdd.coalesce(n, shuffle=True)
        assert cs.getNumPartitions() == n and same_items(cs.collect(), data)
    assert sum(len(p) for p in rdd.repartition(5).glom().collect()) == len(data)


def test_persistence_and_names(sc):
    data = values(9, 300)
    levels = [StorageLevel.MEMORY_ONLY, StorageLevel.MEMORY_ONLY_2, StorageLevel.DISK_ONLY,
              StorageLevel.MEMORY_AND_DISK, StorageLevel.MEMORY_AND_DISK_2,
              StorageLevel.MEMORY_AND_DISK_DESER, StorageLevel.OFF_HEAP,
              StorageLevel.MEMORY_ONLY_SER]
    for level in levels:
        rdd = sc.parallelize(data, 3).map(lambda x: (repr(x), x))
        assert rdd.getStorageLevel() == StorageLevel.NONE
        rdd.persist(level)
        assert rdd.is_cached and rdd.getStorageLevel() == level
        assert rdd.collect() == [(repr(x), x) for x in data]
        assert rdd.mapValues(repr).values().collect() == [repr(x) for x in data]
        rdd.unpersist()
        assert not rdd.is_cached and rdd.getStorageLevel() == StorageLevel.NONE
        assert rdd.count() == len(data)
    c = sc.parallelize([1, 2]).cache()
    assert c.getStorageLevel() == StorageLevel.MEMORY_ONLY
    assert str(c.getStorageLevel()) == "Memory Serialized 1x Replicated"
    assert str(StorageLevel.NONE) == "Serialized 1x Replicated"
    assert repr(StorageLevel.DISK_ONLY) == "StorageLevel(True, False, False, False, 1)"
    r = sc.parallelize([1, 2], 2)
    assert r.name() is None
    assert r.setName("numbers") is r and r.name() == "numbers"
    assert isinstance(r.id(), int) and r.id() != sc.parallelize([1]).id()
    dbg = r.toDebugString()
    assert isinstance(dbg, bytes) and b"numbers" in dbg and dbg.startswith(b"(2)")
    assert "numbers" in repr(r)
    assert list(r.toLocalIterator()) == [1, 2]


def test_canon_helper_can_fail():
    assert not same_items([1, 2], [1, 3])
    assert canon(None) == "None"
