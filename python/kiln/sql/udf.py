"""Python UDFs: F.udf / @udf / spark.udf.register.

kiln's SQL engine calls native (C ABI) functions only, so a Python UDF is
evaluated as an RDD stage: a column that calls one refers to a placeholder
column (`__kiln_udf_N`); the DataFrame operation that uses it first adds
that column by turning its input into an RDD of tuples, mapping each
partition through the function in Python (PipelinedRDD, one pickled
function per task), and making a DataFrame of the result again. The
placeholder is dropped from the operation's output. Consequences: every
UDF costs a round trip through rows; the input's columns must be types
createDataFrame takes (no structs or maps); a UDF cannot be called from
spark.sql text.
"""
import itertools

from .column import Column, _merge, _session
from .types import DataType, StringType, _from_kiln, _parse_type, _quote, _to_kiln

__all__ = ["UserDefinedFunction", "UDFRegistration"]

_ids = itertools.count(1)


def _dtype(t):
    return _parse_type(t) if isinstance(t, str) else (t if isinstance(t, DataType) else
                                                       StringType())


class UserDefinedFunction:
    """A Python function callable on Columns."""

    def __init__(self, func, returnType=StringType(), name=None):
        self.func = func
        self.returnType = _dtype(returnType)
        self._name = name or getattr(func, "__name__", "udf")

    def __call__(self, *cols):
        from .functions import _col
        cs = [_col(c) for c in cols]
        n = next(_ids)
        place = "__kiln_udf_%d" % n
        udfs = _merge(*cs)
        udfs[place] = (n, self.func, self.returnType, cs)
        return Column(_session()._s.col(place),
                      "%s(%s)" % (self._name, ", ".join(c._name for c in cs)), udfs)


def _apply(df, place, func, rtype, args):
    """df with the column place: func of the args, through an RDD stage."""
    from .dataframe import DataFrame
    from ..rdd import RDD
    from . import functions as F
    k = len(df.columns)
    names = ["__kiln_udfarg_%d" % i for i in range(len(args))]
    base = df._raw_select([F.col("*")] + [a.alias(nm) for a, nm in zip(args, names)])
    types = [_parse_type(t) for _, t in base._j.columns()]
    convs = [_from_kiln(t) or (lambda v: v) for t in types[k:]]
    out = _to_kiln(rtype) or (lambda v: v)

    def part(_, it):
        for t in it:
            r = func(*[c(v) for c, v in zip(convs, t[k:])])
            yield tuple(t[:k]) + (out(r),)
    sess = df._session
    rows = RDD(base._j.to_rdd(), sess.sparkContext).mapPartitionsWithIndex(part)
    ddl = ", ".join("%s %s" % (_quote(n), t) for n, t in df._j.columns())
    ddl += (", " if ddl else "") + "%s %s" % (_quote(place), rtype.simpleString())
    return DataFrame(sess._s.create_from_rdd(rows._c(), ddl), sess)


class UDFRegistration:
    """spark.udf: register(name, f, returnType) makes a UDF usable in
    DataFrame expressions (F.call_udf(name, ...) or the returned function)."""

    def __init__(self, session):
        self._session = session
        self._fns = {}

    def register(self, name, f, returnType=None):
        if isinstance(f, UserDefinedFunction):
            u = UserDefinedFunction(f.func, returnType or f.returnType, name)
        else:
            u = UserDefinedFunction(f, returnType or StringType(), name)
        self._fns[name] = u
        return u
