"""SparkConf: settings for a SparkContext, with PySpark's methods.

Keys are kiln's (`kiln conf --keys` lists them) or Spark's: a spark.* key
with a kiln equivalent is read as it (kiln logs which)."""

__all__ = ["SparkConf"]


class SparkConf:
    """Key-value settings (PySpark's SparkConf)."""

    def __init__(self, loadDefaults=True, _jvm=None, _jconf=None):
        self._settings = {}

    def set(self, key, value):
        self._settings[str(key)] = str(value)
        return self

    def setIfMissing(self, key, value):
        if key not in self._settings:
            self.set(key, value)
        return self

    def setMaster(self, value):
        return self.set("kiln.master", value)

    def setAppName(self, value):
        return self.set("kiln.app.name", value)

    def setSparkHome(self, value):
        return self

    def setExecutorEnv(self, key=None, value=None, pairs=None):
        return self

    def setAll(self, pairs):
        for k, v in pairs:
            self.set(k, v)
        return self

    def get(self, key, defaultValue=None):
        for k in _aliases(key):
            if k in self._settings:
                return self._settings[k]
        return defaultValue

    def getAll(self):
        return list(self._settings.items())

    def contains(self, key):
        return any(k in self._settings for k in _aliases(key))

    def toDebugString(self):
        return "\n".join("%s=%s" % kv for kv in self._settings.items())

    def _as_dict(self):
        return dict(self._settings)


def _aliases(key):
    if key.startswith("spark."):
        return (key, "kiln." + key[len("spark."):])
    if key.startswith("kiln."):
        return (key, "spark." + key[len("kiln."):])
    return (key,)
