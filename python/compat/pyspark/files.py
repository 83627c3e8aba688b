"""pyspark.files: SparkFiles, where files added with SparkContext.addFile
are found. kiln's driver and local executors share a file system, so
SparkFiles.get gives the path the file was added from."""
import os

__all__ = ["SparkFiles"]


class SparkFiles:
    """PySpark's SparkFiles for kiln (local and local-cluster modes)."""

    @classmethod
    def get(cls, filename):
        """The absolute path of a file added with SparkContext.addFile."""
        from kiln import SparkContext
        sc = SparkContext._active
        for path in getattr(sc, "_files", []) if sc is not None else []:
            if os.path.basename(path) == filename:
                return path
        return os.path.join(cls.getRootDirectory(), filename)

    @classmethod
    def getRootDirectory(cls):
        """The directory added files are found in (the working directory)."""
        return os.getcwd()
