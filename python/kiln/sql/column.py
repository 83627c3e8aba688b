"""Column: an expression over a DataFrame's columns (PySpark's Column).

A Column wraps kiln's column (SQL text resolved when a DataFrame uses it).
Python literals in operators become SQL literals. A column that calls a
Python UDF carries the UDF (kiln.sql.udf) until a DataFrame evaluates it.
"""
import datetime
import decimal

from .types import DataType, _parse_type

__all__ = ["Column"]

_active = {"session": None}  # the SparkSession functions build columns in


def _session():
    s = _active["session"]
    if s is None:
        raise RuntimeError("no active SparkSession: create one with "
                           "SparkSession.builder.getOrCreate()")
    return s


def _lit(v):
    """A Python value as a Column (a Column stays itself)."""
    if isinstance(v, Column):
        return v
    s = _session()
    if isinstance(v, datetime.datetime):
        return Column(s._s.expr("TIMESTAMP'%s'" % v.isoformat(sep=" ")), repr(v))
    if isinstance(v, datetime.date):
        return Column(s._s.expr("DATE'%s'" % v.isoformat()), repr(v))
    if isinstance(v, decimal.Decimal):
        return Column(s._s.expr("%sBD" % v), str(v))
    if isinstance(v, (list, tuple)):
        from . import functions as F
        return F.array(*[_lit(x) for x in v])
    return Column(s._s.lit(v), repr(v) if not isinstance(v, str) else v)


def _merge(*cols):
    out = {}
    for c in cols:
        if isinstance(c, Column) and c._udfs:
            out.update(c._udfs)
    return out


def _binop(op, reverse=False):
    def fn(self, other):
        other = _lit(other)
        a, b = (other, self) if reverse else (self, other)
        return Column(a._c.op(op, b._c), "(%s %s %s)" % (a._name, op, b._name), _merge(a, b))
    fn.__doc__ = "self %s other" % op
    return fn


def _type_name(t):
    return t.simpleString() if isinstance(t, DataType) else str(t)


class Column:
    """A column expression."""

    def __init__(self, c, name="?", udfs=None):
        self._c = c
        self._name = name
        self._udfs = udfs or {}

    def _new(self, c, name):
        return Column(c, name, self._udfs)

    __add__ = _binop("+")
    __radd__ = _binop("+", True)
    __sub__ = _binop("-")
    __rsub__ = _binop("-", True)
    __mul__ = _binop("*")
    __rmul__ = _binop("*", True)
    __truediv__ = _binop("/")
    __rtruediv__ = _binop("/", True)
    __div__ = __truediv__
    __mod__ = _binop("%")
    __rmod__ = _binop("%", True)
    __eq__ = _binop("=")
    __ne__ = _binop("!=")
    __lt__ = _binop("<")
    __le__ = _binop("<=")
    __gt__ = _binop(">")
    __ge__ = _binop(">=")
    __and__ = _binop("and")
    __rand__ = _binop("and", True)
    __or__ = _binop("or")
    __ror__ = _binop("or", True)
    eqNullSafe = _binop("<=>")

    def __pow__(self, other):
        from . import functions as F
        return F.pow(self, other)

    def __rpow__(self, other):
        from . import functions as F
        return F.pow(other, self)

    def __neg__(self):
        return _lit(0) - self

    def __invert__(self):
        return self._new(self._c.not_(), "(NOT %s)" % self._name)

    def __bool__(self):
        raise ValueError("Cannot convert column into bool: please use '&' for 'and', '|' for "
                         "'or', '~' for 'not' when building DataFrame boolean expressions.")

    __hash__ = object.__hash__

    def __contains__(self, item):
        raise ValueError("Cannot apply 'in' operator against a column: please use 'contains' "
                         "in a string column or 'array_contains' function for an array column.")

    def __iter__(self):
        raise TypeError("Column is not iterable")

    # ---- Names and types -----------------------------------------------------------
    def alias(self, *alias, **kwargs):
        """The column named alias."""
        return Column(self._c.alias(alias[0]), alias[0], self._udfs)

    name = alias

    def cast(self, dataType):
        """The column cast to a type (a DataType or a SQL type name)."""
        t = _type_name(dataType)
        return self._new(self._c.cast(t), "CAST(%s AS %s)" % (self._name, t.upper()))

    astype = cast

    # ---- Predicates ----------------------------------------------------------------
    def isNull(self):
        return self._new(self._c.is_null(), "(%s IS NULL)" % self._name)

    def isNotNull(self):
        return self._new(self._c.is_not_null(), "(%s IS NOT NULL)" % self._name)

    def like(self, other):
        return self._new(self._c.like(other), "%s LIKE %s" % (self._name, other))

    def ilike(self, other):
        from . import functions as F
        return F.lower(self).like(other.lower())

    def rlike(self, other):
        return self._new(self._c.rlike(other), "%s RLIKE %s" % (self._name, other))

    def isin(self, *cols):
        """Whether the value is one of cols (values or Columns)."""
        if len(cols) == 1 and isinstance(cols[0], (list, set, tuple)):
            cols = tuple(cols[0])
        cs = [_lit(c) for c in cols]
        return Column(self._c.isin([c._c for c in cs]),
                      "(%s IN (%s))" % (self._name, ", ".join(c._name for c in cs)),
                      _merge(self, *cs))

    def between(self, lowerBound, upperBound):
        return (self >= lowerBound) & (self <= upperBound)

    def _fn(self, name, *args):
        from . import functions as F
        return F._call(name, self, *args)

    def startswith(self, other):
        return self._fn("startswith", _lit(other))

    def endswith(self, other):
        return self._fn("endswith", _lit(other))

    def contains(self, other):
        return self._fn("contains", _lit(other))

    def substr(self, startPos, length):
        return self._fn("substring", _lit(startPos), _lit(length))

    def getItem(self, key):
        """An array's item (from 0) or a map's value."""
        if isinstance(key, int) and not isinstance(key, bool):
            return self._fn("element_at", _lit(key + 1))
        return self._fn("element_at", _lit(key))

    def getField(self, name):
        """A struct's field (of a column named by F.col or df["name"])."""
        base = getattr(self, "_colname", None)
        if base is None:
            raise NotImplementedError("getField: only of a column given by its name")
        from . import functions as F
        return F.col("%s.%s" % (base, name))

    def __getitem__(self, k):
        if isinstance(k, slice):
            return self.substr(k.start, k.stop)
        return self.getItem(k)

    def __getattr__(self, item):
        if item.startswith("_"):
            raise AttributeError(item)
        return self.getField(item)

    # ---- Order -----------------------------------------------------------------------
    def asc(self):
        return self._new(self._c.asc(), "%s ASC NULLS FIRST" % self._name)

    asc_nulls_first = asc

    def asc_nulls_last(self):
        return self._new(self._c.asc_nulls_last(), "%s ASC NULLS LAST" % self._name)

    def desc(self):
        return self._new(self._c.desc(), "%s DESC NULLS LAST" % self._name)

    desc_nulls_last = desc

    def desc_nulls_first(self):
        return self._new(self._c.desc_nulls_first(), "%s DESC NULLS FIRST" % self._name)

    # ---- CASE ------------------------------------------------------------------------
    def when(self, condition, value):
        """Another WHEN of a column made by functions.when."""
        value = _lit(value)
        return Column(self._c.when(condition._c, value._c),
                      "%s WHEN %s THEN %s" % (self._name, condition._name, value._name),
                      _merge(self, condition, value))

    def otherwise(self, value):
        value = _lit(value)
        return Column(self._c.otherwise(value._c), "%s ELSE %s END" % (self._name, value._name),
                      _merge(self, value))

    # ---- Windows ---------------------------------------------------------------------
    def over(self, window):
        """An aggregate or window function over a WindowSpec."""
        from .window import WindowSpec
        if not isinstance(window, WindowSpec):
            raise TypeError("over() takes a WindowSpec")
        c = self._c.over([c._c for c in window._part], [c._c for c in window._order],
                         window._frame)
        return Column(c, "%s OVER (...)" % self._name, _merge(self, *window._part, *window._order))

    def __repr__(self):
        return "Column<'%s'>" % self._name
