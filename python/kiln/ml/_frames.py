"""DataFrames in and out of kiln.ml, through PySpark's DataFrame API
(df.select(cols).rdd, spark.createDataFrame(rdd, schema)).

Everything DataFrame-specific in kiln.ml is here (tested with kiln.sql in
python/tests/test_ml.py). kiln.sql has no vector type (PySpark's VectorUDT):
a vector column is array<double>. Features are read from such a column (or
from Vector objects, lists, numpy arrays) and vector outputs (probability,
rawPrediction, scaled features) are written as array<double>: a
SparseVector comes out dense.
"""
import numpy as np

from .linalg import Vector, _array, _to_kiln


def is_dataframe(obj):
    """Whether obj is a DataFrame (kiln.sql's, or anything with PySpark's shape)."""
    return hasattr(obj, "select") and hasattr(obj, "columns") and hasattr(obj, "rdd") \
        and not hasattr(obj, "mapPartitions")


def points(df, featuresCol, labelCol):
    """The (label, features) columns as an RDD of kiln's labeled points."""
    return df.select(labelCol, featuresCol).rdd.map(
        lambda r: (float(r[0]), _to_kiln(r[1])))


def vectors(df, featuresCol):
    return df.select(featuresCol).rdd.map(lambda r: _to_kiln(r[0]))


def pairs(df, predictionCol, labelCol, score):
    return df.select(predictionCol, labelCol).rdd.map(lambda r: (score(r[0]), float(r[1])))


def _session(df):
    s = getattr(df, "sparkSession", None) or getattr(df, "sql_ctx", None)
    if s is None:
        from ..sql import SparkSession
        s = SparkSession.builder.getOrCreate()
    return s


def _python_value(v):
    """A value for a DataFrame cell: vectors as lists of floats (array<double>)."""
    if isinstance(v, (Vector, np.ndarray)) or (
            isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], (bytes, bytearray))):
        return _array(v).tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _schema_plus(df, names, types):
    """df's schema with the columns names of types (type names) appended, or
    None (createDataFrame infers the types) when types is None."""
    for name in names:
        if name in df.columns:
            raise ValueError("requirement failed: Column %s already exists." % name)
    if types is None:
        return list(df.columns) + list(names)
    schema = df.schema
    schema = type(schema)(list(schema.fields))  # PySpark's df.schema is shared: a copy
    for name, t in zip(names, types):
        schema.add(name, t)
    return schema


def with_columns(df, fn, names, featuresCol, types=None):
    """df with the columns names (of types: type names, else inferred)
    appended, fn(features) giving their values. Lazy when types are given:
    nothing runs until the result is used, as Spark's transform."""
    cols = list(df.columns)
    idx = cols.index(featuresCol)

    def add(row):
        values = tuple(row)
        extra = tuple(_python_value(v) for v in fn(values[idx]))
        return values + extra

    schema = _schema_plus(df, names, types)
    return _session(df).createDataFrame(df.rdd.map(add), schema)


def with_vector_column(df, fn, name, inputCols):
    """df with the vector column name (array<double>) = fn(tuple of the
    inputCols' values) appended (lazy)."""
    cols = list(df.columns)
    idx = [cols.index(c) for c in inputCols]

    def add(row):
        values = tuple(row)
        return values + (_python_value(fn(tuple(values[i] for i in idx))),)

    schema = _schema_plus(df, [name], ["array<double>"])
    return _session(df).createDataFrame(df.rdd.map(add), schema)


def splits(df, folds, seed):
    """[(train, test)] DataFrames: k folds of df (an int) or one (ratio, rest)
    split, drawn by kiln_ml_kfold / kiln_ml_random_split over df's rows (lazy:
    each part reads df again when used; the tuning caches what it reuses)."""
    if isinstance(folds, float):
        return [tuple(df.randomSplit([folds, 1.0 - folds], seed))]
    import _kiln

    from ..rdd import RDD
    rdd = df.rdd
    h, sc = rdd._c(), rdd.ctx
    session, schema = _session(df), df.schema

    def frame(x):
        return session.createDataFrame(RDD(x, sc), schema)

    return [tuple(map(frame, _kiln.ml_kfold(h, folds, f, seed))) for f in range(folds)]
