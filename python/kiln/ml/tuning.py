"""kiln.ml.tuning: ParamGridBuilder, CrossValidator and TrainValidationSplit
as PySpark's pyspark.ml.tuning.

A grid over LinearRegression or binomial LogisticRegression's optimiser
parameters, evaluated by RMSE (RegressionEvaluator "rmse"), area under ROC
or accuracy, runs in kiln's cross-validation (kiln_ml_cross_validate): per
fold, the whole grid trains in lockstep, one pass over the data per
iteration for all of it. Other combinations fit and evaluate each grid
point in turn on the same folds (kiln_ml_kfold / kiln_ml_random_split)."""
import itertools

import numpy as np

import _kiln

from . import _core, _frames, _glm
from .classification import LogisticRegression
from .evaluation import (BinaryClassificationEvaluator, MulticlassClassificationEvaluator,
                         RegressionEvaluator)
from .regression import LinearRegression

__all__ = ["ParamGridBuilder", "CrossValidator", "CrossValidatorModel", "TrainValidationSplit",
           "TrainValidationSplitModel"]

_DEFAULT_SEED = 0x7475_6e65


class ParamGridBuilder:
    """Builds the list of parameter maps of a grid search."""

    def __init__(self):
        self._grid = {}

    def addGrid(self, param, values):
        self._grid[param] = list(values)
        return self

    def baseOn(self, *args):
        if len(args) == 1 and isinstance(args[0], dict):
            items = args[0].items()
        else:
            items = args
        for p, v in items:
            self.addGrid(p, [v])
        return self

    def build(self):
        keys = list(self._grid)
        return [dict(zip(keys, combo)) for combo in
                itertools.product(*(self._grid[k] for k in keys))]


_GLM_NAMES = {"regParam", "elasticNetParam", "maxIter", "tol", "fitIntercept",
              "standardization"}


def _fast_metric(est, evaluator, maps):
    """kiln's metric code when the grid can run in kiln's lockstep
    cross-validation, else None."""
    if not all(getattr(k, "name", k) in _GLM_NAMES for m in maps for k in m):
        return None
    name = evaluator.getMetricName()
    if type(est) is LinearRegression and type(evaluator) is RegressionEvaluator \
            and name == "rmse" and est.getOrDefault("solver") in ("auto", "l-bfgs", "normal"):
        return _kiln.ML_RMSE
    if type(est) is LogisticRegression and est.getOrDefault("family") in ("auto", "binomial"):
        if type(evaluator) is BinaryClassificationEvaluator and name == "areaUnderROC":
            return _kiln.ML_AUC
        if type(evaluator) is MulticlassClassificationEvaluator and name == "accuracy" \
                and est.getOrDefault("threshold") == 0.5:
            return _kiln.ML_ACCURACY
    return None


def _glm_params(est):
    if isinstance(est, LinearRegression):
        p = est._glm_params()
        # Lockstep training is iterative: no exact normal-equation solve.
        p["normalEquation"] = False
        return p
    g = est.getOrDefault
    return {"family": _glm.LOGISTIC, "numClasses": 2, "regParam": g("regParam"),
            "elasticNetParam": g("elasticNetParam"), "fitIntercept": g("fitIntercept"),
            "standardization": g("standardization"), "maxIter": g("maxIter"), "tol": g("tol")}


def _lockstep(est, maps, dataset, folds, metric, seed):
    """(metrics per map, best model) from kiln_ml_cross_validate."""
    g = est.getOrDefault
    pts = _core.points(dataset, g("featuresCol"), g("labelCol"))
    if metric != _kiln.ML_RMSE:
        with _core.cached(pts):
            if _glm.num_classes(pts) > 2:
                return None
    grid = [_glm_params(est.copy(m)) for m in maps]
    metrics, best, d = _kiln.ml_cross_validate(_core.handle(pts), grid, folds, metric, seed)
    metrics = _core.f64(metrics).tolist()
    from .classification import LogisticRegressionModel
    from .regression import LinearRegressionModel
    model_cls = LinearRegressionModel if isinstance(est, LinearRegression) \
        else LogisticRegressionModel
    model = model_cls._from_saved(d)
    best_est = est.copy(maps[best])
    cols = [n for n in ("featuresCol", "labelCol", "predictionCol", "probabilityCol",
                        "rawPredictionCol", "threshold", "fitIntercept") if n in model._defaults]
    model._set(**{n: best_est.getOrDefault(n) for n in cols})
    return metrics, model


def _splits(dataset, folds, seed):
    """[(train, test)] of the dataset: k folds, or a single (trainRatio, rest) split
    when folds is a float."""
    if _frames.is_dataframe(dataset):
        return _frames.splits(dataset, folds, seed)
    h, sc = _core.handle(dataset), _core.context(dataset)
    wrap = lambda x: _core.from_handle(x, sc)  # noqa: E731
    if isinstance(folds, float):
        a, b = _kiln.ml_random_split(h, [folds, 1.0 - folds], seed)
        return [(wrap(a), wrap(b))]
    return [tuple(map(wrap, _kiln.ml_kfold(h, folds, f, seed))) for f in range(folds)]


def _search(est, maps, evaluator, dataset, folds, seed):
    """Mean metric per map over the splits, fitting each map in turn (each
    fold's training part cached while its maps fit, as Spark's)."""
    splits = _splits(dataset, folds, seed)
    metrics = np.zeros(len(maps))
    for train, test in splits:
        with _core.cached(train):
            for i, m in enumerate(maps):
                model = est.fit(train, m)
                metrics[i] += evaluator.evaluate(model.transform(test))
    return (metrics / len(splits)).tolist()


def _best(metrics, evaluator):
    return int(np.argmax(metrics) if evaluator.isLargerBetter() else np.argmin(metrics))


class _Validator(_core.Estimator):
    _PARAMS = (
        ("estimator", None, "the estimator to tune"),
        ("estimatorParamMaps", None, "the grid of parameter maps"),
        ("evaluator", None, "the evaluator of the fitted models"),
        ("seed", None, "random seed of the splits"),
        ("parallelism", 1, "ignored: kiln trains a grid in lockstep instead"),
        ("collectSubModels", False, "not supported"),
    )

    def getEstimator(self):
        return self.getOrDefault("estimator")

    def getEstimatorParamMaps(self):
        return self.getOrDefault("estimatorParamMaps")

    def getEvaluator(self):
        return self.getOrDefault("evaluator")

    def _run(self, dataset, folds):
        est, maps, ev = self.getEstimator(), self.getEstimatorParamMaps(), self.getEvaluator()
        if not maps:
            maps = [{}]
        seed = self.getOrDefault("seed")
        seed = (_DEFAULT_SEED if seed is None else seed) & (2**64 - 1)
        metric = _fast_metric(est, ev, maps) if getattr(self, "_lockstep", True) else None
        if metric is not None and (isinstance(folds, int) or folds == 0.75):
            r = _lockstep(est, maps, dataset, folds if isinstance(folds, int) else 1, metric,
                          seed)
            if r is not None:
                return r[0], r[1], maps
        metrics = _search(est, maps, ev, dataset, folds, seed)
        return metrics, est.fit(dataset, maps[_best(metrics, ev)]), maps


class CrossValidator(_Validator):
    """k-fold cross-validation of a parameter grid; the best map is refitted on
    the whole dataset."""

    _PARAMS = _Validator._PARAMS + (("numFolds", 3, "the number of folds (>= 2)"),)

    def _fit(self, dataset):
        k = int(self.getOrDefault("numFolds"))
        if k < 2:
            raise ValueError("numFolds must be at least 2")
        metrics, best, maps = self._run(dataset, k)
        return CrossValidatorModel(best, metrics)


class CrossValidatorModel(_core.Model):
    """bestModel and avgMetrics (one per parameter map, in the grid's order)."""

    def __init__(self, bestModel, avgMetrics):
        super().__init__()
        self.bestModel, self.avgMetrics = bestModel, avgMetrics

    def _transform(self, dataset):
        return self.bestModel.transform(dataset)


class TrainValidationSplit(_Validator):
    """One random (trainRatio, 1 - trainRatio) split evaluating a parameter grid;
    the best map is refitted on the whole dataset."""

    _PARAMS = _Validator._PARAMS + (("trainRatio", 0.75, "the training fraction"),)

    def _fit(self, dataset):
        metrics, best, maps = self._run(dataset, float(self.getOrDefault("trainRatio")))
        return TrainValidationSplitModel(best, metrics)


class TrainValidationSplitModel(_core.Model):
    """bestModel and validationMetrics."""

    def __init__(self, bestModel, validationMetrics):
        super().__init__()
        self.bestModel, self.validationMetrics = bestModel, validationMetrics

    def _transform(self, dataset):
        return self.bestModel.transform(dataset)
