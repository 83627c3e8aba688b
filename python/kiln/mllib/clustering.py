"""kiln.mllib.clustering: KMeans and KMeansModel of pyspark.mllib.clustering
on kiln's k-means (k-means|| initialisation)."""
import numpy as np

import _kiln

from ..ml import _core
from ..ml.linalg import _array

__all__ = ["KMeans", "KMeansModel"]


class KMeansModel:
    """clusterCenters (a list of numpy arrays), k, predict, computeCost, save / load."""

    def __init__(self, centers):
        self.centers = [np.asarray(_array(c), dtype=np.float64) for c in centers]
        self._d = None

    @property
    def clusterCenters(self):
        return self.centers

    @property
    def k(self):
        return len(self.centers)

    def _dict(self):
        if self._d is None:
            C = np.vstack(self.centers)
            self._d = {"k": C.shape[0], "dim": C.shape[1], "centers": _core.f64bytes(C),
                       "cost": 0.0, "iterations": 0}
        return self._d

    def predict(self, x):
        C = np.vstack(self.centers)

        def one(v):
            return int(np.argmin(((C - _array(v)) ** 2).sum(axis=1)))
        if hasattr(x, "mapPartitions"):
            return x.map(one)
        return one(x)

    def computeCost(self, rdd):
        """The sum of squared distances of the points to their nearest centre."""
        return _kiln.ml_kmeans_cost(self._dict(), _core.handle(_core.vectors(rdd)))

    def save(self, sc, path):
        _core.save_model("kmeans", self._dict(), {}, path)

    @classmethod
    def load(cls, sc, path):
        d, _ = _core.load_model("kmeans", path)
        m = cls(_core.f64(d["centers"]).reshape(d["k"], d["dim"]))
        m._d = d
        return m


class KMeans:
    """k-means clustering of an RDD of vectors (or labeled points)."""

    @classmethod
    def train(cls, rdd, k, maxIterations=100, initializationMode="k-means||", seed=None,
              initializationSteps=2, epsilon=1e-4, initialModel=None):
        vecs = _core.vectors(rdd)
        initial = None
        if initialModel is not None:
            initial = _core.f64bytes(np.vstack(initialModel.clusterCenters))
        with _core.cached(vecs):
            d = _kiln.ml_kmeans_train(_core.handle(vecs), int(k), int(maxIterations),
                                      float(epsilon), (seed or 0) & (2**64 - 1),
                                      int(initializationSteps), initial)
        m = KMeansModel(_core.f64(d["centers"]).reshape(d["k"], d["dim"]))
        m._d = d
        return m
