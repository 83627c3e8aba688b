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
    """spark.read: format, options and schema, then load (csv, json, text)."""

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

    def table(self, tableName):
        return self._session.table(tableName)


class DataFrameWriter(_Options):
    """df.write: format, mode and options, then save (csv, json, text, parquet)."""

    def __init__(self, df):
        self._df = df
        self._format = None
        self._mode = "errorifexists"
        self._options = {}

    def mode(self, saveMode):
        self._mode = saveMode or "errorifexists"
        return self

    def save(self, path=None, format=None, mode=None, **options):
        if format:
            self.format(format)
        if mode:
            self.mode(mode)
        self.options(**{k: v for k, v in options.items() if v is not None})
        self._df._j.write(self._format, self._mode, self._options, str(path))

    def csv(self, path, mode=None, header=None, sep=None, **options):
        self.save(path, "csv", mode, header=header, sep=sep, **options)

    def json(self, path, mode=None, **options):
        self.save(path, "json", mode, **options)

    def text(self, path, **options):
        self.save(path, "text", None, **options)

    def parquet(self, path, mode=None, compression=None, **options):
        self.save(path, "parquet", mode, compression=compression, **options)
