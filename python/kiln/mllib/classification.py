"""kiln.mllib.classification: LogisticRegressionWithLBFGS / WithSGD and
NaiveBayes of pyspark.mllib.classification on kiln's trainers."""
import numpy as np

import _kiln

from ..ml import _core, _glm
from .regression import LinearModel, _train

__all__ = ["LogisticRegressionModel", "LogisticRegressionWithLBFGS", "LogisticRegressionWithSGD",
           "NaiveBayes", "NaiveBayesModel"]


class LogisticRegressionModel(LinearModel):
    """predict gives 0/1 at the threshold (0.5), or P(1) after clearThreshold();
    multinomial models (numClasses > 2) predict the most likely class."""

    def __init__(self, weights, intercept, numFeatures, numClasses, _W=None, _b=None):
        super().__init__(weights, intercept)
        self._numFeatures, self._numClasses = int(numFeatures), int(numClasses)
        self._W, self._b = _W, _b
        self._threshold = 0.5

    @property
    def numFeatures(self):
        return self._numFeatures

    @property
    def numClasses(self):
        return self._numClasses

    @property
    def threshold(self):
        return self._threshold

    def setThreshold(self, value):
        self._threshold = value

    def clearThreshold(self):
        self._threshold = None

    def predict(self, x):
        W = self._W if self._W is not None else self._coeff.array[None, :]
        b = self._b if self._b is not None else np.array([self._intercept])
        multi, t = self._numClasses > 2, self._threshold

        def one(v):
            m = _glm.matvec(W, v) + b
            if multi:
                return int(np.argmax(m))
            p = 1.0 / (1.0 + np.exp(-m[0]))
            return float(p) if t is None else (1 if p > t else 0)
        if hasattr(x, "mapPartitions"):
            return x.map(one)
        return one(x)

    def save(self, sc, path):
        if self._W is not None:
            d = _glm.model_dict(_glm.MULTINOMIAL, self._W, self._b)
        else:
            d = _glm.model_dict(_glm.LOGISTIC, self._coeff.array, [self._intercept])
        _core.save_model("glm", d, {"threshold": self._threshold}, path)

    @classmethod
    def load(cls, sc, path):
        d, params = _core.load_model("glm", path)
        m = _from_dict(d)
        m._threshold = params.get("threshold", 0.5)
        return m


def _from_dict(d):
    W, b = _glm.split_model(d)
    if d["family"] == _glm.MULTINOMIAL:
        return LogisticRegressionModel(W.reshape(-1), 0.0, W.shape[1], W.shape[0], W, b)
    return LogisticRegressionModel(W[0], b[0], W.shape[1], 2)


class LogisticRegressionWithLBFGS:
    """Logistic regression by L-BFGS (OWL-QN with l1); numClasses > 2 is multinomial."""

    @classmethod
    def train(cls, data, iterations=100, initialWeights=None, regParam=0.0, regType="l2",
              intercept=False, corrections=10, tolerance=1e-6, validateData=True, numClasses=2):
        family = _glm.LOGISTIC if numClasses <= 2 else _glm.MULTINOMIAL
        d = _train(data, family, iterations, 1.0, initialWeights, regParam, regType, intercept,
                   tolerance, "lbfgs", numClasses, corrections)
        return _from_dict(d)


class LogisticRegressionWithSGD:
    """Binary logistic regression by kiln's SGD."""

    @classmethod
    def train(cls, data, iterations=100, step=1.0, miniBatchFraction=1.0, initialWeights=None,
              regParam=0.01, regType="l2", intercept=False, validateData=True,
              convergenceTol=0.001):
        d = _train(data, _glm.LOGISTIC, iterations, step, initialWeights, regParam, regType,
                   intercept, convergenceTol, "sgd")
        return _from_dict(d)


class NaiveBayesModel:
    """labels, pi (log priors), theta (log conditional probabilities); predict."""

    def __init__(self, labels, pi, theta):
        self.labels = np.asarray(labels, dtype=np.float64)
        self.pi = np.asarray(pi, dtype=np.float64)
        self.theta = np.asarray(theta, dtype=np.float64)

    def predict(self, x):
        pi, theta, labels = self.pi, self.theta, self.labels

        def one(v):
            return float(labels[int(np.argmax(pi + _glm.matvec(theta, v)))])
        if hasattr(x, "mapPartitions"):
            return x.map(one)
        return one(x)

    def save(self, sc, path):
        d = {"num_classes": len(self.pi), "num_features": self.theta.shape[1],
             "log_prior": _core.f64bytes(self.pi), "log_theta": _core.f64bytes(self.theta)}
        _core.save_model("nb", d, {}, path)

    @classmethod
    def load(cls, sc, path):
        d, _ = _core.load_model("nb", path)
        return _nb_model(d)


def _nb_model(d):
    k = d["num_classes"]
    return NaiveBayesModel(np.arange(k, dtype=np.float64), _core.f64(d["log_prior"]),
                           _core.f64(d["log_theta"]).reshape(k, d["num_features"]))


class NaiveBayes:
    """Multinomial naive Bayes (labels 0..K-1, non-negative features)."""

    @classmethod
    def train(cls, data, lambda_=1.0):
        pts = _core.points(data)
        return _nb_model(_kiln.ml_nb_train(_core.handle(pts), float(lambda_)))

