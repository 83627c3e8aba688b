"""kiln.ml.evaluation: RegressionEvaluator, BinaryClassificationEvaluator and
MulticlassClassificationEvaluator as PySpark's pyspark.ml.evaluation, on
kiln's metrics over (prediction, label) pairs (include/kiln/ml.h)."""
import math

import numpy as np

import _kiln

from . import _core
from .linalg import Vector

__all__ = ["Evaluator", "RegressionEvaluator", "BinaryClassificationEvaluator",
           "MulticlassClassificationEvaluator"]


class Evaluator(_core.Params):
    """Computes a metric of a transformed dataset (PySpark's Evaluator)."""

    _METRICS = {}

    def evaluate(self, dataset, params=None):
        if params:
            return self.copy(params)._evaluate(dataset)
        return self._evaluate(dataset)

    def getMetricName(self):
        return self.getOrDefault("metricName")

    def _metric(self):
        name = self.getMetricName()
        if name not in self._METRICS:
            raise ValueError("%s: unknown metric %r (%s)" % (
                type(self).__name__, name, ", ".join(sorted(self._METRICS))))
        return self._METRICS[name]

    def isLargerBetter(self):
        return self._metric()[1]


class RegressionEvaluator(Evaluator):
    """rmse (default), mse, r2, mae or var of (prediction, label) columns."""

    _PARAMS = (
        ("predictionCol", "prediction", "prediction column name"),
        ("labelCol", "label", "label column name"),
        ("metricName", "rmse", "rmse, mse, r2, mae or var"),
        ("weightCol", None, "not supported by kiln"),
    )
    _METRICS = {"rmse": ("rmse", False), "mse": ("mse", False), "r2": ("r2", True),
                "mae": ("mae", False), "var": ("var", True)}

    def _evaluate(self, dataset):
        key = self._metric()[0]
        pairs = _core.pairs(dataset, self.getOrDefault("predictionCol"),
                            self.getOrDefault("labelCol"))
        return _kiln.ml_regression_evaluate(_core.handle(pairs))[key]


def _score(v):
    """A rawPrediction / probability value as one number ordered as the
    probability of label 1: a probability vector's element 1, another
    vector's v[1] - v[0] (a margin or log odds), a number as it is."""
    if isinstance(v, (Vector, np.ndarray, list, tuple)):
        if len(v) == 1:
            return float(v[0])
        a, b = float(v[0]), float(v[1])
        if 0.0 <= a <= 1.0 and 0.0 <= b <= 1.0 and abs(a + b - 1.0) < 1e-9:
            return b
        return b - a
    return float(v)


def _unit(x):
    """A monotone map of the reals into [0, 1] (kiln's binary metrics take
    probabilities; the areas depend on the order only)."""
    return 0.5 + math.atan(x) / math.pi


class BinaryClassificationEvaluator(Evaluator):
    """areaUnderROC (default) or areaUnderPR of scores against 0/1 labels."""

    _PARAMS = (
        ("rawPredictionCol", "rawPrediction", "raw prediction (score) column name"),
        ("labelCol", "label", "label column name"),
        ("metricName", "areaUnderROC", "areaUnderROC or areaUnderPR"),
        ("weightCol", None, "not supported by kiln"),
        ("numBins", 1000, "ignored: kiln's areas are exact"),
    )
    _METRICS = {"areaUnderROC": ("areaUnderROC", True), "areaUnderPR": ("areaUnderPR", True)}

    def _evaluate(self, dataset):
        key = self._metric()[0]
        pairs = _core.pairs(dataset, self.getOrDefault("rawPredictionCol"),
                            self.getOrDefault("labelCol"), _score)
        with _core.cached(pairs):
            st = pairs.map(lambda p: p[0]).stats()
            if st.count() and not (0.0 <= st.min() and st.max() <= 1.0):
                pairs = pairs.map(lambda p: (_unit(p[0]), p[1]))
            return _kiln.ml_binary_evaluate(_core.handle(pairs), 0.5)[key]


class MulticlassClassificationEvaluator(Evaluator):
    """f1 (default: weighted F-measure), accuracy, weightedPrecision or
    weightedRecall of predicted classes 0..K-1 against labels."""

    _PARAMS = (
        ("predictionCol", "prediction", "prediction column name"),
        ("labelCol", "label", "label column name"),
        ("metricName", "f1", "f1, accuracy, weightedPrecision or weightedRecall"),
        ("weightCol", None, "not supported by kiln"),
    )
    _METRICS = {"f1": ("weightedFMeasure", True), "accuracy": ("accuracy", True),
                "weightedPrecision": ("weightedPrecision", True),
                "weightedRecall": ("weightedRecall", True)}

    def _evaluate(self, dataset):
        key = self._metric()[0]
        pairs = _core.pairs(dataset, self.getOrDefault("predictionCol"),
                            self.getOrDefault("labelCol"))
        with _core.cached(pairs):
            k = int(pairs.map(lambda p: max(p)).max()) + 1 if not pairs.isEmpty() else 1
            return _kiln.ml_multiclass_evaluate(_core.handle(pairs), max(k, 2))[key]
