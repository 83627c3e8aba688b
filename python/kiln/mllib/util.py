"""kiln.mllib.util: MLUtils (loadLibSVMFile, saveAsLibSVMFile, and kiln's
loadCSVFile and loadHashedFeatures) of pyspark.mllib.util on kiln's loaders."""
import numpy as np

import _kiln

from ..ml.linalg import _from_kiln
from ..rdd import RDD
from .regression import LabeledPoint

__all__ = ["MLUtils"]


def _labeled(p):
    return LabeledPoint(p[0], _from_kiln(p[1]))


class MLUtils:
    """Loading and saving labeled points."""

    @staticmethod
    def loadLibSVMFile(sc, path, numFeatures=-1, minPartitions=None):
        """An RDD of LabeledPoints with SparseVector features of LIBSVM text
        (1-based indices); numFeatures -1 infers it (a job)."""
        h = _kiln.ml_load_libsvm(sc._ctx(), str(path), max(int(numFeatures), 0),
                                 int(minPartitions or 0))
        return RDD(h, sc).map(_labeled)

    @staticmethod
    def loadCSVFile(sc, path, labelColumn=0, delimiter=",", header=False, minPartitions=None):
        """(kiln) An RDD of LabeledPoints with DenseVector features of delimited
        numbers: every column but labelColumn is a feature, in order."""
        h = _kiln.ml_load_csv(sc._ctx(), str(path), delimiter, int(labelColumn), bool(header),
                              int(minPartitions or 0))
        return RDD(h, sc).map(_labeled)

    @staticmethod
    def loadHashedFeatures(sc, path, labelColumn=0, numericColumns=(), ignoreColumns=(),
                           numFeatures=2 ** 18, delimiter=",", header=False, minPartitions=None):
        """(kiln) An RDD of LabeledPoints of delimited text by feature hashing: numeric
        columns hash by column with their value, any other non-empty column c with text
        s becomes feature hash("c=" + s) with value 1 (XXH3, mod numFeatures;
        collisions add)."""
        h = _kiln.ml_hash_features(sc._ctx(), str(path), int(labelColumn), list(numericColumns),
                                   list(ignoreColumns), int(numFeatures), delimiter,
                                   bool(header), int(minPartitions or 0))
        return RDD(h, sc).map(_labeled)

    @staticmethod
    def saveAsLibSVMFile(data, dir):
        """Saves an RDD of LabeledPoints as LIBSVM text files in dir."""
        def line(p):
            v = p.features
            if hasattr(v, "indices"):
                items = zip(v.indices.tolist(), v.values.tolist())
            else:
                items = ((i, x) for i, x in enumerate(np.asarray(v.toArray()).tolist()) if x)
            return " ".join([repr(float(p.label))] + ["%d:%r" % (i + 1, x) for i, x in items])
        data.map(line).saveAsTextFile(dir)

    @staticmethod
    def appendBias(data):
        """The vector with a 1.0 appended."""
        from ..ml.linalg import DenseVector, _array
        return DenseVector(np.append(_array(data), 1.0))
