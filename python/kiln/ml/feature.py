"""kiln.ml.feature: StandardScaler, MinMaxScaler and VectorAssembler as
PySpark's pyspark.ml.feature. The scalers are fitted by kiln's column
statistics (one job, include/kiln/ml.h kiln_ml_summarize) and applied
record by record with numpy."""
import numpy as np

import _kiln

from . import _core, _frames
from .linalg import DenseVector, SparseVector, Vector, _array, _from_kiln

__all__ = ["StandardScaler", "StandardScalerModel", "MinMaxScaler", "MinMaxScalerModel",
           "VectorAssembler"]

_IO = (
    ("inputCol", None, "input column name"),
    ("outputCol", None, "output column name"),
)


def _summary(dataset, inputCol):
    vecs = _core.vectors(dataset, inputCol)
    # kiln's statistics run over labeled points: a 0 label each.
    pts = vecs.map(lambda v: (0.0, v))
    s = _kiln.ml_summarize(_core.handle(pts))
    if s["count"] == 0:
        raise ValueError("the dataset is empty")
    return s


class _ScalerModel(_core.Model, _core.MLPersistable):
    def _transform(self, dataset):
        fn = self._fn()
        return _core.with_columns(dataset, lambda x: (fn(x),), [self.getOrDefault("outputCol")],
                                  self.getOrDefault("inputCol"), types=["array<double>"])

    def _save(self, path, overwrite):
        raise NotImplementedError("saving scalers is not supported by kiln")


class StandardScaler(_core.Estimator):
    """Scales features to unit (unbiased) standard deviation and, with
    withMean, zero mean; a feature of std 0 becomes 0."""

    _PARAMS = _IO + (
        ("withMean", False, "centre the data with the mean before scaling"),
        ("withStd", True, "scale the data to unit standard deviation"),
    )

    def _fit(self, dataset):
        s = _summary(dataset, self.getOrDefault("inputCol"))
        model = StandardScalerModel(_core.f64(s["mean"]), np.sqrt(_core.f64(s["variance"])))
        model._set(**self._param_dict())
        return model


class StandardScalerModel(_ScalerModel):
    """mean, std; transform."""

    _PARAMS = StandardScaler._PARAMS

    def __init__(self, mean, std):
        super().__init__()
        self._mean, self._std = mean, std

    @property
    def mean(self):
        return DenseVector(self._mean)

    @property
    def std(self):
        return DenseVector(self._std)

    def _fn(self):
        mean, std = self._mean, self._std
        with_mean, with_std = self.getOrDefault("withMean"), self.getOrDefault("withStd")
        factor = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0) if with_std \
            else np.ones_like(std)

        def scale(x):
            v = _from_kiln(x) if not isinstance(x, Vector) else x
            if isinstance(v, SparseVector) and not with_mean:
                return SparseVector(v.size, v.indices, v.values * factor[v.indices])
            a = _array(v)
            return DenseVector(((a - mean) if with_mean else a) * factor)
        return scale


class MinMaxScaler(_core.Estimator):
    """Rescales each feature to [min, max] (default [0, 1]); a constant
    feature becomes (min + max) / 2."""

    _PARAMS = _IO + (
        ("min", 0.0, "lower bound of the output"),
        ("max", 1.0, "upper bound of the output"),
    )

    def _fit(self, dataset):
        s = _summary(dataset, self.getOrDefault("inputCol"))
        model = MinMaxScalerModel(_core.f64(s["min"]), _core.f64(s["max"]))
        model._set(**self._param_dict())
        return model


class MinMaxScalerModel(_ScalerModel):
    """originalMin, originalMax; transform."""

    _PARAMS = MinMaxScaler._PARAMS

    def __init__(self, lo, hi):
        super().__init__()
        self._lo, self._hi = lo, hi

    @property
    def originalMin(self):
        return DenseVector(self._lo)

    @property
    def originalMax(self):
        return DenseVector(self._hi)

    def _fn(self):
        lo, span = self._lo, self._hi - self._lo
        a_min, a_max = self.getOrDefault("min"), self.getOrDefault("max")
        safe = np.where(span > 0, span, 1.0)

        def scale(x):
            a = _array(x)
            unit = np.where(span > 0, (a - lo) / safe, 0.5)
            return DenseVector(unit * (a_max - a_min) + a_min)
        return scale


class VectorAssembler(_core.Transformer):
    """Concatenates numeric and vector columns into one vector column."""

    _PARAMS = (
        ("inputCols", None, "input column names"),
        ("outputCol", None, "output column name"),
        ("handleInvalid", "error", "error only"),
    )

    def _transform(self, dataset):
        cols = list(self.getOrDefault("inputCols"))

        def assemble(values):
            parts = []
            for c, v in zip(cols, values):
                if v is None:
                    raise ValueError("VectorAssembler: column %r is null" % c)
                parts.append(np.atleast_1d(_array(v) if not isinstance(v, (int, float))
                                           else np.array([float(v)])))
            return DenseVector(np.concatenate(parts) if parts else np.zeros(0))

        out = self.getOrDefault("outputCol")
        if _frames.is_dataframe(dataset):
            return _frames.with_vector_column(dataset, assemble, out, cols)

        def add(x):
            d = dict(_core._as_dict(x, "features", "label"))
            d[out] = assemble(tuple(d[c] for c in cols))
            return d
        return dataset.map(add)
