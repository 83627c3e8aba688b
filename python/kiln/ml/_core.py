"""The pieces kiln.ml's estimators share: parameters (PySpark's Param and
Params), Estimator / Transformer / Model, datasets as RDDs of points, and
model directories.

A dataset is an RDD or a DataFrame (kiln/ml/_frames.py). Records of an
RDD may be LabeledPoints, (label, features) pairs, bare vectors (for
k-means and scalers) or dicts of columns: transform on an RDD gives dicts
of the input's columns plus the new ones, so transforms chain on RDDs as
they do on DataFrames.
"""
import json
import os

import numpy as np

import _kiln

from . import _frames
from .linalg import Vector, _from_kiln, _to_kiln

__all__ = ["Param", "Params", "Estimator", "Transformer", "Model"]


class Param:
    """A parameter of an estimator or a model (PySpark's Param)."""

    def __init__(self, parent, name, doc):
        self.parent, self.name, self.doc = parent, name, doc

    def __repr__(self):
        return "Param(parent=%r, name=%r, doc=%r)" % (self.parent, self.name, self.doc)

    def __hash__(self):
        return hash((self.parent, self.name))

    def __eq__(self, other):
        return isinstance(other, Param) and (self.parent, self.name) == (other.parent, other.name)


_uid_counter = [0]


class Params:
    """Named parameters with defaults: getX / setX for each, params,
    getOrDefault, extractParamMap, copy (PySpark's Params).
    Subclasses list theirs in _PARAMS as (name, default, doc)."""

    _PARAMS = ()

    def __init__(self, **kwargs):
        _uid_counter[0] += 1
        self.uid = "%s_%d" % (type(self).__name__, _uid_counter[0])
        self._defaults = {}
        self._values = {}
        for name, default, doc in self._all_params():
            setattr(self, name, Param(self.uid, name, doc))
            self._defaults[name] = default
        self._set(**kwargs)

    @classmethod
    def _all_params(cls):
        seen, out = set(), []
        for klass in cls.__mro__:
            for spec in getattr(klass, "_PARAMS", ()):
                if spec[0] not in seen:
                    seen.add(spec[0])
                    out.append(spec)
        return out

    def _set(self, **kwargs):
        for k, v in kwargs.items():
            if k not in self._defaults:
                raise TypeError("%s has no parameter %r" % (type(self).__name__, k))
            self._values[k] = v
        return self

    def setParams(self, **kwargs):
        return self._set(**kwargs)

    def _name(self, param):
        return param.name if isinstance(param, Param) else param

    def getOrDefault(self, param):
        name = self._name(param)
        return self._values[name] if name in self._values else self._defaults[name]

    def getParam(self, name):
        return getattr(self, name)

    def hasParam(self, name):
        return name in self._defaults

    def isSet(self, param):
        return self._name(param) in self._values

    def isDefined(self, param):
        name = self._name(param)
        return name in self._values or self._defaults.get(name) is not None

    def set(self, param, value):
        return self._set(**{self._name(param): value})

    def clear(self, param):
        self._values.pop(self._name(param), None)

    @property
    def params(self):
        return [getattr(self, n) for n, _, _ in self._all_params()]

    def extractParamMap(self, extra=None):
        m = {getattr(self, n): self.getOrDefault(n) for n in self._defaults}
        for k, v in (extra or {}).items():
            m[getattr(self, self._name(k))] = v
        return m

    def explainParams(self):
        return "\n".join("%s: %s (default: %r, current: %r)" % (
            n, d, self._defaults[n], self.getOrDefault(n)) for n, _, d in self._all_params())

    def _param_dict(self):
        return {n: self.getOrDefault(n) for n in self._defaults}

    def copy(self, extra=None):
        """A copy with the values of extra ({Param or name: value}) set."""
        other = type(self).__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._values = dict(self._values)
        other._defaults = dict(self._defaults)
        for n in self._defaults:
            setattr(other, n, Param(other.uid, n, getattr(self, n).doc))
        for k, v in (extra or {}).items():
            name = self._name(k)
            if name in other._defaults:
                other._values[name] = v
        return other

    def __getattr__(self, attr):
        # getMaxIter / setMaxIter for every parameter maxIter.
        if len(attr) > 3 and attr[:3] in ("get", "set") and "_defaults" in self.__dict__:
            name = attr[3].lower() + attr[4:]
            if name in self._defaults:
                if attr[:3] == "get":
                    return lambda: self.getOrDefault(name)
                return lambda value: self._set(**{name: value})
        raise AttributeError("%r object has no attribute %r" % (type(self).__name__, attr))


class Transformer(Params):
    """Turns a dataset into another (PySpark's Transformer)."""

    def transform(self, dataset, params=None):
        if params:
            return self.copy(params)._transform(dataset)
        return self._transform(dataset)

    def _transform(self, dataset):
        raise NotImplementedError


class Estimator(Params):
    """Fits a Model to a dataset (PySpark's Estimator)."""

    def fit(self, dataset, params=None):
        if isinstance(params, (list, tuple)):
            return [self.fit(dataset, p) for p in params]
        if params:
            return self.copy(params)._fit(dataset)
        return self._fit(dataset)

    def _fit(self, dataset):
        raise NotImplementedError


class Model(Transformer):
    """A fitted model (PySpark's Model)."""


# ---- Datasets ------------------------------------------------------------------------


def _is_vector(x):
    return isinstance(x, (Vector, np.ndarray)) or (
        isinstance(x, tuple) and len(x) == 3 and isinstance(x[1], (bytes, bytearray)))


def _as_dict(x, featuresCol, labelCol):
    """A record of an RDD as a dict of columns."""
    if isinstance(x, dict):
        return x
    if hasattr(x, "asDict"):
        return x.asDict()
    if hasattr(x, "label") and hasattr(x, "features"):
        return {labelCol: float(x.label), featuresCol: x.features}
    if _is_vector(x):
        return {featuresCol: _from_kiln(x)}
    if isinstance(x, (tuple, list)) and len(x) == 2:
        return {labelCol: x[0], featuresCol: _from_kiln(x[1])}
    return {featuresCol: x}


def _point_of(featuresCol, labelCol):
    """A function of a record to kiln's labeled point (float label, vector)."""
    def point(x):
        if hasattr(x, "label") and hasattr(x, "features") and not isinstance(x, dict):
            return (float(x.label), _to_kiln(x.features))
        if isinstance(x, (tuple, list)) and len(x) == 2 and not hasattr(x, "asDict"):
            return (float(x[0]), _to_kiln(x[1]))
        d = _as_dict(x, featuresCol, labelCol)
        label = d.get(labelCol)
        if label is None:
            raise ValueError("a record has no label column %r" % labelCol)
        return (float(label), _to_kiln(d[featuresCol]))
    return point


def _vector_of(featuresCol):
    def vector(x):
        if _is_vector(x):
            return _to_kiln(x)
        if hasattr(x, "label") and hasattr(x, "features") and not isinstance(x, dict):
            return _to_kiln(x.features)
        return _to_kiln(_as_dict(x, featuresCol, "label")[featuresCol])
    return vector


def points(dataset, featuresCol="features", labelCol="label"):
    """The dataset as a kiln.RDD of kiln's labeled points."""
    if _frames.is_dataframe(dataset):
        return _frames.points(dataset, featuresCol, labelCol)
    return dataset.map(_point_of(featuresCol, labelCol))


def vectors(dataset, featuresCol="features"):
    """The dataset's features as a kiln.RDD of kiln vectors."""
    if _frames.is_dataframe(dataset):
        return _frames.vectors(dataset, featuresCol)
    return dataset.map(_vector_of(featuresCol))


def pairs(dataset, predictionCol, labelCol, score=None):
    """(prediction, label) float pairs of a transformed dataset (the evaluators' input);
    score maps the prediction column's value to a float."""
    score = score or float
    if _frames.is_dataframe(dataset):
        return _frames.pairs(dataset, predictionCol, labelCol, score)

    def pair(x):
        d = _as_dict(x, "features", labelCol)
        return (score(d[predictionCol]), float(d[labelCol]))
    return dataset.map(pair)


def with_columns(dataset, fn, names, featuresCol, labelCol="label", types=None):
    """The dataset with the columns names added, fn(features) giving their values
    (of types, Spark type names, in a DataFrame)."""
    if _frames.is_dataframe(dataset):
        return _frames.with_columns(dataset, fn, names, featuresCol, types)

    def add(x):
        d = dict(_as_dict(x, featuresCol, labelCol))
        d.update(zip(names, fn(d[featuresCol])))
        return d
    return dataset.map(add)


def handle(rdd):
    """The _kiln.RDD handle of a kiln.RDD."""
    return rdd._c()


def context(rdd):
    return rdd.ctx


def from_handle(h, sc):
    from ..rdd import RDD
    return RDD(h, sc)


class cached:
    """with cached(rdd): rdd persisted MEMORY_AND_DISK while the block runs
    (for the algorithms that read their input once per iteration)."""

    def __init__(self, rdd):
        self.rdd = rdd

    def __enter__(self):
        from ..storagelevel import StorageLevel
        self.was = getattr(self.rdd, "is_cached", True)
        if not self.was:
            if _frames.is_dataframe(self.rdd):
                self.rdd.persist()
            else:
                self.rdd.persist(StorageLevel.MEMORY_AND_DISK)
        return self.rdd

    def __exit__(self, *exc):
        if not self.was:
            self.rdd.unpersist()


# ---- Model directories -------------------------------------------------------------

PARAMS_FILE = "kiln-python.json"


def save_model(kind, model_dict, params, path, overwrite=False):
    """Saves a model dict through kiln's persistence, and its Python params beside it."""
    path = str(path)
    if os.path.exists(path):
        if not overwrite:
            raise IOError("path %s already exists: use write().overwrite().save(path)" % path)
        import shutil
        shutil.rmtree(path)
    getattr(_kiln, "ml_%s_save" % kind)(model_dict, path)
    with open(os.path.join(path, PARAMS_FILE), "w") as f:
        json.dump(params, f)


def load_model(kind, path):
    """(model dict, params dict) of a model directory."""
    path = str(path)
    d = getattr(_kiln, "ml_%s_load" % kind)(path)
    try:
        with open(os.path.join(path, PARAMS_FILE)) as f:
            params = json.load(f)
    except FileNotFoundError:
        params = {}
    return d, params


class MLWriter:
    """model.write().overwrite().save(path) (PySpark's MLWriter)."""

    def __init__(self, model):
        self.model, self._overwrite = model, False

    def overwrite(self):
        self._overwrite = True
        return self

    def save(self, path):
        self.model._save(path, self._overwrite)


class MLPersistable:
    """save / write / load of a model class with _KIND and _from_saved."""

    def write(self):
        return MLWriter(self)

    def save(self, path):
        self._save(path, False)

    def _save(self, path, overwrite):
        params = {k: v for k, v in self._param_dict().items()
                  if isinstance(v, (str, int, float, bool, type(None)))}
        save_model(self._KIND, self._model_dict(), params, path, overwrite)

    @classmethod
    def read(cls):
        return _Reader(cls)

    @classmethod
    def load(cls, path):
        d, params = load_model(cls._KIND, path)
        model = cls._from_saved(d)
        model._set(**{k: v for k, v in params.items() if k in model._defaults})
        return model


class _Reader:
    def __init__(self, cls):
        self.cls = cls

    def load(self, path):
        return self.cls.load(path)


def f64(b):
    """float64 bytes as a numpy array (a copy: writable)."""
    return np.frombuffer(b, dtype=np.float64).copy()


def f64bytes(a):
    return np.ascontiguousarray(a, dtype="<f8").tobytes()
