"""kiln.ml.classification: LogisticRegression (binomial and multinomial)
and NaiveBayes (multinomial) as PySpark's pyspark.ml.classification, on
kiln's trainers (include/kiln/ml.h)."""
import numpy as np

import _kiln

from . import _core, _glm
from .linalg import DenseVector, _matrix

__all__ = ["LogisticRegression", "LogisticRegressionModel", "NaiveBayes", "NaiveBayesModel",
           "LogisticRegressionTrainingSummary", "LogisticRegressionSummary",
           "BinaryLogisticRegressionTrainingSummary", "BinaryLogisticRegressionSummary"]

LogisticRegressionSummary = _glm.ClassificationSummary
BinaryLogisticRegressionSummary = _glm.ClassificationSummary
LogisticRegressionTrainingSummary = _glm.LogisticRegressionTrainingSummary
BinaryLogisticRegressionTrainingSummary = _glm.LogisticRegressionTrainingSummary

_COLS = (
    ("featuresCol", "features", "features column name"),
    ("labelCol", "label", "label column name"),
    ("predictionCol", "prediction", "prediction column name"),
    ("probabilityCol", "probability", "class probabilities column name"),
    ("rawPredictionCol", "rawPrediction", "raw prediction (confidence) column name"),
)


def _softmax(z):
    z = z - np.max(z)
    e = np.exp(z)
    return e / e.sum()


class _ProbabilisticModel(_core.Model):
    """predictRaw / predictProbability / predict and the three columns of transform."""

    def _transform(self, dataset):
        g = self.getOrDefault
        raw_fn, prob_fn, pred_fn = self._fns()

        def cols(x):
            raw = raw_fn(x)
            prob = prob_fn(raw)
            return (DenseVector(raw), DenseVector(prob), float(pred_fn(prob)))
        return _core.with_columns(dataset, cols, [g("rawPredictionCol"), g("probabilityCol"),
                                                  g("predictionCol")], g("featuresCol"),
                                  g("labelCol"), ["array<double>", "array<double>", "double"])

    def predictRaw(self, value):
        return DenseVector(self._fns()[0](value))

    def predictProbability(self, value):
        raw_fn, prob_fn, _ = self._fns()
        return DenseVector(prob_fn(raw_fn(value)))

    def predict(self, value):
        raw_fn, prob_fn, pred_fn = self._fns()
        return float(pred_fn(prob_fn(raw_fn(value))))


class LogisticRegression(_core.Estimator):
    """Logistic regression: (1/n) sum log loss + regParam * (elasticNetParam * |w|_1
    + (1 - elasticNetParam) / 2 * |w|^2). family "auto" is binomial for labels
    0/1 and multinomial (softmax) for labels 0..K-1 with K > 2."""

    _PARAMS = _COLS + (
        ("maxIter", 100, "maximum number of iterations (>= 0)"),
        ("regParam", 0.0, "regularization parameter (>= 0)"),
        ("elasticNetParam", 0.0, "the ElasticNet mixing parameter, in [0, 1]"),
        ("tol", 1e-6, "the convergence tolerance for iterative algorithms"),
        ("fitIntercept", True, "whether to fit an intercept term"),
        ("threshold", 0.5, "binomial: predict 1 when P(1) > threshold"),
        ("standardization", True, "whether to standardize the features before fitting"),
        ("family", "auto", "auto, binomial or multinomial"),
        ("weightCol", None, "not supported by kiln (must be unset)"),
        ("aggregationDepth", 2, "tree_aggregate depth (kiln always uses 2)"),
    )

    def _fit(self, dataset):
        g = self.getOrDefault
        if g("weightCol"):
            raise ValueError("weightCol is not supported by kiln")
        pts = _core.points(dataset, g("featuresCol"), g("labelCol"))
        with _core.cached(pts):
            k = _glm.num_classes(pts)
            family = g("family")
            if family == "auto":
                family = "binomial" if k <= 2 else "multinomial"
            if family == "binomial" and k > 2:
                raise ValueError("binomial family with %d classes: use multinomial" % k)
            params = {"family": _glm.LOGISTIC if family == "binomial" else _glm.MULTINOMIAL,
                      "numClasses": max(k, 2), "regParam": g("regParam"),
                      "elasticNetParam": g("elasticNetParam"), "fitIntercept": g("fitIntercept"),
                      "standardization": g("standardization"), "maxIter": g("maxIter"),
                      "tol": g("tol")}
            d = _kiln.ml_glm_train(_core.handle(pts), params)
        model = LogisticRegressionModel._from_saved(d)
        model._set(**{n: g(n) for n, _, _ in _COLS}, threshold=g("threshold"))
        model._summary = LogisticRegressionTrainingSummary(model, dataset, pts)
        return model


class LogisticRegressionModel(_glm.SavedGLM, _ProbabilisticModel, _core.MLPersistable):
    """A fitted logistic model: coefficients / intercept (binomial),
    coefficientMatrix / interceptVector, predict, predictProbability,
    transform (rawPrediction, probability, prediction), summary, evaluate."""

    _PARAMS = _COLS + (("threshold", 0.5, "binomial: predict 1 when P(1) > threshold"),)
    @property
    def _binomial(self):
        return self._d["family"] == _glm.LOGISTIC

    @property
    def numClasses(self):
        return 2 if self._binomial else self._W.shape[0]

    @property
    def numFeatures(self):
        return self._W.shape[1]

    @property
    def coefficients(self):
        if not self._binomial:
            raise ValueError("a multinomial model: use coefficientMatrix")
        return DenseVector(self._W[0])

    @property
    def intercept(self):
        if not self._binomial:
            raise ValueError("a multinomial model: use interceptVector")
        return float(self._b[0])

    @property
    def coefficientMatrix(self):
        return _matrix(self._W)

    @property
    def interceptVector(self):
        return DenseVector(self._b)

    @property
    def hasSummary(self):
        return self._summary is not None

    @property
    def summary(self):
        if self._summary is None:
            raise RuntimeError("no training summary (a loaded model)")
        return self._summary

    def evaluate(self, dataset):
        pts = _core.points(dataset, self.getOrDefault("featuresCol"),
                           self.getOrDefault("labelCol"))
        return LogisticRegressionSummary(self, dataset, pts)

    def _fns(self):
        W, b, t = self._W, self._b, self.getOrDefault("threshold")
        if self._binomial:
            def raw(x):
                m = float(_glm.matvec(W, x)[0] + b[0])
                return np.array([-m, m])

            def prob(r):
                p = 1.0 / (1.0 + np.exp(-r[1]))
                return np.array([1.0 - p, p])

            def pred(p):
                return 1.0 if p[1] > t else 0.0
        else:
            def raw(x):
                return _glm.matvec(W, x) + b
            prob = _softmax

            def pred(p):
                return float(np.argmax(p))
        return raw, prob, pred

    def __repr__(self):
        return "LogisticRegressionModel: uid=%s, numClasses=%d, numFeatures=%d" % (
            self.uid, self.numClasses, self.numFeatures)


class NaiveBayes(_core.Estimator):
    """Multinomial naive Bayes with additive smoothing (labels 0..K-1,
    non-negative features)."""

    _PARAMS = _COLS + (
        ("smoothing", 1.0, "the smoothing parameter (>= 0)"),
        ("modelType", "multinomial", "multinomial only"),
        ("thresholds", None, "not supported by kiln"),
        ("weightCol", None, "not supported by kiln"),
    )

    def _fit(self, dataset):
        g = self.getOrDefault
        if g("modelType") != "multinomial":
            raise ValueError("kiln's NaiveBayes is multinomial only")
        pts = _core.points(dataset, g("featuresCol"), g("labelCol"))
        d = _kiln.ml_nb_train(_core.handle(pts), float(g("smoothing")))
        model = NaiveBayesModel._from_saved(d)
        model._set(**{n: g(n) for n, _, _ in _COLS})
        return model


class NaiveBayesModel(_ProbabilisticModel, _core.MLPersistable):
    """A fitted naive Bayes model: pi (log priors), theta (log conditional
    probabilities), predict, predictProbability, transform."""

    _PARAMS = _COLS
    _KIND = "nb"

    @classmethod
    def _from_saved(cls, d):
        m = cls()
        m._d = d
        m._pi = _core.f64(d["log_prior"])
        m._theta = _core.f64(d["log_theta"]).reshape(d["num_classes"], d["num_features"])
        return m

    def _model_dict(self):
        return self._d

    @property
    def pi(self):
        return DenseVector(self._pi)

    @property
    def theta(self):
        return _matrix(self._theta)

    @property
    def numClasses(self):
        return len(self._pi)

    @property
    def numFeatures(self):
        return self._theta.shape[1]

    def _fns(self):
        pi, theta = self._pi, self._theta

        def raw(x):
            return pi + _glm.matvec(theta, x)

        def pred(p):
            return float(np.argmax(p))
        return raw, _softmax, pred
