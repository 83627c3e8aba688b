"""kiln.mllib.evaluation: RegressionMetrics, BinaryClassificationMetrics and
MulticlassMetrics of pyspark.mllib.evaluation on kiln's metrics, over RDDs of
(prediction or score, label) pairs."""
import _kiln

from ..ml import _core
from ..ml.linalg import _matrix

__all__ = ["RegressionMetrics", "BinaryClassificationMetrics", "MulticlassMetrics"]


def _pairs(rdd):
    return _core.handle(rdd.map(lambda p: (float(p[0]), float(p[1]))))


class RegressionMetrics:
    """Metrics of (prediction, observation) pairs."""

    def __init__(self, predictionAndObservations):
        self._m = _kiln.ml_regression_evaluate(_pairs(predictionAndObservations))

    @property
    def meanSquaredError(self):
        return self._m["mse"]

    @property
    def rootMeanSquaredError(self):
        return self._m["rmse"]

    @property
    def meanAbsoluteError(self):
        return self._m["mae"]

    @property
    def r2(self):
        return self._m["r2"]

    @property
    def explainedVariance(self):
        return self._m["var"]


class BinaryClassificationMetrics:
    """Exact areas under the ROC and PR curves of (score in [0, 1], 0/1 label) pairs."""

    def __init__(self, scoreAndLabels):
        self._m = _kiln.ml_binary_evaluate(_pairs(scoreAndLabels), 0.5)

    @property
    def areaUnderROC(self):
        return self._m["areaUnderROC"]

    @property
    def areaUnderPR(self):
        return self._m["areaUnderPR"]


class MulticlassMetrics:
    """Accuracy, weighted and per-class metrics of (prediction, label) pairs of
    classes 0..K-1."""

    def __init__(self, predictionAndLabels):
        pairs = predictionAndLabels.map(lambda p: (float(p[0]), float(p[1])))
        with _core.cached(pairs):
            k = int(pairs.map(lambda p: max(p)).max()) + 1
            self._m = _kiln.ml_multiclass_evaluate(_core.handle(pairs), max(k, 2))
        self._k = self._m["num_classes"]
        self._c = [self._m["confusion"][i * self._k:(i + 1) * self._k] for i in range(self._k)]

    @property
    def accuracy(self):
        return self._m["accuracy"]

    @property
    def weightedPrecision(self):
        return self._m["weightedPrecision"]

    @property
    def weightedRecall(self):
        return self._m["weightedRecall"]

    def weightedFMeasure(self, beta=None):
        if beta not in (None, 1, 1.0):
            raise ValueError("kiln computes the weighted F1 only")
        return self._m["weightedFMeasure"]

    def confusionMatrix(self):
        """Rows are labels, columns predictions (a DenseMatrix)."""
        return _matrix(self._c)

    def precision(self, label):
        j = int(label)
        col = sum(self._c[i][j] for i in range(self._k))
        return self._c[j][j] / col if col else 0.0

    def recall(self, label):
        j = int(label)
        row = sum(self._c[j])
        return self._c[j][j] / row if row else 0.0

    def fMeasure(self, label, beta=None):
        p, r = self.precision(label), self.recall(label)
        b2 = (beta or 1.0) ** 2
        return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0
