"""kiln: PySpark's API on kiln, a data-processing engine in C.

    from kiln import SparkContext
    sc = SparkContext("local[2]", "wordcount")
    counts = (sc.textFile("book.txt").flatMap(str.split)
              .map(lambda w: (w, 1)).reduceByKey(operator.add))

Names and behaviour follow PySpark's (python/README.md lists what differs).
"""
import _kiln

from . import errors as _errors
from .accumulators import Accumulator, AccumulatorParam
from .broadcast import Broadcast
from .conf import SparkConf
from .context import SparkContext
from .errors import KilnError, PythonException
from .rdd import RDD, StatCounter
from .storagelevel import StorageLevel
from .taskcontext import TaskContext

__version__ = _kiln.version()
__all__ = ["SparkConf", "SparkContext", "RDD", "StorageLevel", "Broadcast", "Accumulator",
           "AccumulatorParam", "TaskContext", "StatCounter", "KilnError", "PythonException"]

_kiln.set_error_handler(_errors._from_kiln, _errors.KilnError)


def load_ipython_extension(ipython):
    """%load_ext kiln: defines sc and spark in the notebook (kiln.notebook)."""
    from .notebook import load
    load(ipython)


def unload_ipython_extension(ipython):
    """%unload_ext kiln: stops drawing job progress (sc and spark stay)."""
    from .notebook import unload
    unload(ipython)
