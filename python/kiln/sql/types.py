"""Spark SQL's data types and Row (PySpark's pyspark.sql.types).

Types print as Spark's SQL names (simpleString: "int", "array<string>",
"struct<a:int,b:string>") and parse back from them (_parse_type); a
StructType's DDL ("a INT, b STRING") is what schema= arguments send to kiln.
"""
import datetime
import decimal

__all__ = ["DataType", "NullType", "StringType", "BinaryType", "BooleanType", "DateType",
           "TimestampType", "TimestampNTZType", "DecimalType", "DoubleType", "FloatType",
           "ByteType", "ShortType", "IntegerType", "LongType", "ArrayType", "MapType",
           "StructField", "StructType", "Row"]


class DataType:
    """The base of the types."""

    _name = None

    def simpleString(self):
        return self._name

    def typeName(self):
        return self.simpleString()

    def __repr__(self):
        return "%s()" % type(self).__name__

    def __eq__(self, other):
        return isinstance(other, DataType) and self.simpleString() == other.simpleString()

    def __hash__(self):
        return hash(self.simpleString())


def _atomic(name, sql):
    return type(name, (DataType,), {"_name": sql, "__doc__": "Spark's %s." % name})


NullType = _atomic("NullType", "void")
StringType = _atomic("StringType", "string")
BinaryType = _atomic("BinaryType", "binary")
BooleanType = _atomic("BooleanType", "boolean")
DateType = _atomic("DateType", "date")
TimestampType = _atomic("TimestampType", "timestamp")
TimestampNTZType = _atomic("TimestampNTZType", "timestamp_ntz")
DoubleType = _atomic("DoubleType", "double")
FloatType = _atomic("FloatType", "float")
ByteType = _atomic("ByteType", "tinyint")
ShortType = _atomic("ShortType", "smallint")
IntegerType = _atomic("IntegerType", "int")
LongType = _atomic("LongType", "bigint")


class _OtherType(DataType):
    """A type kiln has that this module names only by its SQL name (intervals)."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "_OtherType(%r)" % self._name


class DecimalType(DataType):
    """decimal(precision, scale)."""

    def __init__(self, precision=10, scale=0):
        self.precision = precision
        self.scale = scale

    def simpleString(self):
        return "decimal(%d,%d)" % (self.precision, self.scale)

    def __repr__(self):
        return "DecimalType(%d,%d)" % (self.precision, self.scale)


class ArrayType(DataType):
    """array<elementType>."""

    def __init__(self, elementType, containsNull=True):
        self.elementType = elementType
        self.containsNull = containsNull

    def simpleString(self):
        return "array<%s>" % self.elementType.simpleString()

    def __repr__(self):
        return "ArrayType(%r, %s)" % (self.elementType, self.containsNull)


class MapType(DataType):
    """map<keyType,valueType>."""

    def __init__(self, keyType, valueType, valueContainsNull=True):
        self.keyType = keyType
        self.valueType = valueType
        self.valueContainsNull = valueContainsNull

    def simpleString(self):
        return "map<%s,%s>" % (self.keyType.simpleString(), self.valueType.simpleString())

    def __repr__(self):
        return "MapType(%r, %r, %s)" % (self.keyType, self.valueType, self.valueContainsNull)


class StructField(DataType):
    """A named field of a StructType."""

    def __init__(self, name, dataType, nullable=True, metadata=None):
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.metadata = metadata or {}

    def simpleString(self):
        return "%s:%s" % (self.name, self.dataType.simpleString())

    def __repr__(self):
        return "StructField(%r, %r, %s)" % (self.name, self.dataType, self.nullable)


class StructType(DataType):
    """A row's type: a list of StructFields."""

    def __init__(self, fields=None):
        self.fields = list(fields or [])

    @property
    def names(self):
        return [f.name for f in self.fields]

    def fieldNames(self):
        return self.names

    def add(self, field, data_type=None, nullable=True, metadata=None):
        """Appends a field (a StructField, or a name with a type or type name)."""
        if isinstance(field, StructField):
            self.fields.append(field)
        else:
            if isinstance(data_type, str):
                data_type = _parse_type(data_type)
            self.fields.append(StructField(field, data_type, nullable, metadata))
        return self

    def simpleString(self):
        return "struct<%s>" % ",".join(f.simpleString() for f in self.fields)

    def ddl(self):
        """The schema as DDL ("`a` INT, `b` STRING NOT NULL")."""
        return ", ".join("%s %s%s" % (_quote(f.name), f.dataType.simpleString().upper(),
                                      "" if f.nullable else " NOT NULL") for f in self.fields)

    def __iter__(self):
        return iter(self.fields)

    def __len__(self):
        return len(self.fields)

    def __getitem__(self, key):
        if isinstance(key, str):
            for f in self.fields:
                if f.name == key:
                    return f
            raise KeyError("No StructField named %s" % key)
        return self.fields[key]

    def __repr__(self):
        return "StructType([%s])" % ", ".join(repr(f) for f in self.fields)


def _quote(name):
    return "`%s`" % name.replace("`", "``")


_ATOMIC = {t._name: t for t in (NullType, StringType, BinaryType, BooleanType, DateType,
                                TimestampType, TimestampNTZType, DoubleType, FloatType,
                                ByteType, ShortType, IntegerType, LongType)}
_ATOMIC.update({"integer": IntegerType, "long": LongType, "short": ShortType,
                "byte": ByteType, "bool": BooleanType, "real": FloatType, "null": NullType})


def _parse_type(text):
    """A DataType from Spark's SQL name of a type ("array<struct<a:int>>")."""
    t, rest = _parse(text.strip())
    if rest.strip():
        raise ValueError("cannot parse the type %r" % text)
    return t


def _parse(s):
    s = s.lstrip()
    i = 0
    while i < len(s) and (s[i].isalnum() or s[i] == "_"):
        i += 1
    word, rest = s[:i].lower(), s[i:].lstrip()
    if word in ("array", "map", "struct") and rest.startswith("<"):
        rest = rest[1:]
        if word == "array":
            e, rest = _parse(rest)
            return ArrayType(e), _expect(rest, ">")
        if word == "map":
            k, rest = _parse(rest)
            rest = _expect(rest, ",")
            v, rest = _parse(rest)
            return MapType(k, v), _expect(rest, ">")
        fields = []
        rest = rest.lstrip()
        while not rest.startswith(">"):
            if rest.startswith("`"):
                end = rest.index("`", 1)
                name, rest = rest[1:end], rest[end + 1:]
            else:
                j = rest.index(":")
                name, rest = rest[:j].strip(), rest[j:]
            rest = _expect(rest, ":")
            ft, rest = _parse(rest)
            fields.append(StructField(name, ft))
            rest = rest.lstrip()
            if rest.startswith(","):
                rest = rest[1:].lstrip()
        return StructType(fields), rest[1:]
    if word == "decimal" or word == "numeric" or word == "dec":
        if rest.startswith("("):
            end = rest.index(")")
            parts = [int(x) for x in rest[1:end].split(",")]
            return DecimalType(*parts), rest[end + 1:]
        return DecimalType(10, 0), rest
    if word == "interval":
        # "interval day to second", "interval year to month"...
        j = rest.find(">")
        k = rest.find(",")
        cut = min([x for x in (j, k) if x >= 0], default=len(rest))
        return _OtherType(("interval " + rest[:cut]).strip()), rest[cut:]
    if word in ("varchar", "char") and rest.startswith("("):
        return StringType(), rest[rest.index(")") + 1:]
    if word in _ATOMIC:
        return _ATOMIC[word](), rest
    raise ValueError("unknown type %r" % word)


def _expect(s, ch):
    s = s.lstrip()
    if not s.startswith(ch):
        raise ValueError("expected %r at %r" % (ch, s))
    return s[1:]


# ---- Rows ------------------------------------------------------------------------------

class Row(tuple):
    """A row of a DataFrame: a tuple with field names (PySpark's Row).

    Row(name="Alice", age=11) makes a row; Row("name", "age") makes a row
    class to call with values. Fields are read as r.name, r["name"] or r[0].
    """

    def __new__(cls, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            row = tuple.__new__(cls, list(kwargs.values()))
            row.__fields__ = list(kwargs.keys())
            return row
        return tuple.__new__(cls, args)

    @classmethod
    def _make(cls, values, fields):
        row = tuple.__new__(cls, values)
        row.__fields__ = fields
        return row

    def asDict(self, recursive=False):
        """The row as a dict (nested Rows too when recursive)."""
        if not hasattr(self, "__fields__"):
            raise TypeError("Cannot convert a Row class into dict")

        def conv(v):
            if not recursive:
                return v
            if isinstance(v, Row):
                return v.asDict(True)
            if isinstance(v, list):
                return [conv(x) for x in v]
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            return v
        return {k: conv(v) for k, v in zip(self.__fields__, self)}

    def __contains__(self, item):
        if hasattr(self, "__fields__"):
            return item in self.__fields__
        return super().__contains__(item)

    def __call__(self, *args):
        """A Row class (Row("a", "b")) called with values makes a row."""
        if len(args) > len(self):
            raise ValueError("Can not create Row with fields %s, expected %d values but got %s"
                             % (self, len(self), args))
        return Row._make(args, list(self))

    def __getitem__(self, item):
        if isinstance(item, (int, slice)):
            return super().__getitem__(item)
        try:
            return super().__getitem__(self.__fields__.index(item))
        except (IndexError, AttributeError, ValueError):
            raise KeyError(item)

    def __getattr__(self, item):
        if item.startswith("__"):
            raise AttributeError(item)
        try:
            return self[self.__fields__.index(item)]
        except (IndexError, AttributeError, ValueError):
            raise AttributeError(item)

    def __setattr__(self, key, value):
        if key != "__fields__":
            raise RuntimeError("Row is read-only")
        self.__dict__[key] = value

    def __reduce__(self):
        if hasattr(self, "__fields__"):
            return (_make_row, (list(self), self.__fields__))
        return (Row, tuple(self))

    def __repr__(self):
        if hasattr(self, "__fields__"):
            return "Row(%s)" % ", ".join("%s=%r" % (k, v) for k, v in zip(self.__fields__, self))
        return "<Row(%s)>" % ", ".join(repr(f) for f in self)


def _make_row(values, fields):
    return Row._make(values, fields)


# ---- Value conversion ------------------------------------------------------------------

_EPOCH = datetime.date(1970, 1, 1)
_EPOCH_DT = datetime.datetime(1970, 1, 1)


def _from_kiln(t):
    """A function turning kiln's value of type t into PySpark's Python value
    (None when values need no conversion)."""
    if isinstance(t, DateType):
        return lambda v: None if v is None else _EPOCH + datetime.timedelta(days=v)
    if isinstance(t, (TimestampType, TimestampNTZType)):
        return lambda v: None if v is None else _EPOCH_DT + datetime.timedelta(microseconds=v)
    if isinstance(t, DecimalType):
        q = decimal.Decimal(1).scaleb(-t.scale)
        return lambda v: None if v is None else decimal.Decimal(repr(v)).quantize(q)
    if isinstance(t, ArrayType):
        e = _from_kiln(t.elementType)
        if e is None:
            return None
        return lambda v: None if v is None else [e(x) for x in v]
    if isinstance(t, MapType):
        k = _from_kiln(t.keyType) or (lambda x: x)
        e = _from_kiln(t.valueType) or (lambda x: x)
        return lambda v: None if v is None else {k(a): e(b) for a, b in v}
    if isinstance(t, StructType):
        return _row_maker(t)
    return None


def _row_maker(st):
    """kiln's tuple of a StructType's values to a Row."""
    names = st.names
    convs = [(i, c) for i, c in enumerate(_from_kiln(f.dataType) for f in st.fields)
             if c is not None]
    if not convs:
        return lambda v: None if v is None else Row._make(v, names)

    def make(v):
        if v is None:
            return None
        v = list(v)
        for i, c in convs:
            v[i] = c(v[i])
        return Row._make(v, names)
    return make


def _to_kiln(t):
    """A function turning a Python value of type t into what kiln takes
    (createDataFrame of an RDD); None when values go as they are."""
    if isinstance(t, DateType):
        def conv(v):
            if v is None or isinstance(v, int):
                return v
            if isinstance(v, datetime.datetime):
                v = v.date()
            return (v - _EPOCH).days
        return conv
    if isinstance(t, (TimestampType, TimestampNTZType)):
        def conv(v):
            if v is None or isinstance(v, int):
                return v
            if isinstance(v, datetime.date) and not isinstance(v, datetime.datetime):
                v = datetime.datetime(v.year, v.month, v.day)
            if v.tzinfo is not None:
                v = v.astimezone(datetime.timezone.utc).replace(tzinfo=None)
            d = v - _EPOCH_DT
            return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
        return conv
    if isinstance(t, DecimalType):
        return lambda v: None if v is None else (float(v) if t.scale else int(v))
    if isinstance(t, (FloatType, DoubleType)):
        return lambda v: None if v is None else float(v)
    if isinstance(t, ArrayType):
        e = _to_kiln(t.elementType)
        if e is None:
            return None
        return lambda v: None if v is None else [e(x) for x in v]
    return None


def _infer_type(v):
    """The DataType of a Python value (None for None)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return BooleanType()
    if isinstance(v, int):
        return LongType()
    if isinstance(v, float):
        return DoubleType()
    if isinstance(v, str):
        return StringType()
    if isinstance(v, (bytes, bytearray)):
        return BinaryType()
    if isinstance(v, datetime.datetime):
        return TimestampType()
    if isinstance(v, datetime.date):
        return DateType()
    if isinstance(v, decimal.Decimal):
        return DecimalType(38, 18)
    if isinstance(v, (list, tuple)) and not isinstance(v, Row):
        et = next((t for t in map(_infer_type, v) if t is not None), StringType())
        return ArrayType(et)
    raise TypeError("not supported type: %s" % type(v).__name__)
