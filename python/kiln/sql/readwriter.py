"""DataFrameReader and DataFrameWriter (spark.read, df.write)."""
from .types import StructType

__all__ = ["DataFrameReader", "DataFrameWriter"]


def _optval(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class _Options:
    """format, option and options, shared by the reader and the writer."""

    def format(self, source):
        self._format = source
        return self

    def option(self, key, value):
        self._options[key] = _optval(value)
        return self

    def options(self, **options):
        for k, v in options.items():
            self.option(k, v)
        return self


class DataFrameReader(_Options):
    """spark.read: format, options and schema, then load (csv, json, text, parquet)."""

    def __init__(self, session):
        self._session = session
        self._format = "csv"
        self._schema = None
        self._options = {}

    def schema(self, schema):
        """The schema: a StructType or DDL ("a INT, b STRING")."""
        self._schema = schema.ddl() if isinstance(schema, StructType) else schema
        return self

    def load(self, path=None, format=None, schema=None, **options):
        if format:
            self.format(format)
        if schema is not None:
            self.schema(schema)
        self.options(**{k: v for k, v in options.items() if v is not None})
        if isinstance(path, (list, tuple)):
            path = ",".join(str(p) for p in path)
        from .dataframe import DataFrame
        return DataFrame(self._session._s.read(self._format, self._schema, self._options,
                                               str(path)), self._session)

    def csv(self, path, schema=None, sep=None, header=None, inferSchema=None, **options):
        opts = dict(options, sep=sep, header=header, inferSchema=inferSchema)
        return self.load(path, "csv", schema, **opts)

    def json(self, path, schema=None, **options):
        return self.load(path, "json", schema, **options)

    def text(self, paths, wholetext=False, lineSep=None, **options):
        return self.load(paths, "text", None, lineSep=lineSep, **options)

    def parquet(self, *paths, **options):
        """Parquet files, directories or globs (kiln's own reader); options
        as Spark's: mergeSchema, basePath, ..."""
        return self.load(list(paths), "parquet", None, **options)

    def table(self, tableName):
        return self._session.table(tableName)


class DataFrameWriter(_Options):
    """df.write: format, mode and options, then save (csv, json, text, parquet)."""

    def __init__(self, df):
        self._df = df
        self._format = None
        self._mode = "errorifexists"
        self._options = {}
        self._partition_by = None

    def mode(self, saveMode):
        self._mode = saveMode or "errorifexists"
        return self

    def partitionBy(self, *cols):
        """Rows go to col=value/ directories (Hive-style), the columns left
        out of the files; partitionBy("a", "b") or partitionBy(["a", "b"])."""
        if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
            cols = cols[0]
        self._partition_by = [str(c) for c in cols]
        return self

    def save(self, path=None, format=None, mode=None, partitionBy=None, **options):
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        if partitionBy is not None:
            self.partitionBy(partitionBy if isinstance(partitionBy, (list, tuple)) else [partitionBy])
        self.options(**{k: v for k, v in options.items() if v is not None})
        self._df._j.write(self._format, self._mode, self._options, str(path), self._partition_by)

    def csv(self, path, mode=None, header=None, sep=None, partitionBy=None, **options):
        self.save(path, "csv", mode, partitionBy, header=header, sep=sep, **options)

    def json(self, path, mode=None, partitionBy=None, **options):
        self.save(path, "json", mode, partitionBy, **options)

    def text(self, path, partitionBy=None, **options):
        self.save(path, "text", None, partitionBy, **options)

    def parquet(self, path, mode=None, partitionBy=None, compression=None, **options):
        """Parquet part files (snappy unless compression says otherwise)."""
        self.save(path, "parquet", mode, partitionBy, compression=compression, **options)
