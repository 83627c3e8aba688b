"""kiln.ml: PySpark's pyspark.ml names on kiln's ML library (include/kiln/ml.h).

Estimators fit RDDs (of LabeledPoints, (label, features) pairs, vectors or
dicts of columns) and DataFrames; see python/README.md, section kiln.ml."""
from ._core import Estimator, Model, Param, Params, Transformer
from .pipeline import Pipeline, PipelineModel

__all__ = ["Estimator", "Model", "Param", "Params", "Transformer", "Pipeline", "PipelineModel"]
