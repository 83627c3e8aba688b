"""SparkSession: the entry point of DataFrames and SQL (PySpark's
pyspark.sql.SparkSession), over kiln's session and the kiln.SparkContext."""
import datetime
import threading

import _kiln

from . import column as _column
from .dataframe import DataFrame
from .readwriter import DataFrameReader
from .types import (BooleanType, DataType, DateType, DoubleType, LongType, Row, StringType,
                    StructField, StructType, TimestampType, _infer_type, _parse_type, _quote,
                    _to_kiln)

__all__ = ["SparkSession"]


class _Conf:
    """spark.conf: the session's settings."""

    def __init__(self, session):
        self._session = session

    def set(self, key, value):
        if isinstance(value, bool):
            value = "true" if value else "false"
        self._session._s.conf_set(key, str(value))

    def get(self, key, default=None):
        v = self._session._s.conf_get(key)
        return default if v is None else v

    def unset(self, key):
        pass


class _Builder:
    """SparkSession.builder."""

    def __init__(self):
        self._options = {}

    def master(self, master):
        return self.config("spark.master", master)

    def appName(self, name):
        return self.config("spark.app.name", name)

    def config(self, key=None, value=None, conf=None):
        if conf is not None:
            for k, v in conf.getAll():
                self._options[k] = v
        if key is not None:
            self._options[key] = "true" if value is True else ("false" if value is False
                                                                else str(value))
        return self

    def enableHiveSupport(self):
        return self

    def getOrCreate(self):
        """The running session (its settings updated), else a new one over the
        running SparkContext or a new context."""
        from ..conf import SparkConf
        from ..context import SparkContext
        with SparkSession._lock:
            sess_opts = {k: v for k, v in self._options.items()
                         if k.startswith(("spark.sql.", "kiln.sql."))}
            s = SparkSession._instance
            if not _live(s):
                sc = SparkContext._active
                if sc is None:
                    conf = SparkConf()
                    for k, v in self._options.items():
                        if k not in sess_opts:
                            conf.set(k, v)
                    if not conf.contains("spark.master"):
                        conf.setMaster("local[*]")
                    if not conf.contains("spark.app.name"):
                        conf.setAppName("kiln")
                    sc = SparkContext(conf=conf)
                s = SparkSession(sc)
            for k, v in sess_opts.items():
                s.conf.set(k, v)
            return s


class _classproperty:
    def __init__(self, f):
        self.f = f

    def __get__(self, obj, owner):
        return self.f(owner)


class SparkSession:
    """A SQL session over a SparkContext."""

    _instance = None
    _lock = threading.RLock()

    @_classproperty
    def builder(cls):
        return _Builder()

    def __init__(self, sparkContext, jsparkSession=None):
        self._sc = sparkContext
        self._s = _kiln.Session(sparkContext._ctx())
        self._stopped = False
        from .udf import UDFRegistration
        self._udf = UDFRegistration(self)
        _column._active["session"] = self
        if not _live(SparkSession._instance):
            SparkSession._instance = self

    @classmethod
    def getActiveSession(cls):
        """The session getOrCreate returns, None when there is none or its
        SparkContext has been stopped."""
        s = cls._instance
        return s if _live(s) else None

    active = getActiveSession

    @property
    def sparkContext(self):
        return self._sc

    @property
    def version(self):
        return _kiln.version()

    @property
    def conf(self):
        return _Conf(self)

    @property
    def read(self):
        return DataFrameReader(self)

    @property
    def udf(self):
        return self._udf

    def newSession(self):
        return SparkSession(self._sc)

    def sql(self, sqlQuery, args=None, **kwargs):
        """The DataFrame of a query (a command runs now)."""
        return DataFrame(self._s.sql(sqlQuery), self)

    def table(self, tableName):
        return DataFrame(self._s.table(tableName), self)

    def range(self, start, end=None, step=1, numPartitions=None):
        if end is None:
            start, end = 0, start
        return DataFrame(self._s.range(start, end, step, numPartitions or 0), self)

    # ---- createDataFrame --------------------------------------------------------------
    def createDataFrame(self, data, schema=None, samplingRatio=None, verifySchema=True):
        """A DataFrame of a list of tuples / Rows / dicts / values, an RDD of
        them, or a pandas DataFrame; schema a StructType, DDL, a type (one
        column `value`) or a list of column names (types inferred)."""
        from ..rdd import RDD
        try:
            import pandas as pd
        except ImportError:
            pd = None
        if pd is not None and isinstance(data, pd.DataFrame):
            from .pandas_conv import from_pandas
            return from_pandas(self, data, schema)
        names = None
        if isinstance(schema, (list, tuple)):
            names, schema = list(schema), None
        elif isinstance(schema, str):
            schema = _ddl_schema(schema)
        elif isinstance(schema, DataType) and not isinstance(schema, StructType):
            schema = StructType([StructField("value", schema)])
        if isinstance(data, RDD):
            rdd = data
            sample = rdd.take(100) if schema is None else []
        else:
            data = list(data)
            sample = data
            rdd = None
        if schema is None:
            schema = _infer_schema(sample, names)
        elif names:
            pass
        flat = len(schema.fields)
        convs = [_to_kiln(f.dataType) for f in schema.fields]
        fields = schema.names

        def to_tuple(r):
            if isinstance(r, dict):
                r = [r.get(f) for f in fields]
            elif isinstance(r, Row) and hasattr(r, "__fields__"):
                r = [r[f] if f in r.__fields__ else None for f in fields]
            elif not isinstance(r, (list, tuple)):
                r = [r]
            if len(r) != flat:
                raise ValueError("Length of object (%d) does not match with length of fields "
                                 "(%d)" % (len(r), flat))
            return tuple(v if c is None else c(v) for c, v in zip(convs, r))
        if rdd is None:
            rdd = self._sc.parallelize([to_tuple(r) for r in data])
        else:
            rdd = rdd.map(to_tuple)
        return DataFrame(self._s.create_from_rdd(rdd._c(), schema.ddl()), self)

    def stop(self):
        """Stops the session and its SparkContext; the active session is
        cleared (getOrCreate makes a new one, on a new context)."""
        with SparkSession._lock:
            if not self._stopped:
                self._s.stop()
                self._stopped = True
                self._sc.stop()
            if SparkSession._instance is self:
                SparkSession._instance = None
            if _column._active["session"] is self:
                _column._active["session"] = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _live(session):
    """Whether session is a session that can run: neither it nor its
    SparkContext stopped (a context stopped on its own ends its sessions,
    as PySpark's getOrCreate sees)."""
    return session is not None and not session._stopped and not session._sc._stopped


def _ddl_schema(ddl):
    """A StructType of DDL ("a INT, b STRING"), or of a single type name."""
    try:
        return StructType([StructField("value", _parse_type(ddl))])
    except ValueError:
        pass
    fields, depth, cur = [], 0, ""
    for ch in ddl + ",":
        if ch == "," and depth == 0:
            part = cur.strip()
            if part:
                name, _, t = part.partition(" ") if not part.startswith("`") else \
                    (part[1:part.index("`", 1)], None, part[part.index("`", 1) + 1:])
                t = t.strip()
                if t.startswith(":"):
                    t = t[1:]
                nullable = not t.upper().endswith("NOT NULL")
                if not nullable:
                    t = t[:-8]
                fields.append(StructField(name.strip(), _parse_type(t.strip()), nullable))
            cur = ""
            continue
        depth += ch in "<(" and 1 or 0
        depth -= ch in ">)" and 1 or 0
        cur += ch
    return StructType(fields)


def _infer_schema(rows, names=None):
    """The schema of rows (tuples, Rows, dicts or single values): each column's
    type that of its first non-null value (string when all are null)."""
    if not rows:
        if names:
            return StructType([StructField(n, StringType()) for n in names])
        raise ValueError("can not infer schema from empty dataset")
    first = rows[0]
    if isinstance(first, dict):
        cols = list(first.keys())
        tuples = [[r.get(c) for c in cols] for r in rows]
    elif isinstance(first, Row) and hasattr(first, "__fields__"):
        cols = list(first.__fields__)
        tuples = rows
    elif isinstance(first, (list, tuple)):
        cols = ["_%d" % (i + 1) for i in range(len(first))]
        tuples = rows
    else:
        cols = ["value"]
        tuples = [[r] for r in rows]
    if names:
        cols = list(names) + cols[len(names):]
    fields = []
    for i, c in enumerate(cols):
        t = next((t for t in (_infer_type(r[i]) for r in tuples) if t is not None),
                 StringType())
        fields.append(StructField(c, t))
    return StructType(fields)
