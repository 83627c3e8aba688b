"""kiln.ml.regression: LinearRegression (PySpark's pyspark.ml.regression)
on kiln's GLM trainer (include/kiln/ml.h)."""
from . import _core, _glm
from .linalg import DenseVector

__all__ = ["LinearRegression", "LinearRegressionModel", "LinearRegressionSummary",
           "LinearRegressionTrainingSummary"]

LinearRegressionSummary = _glm.LinearRegressionSummary
LinearRegressionTrainingSummary = _glm.LinearRegressionTrainingSummary

_COLS = (
    ("featuresCol", "features", "features column name"),
    ("labelCol", "label", "label column name"),
    ("predictionCol", "prediction", "prediction column name"),
)


class LinearRegression(_core.Estimator):
    """Least squares with elastic-net regularisation:
    (1/2n) sum (y - w.x - b)^2 + regParam * (elasticNetParam * |w|_1
    + (1 - elasticNetParam) / 2 * |w|^2), the intercept not penalised.
    solver "auto" and "normal" solve the normal equations exactly when
    elasticNetParam is 0 (up to 4096 features), else L-BFGS / OWL-QN."""

    _PARAMS = _COLS + (
        ("maxIter", 100, "maximum number of iterations (>= 0)"),
        ("regParam", 0.0, "regularization parameter (>= 0)"),
        ("elasticNetParam", 0.0, "the ElasticNet mixing parameter, in [0, 1]"),
        ("tol", 1e-6, "the convergence tolerance for iterative algorithms"),
        ("fitIntercept", True, "whether to fit an intercept term"),
        ("standardization", True, "whether to standardize the features before fitting"),
        ("solver", "auto", "auto, normal, l-bfgs or sgd"),
        ("weightCol", None, "not supported by kiln (must be unset)"),
        ("aggregationDepth", 2, "tree_aggregate depth (kiln always uses 2)"),
        ("loss", "squaredError", "squaredError only"),
        ("stepSize", 1.0, "SGD step size (kiln's sgd solver)"),
    )

    def _glm_params(self):
        g = self.getOrDefault
        if g("weightCol"):
            raise ValueError("weightCol is not supported by kiln")
        if g("loss") != "squaredError":
            raise ValueError("only loss='squaredError' is supported")
        solver = g("solver")
        solver = {"l-bfgs": "lbfgs", "auto": "lbfgs"}.get(solver, solver)
        normal = g("solver") in ("auto", "normal") and (
            g("elasticNetParam") == 0 or g("regParam") == 0)
        return {"family": _glm.LINEAR, "regParam": g("regParam"),
                "elasticNetParam": g("elasticNetParam"), "fitIntercept": g("fitIntercept"),
                "standardization": g("standardization"), "maxIter": g("maxIter"),
                "tol": g("tol"), "normalEquation": normal,
                "solver": "lbfgs" if solver == "normal" else solver, "stepSize": g("stepSize")}

    def _fit(self, dataset):
        d, pts = _glm.train(dataset, self._glm_params(), self.getOrDefault("featuresCol"),
                            self.getOrDefault("labelCol"))
        model = LinearRegressionModel._from_saved(d)
        model._set(**{n: self.getOrDefault(n) for n, _, _ in _COLS})
        model._set(fitIntercept=self.getOrDefault("fitIntercept"))
        model._summary = LinearRegressionTrainingSummary(model, dataset, pts)
        return model


class LinearRegressionModel(_glm.SavedGLM, _core.Model, _core.MLPersistable):
    """A fitted linear model: coefficients, intercept, predict, transform,
    evaluate, summary, save / load."""

    _PARAMS = _COLS + (("fitIntercept", True, "whether an intercept was fitted"),)
    @property
    def coefficients(self):
        return DenseVector(self._W[0])

    @property
    def intercept(self):
        return float(self._b[0])

    @property
    def numFeatures(self):
        return self._W.shape[1]

    @property
    def scale(self):
        return 1.0

    @property
    def hasSummary(self):
        return self._summary is not None

    @property
    def summary(self):
        if self._summary is None:
            raise RuntimeError("no training summary (a loaded model)")
        return self._summary

    def predict(self, value):
        """The prediction for one feature vector."""
        return float(_glm.matvec(self._W, value)[0] + self._b[0])

    def evaluate(self, dataset):
        """The LinearRegressionSummary of this model on dataset."""
        pts = _core.points(dataset, self.getOrDefault("featuresCol"),
                           self.getOrDefault("labelCol"))
        return LinearRegressionSummary(self, dataset, pts)

    def _transform(self, dataset):
        W, b = self._W, self._b

        def predict(x):
            return (float(_glm.matvec(W, x)[0] + b[0]),)
        return _core.with_columns(dataset, predict, [self.getOrDefault("predictionCol")],
                                  self.getOrDefault("featuresCol"),
                                  self.getOrDefault("labelCol"), ["double"])

    def __repr__(self):
        return "LinearRegressionModel: uid=%s, numFeatures=%d" % (self.uid, self.numFeatures)
