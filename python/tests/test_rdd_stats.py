"""stats, StatCounter, histogram and the approximate counts against plain
Python (statistics, bisect) on random numbers, with NaN, None and empty
RDDs, under each master of `sc`."""
import bisect
import math
import random
import statistics

import pytest

from kiln import StatCounter
from rdd_data import SLICES, floats, ints


def _check_stats(st, data):
    assert st.count() == len(data)
    assert st.mean() == pytest.approx(statistics.fmean(data))
    assert st.sum() == pytest.approx(math.fsum(data))
    assert st.min() == min(data) and st.max() == max(data)
    assert st.variance() == pytest.approx(statistics.pvariance(data), rel=1e-9, abs=1e-9)
    assert st.stdev() == pytest.approx(statistics.pstdev(data), rel=1e-9, abs=1e-9)
    if len(data) > 1:
        assert st.sampleVariance() == pytest.approx(statistics.variance(data), rel=1e-9)
        assert st.sampleStdev() == pytest.approx(statistics.stdev(data), rel=1e-9)
    else:
        assert math.isnan(st.sampleVariance())


def test_stats(sc):
    for data in (floats(1, 1000), ints(2, 777), [5], [2.5, 2.5], [1, 2.5, -3]):
        for slices in SLICES:
            rdd = sc.parallelize(data, slices)
            _check_stats(rdd.stats(), data)
            assert rdd.mean() == pytest.approx(statistics.fmean(data))
            assert rdd.variance() == pytest.approx(statistics.pvariance(data), abs=1e-9)
            assert rdd.stdev() == pytest.approx(statistics.pstdev(data), abs=1e-9)
            if len(data) > 1:
                assert rdd.sampleStdev() == pytest.approx(statistics.stdev(data))
                assert rdd.sampleVariance() == pytest.approx(statistics.variance(data))
    big = [2**70, 1, -2**65]
    _check_stats(sc.parallelize(big, 2).stats(), big)


def test_stats_of_nothing_nan_and_not_numbers(sc):
    st = sc.emptyRDD().stats()
    assert st.count() == 0 and st.mean() == 0.0 and st.sum() == 0
    assert math.isnan(st.variance()) and math.isnan(st.stdev())
    assert st.max() == float("-inf") and st.min() == float("inf")
    st = sc.parallelize([1.0, float("nan"), 2.0], 2).stats()
    assert st.count() == 3
    assert all(math.isnan(x) for x in (st.mean(), st.variance(), st.max(), st.min()))
    st = sc.parallelize([1.0, float("inf")], 2).stats()
    assert st.max() == float("inf") and st.min() == 1.0
    with pytest.raises(TypeError):
        sc.parallelize([1.0, None, 2.0], 2).stats()
    with pytest.raises(TypeError):
        sc.parallelize(["a", "b"], 1).mean()


def test_stat_counter():
    rng = random.Random(3)
    a = [rng.uniform(-10, 10) for _ in range(100)]
    b = [rng.uniform(0, 1000) for _ in range(7)]
    s = StatCounter(a)
    _check_stats(s, a)
    t = s.copy().mergeStats(StatCounter(b))
    _check_stats(t, a + b)
    _check_stats(s, a)  # copy left s as it was
    _check_stats(StatCounter().mergeStats(StatCounter(b)), b)
    _check_stats(StatCounter(b).mergeStats(StatCounter()), b)
    u = StatCounter(b)
    _check_stats(u.mergeStats(u), b + b)
    d = StatCounter([1, 2, 3]).asDict()
    assert d["count"] == 3 and d["mean"] == 2.0 and d["sum"] == 6.0
    assert d["variance"] == pytest.approx(2 / 3)
    assert StatCounter([1, 2, 3]).asDict(sample=True)["variance"] == 1.0
    assert "count: 3" in repr(StatCounter([1, 2, 3]))
    with pytest.raises(TypeError):
        StatCounter([1]).mergeStats([2])


def _hist_ref(data, bounds):
    """Counts of [b_i, b_i+1) with the last bucket closed; None, NaN and
    values outside are dropped."""
    counts = [0] * (len(bounds) - 1)
    for x in data:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            continue
        if x < bounds[0] or x > bounds[-1]:
            continue
        i = min(bisect.bisect_right(bounds, x) - 1, len(counts) - 1)
        counts[i] += 1
    return counts


def test_histogram_pyspark_examples(sc):
    rdd = sc.parallelize(range(51))
    assert rdd.histogram(2) == ([0, 25, 50], [25, 26])
    assert rdd.histogram([0, 5, 25, 50]) == ([0, 5, 25, 50], [5, 20, 26])
    assert rdd.histogram([0, 15, 30, 45, 60]) == ([0, 15, 30, 45, 60], [15, 15, 15, 6])
    strs = sc.parallelize(["ab", "ac", "b", "bd", "ef"])
    assert strs.histogram(("a", "b", "c")) == (("a", "b", "c"), [2, 2])
    # Integer buckets stay ints where the spacing divides; floats otherwise.
    b, c = sc.parallelize(range(11), 3).histogram(5)
    assert b == [0, 2, 4, 6, 8, 10] and all(type(x) is int for x in b) and c == [2, 2, 2, 2, 3]
    b, c = sc.parallelize(range(11), 3).histogram(3)
    assert b[0] == 0 and b[-1] == 10 and b[1] == pytest.approx(10 / 3) and sum(c) == 11
    assert sc.parallelize([3, 3, 3], 2).histogram(4) == ([3, 3], [3])
    assert sc.parallelize([1, 9], 2).histogram(1) == ([1, 9], [2])


def test_histogram_random(sc):
    for seed in range(3):
        data = floats(seed, 500) + [None, float("nan"), None]
        clean = [x for x in data if x is not None and not math.isnan(x)]
        for slices in SLICES:
            rdd = sc.parallelize(data, slices)
            for n in (1, 3, 10):
                bounds, counts = rdd.histogram(n)
                assert len(bounds) == n + 1 and bounds[0] == min(clean)
                assert bounds[-1] == max(clean) and sum(counts) == len(clean)
                assert counts == _hist_ref(clean, bounds)
            for bounds in ([-2000, 0, 2000], [-500.5, -1, 0, 3, 999.0], [0, 1]):
                assert rdd.histogram(bounds) == (bounds, _hist_ref(data, bounds))
    ranks = ints(9, 300, 0, 100)
    assert sc.parallelize(ranks, 3).histogram(list(range(0, 101, 10)))[1] == \
        _hist_ref(ranks, list(range(0, 101, 10)))


def test_histogram_errors(sc):
    rdd = sc.parallelize([1, 2, 3], 2)
    with pytest.raises(ValueError):
        rdd.histogram(0)
    with pytest.raises(ValueError):
        rdd.histogram([1])
    with pytest.raises(ValueError):
        rdd.histogram([3, 1, 2])
    with pytest.raises(ValueError):
        rdd.histogram([1, 1, 2])
    with pytest.raises(ValueError):
        rdd.histogram([1, None, 2])
    with pytest.raises(TypeError):
        rdd.histogram("3")
    with pytest.raises(ValueError):
        sc.emptyRDD().histogram(3)
    with pytest.raises(ValueError):
        sc.parallelize([None, float("nan")], 2).histogram(3)
    with pytest.raises(ValueError):
        sc.parallelize([1.0, float("inf")], 2).histogram(3)
    assert sc.emptyRDD().histogram([0, 1]) == ([0, 1], [0])


def test_approximations(sc):
    data = ints(5, 3000, 0, 500) + [None]
    rdd = sc.parallelize(data, 4)
    assert rdd.countApproxDistinct() == len(set(data))
    with pytest.raises(ValueError):
        rdd.countApproxDistinct(0.0000001)
    assert rdd.countApprox(1000) == len(data)
    nums = sc.parallelize(ints(6, 100), 3)
    assert nums.sumApprox(1000) == nums.sum()
    assert nums.meanApprox(1000) == pytest.approx(nums.mean())
