"""Generalised linear models shared by kiln.ml.regression and
kiln.ml.classification (and kiln.mllib): training through _kiln.ml_glm_train,
margins in numpy for transform, the training summaries."""
import math

import numpy as np

import _kiln

from . import _core
from .linalg import SparseVector, Vector

LINEAR, LOGISTIC, MULTINOMIAL = _kiln.ML_LINEAR, _kiln.ML_LOGISTIC, _kiln.ML_MULTINOMIAL


def matvec(W, v):
    """W (rows x n) times the vector v in any form (kiln's sparse tuple included)."""
    if isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], (bytes, bytearray)):
        idx = np.frombuffer(v[1], dtype="<i4")
        return W[:, idx] @ np.asarray(v[2], dtype=np.float64)
    if isinstance(v, SparseVector):
        return W[:, v.indices] @ v.values
    if isinstance(v, Vector):
        v = v.toArray()
    return W @ np.asarray(v, dtype=np.float64)


def train(dataset, params, featuresCol="features", labelCol="label"):
    """(model dict, the points RDD) of a GLM fitted to dataset with params (a dict
    of ml_glm_train's keys)."""
    pts = _core.points(dataset, featuresCol, labelCol)
    return _kiln.ml_glm_train(_core.handle(pts), params), pts


def num_classes(pts):
    """1 + the largest label of a points RDD (a job); labels must be 0, 1, ..."""
    if pts.isEmpty():
        raise ValueError("the dataset is empty")
    top = pts.map(lambda p: p[0]).max()
    if top < 0 or top != int(top):
        raise ValueError("classification labels must be 0, 1, 2, ... (found %r)" % top)
    return int(top) + 1


def split_model(d):
    """(coefficient matrix rows x features, intercepts) of a model dict."""
    W = _core.f64(d["coef"]).reshape(d["num_rows"], d["num_features"])
    return W, _core.f64(d["intercept"])


def model_dict(family, W, b, iterations=0, history=(), objective=0.0):
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    return {"family": family, "num_features": W.shape[1], "num_rows": W.shape[0],
            "coef": _core.f64bytes(W), "intercept": _core.f64bytes(np.atleast_1d(b)),
            "iterations": iterations, "loss_history": _core.f64bytes(np.asarray(history)),
            "objective": objective}


def predict_pairs(d, pts):
    """A kiln.RDD of (prediction, label) pairs (C, no Python) of points under model d."""
    return _core.from_handle(_kiln.ml_glm_predict_rdd(d, _core.handle(pts)), pts.ctx)


class _Summary:
    """Metrics computed from (prediction, label) pairs on first use."""

    def __init__(self, model, dataset, pts):
        self._model, self._dataset, self._pts = model, dataset, pts
        self._m = None

    @property
    def predictions(self):
        """The dataset transformed by the model."""
        return self._model.transform(self._dataset)

    @property
    def featuresCol(self):
        return self._model.getOrDefault("featuresCol")

    @property
    def labelCol(self):
        return self._model.getOrDefault("labelCol")

    @property
    def predictionCol(self):
        return self._model.getOrDefault("predictionCol")


class LinearRegressionSummary(_Summary):
    """r2, rootMeanSquaredError and the others of a linear model on a dataset."""

    def _metrics(self):
        if self._m is None:
            pairs = predict_pairs(self._model._d, self._pts)
            self._m = _kiln.ml_regression_evaluate(_core.handle(pairs))
        return self._m

    @property
    def numInstances(self):
        return self._metrics()["count"]

    @property
    def r2(self):
        return self._metrics()["r2"]

    @property
    def r2adj(self):
        n, p = self.numInstances, self._model.numFeatures
        if self._model.getOrDefault("fitIntercept"):
            return 1 - (1 - self.r2) * (n - 1) / (n - p - 1)
        return 1 - (1 - self.r2) * n / (n - p)

    @property
    def meanSquaredError(self):
        return self._metrics()["mse"]

    @property
    def rootMeanSquaredError(self):
        return self._metrics()["rmse"]

    @property
    def meanAbsoluteError(self):
        return self._metrics()["mae"]

    @property
    def explainedVariance(self):
        return self._metrics()["var"]

    @property
    def degreesOfFreedom(self):
        return self.numInstances - self._model.numFeatures - (
            1 if self._model.getOrDefault("fitIntercept") else 0)


class TrainingSummaryMixin:
    @property
    def objectiveHistory(self):
        return _core.f64(self._model._d["loss_history"]).tolist()

    @property
    def totalIterations(self):
        return self._model._d["iterations"]


class LinearRegressionTrainingSummary(TrainingSummaryMixin, LinearRegressionSummary):
    """The summary of a linear model on its training data."""


def _binary_as_multiclass(b):
    """Spark's multiclass metrics of two classes from binary counts."""
    n = b["count"]
    conf = [b["tn"], b["fp"], b["fn"], b["tp"]]  # [label * 2 + prediction]
    out = {"num_classes": 2, "count": n, "confusion": conf,
           "accuracy": (b["tp"] + b["tn"]) / n if n else float("nan")}
    wp = wr = wf = 0.0
    for c in (0, 1):
        tp = conf[c * 3]
        label_n = conf[c * 2] + conf[c * 2 + 1]
        pred_n = conf[c] + conf[2 + c]
        p = tp / pred_n if pred_n else 0.0
        r = tp / label_n if label_n else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        w = label_n / n if n else 0.0
        wp, wr, wf = wp + w * p, wr + w * r, wf + w * f
    out.update(weightedPrecision=wp, weightedRecall=wr, weightedFMeasure=wf)
    return out


class ClassificationSummary(_Summary):
    """accuracy, weighted metrics and (binary) areaUnderROC of a classifier."""

    def _multi(self):
        if self._m is None:
            d = self._model._d
            if d["family"] == LOGISTIC:
                # Spark's prediction is probability > threshold: kiln's binary
                # counts at the next double above it give the confusion matrix in
                # one C pass over the predictions.
                t = self._model.getOrDefault("threshold")
                b = _kiln.ml_binary_evaluate(_core.handle(predict_pairs(d, self._pts)),
                                             math.nextafter(t, 2.0))
                self._m = _binary_as_multiclass(b)
            else:
                pairs = predict_pairs(d, self._pts)
                self._m = _kiln.ml_multiclass_evaluate(_core.handle(pairs),
                                                       self._model.numClasses)
        return self._m

    def _binary(self):
        d = self._model._d
        if d["family"] != LOGISTIC:
            raise ValueError("a binary metric of a multinomial model")
        if not hasattr(self, "_b"):
            pairs = predict_pairs(d, self._pts)
            self._b = _kiln.ml_binary_evaluate(_core.handle(pairs), 0.5)
        return self._b

    @property
    def accuracy(self):
        return self._multi()["accuracy"]

    @property
    def weightedPrecision(self):
        return self._multi()["weightedPrecision"]

    @property
    def weightedRecall(self):
        return self._multi()["weightedRecall"]

    @property
    def weightedFMeasure(self):
        return self._multi()["weightedFMeasure"]

    @property
    def areaUnderROC(self):
        return self._binary()["areaUnderROC"]

    @property
    def areaUnderPR(self):
        return self._binary()["areaUnderPR"]


class LogisticRegressionTrainingSummary(TrainingSummaryMixin, ClassificationSummary):
    """The summary of a logistic model on its training data."""


class SavedGLM:
    """What a fitted GLM model (linear or logistic) keeps: the C library's
    model dict, split into weights and intercepts, saved and loaded as
    kind "glm" (a mixin in front of the model classes)."""

    _KIND = "glm"

    @classmethod
    def _from_saved(cls, d):
        m = cls()
        m._d = d
        m._W, m._b = split_model(d)
        m._summary = None
        return m

    def _model_dict(self):
        return self._d
