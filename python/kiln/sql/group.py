"""GroupedData: df.groupBy(...) (PySpark's pyspark.sql.group)."""
from .column import Column

__all__ = ["GroupedData"]


class GroupedData:
    """The groups of a DataFrame by keys, for aggregates."""

    def __init__(self, df, keys, pivot=None):
        self._df = df
        self._keys = keys

    def _run(self, op, aggs):
        df = self._df._with_udfs(self._keys + [a for a in aggs if isinstance(a, Column)])
        return df._wrap(df._j.group_agg([k._c for k in self._keys], op,
                                        [a._c if isinstance(a, Column) else a for a in aggs]))

    def agg(self, *exprs):
        """Aggregates: Columns, or one dict {column: function name}."""
        from . import functions as F
        if len(exprs) == 1 and isinstance(exprs[0], dict):
            cols = []
            for name, fn in exprs[0].items():
                c = F.count(name) if fn == "count" and name == "*" else getattr(F, fn)(name)
                cols.append(c.alias("%s(%s)" % (fn, name)))
            exprs = cols
        return self._run("agg", list(exprs))

    def count(self):
        """Rows per group, as `count`."""
        return self._run("count", [])

    def sum(self, *cols):
        return self._run("sum", list(cols))

    def avg(self, *cols):
        return self._run("avg", list(cols))

    mean = avg

    def min(self, *cols):
        return self._run("min", list(cols))

    def max(self, *cols):
        return self._run("max", list(cols))

    def pivot(self, pivot_col, values=None):
        """Pivot: one aggregate column per value of pivot_col (values given, or
        the distinct values found by a job)."""
        return _Pivot(self, pivot_col, values)


class _Pivot:
    def __init__(self, g, col, values):
        self._g = g
        self._col = col
        if values is None:
            rows = g._df.select(col).distinct().collect()
            values = sorted((r[0] for r in rows if r[0] is not None), key=repr)
        self._values = values

    def agg(self, *exprs):
        from . import functions as F
        if len(exprs) != 1 or not isinstance(exprs[0], str):
            pass
        raise NotImplementedError("pivot: use count/sum/avg/min/max(column)")

    def _each(self, fn, cols):
        from . import functions as F
        out = []
        for v in self._values:
            cond = F.col(self._col) == v
            if fn == "count":
                out.append(F.count(F.when(cond, F.lit(1))).alias(str(v)))
            else:
                for c in cols:
                    name = str(v) if len(cols) == 1 else "%s_%s(%s)" % (v, fn, c)
                    out.append(getattr(F, fn)(F.when(cond, F.col(c))).alias(name))
        return self._g.agg(*out)

    def count(self):
        return self._each("count", [])

    def sum(self, *cols):
        return self._each("sum", cols)

    def avg(self, *cols):
        return self._each("avg", cols)

    def min(self, *cols):
        return self._each("min", cols)

    def max(self, *cols):
        return self._each("max", cols)
