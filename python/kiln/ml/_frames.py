"""DataFrames in and out of kiln.ml, through PySpark's DataFrame API
(df.select(cols).rdd, spark.createDataFrame(rdd, schema)).

Everything DataFrame-specific in kiln.ml is here. It is written against
PySpark's API and NOT YET TESTED: kiln.sql's Python DataFrames were being
written in parallel (python/README.md, kiln.ml). Vector columns are
assumed to come back from Rows as the vectors they went in as (kiln's
vector value, a numpy array, or a pickled Vector).
"""
from .linalg import _from_kiln, _to_kiln


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
    # Vectors go into DataFrames as Vector objects (the UDT PySpark has);
    # floats and lists of floats as they are.
    if isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], (bytes, bytearray)):
        return _from_kiln(v)
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
    return _session(df).createDataFrame(rdd, cols + list(names))


def with_vector_column(df, fn, name, inputCols):
    """df with the column name = fn(tuple of the inputCols' values) appended."""
    cols = list(df.columns)
    idx = [cols.index(c) for c in inputCols]

    def add(row):
        values = tuple(row)
        return values + (fn(tuple(values[i] for i in idx)),)

    return _session(df).createDataFrame(df.rdd.map(add), cols + [name])


def splits(df, folds, seed):
    """[(train, test)] DataFrames: k folds of df (an int) or one (ratio, rest) split."""
    import _kiln

    from ..rdd import RDD
    rdd = df.rdd
    h, sc = rdd._c(), rdd.ctx
    session, cols = _session(df), list(df.columns)

    def frame(x):
        return session.createDataFrame(RDD(x, sc), cols)

    if isinstance(folds, float):
        a, b = _kiln.ml_random_split(h, [folds, 1.0 - folds], seed)
        return [(frame(a), frame(b))]
    return [tuple(map(frame, _kiln.ml_kfold(h, folds, f, seed))) for f in range(folds)]
