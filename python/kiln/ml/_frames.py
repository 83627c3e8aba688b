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


def with_columns(df, fn, names, featuresCol):
    """df with the columns names appended, fn(features) giving their values."""
    cols = list(df.columns)
    idx = cols.index(featuresCol)

    def add(row):
        values = tuple(row)
        extra = tuple(_python_value(v) for v in fn(values[idx]))
        return values + extra

    rdd = df.rdd.map(add)
    return _stored(_session(df).createDataFrame(rdd, cols + list(names)))


def with_vector_column(df, fn, name, inputCols):
    """df with the column name = fn(tuple of the inputCols' values) appended."""
    cols = list(df.columns)
    idx = [cols.index(c) for c in inputCols]

    def add(row):
        values = tuple(row)
        return values + (_python_value(fn(tuple(values[i] for i in idx))),)

    return _stored(_session(df).createDataFrame(df.rdd.map(add), cols + [name]))


def _stored(df):
    """df persisted and computed. With Python worker processes (local[N], an
    executor of several cores) a Python stage cannot yet read a DataFrame made
    from a Python stage in the same task ("Python worker: lost its task
    thread"): the transform's output is stored once, so what reads it later
    (an evaluator, the next stage) reads rows, not a Python stage."""
    df.persist()
    df.count()
    return df


def splits(df, folds, seed):
    """[(train, test)] DataFrames: k folds of df (an int) or one (ratio, rest) split."""
    import _kiln

    from ..rdd import RDD
    rdd = df.rdd.persist()  # computed before kiln samples it: see _stored
    rdd.count()
    h, sc = rdd._c(), rdd.ctx
    session, cols = _session(df), list(df.columns)

    def frame(x):
        return _stored(session.createDataFrame(RDD(x, sc), cols))

    if isinstance(folds, float):
        a, b = _kiln.ml_random_split(h, [folds, 1.0 - folds], seed)
        return [(frame(a), frame(b))]
    return [tuple(map(frame, _kiln.ml_kfold(h, folds, f, seed))) for f in range(folds)]
