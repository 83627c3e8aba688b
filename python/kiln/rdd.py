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
import math
import operator
import random
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
        # Whether every record's key has been through kiln's key check
        # (records from shuffles by key, or of sources that make no pairs);
        # if not, _kc() checks them in a Python pass before a shuffle.
        self._keys_ok = False
        self._checked = None

    # ---- Handles -------------------------------------------------------------------
    def _c(self):
        """The kiln RDD of this one."""
        return self._j

    def _kc(self, combine_add=False):
        """The kiln RDD, its records checked as (key, value) pairs for a shuffle:
        a key must hash the same way in every process (TypeError naming its
        type otherwise, as PySpark's unhashable keys)."""
        if self._keys_ok:
            return self._c()
        if self._checked is None:
            self._checked = self._c().check_keys()
        return self._checked

    def _wrap(self, j, keys_ok=False):
        out = RDD(j, self.ctx)
        out._keys_ok = keys_ok
        return out

    def _shuffled(self, j):
        """An RDD of (key, value) records from a shuffle by key: its keys
        have been checked."""
        return self._wrap(j, True)

    @property
    def context(self):
        return self.ctx

    def id(self):
        return self._c().id()

    def setName(self, name):
        """Names the RDD (the web UI's Storage tab and the event log show
        the name); returns the RDD."""
        self._name = None if name is None else str(name)
        self._c().set_name(self._name)
        return self

    def name(self):
        """The name set with setName, or None."""
        return self._c().name()

    def getNumPartitions(self):
        return self._c().num_partitions()

    def __repr__(self):
        return "%s[%d] at %s" % (self._name or type(self).__name__, self.id(), "kiln")

    def toDebugString(self):
        """The RDD's description as bytes (PySpark's type); kiln describes the
        RDD itself, the stages it runs in C and its storage level, not the
        whole lineage."""
        stages = getattr(self, "_stages", None)
        chain = c_chain(stages) if stages else None
        how = (" [in C: %s]" % ", ".join(c[2] for c in chain)) if chain else ""
        level = self.getStorageLevel()
        mem = (" [%s]" % level) if level != StorageLevel.NONE else " []"
        return ("(%d) %r%s%s" % (self.getNumPartitions(), self, how, mem)).encode()

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
        """Writes the partitions to the checkpoint directory now (PySpark
        waits for the next job) and cuts the lineage. Where the directory
        was set by sc.setCheckpointDir after the context started and kiln
        has no setter for it, the partitions are kept in memory and on disk
        instead (the lineage stays)."""
        from .errors import KilnError
        ctx = self.ctx
        if ctx._checkpoint_dir is None:
            raise KilnError("Checkpoint directory has not been set in the SparkContext "
                            "(sc.setCheckpointDir(dir))")
        if ctx._can_checkpoint():
            self._c().checkpoint()
        else:
            self.persist(StorageLevel.MEMORY_AND_DISK)
            self._kept_as_checkpoint = True
        self.is_checkpointed = True

    def isCheckpointed(self):
        return getattr(self, "_kept_as_checkpoint", False) or self._c().is_checkpointed()

    def localCheckpoint(self):
        """Keeps the partitions in memory and on disk (kiln's lineage is kept)."""
        self.persist(StorageLevel.MEMORY_AND_DISK)
        self._local_checkpoint = True

    def isLocallyCheckpointed(self):
        return getattr(self, "_local_checkpoint", False)

    def getCheckpointFile(self):
        """The checkpoint directory of a checkpointed RDD, or None."""
        if not self.isCheckpointed():
            return None
        return self.ctx._checkpoint_dir

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
        return self._wrap(self._c().keys(), self._keys_ok)

    def values(self):
        return self._wrap(self._c().values())

    def glom(self):
        return self._wrap(self._c().glom())

    def distinct(self, numPartitions=None):
        return self._wrap(self._c().distinct(numPartitions or 0), self._keys_ok)

    def union(self, other):
        return self._wrap(self._c().union(other._c()), self._keys_ok and other._keys_ok)

    def __add__(self, other):
        return self.union(other)

    def intersection(self, other, numPartitions=None):
        return self._wrap(self._c().intersection(other._c(), numPartitions or 0), self._keys_ok)

    def subtract(self, other, numPartitions=None):
        return self._wrap(self._c().subtract(other._c(), numPartitions or 0), self._keys_ok)

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
        j = self._c().sample(bool(withReplacement), float(fraction), seed & (2**64 - 1))
        return self._wrap(j, self._keys_ok)

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
        return self._shuffled(self._kc().group_by_key(numPartitions or 0))

    def reduceByKey(self, func, numPartitions=None, partitionFunc=portable_hash):
        spec = reduce_spec(func)
        add = isinstance(spec, tuple) and spec[0] == "add"
        if not isinstance(spec, tuple) and isinstance(self, PipelinedRDD) and not self.is_cached \
                and c_chain(self._stages) is None:
            # A Python function at the end of a Python pipeline: values of
            # equal keys are merged with it in the pipeline first (a map-side
            # combine, in the worker processes, as PySpark's workers merge),
            # so far fewer records reach kiln's per-record calls.
            merged = self.mapPartitions(functools.partial(_merge_values, func))
            return self._shuffled(merged._kc().reduce_by_key(spec, numPartitions or 0))
        # An addition: a Python pipeline's worker may add up int values of
        # equal keys before they leave it (in C).
        source = self._kc(combine_add=add)
        return self._shuffled(source.reduce_by_key(spec, numPartitions or 0))

    def reduceByKeyLocally(self, func):
        return dict(self.reduceByKey(func).collect())

    def foldByKey(self, zeroValue, func, numPartitions=None, partitionFunc=portable_hash):
        spec = reduce_spec(func)
        return self._shuffled(self._kc().fold_by_key(zeroValue, spec, numPartitions or 0))

    def aggregateByKey(self, zeroValue, seqFunc, combFunc, numPartitions=None,
                       partitionFunc=portable_hash):
        env = env_of((seqFunc, combFunc), [seqFunc, combFunc])
        return self._shuffled(self._kc().aggregate_by_key(zeroValue, env, numPartitions or 0))

    def combineByKey(self, createCombiner, mergeValue, mergeCombiners, numPartitions=None,
                     partitionFunc=portable_hash):
        fs = (createCombiner, mergeValue, mergeCombiners)
        return self._shuffled(self._kc().combine_by_key(env_of(fs, list(fs)), numPartitions or 0))

    def sortByKey(self, ascending=True, numPartitions=None, keyfunc=None):
        if keyfunc is None or keyfunc is _identity:
            return self._shuffled(self._kc().sort_by_key(bool(ascending), numPartitions or 0))
        return self.sortBy(lambda kv: keyfunc(kv[0]), ascending, numPartitions)

    def sortBy(self, keyfunc, ascending=True, numPartitions=None):
        keyed = self.map(lambda x: (keyfunc(x), x))
        return keyed.sortByKey(ascending, numPartitions).values()

    def join(self, other, numPartitions=None):
        return self._shuffled(self._kc().join(other._kc(), numPartitions or 0))

    def leftOuterJoin(self, other, numPartitions=None):
        return self._shuffled(self._kc().left_outer_join(other._kc(), numPartitions or 0))

    def rightOuterJoin(self, other, numPartitions=None):
        return self._shuffled(self._kc().right_outer_join(other._kc(), numPartitions or 0))

    def fullOuterJoin(self, other, numPartitions=None):
        return self._shuffled(self._kc().full_outer_join(other._kc(), numPartitions or 0))

    def cogroup(self, other, numPartitions=None):
        return self._shuffled(self._kc().cogroup(other._kc(), numPartitions or 0))

    def groupWith(self, other, *others):
        """cogroup with any number of other RDDs: (key, (values of self,
        values of other, ...))."""
        if not others:
            return self.cogroup(other)
        rdds = (self, other) + others
        n = len(rdds)
        tagged = [r.map(functools.partial(_tag, i), True) for i, r in enumerate(rdds)]
        union = functools.reduce(lambda a, b: a.union(b), tagged)
        return union.groupByKey().mapValues(functools.partial(_untag, n))

    def partitionBy(self, numPartitions, partitionFunc=portable_hash):
        if numPartitions is None:
            numPartitions = self.ctx.defaultParallelism
        if partitionFunc is portable_hash:
            out = self._shuffled(self._kc().partition_by(numPartitions, False))
        else:
            n = numPartitions
            tagged = self.map(lambda kv: (partitionFunc(kv[0]) % n, kv))
            out = self._wrap(tagged._c().partition_by(n, True).values(), self._keys_ok)
        out.partitioner = (numPartitions, partitionFunc)
        return out

    def repartitionAndSortWithinPartitions(self, numPartitions=None, partitionFunc=portable_hash,
                                           ascending=True, keyfunc=_identity):
        """partitionBy, then each partition sorted by keyfunc(key)."""
        def sort(it):
            return iter(sorted(it, key=lambda kv: keyfunc(kv[0]), reverse=not ascending))
        return self.partitionBy(numPartitions, partitionFunc).mapPartitions(sort, True)

    def sampleByKey(self, withReplacement, fractions, seed=None):
        """A sample with a fraction per key (fractions: {key: fraction})."""
        for f in fractions.values():
            if f < 0:
                raise ValueError("Negative fraction value: %s" % f)
        if seed is None:
            seed = random.getrandbits(63)

        def func(k, it):
            rng = random.Random(seed ^ (k * 0x9E3779B97F4A7C15 & (2**63 - 1)))
            for kv in it:
                f = fractions[kv[0]]
                if withReplacement:
                    for _ in range(_poisson(rng, f)):
                        yield kv
                elif rng.random() < f:
                    yield kv
        return self.mapPartitionsWithIndex(func, True)

    def repartition(self, numPartitions):
        return self._wrap(self._c().repartition(numPartitions), self._keys_ok)

    def coalesce(self, numPartitions, shuffle=False):
        return self._wrap(self._c().coalesce(numPartitions, bool(shuffle)), self._keys_ok)

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
        the partitions' results (f returns a list of 0 or 1 of them)."""
        return self.mapPartitions(f).collect()

    def reduce(self, f):
        spec = reduce_spec(f)
        if isinstance(spec, tuple):
            return self._c().reduce(spec)

        vals = self._partials(lambda it: _reduce_or_empty(f, it))
        if not vals:
            raise ValueError("Can not reduce() empty RDD")
        return functools.reduce(f, vals)

    def treeReduce(self, f, depth=2):
        """reduce (kiln merges the partitions' results on the driver, which
        for the partition counts of one machine is what a tree does)."""
        if depth < 1:
            raise ValueError("Depth cannot be smaller than 1 but got %d." % depth)
        return self.reduce(f)

    def fold(self, zeroValue, op):
        spec = reduce_spec(op)
        if isinstance(spec, tuple):
            return self._c().fold(zeroValue, spec)

        def part(it):
            acc = _copy.deepcopy(zeroValue)
            for x in it:
                acc = op(acc, x)
            return [acc]
        return functools.reduce(op, self._partials(part), zeroValue)

    def aggregate(self, zeroValue, seqOp, combOp):
        def part(it):
            acc = _copy.deepcopy(zeroValue)
            for x in it:
                acc = seqOp(acc, x)
            return [acc]
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
        """A StatCounter of the numbers (one pass in C; in Python where a
        value is NaN, so that min and max are NaN as PySpark's, or not a
        number, which raises TypeError as PySpark does)."""
        from .errors import KilnError
        try:
            st = StatCounter._from_kiln(self._c().stats())
        except KilnError as e:
            if "not a number" not in str(e):
                raise
            st = None
        if st is None or math.isnan(st.mu):
            parts = self._partials(lambda it: [StatCounter(it)])
            st = functools.reduce(StatCounter.mergeStats, parts, StatCounter())
        return st

    def countApproxDistinct(self, relativeSD=0.05):
        """The number of distinct records (kiln counts them exactly)."""
        if relativeSD < 0.000017:
            raise ValueError("relativeSD should be greater than 0.000017")
        return self.distinct().count()

    def sumApprox(self, timeout, confidence=0.95):
        """The sum (exact: kiln does not stop a job at a timeout)."""
        return self.sum()

    def meanApprox(self, timeout, confidence=0.95):
        """The mean (exact: kiln does not stop a job at a timeout)."""
        return self.mean()

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
        parts = self._partials(lambda it: [heapq.nlargest(num, it, key=key)])
        return heapq.nlargest(num, itertools.chain.from_iterable(parts), key=key)

    def takeOrdered(self, num, key=None):
        if key is None:
            return self._c().take_ordered(num)
        parts = self._partials(lambda it: [heapq.nsmallest(num, it, key=key)])
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
        """PySpark's histogram: buckets is a number of evenly spaced buckets
        between the minimum and maximum (kept as ints when the spacing is an
        int), or the sorted bucket bounds. Every bucket is [lo, hi) but the
        last, [lo, hi]; None, NaN and values outside are not counted.
        Returns (buckets, counts)."""
        def comparable(x):
            return x is not None and not (isinstance(x, float) and math.isnan(x))

        if isinstance(buckets, int) and not isinstance(buckets, bool):
            if buckets < 1:
                raise ValueError("number of buckets must be >= 1")
            filtered = self.filter(comparable)
            mm = filtered._partials(lambda it: _min_max(it))
            if not mm:
                raise ValueError("can not generate buckets from empty RDD")
            minv = min(m[0] for m in mm)
            maxv = max(m[1] for m in mm)
            if minv == maxv or buckets == 1:
                return [minv, maxv], [sum(m[2] for m in mm)]
            try:
                inc = (maxv - minv) / buckets
            except TypeError:
                raise TypeError("Can not generate buckets with non-number in RDD")
            if math.isinf(inc):
                raise ValueError("Can not generate buckets with infinite value")
            # Kept as integers where they are.
            inc = int(inc)
            if inc * buckets != maxv - minv:
                inc = (maxv - minv) * 1.0 / buckets
            buckets = [i * inc + minv for i in range(buckets)]
            buckets.append(maxv)
            even = True
        elif isinstance(buckets, (list, tuple)):
            if len(buckets) < 2:
                raise ValueError("buckets should have more than one value")
            if any(not comparable(b) for b in buckets):
                raise ValueError("can not have None or NaN in buckets")
            if sorted(buckets) != list(buckets):
                raise ValueError("buckets should be sorted")
            if len(set(buckets)) != len(buckets):
                raise ValueError("buckets should not contain duplicated values")
            minv, maxv = buckets[0], buckets[-1]
            even, inc = False, None
            try:
                steps = [buckets[i + 1] - buckets[i] for i in range(len(buckets) - 1)]
            except TypeError:
                pass  # the bounds have no '-' (strings)
            else:
                if max(steps) - min(steps) < 1e-10:
                    even = True
                    inc = (maxv - minv) / (len(buckets) - 1)
        else:
            raise TypeError("buckets should be a list or tuple or number(int or long)")

        bounds = buckets

        def count(it):
            counters = [0] * len(bounds)
            for x in it:
                if x is None or (isinstance(x, float) and math.isnan(x)) or x > maxv or x < minv:
                    continue
                t = int((x - minv) / inc) if even else bisect.bisect_right(bounds, x) - 1
                counters[t] += 1
            last = counters.pop()
            counters[-1] += last  # the last bucket is closed
            return [counters]
        parts = self._partials(count)
        return buckets, [sum(c) for c in zip(*parts)] if parts else [0] * (len(buckets) - 1)

    def saveAsTextFile(self, path, compressionCodecClass=None):
        if compressionCodecClass is not None:
            raise NotImplementedError("kiln writes text files uncompressed")
        def to_str(x):
            if isinstance(x, bytes):
                return x.decode("utf-8", "surrogateescape")
            return x if isinstance(x, str) else str(x)
        self.map(to_str)._c().save_as_text_file(str(path))

    def saveAsPickleFile(self, path, batchSize=10):
        """Saves the records pickled, batchSize to a line of text (base64);
        sc.pickleFile reads them back (kiln's format, not Hadoop's
        SequenceFile)."""
        def encode(it):
            import base64
            import pickle
            batch = []
            for x in it:
                batch.append(x)
                if len(batch) >= max(1, batchSize):
                    yield base64.b64encode(pickle.dumps(batch, 4)).decode("ascii")
                    batch = []
            if batch:
                yield base64.b64encode(pickle.dumps(batch, 4)).decode("ascii")
        self.mapPartitions(encode)._c().save_as_text_file(str(path))

    def collectWithJobGroup(self, groupId, description, interruptOnCancel=False):
        """collect in a job group."""
        self.ctx.setJobGroup(groupId, description, interruptOnCancel)
        return self.collect()

    def toLocalIterator(self, prefetchPartitions=False):
        return iter(self.collect())

    def pipe(self, command, env=None, checkCode=False):
        raise NotImplementedError("kiln does not run shell commands from RDDs")

    def toDF(self, schema=None, sampleRatio=None):
        from .sql.session import SparkSession
        return SparkSession._active_or_create(self.ctx).createDataFrame(self, schema, sampleRatio)


def _min_max(it):
    """[(min, max, count)] of it, or []."""
    it = iter(it)
    for first in it:
        lo = hi = first
        n = 1
        for x in it:
            n += 1
            if x < lo:
                lo = x
            elif x > hi:
                hi = x
        return [(lo, hi, n)]
    return []


def _poisson(rng, mean):
    """A Poisson draw of mean (Knuth's method; PySpark's sampler draws the
    same distribution)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _tag(i, kv):
    return kv[0], (i, kv[1])


def _untag(n, tagged):
    out = tuple([] for _ in range(n))
    for i, v in tagged:
        out[i].append(v)
    return out


def _kiln_key(k):
    """k as a dict key that keeps kiln's key identity: True, 1 and 1.0 are
    three keys to kiln (and one to a dict), a list is a key to kiln."""
    t = type(k)
    if t is str or t is bytes or k is None:
        return k
    if t is tuple or t is list:
        return (t, tuple(_kiln_key(x) for x in k))
    return (t, k)


_MERGE_KEYS = 100_000  # keys a partition's map-side merge holds before it sends them
_ABSENT = object()


def _merge_values(func, iterator):
    """(key, value) pairs with the values of equal keys merged by func, in
    rounds of at most _MERGE_KEYS keys (the pipeline's map-side combine for
    reduceByKey). A dict per key type keeps kiln's key identity (True, 1
    and 1.0 are three keys). Records that are not pairs, or whose key
    Python cannot hash, pass through unchanged."""
    by_type = {}
    held = 0
    for rec in iterator:
        if type(rec) is not tuple or len(rec) != 2:
            yield rec
            continue
        k, v = rec
        t = type(k)
        d = by_type.get(t)
        if d is None:
            d = by_type[t] = {}
        dk = _kiln_key(k) if t is tuple or t is list else k
        try:
            old = d.get(dk, _ABSENT)
        except TypeError:
            yield rec
            continue
        if old is _ABSENT:
            if held >= _MERGE_KEYS:
                for m in by_type.values():
                    yield from m.values()
                    m.clear()
                held = 0
            d[dk] = rec
            held += 1
        else:
            d[dk] = (k, func(old[1], v))
    for m in by_type.values():
        yield from m.values()


def _reduce_or_empty(f, it):
    """[f folded over it], or [] when it is empty."""
    it = iter(it)
    for first in it:
        return [functools.reduce(f, it, first)]
    return []


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

    def _kc(self, combine_add=False):
        if self.is_cached or self.is_checkpointed:
            return RDD._kc(self)
        if c_chain(self._stages) is not None:
            return self._c()  # kiln's own functions: keys of kiln's types
        if combine_add:
            # A reduceByKey(add) of its own: int values of equal keys may be
            # added up in the worker first.
            env = env_of(self.func, self._funcs, keyed=True, combine_add=True)
            return self._prev._c().map_partitions(env)
        if self._keyed is None:
            env = env_of(self.func, self._funcs, keyed=True)
            self._keyed = self._prev._c().map_partitions(env)
        return self._keyed


class StatCounter:
    """Count, mean, variance, min and max of numbers (PySpark's StatCounter):
    a NaN makes the mean, variance, min and max NaN."""

    def __init__(self, values=None):
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.maxValue = float("-inf")
        self.minValue = float("inf")
        for v in values or []:
            self.merge(v)

    @classmethod
    def _from_kiln(cls, d):
        s = cls()
        s.n = d["count"]
        if s.n:
            s.mu = float(d["mean"])
            s.m2 = d["variance"] * s.n
            s.maxValue, s.minValue = float(d["max"]), float(d["min"])
        return s

    def merge(self, value):
        """Adds one value."""
        if not isinstance(value, (int, float)):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError("StatCounter takes numbers, not %s" % type(value).__name__)
        delta = value - self.mu
        self.n += 1
        self.mu += delta / self.n
        self.m2 += delta * (value - self.mu)
        self.maxValue = _nan_max(self.maxValue, value)
        self.minValue = _nan_min(self.minValue, value)
        return self

    def mergeStats(self, other):
        """Adds another StatCounter's values (Chan et al.'s parallel variance)."""
        if not isinstance(other, StatCounter):
            raise TypeError("Can only merge StatCounter but got %s" % type(other))
        if other is self:
            return self.mergeStats(other.copy())
        if other.n == 0:
            return self
        if self.n == 0:
            self.n, self.mu, self.m2 = other.n, other.mu, other.m2
            self.maxValue, self.minValue = other.maxValue, other.minValue
            return self
        self.maxValue = _nan_max(self.maxValue, other.maxValue)
        self.minValue = _nan_min(self.minValue, other.minValue)
        delta = other.mu - self.mu
        n = self.n + other.n
        if other.n * 10 < self.n:
            self.mu = self.mu + (delta * other.n) / n
        elif self.n * 10 < other.n:
            self.mu = other.mu - (delta * self.n) / n
        else:
            self.mu = (self.mu * self.n + other.mu * other.n) / n
        self.m2 += other.m2 + (delta * delta * self.n * other.n) / n
        self.n = n
        return self

    def copy(self):
        """A copy of this counter."""
        c = StatCounter()
        c.n, c.mu, c.m2 = self.n, self.mu, self.m2
        c.maxValue, c.minValue = self.maxValue, self.minValue
        return c

    def count(self):
        return int(self.n)

    def mean(self):
        return float(self.mu)

    def sum(self):
        return self.n * float(self.mu)

    def min(self):
        return self.minValue

    def max(self):
        return self.maxValue

    def variance(self):
        return float("nan") if self.n == 0 else float(self.m2 / self.n)

    def sampleVariance(self):
        return float("nan") if self.n <= 1 else float(self.m2 / (self.n - 1))

    def stdev(self):
        return math.sqrt(self.variance())

    def sampleStdev(self):
        return math.sqrt(self.sampleVariance())

    def asDict(self, sample=False):
        """The statistics as a dict (stdev and variance of the sample if sample)."""
        return {"count": self.count(), "mean": self.mean(), "sum": self.sum(), "min": self.min(),
                "max": self.max(),
                "stdev": self.stdev() if not sample else self.sampleStdev(),
                "variance": self.variance() if not sample else self.sampleVariance()}

    def __repr__(self):
        return "(count: %s, mean: %s, stdev: %s, max: %s, min: %s)" % (
            self.count(), self.mean(), self.stdev(), self.max(), self.min())


def _nan_max(a, b):
    """max that is NaN when either is (numpy.maximum's rule, PySpark's)."""
    return a if a != a else b if b != b else (a if a >= b else b)


def _nan_min(a, b):
    return a if a != a else b if b != b else (a if a <= b else b)
