"""kiln.ml.Pipeline: stages fitted and applied in order (PySpark's Pipeline)."""
from ._core import Estimator, Model

__all__ = ["Pipeline", "PipelineModel"]


class Pipeline(Estimator):
    """Fits its stages in order: an Estimator's model transforms the data for the next."""

    _PARAMS = (("stages", None, "the pipeline's stages"),)

    def __init__(self, stages=None):
        super().__init__(stages=stages)

    def getStages(self):
        return self.getOrDefault("stages") or []

    def _fit(self, dataset):
        fitted = []
        stages = self.getStages()
        for i, stage in enumerate(stages):
            if isinstance(stage, Estimator):
                stage = stage.fit(dataset)
            fitted.append(stage)
            if i + 1 < len(stages):
                dataset = stage.transform(dataset)
        return PipelineModel(fitted)


class PipelineModel(Model):
    """The fitted stages of a Pipeline, applied in order."""

    def __init__(self, stages):
        super().__init__()
        self.stages = list(stages)

    def _transform(self, dataset):
        for stage in self.stages:
            dataset = stage.transform(dataset)
        return dataset
