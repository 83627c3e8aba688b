"""Functions of columns (PySpark's pyspark.sql.functions).

The common ones are defined here with PySpark's signatures; any other SQL
function of kiln is reachable by its name (F.sha2(col, 256),
F.array_contains(c, 3), F.current_date()): arguments that are not Columns
are literals, except that a str names a column where PySpark's function
takes a column. Python UDFs: udf / pandas-free, see kiln.sql.udf.
"""
import functools

from .column import Column, _lit, _merge, _session

__all__ = ["col", "column", "lit", "expr", "when", "udf"]


def _col(c):
    """A column argument: a Column, or a str naming a column."""
    if isinstance(c, Column):
        return c
    if isinstance(c, str):
        return col(c)
    return _lit(c)


def _call(name, *args):
    cs = [a if isinstance(a, Column) else _lit(a) for a in args]
    if not cs:
        return Column(_session()._s.fn0(name), "%s()" % name)
    import _kiln
    return Column(_kiln.sql_fn(name, [c._c for c in cs]),
                  "%s(%s)" % (name, ", ".join(c._name for c in cs)), _merge(*cs))


def col(col):
    """The column named col ("*" for all, "t.a" qualified)."""
    c = Column(_session()._s.col(col), col)
    c._colname = col
    return c


column = col


def lit(col):
    """A literal column."""
    return _lit(col)


def expr(str):
    """A column written in SQL."""
    return Column(_session()._s.expr(str), str)


def when(condition, value):
    """CASE WHEN condition THEN value ... (chain .when / .otherwise)."""
    value = _lit(value)
    import _kiln
    return Column(_kiln.sql_fn("when", [condition._c, value._c]),
                  "CASE WHEN %s THEN %s" % (condition._name, value._name),
                  _merge(condition, value))


def _unary(name, sql=None):
    def fn(col):
        return _call(sql or name, _col(col))
    fn.__name__ = name
    fn.__doc__ = "%s(col)." % (sql or name)
    return fn


for _n, _s in [("sum", None), ("avg", None), ("mean", "avg"), ("min", None), ("max", None),
               ("lower", None), ("upper", None), ("trim", None), ("ltrim", None),
               ("rtrim", None), ("length", None), ("year", None), ("month", None),
               ("dayofmonth", None), ("dayofweek", None), ("dayofyear", None), ("hour", None),
               ("minute", None), ("second", None), ("quarter", None), ("weekofyear", None),
               ("abs", None), ("sqrt", None), ("exp", None), ("log10", None), ("floor", None),
               ("ceil", None), ("explode", None), ("explode_outer", None),
               ("posexplode", None), ("posexplode_outer", None), ("stddev", None),
               ("stddev_samp", None), ("stddev_pop", None), ("variance", None),
               ("var_samp", None), ("var_pop", None), ("first", None), ("last", None),
               ("collect_list", None), ("collect_set", None), ("size", None),
               ("initcap", None), ("reverse", None), ("md5", None), ("sha1", None),
               ("median", None), ("isnull", None), ("isnan", None), ("signum", None),
               ("sumDistinct", "sum_distinct"), ("skewness", None), ("kurtosis", None),
               ("array_distinct", None), ("sort_array", None), ("array_max", None),
               ("array_min", None), ("map_keys", None), ("map_values", None),
               ("ascii", None), ("base64", None), ("unbase64", None), ("hex", None),
               ("unhex", None), ("last_day", None), ("to_timestamp", None),
               ("unix_timestamp", None), ("bit_length", None), ("octet_length", None),
               ("cos", None), ("sin", None), ("tan", None), ("acos", None), ("asin", None),
               ("atan", None), ("degrees", None), ("radians", None), ("cbrt", None),
               ("log2", None), ("log1p", None), ("rint", None), ("bin", None)]:
    globals()[_n] = _unary(_n, _s)
    __all__.append(_n)


def sum_distinct(col):
    """sum(DISTINCT col)."""
    return expr_of("sum(DISTINCT %s)", col)


def expr_of(fmt, name):
    if not isinstance(name, str):
        raise TypeError("give the column by its name")
    return expr(fmt % ("`%s`" % name.replace("`", "``")))


sumDistinct = sum_distinct


def count(col):
    """count(col); count("*") counts rows."""
    if isinstance(col, str) and col == "*":
        return expr("count(*)").alias("count")
    return _call("count", _col(col))


def countDistinct(col, *cols):
    """count(DISTINCT col, ...)."""
    cs = [_col(c) for c in (col,) + cols]
    if all(hasattr(c, "_colname") for c in cs):
        return expr("count(DISTINCT %s)" % ", ".join(
            "`%s`" % c._colname.replace("`", "``") for c in cs)).alias(
            "count(DISTINCT %s)" % ", ".join(c._colname for c in cs))
    return _call("count_distinct", *cs)


count_distinct = countDistinct


def approx_count_distinct(col, rsd=None):
    return _call("approx_count_distinct", _col(col))


approxCountDistinct = approx_count_distinct


def coalesce(*cols):
    return _call("coalesce", *[_col(c) for c in cols])


def greatest(*cols):
    return _call("greatest", *[_col(c) for c in cols])


def least(*cols):
    return _call("least", *[_col(c) for c in cols])


def concat(*cols):
    return _call("concat", *[_col(c) for c in cols])


def concat_ws(sep, *cols):
    return _call("concat_ws", _lit(sep), *[_col(c) for c in cols])


def array(*cols):
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = cols[0]
    if not cols:
        return expr("array()")
    return _call("array", *[_col(c) for c in cols])


def struct(*cols):
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = cols[0]
    return _call("struct", *[_col(c) for c in cols])


def create_map(*cols):
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = cols[0]
    return _call("map", *[_col(c) for c in cols])


def array_contains(col, value):
    return _call("array_contains", _col(col), _lit(value))


def element_at(col, extraction):
    return _call("element_at", _col(col), _lit(extraction))


def regexp_extract(str, pattern, idx):
    return _call("regexp_extract", _col(str), _lit(pattern), _lit(idx))


def regexp_replace(string, pattern, replacement):
    return _call("regexp_replace", _col(string), _lit(pattern), _lit(replacement))


def split(str, pattern, limit=-1):
    if limit != -1:
        return _call("split", _col(str), _lit(pattern), _lit(limit))
    return _call("split", _col(str), _lit(pattern))


def substring(str, pos, len):
    return _call("substring", _col(str), _lit(pos), _lit(len))


def substring_index(str, delim, count):
    return _call("substring_index", _col(str), _lit(delim), _lit(count))


def instr(str, substr):
    return _call("instr", _col(str), _lit(substr))


def locate(substr, str, pos=1):
    return _call("locate", _lit(substr), _col(str), _lit(pos))


def lpad(col, len, pad):
    return _call("lpad", _col(col), _lit(len), _lit(pad))


def rpad(col, len, pad):
    return _call("rpad", _col(col), _lit(len), _lit(pad))


def repeat(col, n):
    return _call("repeat", _col(col), _lit(n))


def translate(srcCol, matching, replace):
    return _call("translate", _col(srcCol), _lit(matching), _lit(replace))


def format_number(col, d):
    return _call("format_number", _col(col), _lit(d))


def format_string(format, *cols):
    return _call("format_string", _lit(format), *[_col(c) for c in cols])


def to_date(col, format=None):
    if format is None:
        return _call("to_date", _col(col))
    return _call("to_date", _col(col), _lit(format))


def to_timestamp(col, format=None):
    if format is None:
        return _call("to_timestamp", _col(col))
    return _call("to_timestamp", _col(col), _lit(format))


def date_format(date, format):
    return _call("date_format", _col(date), _lit(format))


def date_add(start, days):
    return _call("date_add", _col(start), _lit(days))


def date_sub(start, days):
    return _call("date_sub", _col(start), _lit(days))


def datediff(end, start):
    return _call("datediff", _col(end), _col(start))


def add_months(start, months):
    return _call("add_months", _col(start), _lit(months))


def months_between(date1, date2, roundOff=True):
    return _call("months_between", _col(date1), _col(date2), _lit(roundOff))


def date_trunc(format, timestamp):
    return _call("date_trunc", _lit(format), _col(timestamp))


def trunc(date, format):
    return _call("trunc", _col(date), _lit(format))


def from_unixtime(timestamp, format="yyyy-MM-dd HH:mm:ss"):
    return _call("from_unixtime", _col(timestamp), _lit(format))


def current_date():
    return expr("current_date()")


def current_timestamp():
    return expr("current_timestamp()")


def round(col, scale=0):
    return _call("round", _col(col), _lit(scale))


def bround(col, scale=0):
    return _call("bround", _col(col), _lit(scale))


def pow(col1, col2):
    return _call("pow", _col(col1) if isinstance(col1, (str, Column)) else _lit(col1),
                 _col(col2) if isinstance(col2, (str, Column)) else _lit(col2))


power = pow


def log(arg1, arg2=None):
    if arg2 is None:
        return _call("ln", _col(arg1))
    return _call("log", _lit(arg1), _col(arg2))


def nanvl(col1, col2):
    return _call("nanvl", _col(col1), _col(col2))


def ifnull(col1, col2):
    return _call("ifnull", _col(col1), _col(col2))


nvl = ifnull


def asc(col):
    return _col(col).asc()


def desc(col):
    return _col(col).desc()


def asc_nulls_last(col):
    return _col(col).asc_nulls_last()


def desc_nulls_first(col):
    return _col(col).desc_nulls_first()


def percentile(col, percentage):
    return _call("percentile", _col(col), _lit(percentage))


def percentile_approx(col, percentage, accuracy=10000):
    return _call("percentile_approx", _col(col), _lit(percentage), _lit(accuracy))


def corr(col1, col2):
    return _call("corr", _col(col1), _col(col2))


def covar_samp(col1, col2):
    return _call("covar_samp", _col(col1), _col(col2))


def covar_pop(col1, col2):
    return _call("covar_pop", _col(col1), _col(col2))


def hash(*cols):
    return _call("hash", *[_col(c) for c in cols])


def sha2(col, numBits):
    return _call("sha2", _col(col), _lit(numBits))


def monotonically_increasing_id():
    return expr("monotonically_increasing_id()")


def rand(seed=None):
    return expr("rand()" if seed is None else "rand(%d)" % seed)


def randn(seed=None):
    return expr("randn()" if seed is None else "randn(%d)" % seed)


# ---- Window functions ---------------------------------------------------------------

def row_number():
    return Column(_session()._s.fn0("row_number"), "row_number()")


def rank():
    return Column(_session()._s.fn0("rank"), "rank()")


def dense_rank():
    return Column(_session()._s.fn0("dense_rank"), "dense_rank()")


def percent_rank():
    return Column(_session()._s.fn0("percent_rank"), "percent_rank()")


def cume_dist():
    return Column(_session()._s.fn0("cume_dist"), "cume_dist()")


def ntile(n):
    return Column(_session()._s.fn0("ntile", n), "ntile(%d)" % n)


def lag(col, offset=1, default=None):
    c = _col(col)
    d = None if default is None else _lit(default)._c
    return c._new(c._c.lag(offset, d), "lag(%s, %d)" % (c._name, offset))


def lead(col, offset=1, default=None):
    c = _col(col)
    d = None if default is None else _lit(default)._c
    return c._new(c._c.lead(offset, d), "lead(%s, %d)" % (c._name, offset))


# ---- UDFs -----------------------------------------------------------------------------

def udf(f=None, returnType="string"):
    """A Python UDF (kiln.sql.udf): as udf(f, returnType) or as a decorator
    (@udf, @udf("int"), @udf(returnType=IntegerType()))."""
    from .udf import UserDefinedFunction
    if f is None or isinstance(f, (str,)) or not callable(f):
        rt = returnType if f is None else f
        return functools.partial(lambda fn, rt: UserDefinedFunction(fn, rt), rt=rt)
    return UserDefinedFunction(f, returnType)


def __getattr__(name):
    """Any other SQL function of kiln, by its name."""
    if name.startswith("_"):
        raise AttributeError(name)

    def fn(*args):
        # The first argument names a column when a str, as in PySpark.
        return _call(name, *[_col(a) if i == 0 else _lit(a) for i, a in enumerate(args)])
    fn.__name__ = name
    fn.__doc__ = "kiln's SQL function %s." % name
    return fn
