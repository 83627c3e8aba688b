"""createDataFrame of a pandas DataFrame, column by column
(kiln_session_create_data_frame_columns): numeric, boolean and datetime64
columns travel as buffers; object columns of str / bytes as lists read in
C; other object columns (dates, Python ints with None...) are converted
to arrays first. NaN in a float column becomes null (as Arrow does), so
toPandas and back keeps the data."""
import datetime

import _kiln

__all__ = ["from_pandas"]

_INTS = {1: ("tinyint", 2), 2: ("smallint", 3), 4: ("int", 4), 8: ("bigint", 5)}


def _column(np, pd, name, s):
    """(name, type, kind, data, valid) of a pandas Series."""
    dt = s.dtype
    isna = s.isna().to_numpy()
    valid = None if not isna.any() else np.ascontiguousarray(~isna, dtype=np.uint8)
    if isinstance(dt, pd.api.extensions.ExtensionDtype) and not isinstance(
            dt, pd.DatetimeTZDtype):
        kind = dt.kind
        if kind in "iu":
            arr = s.to_numpy(dtype="int64", na_value=0)
            return (name, "bigint", 5, arr, valid)
        if kind == "f":
            return (name, "double", 7, s.to_numpy(dtype="float64", na_value=0.0), valid)
        if kind == "b":
            return (name, "boolean", 1, s.to_numpy(dtype="uint8", na_value=0), valid)
        return (name, "string", 10, [None if m else str(v) for v, m in zip(s, isna)], None)
    if isinstance(dt, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        dt = s.dtype
    if dt.kind in "iu":
        arr = s.to_numpy()
        if dt.kind == "u" and dt.itemsize >= 4:
            arr = arr.astype("int64")
        elif dt.kind == "u":
            arr = arr.astype({1: "int16", 2: "int32"}[dt.itemsize])
        t, kind = _INTS[arr.dtype.itemsize]
        return (name, t, kind, np.ascontiguousarray(arr), None)
    if dt.kind == "f":
        arr = np.ascontiguousarray(s.to_numpy())
        if dt.itemsize == 4:
            return (name, "float", 6, arr, valid)
        return (name, "double", 7, arr.astype("float64", copy=False), valid)
    if dt.kind == "b":
        return (name, "boolean", 1, np.ascontiguousarray(s.to_numpy()).view(np.uint8), None)
    if dt.kind == "M":
        arr = s.to_numpy().astype("datetime64[us]").view("int64")
        return (name, "timestamp", 9, np.ascontiguousarray(np.where(isna, 0, arr)), valid)
    if dt.kind == "m":
        raise TypeError("column %s: timedelta columns are not supported" % name)
    # object: by the first value that is not null
    vals = s.to_numpy()
    first = next((v for v, m in zip(vals, isna) if not m), None)
    if first is None or isinstance(first, str):
        return (name, "string", 10, [None if m else v for v, m in zip(vals, isna)], None)
    if isinstance(first, (bytes, bytearray)):
        return (name, "binary", 11, [None if m else bytes(v) for v, m in zip(vals, isna)], None)
    if isinstance(first, (bool, np.bool_)):
        arr = np.array([False if m else bool(v) for v, m in zip(vals, isna)], dtype=np.uint8)
        return (name, "boolean", 1, arr, valid)
    if isinstance(first, (int, np.integer)):
        arr = np.array([0 if m else int(v) for v, m in zip(vals, isna)], dtype=np.int64)
        return (name, "bigint", 5, arr, valid)
    if isinstance(first, (float, np.floating)):
        arr = np.array([0.0 if m else float(v) for v, m in zip(vals, isna)], dtype=np.float64)
        return (name, "double", 7, arr, valid)
    if isinstance(first, datetime.datetime):
        arr = pd.to_datetime(s).to_numpy().astype("datetime64[us]").view("int64")
        return (name, "timestamp", 9, np.ascontiguousarray(np.where(isna, 0, arr)), valid)
    if isinstance(first, datetime.date):
        arr = np.array([np.datetime64(v, "D") if not m else np.datetime64(0, "D")
                        for v, m in zip(vals, isna)]).view("int64").astype("int32")
        return (name, "date", 8, arr, valid)
    return None


def from_pandas(session, pdf, schema=None):
    """A kiln DataFrame of pdf's columns; schema (a StructType, DDL or a list of
    names) renames and casts them afterwards."""
    import numpy as np
    import pandas as pd
    from .dataframe import DataFrame
    from .types import StructType
    specs = []
    for i, name in enumerate(pdf.columns):
        spec = _column(np, pd, str(name), pdf.iloc[:, i])
        if spec is None:  # values the columnar path does not take (lists...)
            return session.createDataFrame([tuple(r) for r in pdf.itertuples(index=False)],
                                           schema or [str(c) for c in pdf.columns])
        specs.append(spec)
    df = DataFrame(_kiln.create_from_columns(session._s, len(pdf), specs), session)
    if schema is None:
        return df
    if isinstance(schema, (list, tuple)):
        return df.toDF(*schema)
    if isinstance(schema, str):
        from .session import _ddl_schema
        schema = _ddl_schema(schema)
    from . import functions as F
    return df.select(*[F.col(c).cast(f.dataType).alias(f.name)
                       for c, f in zip(df.columns, schema.fields)])
