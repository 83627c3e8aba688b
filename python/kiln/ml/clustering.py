"""kiln.ml.clustering: KMeans (k-means|| initialisation, Lloyd iterations)
as PySpark's pyspark.ml.clustering, on kiln's k-means (include/kiln/ml.h)."""
import numpy as np

import _kiln

from . import _core
from .linalg import _array

__all__ = ["KMeans", "KMeansModel", "KMeansSummary"]

_DEFAULT_SEED = 0x6b6d65616e73

_COLS = (
    ("featuresCol", "features", "features column name"),
    ("predictionCol", "prediction", "prediction column name"),
)


class KMeans(_core.Estimator):
    """k-means clustering of feature vectors (Euclidean distance)."""

    _PARAMS = _COLS + (
        ("k", 2, "the number of clusters (> 1)"),
        ("maxIter", 20, "maximum number of iterations (>= 0)"),
        ("tol", 1e-4, "the convergence tolerance (centre movement)"),
        ("seed", None, "random seed"),
        ("initMode", "k-means||", "k-means|| only (random is not supported)"),
        ("initSteps", 2, "the number of k-means|| rounds"),
        ("distanceMeasure", "euclidean", "euclidean only"),
    )

    def _fit(self, dataset):
        g = self.getOrDefault
        if g("distanceMeasure") != "euclidean":
            raise ValueError("kiln's KMeans uses the Euclidean distance only")
        vecs = _core.vectors(dataset, g("featuresCol"))
        seed = g("seed")
        with _core.cached(vecs):
            d = _kiln.ml_kmeans_train(_core.handle(vecs), int(g("k")), int(g("maxIter")),
                                      float(g("tol")),
                                      (_DEFAULT_SEED if seed is None else seed) & (2**64 - 1),
                                      int(g("initSteps")))
        model = KMeansModel._from_saved(d)
        model._set(**{n: g(n) for n, _, _ in _COLS})
        model._summary = KMeansSummary(model, dataset)
        return model


class KMeansModel(_core.Model, _core.MLPersistable):
    """Fitted centres: clusterCenters, predict, transform, computeCost, summary."""

    _PARAMS = _COLS
    _KIND = "kmeans"

    @classmethod
    def _from_saved(cls, d):
        m = cls()
        m._d = d
        m._centers = _core.f64(d["centers"]).reshape(d["k"], d["dim"])
        m._summary = None
        return m

    def _model_dict(self):
        return self._d

    def clusterCenters(self):
        """The centres, a list of numpy arrays."""
        return [c.copy() for c in self._centers]

    @property
    def hasSummary(self):
        return self._summary is not None

    @property
    def summary(self):
        if self._summary is None:
            raise RuntimeError("no training summary (a loaded model)")
        return self._summary

    def predict(self, value):
        """The index of the centre nearest to value."""
        return int(np.argmin(((self._centers - _array(value)) ** 2).sum(axis=1)))

    def computeCost(self, dataset):
        """The sum of squared distances of the points to their nearest centre (a job)."""
        vecs = _core.vectors(dataset, self.getOrDefault("featuresCol"))
        return _kiln.ml_kmeans_cost(self._d, _core.handle(vecs))

    def _transform(self, dataset):
        centers = self._centers

        def predict(x):
            return (int(np.argmin(((centers - _array(x)) ** 2).sum(axis=1))),)
        return _core.with_columns(dataset, predict, [self.getOrDefault("predictionCol")],
                                  self.getOrDefault("featuresCol"), types=["int"])


class KMeansSummary:
    """k, numIter, trainingCost and the predictions of a fitted KMeansModel."""

    def __init__(self, model, dataset):
        self._model, self._dataset = model, dataset

    @property
    def k(self):
        return self._model._d["k"]

    @property
    def numIter(self):
        return self._model._d["iterations"]

    @property
    def trainingCost(self):
        return self._model._d["cost"]

    @property
    def predictions(self):
        return self._model.transform(self._dataset)

    @property
    def clusterSizes(self):
        col = self._model.getOrDefault("predictionCol")
        counts = self.predictions.map(lambda r: (r[col], 1)).countByKey()
        return [counts.get(i, 0) for i in range(self.k)]
