"""Key-value RDD operations against plain-Python dicts on random pairs
(skewed keys, None and tuple keys, unicode, nested values), and keys kiln
cannot hash, under each master of `sc`."""
import operator

import pytest

from rdd_data import SLICES, canon, ints, pairs, same_items


def _group(data):
    out = {}
    for k, v in data:
        out.setdefault(k, []).append(v)
    return out


def _as_dict_of_sorted(rdd_items):
    return {k: sorted(v, key=canon) for k, v in rdd_items}


def _int_pairs(seed, n):
    return pairs(seed, n, lambda rng: rng.choice([rng.randint(-9, 9), 2**70, None]))


def test_by_key_aggregations(sc):
    for n, slices in [(0, 1), (1, 3), (9, 40), (600, 1), (600, 4)]:
        data = pairs(n, n, lambda rng: rng.randint(-50, 50))
        rdd = sc.parallelize(data, slices)
        groups = _group(data)
        sums = {k: sum(v) for k, v in groups.items()}
        assert dict(rdd.reduceByKey(operator.add).collect()) == sums
        assert dict(rdd.reduceByKey(lambda a, b: a + b, numPartitions=3).collect()) == sums
        assert rdd.reduceByKey(operator.add, 5).getNumPartitions() == 5
        assert rdd.reduceByKeyLocally(operator.add) == sums
        assert dict(rdd.reduceByKey(max).collect()) == {k: max(v) for k, v in groups.items()}
        assert dict(rdd.foldByKey(0, operator.add).collect()) == sums
        got = rdd.aggregateByKey((0, 0), lambda a, v: (a[0] + v, a[1] + 1),
                                 lambda a, b: (a[0] + b[0], a[1] + b[1]), numPartitions=2)
        assert dict(got.collect()) == {k: (sum(v), len(v)) for k, v in groups.items()}
        got = rdd.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b)
        assert _as_dict_of_sorted(got.collect()) == _as_dict_of_sorted(groups.items())
        got = rdd.groupByKey().mapValues(list)
        assert _as_dict_of_sorted(got.collect()) == _as_dict_of_sorted(groups.items())
        assert rdd.groupByKey(numPartitions=3).getNumPartitions() == 3
        assert same_items(rdd.keys().collect(), [k for k, _ in data])
        assert rdd.values().collect() == [v for _, v in data]
        assert rdd.mapValues(lambda v: v * 2).collect() == [(k, v * 2) for k, v in data]
        assert rdd.flatMapValues(lambda v: range(v % 3)).collect() == \
            [(k, x) for k, v in data for x in range(v % 3)]


def test_nested_and_big_values(sc):
    data = pairs(3, 500)  # values: nested tuples, lists, dicts, big ints, bytes, None
    for slices in SLICES:
        rdd = sc.parallelize(data, slices)
        got = rdd.groupByKey().mapValues(list).collect()
        assert _as_dict_of_sorted(got) == _as_dict_of_sorted(_group(data).items())
        got = rdd.mapValues(lambda v: [v]).reduceByKey(lambda a, b: a + b).collect()
        assert _as_dict_of_sorted(got) == _as_dict_of_sorted(_group(data).items())
    big = _int_pairs(4, 300)
    want = {}
    for k, v in big:
        if v is not None:
            want[k] = want.get(k, 0) + v
    got = sc.parallelize(big, 3).filter(lambda kv: kv[1] is not None).reduceByKey(operator.add)
    assert dict(got.collect()) == want


def test_group_by(sc):
    data = ints(7, 500)
    for slices in SLICES:
        got = sc.parallelize(data, slices).groupBy(lambda x: x % 7, numPartitions=4)
        assert got.getNumPartitions() == 4
        want = {}
        for x in data:
            want.setdefault(x % 7, []).append(x)
        assert {k: sorted(v) for k, v in got.collect()} == {k: sorted(v) for k, v in want.items()}
    words = ["é", "a", "日本", "ab", ""]
    got = sc.parallelize(words, 2).groupBy(len).mapValues(sorted).collect()
    assert dict(got) == {1: ["a", "é"], 2: ["ab", "日本"], 0: [""]}


def _join_ref(a, b, how):
    ga, gb = _group(a), _group(b)
    out = []
    keys = set(ga) | set(gb)
    for k in keys:
        va, vb = ga.get(k, []), gb.get(k, [])
        if how in ("left", "full") and not vb:
            vb = [None]
        if how in ("right", "full") and not va:
            va = [None]
        out += [(k, (x, y)) for x in va for y in vb]
    return out


def test_joins_cogroup_subtract(sc):
    a = pairs(10, 300, lambda rng: rng.randint(0, 5))
    b = pairs(11, 200, lambda rng: rng.choice(["x", "é", None]))
    for sa, sb in [(1, 1), (3, 2), (40, 5)]:
        ra, rb = sc.parallelize(a, sa), sc.parallelize(b, sb)
        assert same_items(ra.join(rb).collect(), _join_ref(a, b, "inner"))
        assert same_items(ra.join(rb, numPartitions=2).collect(), _join_ref(a, b, "inner"))
        assert same_items(ra.leftOuterJoin(rb).collect(), _join_ref(a, b, "left"))
        assert same_items(ra.rightOuterJoin(rb).collect(), _join_ref(a, b, "right"))
        assert same_items(ra.fullOuterJoin(rb).collect(), _join_ref(a, b, "full"))
        ga, gb = _group(a), _group(b)
        got = ra.cogroup(rb).mapValues(lambda vs: (sorted(vs[0], key=canon),
                                                   sorted(vs[1], key=canon))).collect()
        want = {k: (sorted(ga.get(k, []), key=canon), sorted(gb.get(k, []), key=canon))
                for k in set(ga) | set(gb)}
        assert dict(got) == want
        c = [("hot", "c"), ("only-c", 1)]
        got = ra.groupWith(rb, sc.parallelize(c, 2)).mapValues(
            lambda vs: tuple(sorted(v, key=canon) for v in vs)).collect()
        gc = _group(c)
        want = {k: tuple(sorted(g.get(k, []), key=canon) for g in (ga, gb, gc))
                for k in set(ga) | set(gb) | set(gc)}
        assert dict(got) == want
        assert same_items(ra.subtractByKey(rb).collect(), [kv for kv in a if kv[0] not in gb])
        assert ra.subtractByKey(sc.emptyRDD()).count() == len(a)


def test_sort_by_key(sc):
    rng_data = ints(12, 400)
    data = [(x, i) for i, x in enumerate(rng_data)]
    for slices in SLICES:
        rdd = sc.parallelize(data, slices)
        assert [k for k, _ in rdd.sortByKey().collect()] == sorted(rng_data)
        got = rdd.sortByKey(ascending=False, numPartitions=3)
        assert got.getNumPartitions() == 3
        assert [k for k, _ in got.collect()] == sorted(rng_data, reverse=True)
        got = rdd.sortByKey(True, 2, keyfunc=lambda k: abs(k))
        assert [abs(k) for k, _ in got.collect()] == sorted(abs(x) for x in rng_data)
        assert same_items(got.collect(), data)
        assert rdd.sortBy(lambda kv: -kv[1]).collect() == sorted(data, key=lambda kv: -kv[1])
        assert rdd.sortBy(lambda kv: kv[1], ascending=False, numPartitions=2).collect() == \
            sorted(data, key=lambda kv: kv[1], reverse=True)
    words = [("é", 1), ("b", 2), ("日本", 3), ("", 4), ("B", 5), ("a", 6)]
    assert sc.parallelize(words, 3).sortByKey().keys().collect() == sorted(k for k, _ in words)
    got = sc.parallelize(words, 3).sortByKey(keyfunc=str.lower).keys().collect()
    assert [k.lower() for k in got] == sorted(k.lower() for k, _ in words)
    floats = [(f, None) for f in (2.5, -1.0, 1e300, -0.0, 3.0)]
    assert sc.parallelize(floats, 2).sortByKey().keys().collect() == sorted(f for f, _ in floats)
    assert sc.emptyRDD().sortByKey().collect() == []


def test_partition_by(sc):
    data = [(k, k * k) for k in ints(13, 300, 0, 1000)]
    rdd = sc.parallelize(data, 3)
    parts = rdd.partitionBy(5, lambda k: k // 10).glom().collect()
    assert len(parts) == 5
    for i, p in enumerate(parts):
        assert all((k // 10) % 5 == i for k, _ in p)
    assert same_items([kv for p in parts for kv in p], data)
    hashed = rdd.partitionBy(4)
    assert hashed.getNumPartitions() == 4 and same_items(hashed.collect(), data)
    # The same key lands in one partition, whichever record brought it.
    where = {}
    for i, p in enumerate(hashed.glom().collect()):
        for k, _ in p:
            assert where.setdefault(k, i) == i
    assert rdd.partitionBy(None).getNumPartitions() == sc.defaultParallelism


@pytest.mark.parametrize("bad, name", [({1: 2}, "dict"), ({1}, "set"),
                                       (frozenset([1]), "frozenset"), (object(), "object")])
def test_keys_that_cannot_be_hashed(sc, bad, name):
    data = [("ok", 1), (bad, 2)]
    with pytest.raises(TypeError, match=name):
        sc.parallelize(data, 2).reduceByKey(operator.add).collect()
    with pytest.raises(TypeError, match=name):
        sc.parallelize([1, 2], 2).map(lambda x: (bad, x)).groupByKey().collect()
    with pytest.raises(TypeError, match=name):
        sc.parallelize(data, 2).join(sc.parallelize([("ok", 3)])).collect()
    # The context still works.
    assert sc.parallelize(data[:1]).reduceByKey(operator.add).collect() == [("ok", 1)]


def test_repartition_and_sort_within_partitions(sc):
    data = [(k, i) for i, k in enumerate(ints(14, 300, -50, 50))]
    got = sc.parallelize(data, 3).repartitionAndSortWithinPartitions(
        4, lambda k: abs(k), ascending=False).glom().collect()
    assert len(got) == 4
    for i, p in enumerate(got):
        assert all(abs(k) % 4 == i for k, _ in p)
        assert [k for k, _ in p] == sorted((k for k, _ in p), reverse=True)
    assert same_items([kv for p in got for kv in p], data)


def test_sample_by_key(sc):
    data = [("a", i) for i in range(2000)] + [("b", i) for i in range(2000)] + [("c", 1)]
    rdd = sc.parallelize(data, 4)
    fractions = {"a": 0.1, "b": 0.5, "c": 0.0}
    got = rdd.sampleByKey(False, fractions, seed=5).collect()
    assert got == rdd.sampleByKey(False, fractions, seed=5).collect()
    counts = {}
    for k, _ in got:
        counts[k] = counts.get(k, 0) + 1
    assert 120 < counts["a"] < 290 and 850 < counts["b"] < 1150 and "c" not in counts
    assert len(set(got)) == len(got) and set(got) <= set(data)
    rep = rdd.sampleByKey(True, {"a": 2.0, "b": 0.5, "c": 0.0}, seed=1).countByKey()
    assert 3500 < rep["a"] < 4500 and 850 < rep["b"] < 1150
    with pytest.raises(ValueError):
        rdd.sampleByKey(False, {"a": -1.0})
