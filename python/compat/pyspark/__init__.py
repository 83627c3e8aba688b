"""pyspark: kiln's opt-in compatibility package (not Apache Spark).

Labs written for PySpark run on kiln with their import lines unchanged:

    PYTHONPATH=build/python:python/compat python3 lab.py

`import pyspark` says on stderr that this is kiln, and refuses to load
(ImportError) when a real PySpark is importable from another sys.path
entry, which this package would otherwise shadow. Every `pyspark.X` module
is kiln's `kiln.X` (pyspark.sql.functions is kiln.sql.functions...),
resolved when first imported, so modules of kiln that a build lacks fail
only when used (python/README.md, "The pyspark compatibility package").
"""
import importlib.machinery
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_MINE = os.path.dirname(_HERE)


def _real_pyspark():
    """The location of another pyspark importable from sys.path, or None."""
    others = []
    for entry in sys.path:
        try:
            same = os.path.samefile(entry or os.curdir, _MINE)
        except OSError:
            same = False
        if not same:
            others.append(entry)
    spec = importlib.machinery.PathFinder.find_spec("pyspark", others)
    if spec is None or spec.origin in (None, "namespace"):
        return None  # nothing, or a bare directory named pyspark
    return spec.origin


_other = _real_pyspark()
if _other is not None:
    raise ImportError(
        "pyspark: kiln's compatibility package (%s) will not shadow the PySpark at %s; take "
        "%s off PYTHONPATH to use that one, or uninstall it to run on kiln"
        % (_HERE, _other, _MINE), name="pyspark", path=_other)

import kiln as _kiln  # noqa: E402

from kiln import (RDD, Accumulator, AccumulatorParam, Broadcast, SparkConf,  # noqa: E402
                  SparkContext, StorageLevel, TaskContext)
from kiln.errors import PythonException  # noqa: E402,F401

__version__ = _kiln.__version__
__kiln__ = True  # lets a program tell kiln's pyspark from Apache's

if not os.environ.get("KILN_PYSPARK_QUIET"):
    sys.stderr.write("pyspark: this is kiln %s's compatibility package, not Apache Spark\n"
                     % __version__)
    os.environ["KILN_PYSPARK_QUIET"] = "1"  # once: executors and workers inherit it

__all__ = ["SparkConf", "SparkContext", "RDD", "StorageLevel", "Broadcast", "Accumulator",
           "AccumulatorParam", "TaskContext", "SparkFiles", "Row", "SQLContext", "HiveContext"]

# PySpark's top level also names SQL classes; they come from kiln.sql when asked for.
_FROM_SQL = {"Row", "SQLContext", "HiveContext", "SparkSession"}


def __getattr__(name):
    if name in _FROM_SQL:
        from . import sql
        return getattr(sql, name)
    if name == "SparkFiles":
        from .files import SparkFiles
        return SparkFiles
    raise AttributeError("module 'pyspark' has no attribute %r" % name)


from ._alias import install as _install  # noqa: E402

_install()
