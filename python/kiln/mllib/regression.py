"""kiln.mllib.regression: LabeledPoint and the RDD-based linear regressions
(LinearRegressionWithSGD, RidgeRegressionWithSGD, LassoWithSGD) of
pyspark.mllib.regression on kiln's GLM trainer."""
import _kiln

from ..ml import _core, _glm
from ..ml.linalg import DenseVector, Vector, _from_kiln

__all__ = ["LabeledPoint", "LinearModel", "LinearRegressionModel", "LinearRegressionWithSGD",
           "RidgeRegressionWithSGD", "LassoWithSGD"]


def _vector(features):
    if isinstance(features, Vector):
        return features
    if isinstance(features, tuple) and len(features) == 3 and isinstance(features[1], bytes):
        return _from_kiln(features)
    return DenseVector(features)


class LabeledPoint:
    """A label and a feature vector (PySpark's LabeledPoint)."""

    __slots__ = ("label", "features")

    def __init__(self, label, features):
        self.label = float(label)
        self.features = _vector(features)

    def __reduce__(self):
        return LabeledPoint, (self.label, self.features)

    def __eq__(self, other):
        return isinstance(other, LabeledPoint) and self.label == other.label \
            and self.features == other.features

    def __str__(self):
        return "(%s,%s)" % (self.label, self.features)

    def __repr__(self):
        return "LabeledPoint(%s, %s)" % (self.label, self.features)


class LinearModel:
    """weights and intercept of a linear model."""

    def __init__(self, weights, intercept):
        self._coeff = DenseVector(weights)
        self._intercept = float(intercept)

    @property
    def weights(self):
        return self._coeff

    @property
    def intercept(self):
        return self._intercept

    def _margin(self, x):
        return float(_glm.matvec(self._coeff.array[None, :], x)[0] + self._intercept)

    def __repr__(self):
        return "(weights=%s, intercept=%r)" % (self._coeff, self._intercept)


class LinearRegressionModel(LinearModel):
    """predict(vector or RDD of vectors) = weights . x + intercept; save / load."""

    _family = _glm.LINEAR

    def predict(self, x):
        if hasattr(x, "mapPartitions"):
            w, b = self._coeff.array[None, :], self._intercept
            return x.map(lambda v: float(_glm.matvec(w, v)[0] + b))
        return self._margin(x)

    def save(self, sc, path):
        _core.save_model("glm", _glm.model_dict(self._family, self._coeff.array,
                                                [self._intercept]), {}, path)

    @classmethod
    def load(cls, sc, path):
        d, _ = _core.load_model("glm", path)
        W, b = _glm.split_model(d)
        return cls(W[0], b[0])


def _train(data, family, iterations, step, initialWeights, regParam, regType, intercept,
           tol, solver, numClasses=2, memory=0):
    if initialWeights is not None:
        raise ValueError("initialWeights is not supported by kiln")
    enet = {None: 0.0, "l2": 0.0, "l1": 1.0}.get(regType)
    if enet is None:
        raise ValueError("regType must be None, 'l1' or 'l2'")
    params = {"family": family, "regParam": regParam if regType else 0.0,
              "elasticNetParam": enet, "fitIntercept": bool(intercept), "standardization": False,
              "maxIter": iterations, "tol": tol, "solver": solver, "stepSize": step,
              "numClasses": numClasses, "memory": memory}
    pts = _core.points(data)
    return _kiln.ml_glm_train(_core.handle(pts), params)


class LinearRegressionWithSGD:
    """Least squares by kiln's SGD (step / sqrt(iteration)); miniBatchFraction is ignored."""

    @classmethod
    def train(cls, data, iterations=100, step=1.0, miniBatchFraction=1.0, initialWeights=None,
              regParam=0.0, regType=None, intercept=False, validateData=True,
              convergenceTol=0.001):
        d = _train(data, _glm.LINEAR, iterations, step, initialWeights, regParam, regType,
                   intercept, convergenceTol, "sgd")
        W, b = _glm.split_model(d)
        return LinearRegressionModel(W[0], b[0])


class RidgeRegressionWithSGD:
    """Least squares with an L2 penalty by SGD."""

    @classmethod
    def train(cls, data, iterations=100, step=1.0, regParam=0.01, miniBatchFraction=1.0,
              initialWeights=None, intercept=False, validateData=True, convergenceTol=0.001):
        d = _train(data, _glm.LINEAR, iterations, step, initialWeights, regParam, "l2",
                   intercept, convergenceTol, "sgd")
        W, b = _glm.split_model(d)
        return LinearRegressionModel(W[0], b[0])


class LassoWithSGD:
    """Least squares with an L1 penalty (kiln: OWL-QN; SGD has no L1 step)."""

    @classmethod
    def train(cls, data, iterations=100, step=1.0, regParam=0.01, miniBatchFraction=1.0,
              initialWeights=None, intercept=False, validateData=True, convergenceTol=0.001):
        d = _train(data, _glm.LINEAR, iterations, step, initialWeights, regParam, "l1",
                   intercept, convergenceTol, "lbfgs")
        W, b = _glm.split_model(d)
        return LinearRegressionModel(W[0], b[0])

