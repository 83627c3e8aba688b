"""RDD: PySpark's RDD API on kiln's engine.

Consecutive Python transformations (map, filter, flatMap, mapPartitions,
mapValues, ...) are fused into one function of (partition index,
iterator), as PySpark's PipelinedRDD does, and run as one kiln
map_partitions: the task calls Python once per batch of 1024 records,
never once per record across a pipe. Everything kiln has in C (shuffles,
joins, sorts, sampling, counting, reductions with operator.add) runs
there without entering Python.
"""
import bisect
import functools
import heapq
import itertools
import operator
import random
import sys
import copy as _copy

from .functions import c_chain, env_of, reduce_spec
from .storagelevel import StorageLevel

__all__ = ["RDD", "PipelinedRDD", "StatCounter"]


def _identity(x):
    return x


def portable_hash(x):
    """PySpark's name for the default partitioner's hash (kiln hashes keys
    itself, the same in every process); kept for partitionBy's signature."""
    return hash(x)


class RDD:
    """A resilient distributed dataset (PySpark's RDD)."""

    def __init__(self, jrdd, ctx):
        self._j = jrdd
        self.ctx = ctx
        self.is_cached = False
        self.is_checkpointed = False
        self._level = StorageLevel.NONE
        self._name = None
        self.partitioner = None

    # ---- Handles -------------------------------------------------------------------
    def _c(self):
        """The kiln RDD of this one."""
        return self._j

    def _kc(self):
        """The kiln RDD, its records checked as (key, value) pairs for a shuffle."""
        return self._c()

    def _wrap(self, j):
        return RDD(j, self.ctx)

    @property
    def context(self):
        return self.ctx

    def id(self):
        return self._c().id()

    def setName(self, name):
        self._name = name
        return self

    def name(self):
        return self._name

    def getNumPartitions(self):
        return self._c().num_partitions()

    def __repr__(self):
        return "%s[%d] at %s" % (self._name or type(self).__name__, self.id(), "kiln")

    def toDebugString(self):
        stages = getattr(self, "_stages", None)
        chain = c_chain(stages) if stages else None
        how = (" [in C: %s]" % ", ".join(c[2] for c in chain)) if chain else ""
        return ("(%d) %r%s []" % (self.getNumPartitions(), self, how)).encode()

    # ---- Persistence ------------------------------------------------------------------
    def persist(self, storageLevel=StorageLevel.MEMORY_ONLY):
        self._c().persist(storageLevel._kiln_level())
        self.is_cached = True
        self._level = storageLevel
        return self

    def cache(self):
        return self.persist(StorageLevel.MEMORY_ONLY)

    def unpersist(self, blocking=False):
        self._c().persist(0)
        self.is_cached = False
        self._level = StorageLevel.NONE
        return self

    def getStorageLevel(self):
        return self._level

    def checkpoint(self):
        self._c().checkpoint()
        self.is_checkpointed = True

    def isCheckpointed(self):
        return self._c().is_checkpointed()

    def localCheckpoint(self):
        self.persist(StorageLevel.MEMORY_AND_DISK)

    # ---- Python transformations (pipelined) -------------------------------------------------
    def mapPartitionsWithIndex(self, f, preservesPartitioning=False):
        return PipelinedRDD(self, f, preservesPartitioning)

    def mapPartitions(self, f, preservesPartitioning=False):
        def func(s, iterator):
            return f(iterator)
        func._kiln_user = f
        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def mapPartitionsWithSplit(self, f, preservesPartitioning=False):
        return self.mapPartitionsWithIndex(f, preservesPartitioning)

    def map(self, f, preservesPartitioning=False):
        def func(_, iterator):
            return map(f, iterator)
        func._kiln_user = f
        func._kiln_stage = ("map", f)
        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def flatMap(self, f, preservesPartitioning=False):
        def func(_, iterator):
            return itertools.chain.from_iterable(map(f, iterator))
        func._kiln_user = f
        func._kiln_stage = ("flatMap", f)
        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def filter(self, f):
        def func(_, iterator):
            return filter(f, iterator)
        func._kiln_user = f
        return self.mapPartitionsWithIndex(func, True)

    def mapValues(self, f):
        return self.map(lambda kv: (kv[0], f(kv[1])), True)

    def flatMapValues(self, f):
        return self.flatMap(lambda kv: ((kv[0], x) for x in f(kv[1])), True)

    def keyBy(self, f):
        return self.map(lambda x: (f(x), x))

    # ---- Transformations in kiln ------------------------------------------------------
    def keys(self):
        return self._wrap(self._c().keys())

    def values(self):
        return self._wrap(self._c().values())

    def glom(self):
        return self._wrap(self._c().glom())

    def distinct(self, numPartitions=None):
        return self._wrap(self._c().distinct(numPartitions or 0))

    def union(self, other):
        return self._wrap(self._c().union(other._c()))

    def __add__(self, other):
        return self.union(other)

    def intersection(self, other, numPartitions=None):
        return self._wrap(self._c().intersection(other._c(), numPartitions or 0))

    def subtract(self, other, numPartitions=None):
        return self._wrap(self._c().subtract(other._c(), numPartitions or 0))

    def subtractByKey(self, other, numPartitions=None):
        def keep(kv):
            return len(kv[1][0]) > 0 and len(kv[1][1]) == 0
        return self.cogroup(other, numPartitions).filter(keep).flatMapValues(lambda x: x[0])

    def cartesian(self, other):
        return self._wrap(self._c().cartesian(other._c()))

    def zip(self, other):
        return self._wrap(self._c().zip(other._c()))

    def zipWithIndex(self):
        return self._wrap(self._c().zip_with_index())

    def zipWithUniqueId(self):
        n = self.getNumPartitions()

        def func(k, it):
            for i, v in enumerate(it):
                yield v, i * n + k
        return self.mapPartitionsWithIndex(func)

    def sample(self, withReplacement, fraction, seed=None):
        if fraction < 0:
            raise ValueError("Fraction must be nonnegative.")
        if seed is None:
            seed = random.getrandbits(63)
        return self._wrap(self._c().sample(bool(withReplacement), float(fraction), seed & (2**64 - 1)))

    def randomSplit(self, weights, seed=None):
        total = float(sum(weights))
        if total <= 0 or any(w < 0 for w in weights):
            raise ValueError("Weights must be nonnegative with a positive sum")
        cum = [0.0]
        for w in weights:
            cum.append(cum[-1] + w / total)
        if seed is None:
            seed = random.getrandbits(63)

        def split(lb, ub):
            def func(k, it):
                rng = random.Random(seed ^ (k * 0x9E3779B97F4A7C15 & (2**63 - 1)))
                for x in it:
                    r = rng.random()
                    if lb <= r < ub:
                        yield x
            return self.mapPartitionsWithIndex(func, True)
        return [split(lb, ub) for lb, ub in zip(cum, cum[1:])]

    def groupBy(self, f, numPartitions=None, partitionFunc=portable_hash):
        return self.map(lambda x: (f(x), x)).groupByKey(numPartitions)

    def groupByKey(self, numPartitions=None, partitionFunc=portable_hash):
        return self._wrap(self._kc().group_by_key(numPartitions or 0))

    def reduceByKey(self, func, numPartitions=None, partitionFunc=portable_hash):
        return self._wrap(self._kc().reduce_by_key(reduce_spec(func), numPartitions or 0))

    def reduceByKeyLocally(self, func):
        return dict(self.reduceByKey(func).collect())

    def foldByKey(self, zeroValue, func, numPartitions=None, partitionFunc=portable_hash):
        return self._wrap(self._kc().fold_by_key(zeroValue, reduce_spec(func), numPartitions or 0))

    def aggregateByKey(self, zeroValue, seqFunc, combFunc, numPartitions=None,
                       partitionFunc=portable_hash):
        env = env_of((seqFunc, combFunc), [seqFunc, combFunc])
        return self._wrap(self._kc().aggregate_by_key(zeroValue, env, numPartitions or 0))

    def combineByKey(self, createCombiner, mergeValue, mergeCombiners, numPartitions=None,
                     partitionFunc=portable_hash):
        fs = (createCombiner, mergeValue, mergeCombiners)
        return self._wrap(self._kc().combine_by_key(env_of(fs, list(fs)), numPartitions or 0))

    def sortByKey(self, ascending=True, numPartitions=None, keyfunc=None):
        if keyfunc is None or keyfunc is _identity:
            return self._wrap(self._kc().sort_by_key(bool(ascending), numPartitions or 0))
        return self.sortBy(lambda kv: keyfunc(kv[0]), ascending, numPartitions)

    def sortBy(self, keyfunc, ascending=True, numPartitions=None):
        keyed = self.map(lambda x: (keyfunc(x), x))
        return keyed.sortByKey(ascending, numPartitions).values()

    def join(self, other, numPartitions=None):
        return self._wrap(self._kc().join(other._kc(), numPartitions or 0))

    def leftOuterJoin(self, other, numPartitions=None):
        return self._wrap(self._kc().left_outer_join(other._kc(), numPartitions or 0))

    def rightOuterJoin(self, other, numPartitions=None):
        return self._wrap(self._kc().right_outer_join(other._kc(), numPartitions or 0))

    def fullOuterJoin(self, other, numPartitions=None):
        return self._wrap(self._kc().full_outer_join(other._kc(), numPartitions or 0))

    def cogroup(self, other, numPartitions=None):
        return self._wrap(self._kc().cogroup(other._kc(), numPartitions or 0))

    def groupWith(self, other, *others):
        if others:
            raise NotImplementedError("kiln's groupWith takes one other RDD")
        return self.cogroup(other)

    def partitionBy(self, numPartitions, partitionFunc=portable_hash):
        if partitionFunc is portable_hash:
            out = self._wrap(self._kc().partition_by(numPartitions, False))
        else:
            n = numPartitions
            tagged = self.map(lambda kv: (partitionFunc(kv[0]) % n, kv))
            out = self._wrap(tagged._c().partition_by(n, True).values())
        out.partitioner = (numPartitions, partitionFunc)
        return out

    def repartition(self, numPartitions):
        return self._wrap(self._c().repartition(numPartitions))

    def coalesce(self, numPartitions, shuffle=False):
        return self._wrap(self._c().coalesce(numPartitions, bool(shuffle)))

    # ---- Actions --------------------------------------------------------------------------
    def collect(self):
        return self._c().collect()

    def collectAsMap(self):
        return dict(self.collect())

    def count(self):
        return self._c().count()

    def first(self):
        return self._c().first()

    def take(self, num):
        return self._c().take(num)

    def isEmpty(self):
        return self._c().is_empty()

    def lookup(self, key):
        return self._kc().lookup(key)

    def countByKey(self):
        from collections import defaultdict
        return defaultdict(int, self._kc().count_by_key())

    def countByValue(self):
        from collections import defaultdict
        return defaultdict(int, self._c().count_by_value())

    def foreach(self, f):
        def process(iterator):
            for x in iterator:
                f(x)
            return iter(())
        self.mapPartitions(process).count()

    def foreachPartition(self, f):
        def process(iterator):
            r = f(iterator)
            try:
                return iter(r) if r is not None else iter(())
            except TypeError:
                return iter(())
        self.mapPartitions(process).count()

    def _partials(self, f):
        """Runs f over each partition's iterator in the tasks; the list of
        the partitions' results that are not _EMPTY."""
        def func(it):
            r = f(it)
            return [] if r is _EMPTY else [r]
        return self.mapPartitions(func).collect()

    def reduce(self, f):
        spec = reduce_spec(f)
        if isinstance(spec, tuple):
            return self._c().reduce(spec)

        vals = self._partials(lambda it: _reduce_or_empty(f, it))
        if not vals:
            raise ValueError("Can not reduce() empty RDD")
        return functools.reduce(f, vals)

    def treeReduce(self, f, depth=2):
        return self.reduce(f)

    def fold(self, zeroValue, op):
        spec = reduce_spec(op)
        if isinstance(spec, tuple):
            return self._c().fold(zeroValue, spec)

        def part(it):
            acc = _copy.deepcopy(zeroValue)
            for x in it:
                acc = op(acc, x)
            return acc
        return functools.reduce(op, self._partials(part), zeroValue)

    def aggregate(self, zeroValue, seqOp, combOp):
        def part(it):
            acc = _copy.deepcopy(zeroValue)
            for x in it:
                acc = seqOp(acc, x)
            return acc
        return functools.reduce(combOp, self._partials(part), zeroValue)

    def treeAggregate(self, zeroValue, seqOp, combOp, depth=2):
        if depth < 1:
            raise ValueError("Depth cannot be smaller than 1 but got %d." % depth)
        return self.aggregate(zeroValue, seqOp, combOp)

    def max(self, key=None):
        if key is None:
            return self._c().max()
        return self.reduce(lambda a, b: max(a, b, key=key))

    def min(self, key=None):
        if key is None:
            return self._c().min()
        return self.reduce(lambda a, b: min(a, b, key=key))

    def sum(self):
        return self._c().fold(0, reduce_spec(operator.add))

    def count_approx(self, timeout, confidence=0.95):
        return self.count()

    countApprox = count_approx

    def stats(self):
        return StatCounter._from_kiln(self._c().stats())

    def mean(self):
        return self.stats().mean()

    def variance(self):
        return self.stats().variance()

    def stdev(self):
        return self.stats().stdev()

    def sampleVariance(self):
        return self.stats().sampleVariance()

    def sampleStdev(self):
        return self.stats().sampleStdev()

    def top(self, num, key=None):
        if key is None:
            return self._c().top(num)
        parts = self._partials(lambda it: heapq.nlargest(num, it, key=key))
        return heapq.nlargest(num, itertools.chain.from_iterable(parts), key=key)

    def takeOrdered(self, num, key=None):
        if key is None:
            return self._c().take_ordered(num)
        parts = self._partials(lambda it: heapq.nsmallest(num, it, key=key))
        return heapq.nsmallest(num, itertools.chain.from_iterable(parts), key=key)

    def takeSample(self, withReplacement, num, seed=None):
        if num < 0:
            raise ValueError("Sample size cannot be negative.")
        if num == 0:
            return []
        total = self.count()
        if total == 0:
            return []
        rng = random.Random(seed)
        if not withReplacement and num >= total:
            out = self.collect()
            rng.shuffle(out)
            return out
        fraction = _sample_fraction(num, total, withReplacement)
        sample = self.sample(withReplacement, fraction, rng.getrandbits(63)).collect()
        while len(sample) < num:
            sample = self.sample(withReplacement, fraction, rng.getrandbits(63)).collect()
        rng.shuffle(sample)
        return sample[:num]

    def histogram(self, buckets):
        if isinstance(buckets, int):
            if buckets < 1:
                raise ValueError("number of buckets must be >= 1")
            st = self.stats()
            if st.count() == 0:
                raise ValueError("can not generate buckets from an empty RDD")
            lo, hi = st.min(), st.max()
            if lo != lo or hi != hi or lo in (float("inf"), float("-inf")) or hi in (float("inf"), float("-inf")):
                raise ValueError("Can not generate buckets with NaN or infinity")
            if lo == hi:
                bounds = [lo, hi]
            else:
                inc = (hi - lo) / buckets
                bounds = [lo + i * inc for i in range(buckets)] + [hi]
            even = True
        else:
            bounds = sorted(buckets)
            if len(bounds) < 2:
                raise ValueError("buckets should have more than one value")
            even = False
        nb = len(bounds) - 1
        lo, hi = bounds[0], bounds[-1]

        def count(it):
            counts = [0] * nb
            for x in it:
                if x is None or x != x or x < lo or x > hi:
                    continue
                if x == hi:
                    i = nb - 1
                else:
                    i = bisect.bisect_right(bounds, x) - 1
                counts[i] += 1
            return counts
        parts = self._partials(count)
        total = [sum(c) for c in zip(*parts)] if parts else [0] * nb
        return bounds, total

    def saveAsTextFile(self, path, compressionCodecClass=None):
        if compressionCodecClass is not None:
            raise NotImplementedError("kiln writes text files uncompressed")
        def to_str(x):
            if isinstance(x, bytes):
                return x.decode("utf-8", "surrogateescape")
            return x if isinstance(x, str) else str(x)
        self.map(to_str)._c().save_as_text_file(str(path))

    def toLocalIterator(self, prefetchPartitions=False):
        return iter(self.collect())

    def pipe(self, command, env=None, checkCode=False):
        raise NotImplementedError("kiln does not run shell commands from RDDs")

    def toDF(self, schema=None, sampleRatio=None):
        from .sql.session import SparkSession
        return SparkSession._active_or_create(self.ctx).createDataFrame(self, schema, sampleRatio)


_EMPTY = object()


def _reduce_or_empty(f, it):
    it = iter(it)
    for first in it:
        return functools.reduce(f, it, first)
    return _EMPTY


def _sample_fraction(num, total, with_replacement):
    """PySpark's fraction for takeSample: large enough that one sample
    almost always has num values."""
    fraction = float(num) / total
    if with_replacement:
        num_stdev = 9 if num < 12 else 5
        return fraction + num_stdev * (fraction / total) ** 0.5 if total else fraction
    delta = 0.00005
    gamma = -__import__("math").log(delta) / total
    return min(1.0, fraction + gamma + (gamma * gamma + 2 * gamma * fraction) ** 0.5)


class PipelinedRDD(RDD):
    """Consecutive Python transformations, fused into one function of
    (partition index, iterator) that runs as one kiln map_partitions."""

    def __init__(self, prev, func, preservesPartitioning=False):
        if isinstance(prev, PipelinedRDD) and not prev.is_cached and not prev.is_checkpointed:
            prev_func = prev.func

            def pipeline(split, iterator):
                return func(split, prev_func(split, iterator))
            self.func = pipeline
            self._funcs = prev._funcs + [getattr(func, "_kiln_user", func)]
            self._stages = prev._stages + [getattr(func, "_kiln_stage", None)]
            self._prev = prev._prev
        else:
            self.func = func
            self._funcs = [getattr(func, "_kiln_user", func)]
            self._stages = [getattr(func, "_kiln_stage", None)]
            self._prev = prev
        super().__init__(None, prev.ctx)
        self._keyed = None
        self.partitioner = prev.partitioner if preservesPartitioning else None

    def _c(self):
        if self._j is None:
            chain = c_chain(self._stages)
            if chain is not None:
                # Every stage has an exact C version: no Python at all.
                j = self._prev._c()
                for method, spec, _ in chain:
                    j = getattr(j, method)(spec)
                self._j = j
            else:
                env = env_of(self.func, self._funcs)
                self._j = self._prev._c().map_partitions(env)
        return self._j

    def _kc(self):
        if self.is_cached or self.is_checkpointed or c_chain(self._stages) is not None:
            return self._c()
        if self._keyed is None:
            env = env_of(self.func, self._funcs, keyed=True)
            self._keyed = self._prev._c().map_partitions(env)
        return self._keyed


class StatCounter:
    """Count, mean, variance, min and max of numbers (PySpark's StatCounter)."""

    def __init__(self, values=None):
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.maxValue = float("-inf")
        self.minValue = float("inf")
        self._sum = 0.0
        for v in values or []:
            self.merge(v)

    @classmethod
    def _from_kiln(cls, d):
        s = cls()
        s.n = d["count"]
        s.mu = d["mean"] if s.n else 0.0
        s.m2 = d["variance"] * s.n if s.n else 0.0
        s._sum = d["sum"]
        if s.n:
            s.maxValue, s.minValue = d["max"], d["min"]
        return s

    def merge(self, value):
        delta = value - self.mu
        self.n += 1
        self.mu += delta / self.n
        self.m2 += delta * (value - self.mu)
        self.maxValue = max(self.maxValue, value)
        self.minValue = min(self.minValue, value)
        self._sum += value
        return self

    def count(self):
        return self.n

    def mean(self):
        return self.mu if self.n else float("nan")

    def sum(self):
        return self._sum

    def min(self):
        return self.minValue

    def max(self):
        return self.maxValue

    def variance(self):
        return self.m2 / self.n if self.n else float("nan")

    def sampleVariance(self):
        return self.m2 / (self.n - 1) if self.n > 1 else float("nan")

    def stdev(self):
        return self.variance() ** 0.5

    def sampleStdev(self):
        return self.sampleVariance() ** 0.5

    def asDict(self, sample=False):
        return {"count": self.count(), "mean": self.mean(), "sum": self.sum(), "min": self.min(),
                "max": self.max(),
                "stdev": self.stdev() if not sample else self.sampleStdev(),
                "variance": self.variance() if not sample else self.sampleVariance()}

    def __repr__(self):
        return "(count: %s, mean: %s, stdev: %s, max: %s, min: %s)" % (
            self.count(), self.mean(), self.stdev(), self.max(), self.min())
