"""DataFrame (PySpark's pyspark.sql.DataFrame) over kiln's DataFrame API.

Transformations analyse at once (an unknown column raises
AnalysisException naming it); actions run kiln's columnar engine with
the GIL released (Ctrl-C cancels). toPandas and createDataFrame(pandas)
move whole columns (kiln_df_collect_columns), not rows.
"""
import html

from .column import Column, _lit
from .group import GroupedData
from .readwriter import DataFrameWriter
from .types import Row, StructField, StructType, _from_kiln, _parse_type, _row_maker

__all__ = ["DataFrame", "DataFrameNaFunctions"]

_KIND_DTYPE = {1: "uint8", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float32",
               7: "float64", 8: "int32", 9: "int64"}


def _names(cols):
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        return list(cols[0])
    return list(cols)


class DataFrame:
    """A distributed table of rows with named columns."""

    def __init__(self, j, session):
        self._j = j
        self._session = session
        self._cached = False

    def _wrap(self, j):
        return DataFrame(j, self._session)

    @property
    def sparkSession(self):
        return self._session

    # ---- Python UDFs -----------------------------------------------------------------
    def _with_udfs(self, cols):
        from .udf import _apply
        udfs = {}
        for c in cols:
            if isinstance(c, Column):
                udfs.update(c._udfs)
        df = self
        for place, (_, f, rt, args) in sorted(udfs.items(), key=lambda kv: kv[1][0]):
            if place not in df.columns:
                df = _apply(df, place, f, rt, args)
        return df

    def _drop_places(self, before):
        extra = [c for c in self.columns if c.startswith("__kiln_udf_") and c not in before]
        return self._wrap(self._j.drop(extra)) if extra else self

    def _raw_select(self, cols):
        return self._wrap(self._j.select([c._c for c in cols]))

    # ---- Schema ------------------------------------------------------------------------
    @property
    def columns(self):
        """The column names."""
        return [n for n, _ in self._j.columns()]

    @property
    def dtypes(self):
        """(name, Spark type name) of each column."""
        return self._j.columns()

    @property
    def schema(self):
        """The StructType of the rows."""
        return StructType([StructField(n, _parse_type(t)) for n, t in self._j.columns()])

    def printSchema(self, level=None):
        print(self._j.schema_string(), end="")

    def explain(self, extended=None, mode=None):
        print(self._j.explain())

    def __repr__(self):
        return "DataFrame[%s]" % ", ".join("%s: %s" % (n, t) for n, t in self._j.columns())

    def _repr_html_(self):
        """An HTML table of the first 20 rows (notebooks)."""
        rows = self.take(21)
        head = "".join("<th>%s</th>" % html.escape(c) for c in self.columns)
        body = "".join("<tr>%s</tr>" % "".join(
            "<td>%s</td>" % html.escape("null" if v is None else str(v)) for v in r)
            for r in rows[:20])
        more = "<p>only showing top 20 rows</p>" if len(rows) > 20 else ""
        return "<table border='1'><tr>%s</tr>%s</table>%s" % (head, body, more)

    # ---- Columns -----------------------------------------------------------------------
    def __getitem__(self, item):
        from . import functions as F
        if isinstance(item, str):
            if item not in self.columns and item != "*" and "." not in item:
                self._wrap(self._j.select([F.col(item)._c]))  # raises, naming the column
            return F.col(item)
        if isinstance(item, int):
            return F.col(self.columns[item])
        if isinstance(item, Column):
            return self.filter(item)
        if isinstance(item, (list, tuple)):
            return self.select(*item)
        raise TypeError("unexpected item type: %s" % type(item))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.columns:
            raise AttributeError("'DataFrame' object has no attribute '%s'" % name)
        return self[name]

    # ---- Transformations ----------------------------------------------------------------
    def _cols(self, cols):
        from .functions import _col
        return [_col(c) for c in _names(cols)]

    def select(self, *cols):
        """The columns: names, "*" or Columns."""
        cs = self._cols(cols)
        df = self._with_udfs(cs)
        out = df._raw_select(cs)
        return out._drop_places(self.columns) if df is not self else out

    def selectExpr(self, *expr):
        return self._wrap(self._j.select_expr(_names(expr)))

    def filter(self, condition):
        """Rows where condition holds (a Column or SQL text)."""
        if isinstance(condition, str):
            return self._wrap(self._j.where(condition))
        df = self._with_udfs([condition])
        return df._wrap(df._j.filter(condition._c))._drop_places(self.columns)

    where = filter

    def withColumn(self, colName, col):
        if not isinstance(col, Column):
            raise TypeError("col should be Column")
        df = self._with_udfs([col])
        return df._wrap(df._j.with_column(colName, col._c))._drop_places(self.columns)

    def withColumns(self, *colsMap):
        m = colsMap[0]
        df = self._with_udfs(list(m.values()))
        return df._wrap(df._j.with_columns(list(m.keys()), [c._c for c in m.values()])) \
            ._drop_places(self.columns)

    def withColumnRenamed(self, existing, new):
        return self._wrap(self._j.with_column_renamed(existing, new))

    def withColumnsRenamed(self, colsMap):
        df = self
        for a, b in colsMap.items():
            df = df.withColumnRenamed(a, b)
        return df

    def toDF(self, *cols):
        return self._wrap(self._j.to_df(list(cols)))

    def drop(self, *cols):
        names = [c._colname if isinstance(c, Column) else c for c in cols]
        return self._wrap(self._j.drop(names))

    def alias(self, alias):
        return self._wrap(self._j.alias(alias))

    def limit(self, num):
        return self._wrap(self._j.limit(num))

    def distinct(self):
        return self._wrap(self._j.distinct())

    def _of_rdd(self, j):
        """A DataFrame of self's schema over j, a kiln RDD of self's row tuples
        (no Python stage: the rows go from C to C)."""
        return self._wrap(self._session._s.create_from_rdd(j, self.schema.ddl()))

    def randomSplit(self, weights, seed=None):
        """DataFrames holding disjoint parts of the rows, each row drawn into
        one with probability proportional to weights (normalised to sum 1).

        As PySpark's: every row draws one uniform number from a generator
        seeded by (seed, partition index), so the same seed and input give
        the same split; the parts are computed independently, each reading
        the input again (cache it first when it is costly)."""
        import random

        import _kiln
        for w in weights:
            if w < 0.0:
                raise ValueError("Weights must be positive. Found weight value: %s" % w)
        if not float(sum(weights)) > 0:
            raise ValueError("Sum of weights must be positive")
        if seed is None:
            seed = random.getrandbits(63)
        parts = _kiln.ml_random_split(self._j.to_rdd(), [float(w) for w in weights],
                                      int(seed) & (2**64 - 1))
        return [self._of_rdd(p) for p in parts]

    def sample(self, withReplacement=None, fraction=None, seed=None):
        """A sample of the rows: each kept with probability fraction (Bernoulli),
        or drawn a Poisson(fraction) number of times withReplacement. PySpark's
        argument forms: sample(fraction), sample(fraction, seed),
        sample(withReplacement, fraction, seed)."""
        import random
        if isinstance(withReplacement, float) and fraction is None:
            withReplacement, fraction = None, withReplacement
        elif isinstance(withReplacement, float) and isinstance(fraction, int):
            withReplacement, fraction, seed = None, withReplacement, fraction
        if fraction is None or not isinstance(fraction, (int, float)) or fraction < 0:
            raise ValueError("fraction must be a nonnegative float, got %r" % (fraction,))
        if seed is None:
            seed = random.getrandbits(63)
        j = self._j.to_rdd().sample(bool(withReplacement), float(fraction),
                                    int(seed) & (2**64 - 1))
        return self._of_rdd(j)

    def dropDuplicates(self, subset=None):
        return self._wrap(self._j.drop_duplicates(list(subset or [])))

    drop_duplicates = dropDuplicates

    def orderBy(self, *cols, ascending=None):
        cs = self._cols(cols)
        if ascending is not None:
            asc = ascending if isinstance(ascending, (list, tuple)) else [ascending] * len(cs)
            cs = [c.asc() if a else c.desc() for c, a in zip(cs, asc)]
        df = self._with_udfs(cs)
        return df._wrap(df._j.order_by([c._c for c in cs]))._drop_places(self.columns)

    sort = orderBy

    def union(self, other):
        return self._wrap(self._j.union(other._j))

    unionAll = union

    def unionByName(self, other, allowMissingColumns=False):
        if allowMissingColumns:
            from . import functions as F
            a, b = self.columns, other.columns
            types = dict(self.dtypes + other.dtypes)
            left = self.select(*[F.col(c) if c in a else F.lit(None).cast(types[c]).alias(c)
                                 for c in a + [c for c in b if c not in a]])
            right = other.select(*[F.col(c) if c in b else F.lit(None).cast(types[c]).alias(c)
                                   for c in a + [c for c in b if c not in a]])
            return left._wrap(left._j.union(right._j, True))
        return self._wrap(self._j.union(other._j, True))

    def intersect(self, other):
        return self._set_op(other, "INTERSECT DISTINCT")

    def subtract(self, other):
        return self._set_op(other, "EXCEPT DISTINCT")

    exceptAll = None

    def _set_op(self, other, op):
        import itertools
        n = next(_views)
        a, b = "__kiln_set_a%d" % n, "__kiln_set_b%d" % n
        self.createOrReplaceTempView(a)
        other.createOrReplaceTempView(b)
        return self._session.sql("SELECT * FROM %s %s SELECT * FROM %s" % (a, op, b))

    def join(self, other, on=None, how=None):
        """Joined rows: on names (a str or list; each output once), a Column
        condition (or a list of them, and-ed), or nothing (a cross join)."""
        how = (how or "inner").lower().replace("_", "")
        how = {"leftouter": "left", "rightouter": "right", "fullouter": "full", "outer": "full",
               "leftsemi": "left_semi", "semi": "left_semi", "leftanti": "left_anti",
               "anti": "left_anti"}.get(how, how)
        if on is None:
            return self._wrap(self._j.join(other._j, None, "cross" if how == "inner" else how))
        if isinstance(on, str):
            on = [on]
        if isinstance(on, (list, tuple)) and on and isinstance(on[0], Column):
            cond = on[0]
            for c in on[1:]:
                cond = cond & c
            on = cond
        if isinstance(on, Column):
            return self._wrap(self._j.join(other._j, on._c, how))
        return self._wrap(self._j.join(other._j, list(on), how))

    def crossJoin(self, other):
        return self.join(other)

    def groupBy(self, *cols):
        return GroupedData(self, self._cols(cols))

    groupby = groupBy

    def agg(self, *exprs):
        return self.groupBy().agg(*exprs)

    # ---- Caching and views ----------------------------------------------------------
    def cache(self):
        self._j.persist(3)
        return self

    def persist(self, storageLevel=None):
        from ..storagelevel import StorageLevel
        level = (storageLevel or StorageLevel.MEMORY_AND_DISK)._kiln_level()
        self._j.persist(level or 3)
        return self

    def unpersist(self, blocking=False):
        self._j.persist(0)
        return self

    @property
    def is_cached(self):
        return self._j.storage_level() != 0

    def createOrReplaceTempView(self, name):
        self._j.temp_view(name)

    createTempView = createOrReplaceTempView
    registerTempTable = createOrReplaceTempView

    # ---- Missing values ---------------------------------------------------------------
    @property
    def na(self):
        return DataFrameNaFunctions(self)

    def fillna(self, value, subset=None):
        if isinstance(subset, str):
            subset = [subset]
        if isinstance(value, dict):
            return self._wrap(self._j.na_fill(value))
        return self._wrap(self._j.na_fill(value, list(subset) if subset else None))

    def dropna(self, how="any", thresh=None, subset=None):
        if isinstance(subset, str):
            subset = [subset]
        return self._wrap(self._j.na_drop(how, -1 if thresh is None else thresh,
                                          list(subset) if subset else None))

    def replace(self, to_replace, value=None, subset=None):
        if isinstance(subset, str):
            subset = [subset]
        if isinstance(to_replace, dict):
            frm, to = list(to_replace.keys()), list(to_replace.values())
        else:
            frm = list(to_replace) if isinstance(to_replace, (list, tuple)) else [to_replace]
            to = list(value) if isinstance(value, (list, tuple)) else [value] * len(frm)
        return self._wrap(self._j.na_replace(frm, to, list(subset) if subset else None))

    def describe(self, *cols):
        return self._wrap(self._j.describe(_names(cols)))

    def summary(self, *statistics):
        return self._wrap(self._j.summary(list(statistics)))

    # ---- Actions -------------------------------------------------------------------------
    def _rows(self, tuples):
        make = _row_maker(self.schema)
        return [make(t) for t in tuples]

    def collect(self):
        """The rows, as a list of Row."""
        return self._rows(self._j.collect())

    def count(self):
        return self._j.count()

    def take(self, num):
        return self._rows(self._j.take(num))

    def head(self, n=None):
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self):
        return self.head()

    def tail(self, num):
        return self.collect()[-num:] if num else []

    def isEmpty(self):
        return not self.take(1)

    def toLocalIterator(self, prefetchPartitions=False):
        return iter(self.collect())

    def foreach(self, f):
        self.rdd.foreach(f)

    def show(self, n=20, truncate=True, vertical=False):
        """Prints the first n rows as a table (truncate: True for 20 characters,
        or a width)."""
        t = 20 if truncate is True else (0 if truncate is False else int(truncate))
        print(self._j.show_string(n, t), end="")

    @property
    def rdd(self):
        """The rows as an RDD of Row."""
        from ..rdd import RDD
        make = _row_maker(self.schema)
        return RDD(self._j.to_rdd(), self._session.sparkContext).map(make)

    @property
    def write(self):
        return DataFrameWriter(self)

    def toPandas(self):
        """The rows as a pandas DataFrame, column by column (no loop per row).

        As PySpark: integer columns with nulls become float64 with NaN,
        boolean ones with nulls object; dates are datetime.date objects,
        timestamps datetime64[ns]; decimals, arrays, maps and structs are
        objects (decimal.Decimal, list, dict, Row)."""
        import numpy as np
        import pandas as pd
        n, cols = self._j.collect_columns()
        data = {}
        for i, (name, typ, kind, buf, valid, values) in enumerate(cols):
            mask = None if valid is None else np.frombuffer(valid, dtype=np.uint8) == 0
            if kind in _KIND_DTYPE:
                arr = np.frombuffer(buf, dtype=_KIND_DTYPE[kind])
                if kind == 1:
                    arr = arr.astype(bool)
                    if mask is not None:
                        arr = arr.astype(object)
                        arr[mask] = None
                elif kind == 8:
                    arr = arr.astype("datetime64[D]")
                    if mask is not None:
                        arr[mask] = np.datetime64("NaT")
                    arr = arr.astype(object)
                elif kind == 9:
                    arr = arr.astype("datetime64[us]").astype("datetime64[ns]")
                    if mask is not None:
                        arr[mask] = np.datetime64("NaT")
                elif mask is not None:
                    arr = arr.astype("float64" if kind != 6 else "float32")
                    arr[mask] = np.nan
                else:
                    arr = arr.copy()
            elif kind in (10, 11):
                arr = np.empty(n, dtype=object)
                arr[:] = values
            elif kind == 12:
                arr = np.full(n, None, dtype=object)
            else:
                conv = _from_kiln(_parse_type(typ))
                if conv is not None:
                    values = [conv(v) for v in values]
                arr = pd.Series(values, dtype=object).to_numpy()
            data[i] = arr
        pdf = pd.DataFrame(data, index=pd.RangeIndex(n), columns=list(range(len(cols))))
        pdf.columns = [c[0] for c in cols]
        return pdf


import itertools as _it  # noqa: E402
_views = _it.count(1)


class DataFrameNaFunctions:
    """df.na: fill, drop, replace."""

    def __init__(self, df):
        self.df = df

    def fill(self, value, subset=None):
        return self.df.fillna(value, subset)

    def drop(self, how="any", thresh=None, subset=None):
        return self.df.dropna(how, thresh, subset)

    def replace(self, to_replace, value=None, subset=None):
        return self.df.replace(to_replace, value, subset)
