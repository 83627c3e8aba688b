"""kiln.mllib.feature: kiln's encoders of delimited text into labeled points
(no PySpark counterpart; the click-through and census workflows):
MLUtils.loadHashedFeatures (feature hashing) and OneHotTextEncoder."""
import _kiln

from ..rdd import RDD
from .util import _labeled

__all__ = ["OneHotTextEncoder"]


class OneHotTextEncoder:
    """One-hot encoding of delimited text fitted on a file: numeric columns as
    they are, then one indicator per category (sorted) of each categorical
    column; the label is 1.0 where the label column equals positiveLabel
    (trimmed, without a trailing '.'), else 0.0. A category unseen at fit time
    gets no indicator."""

    def __init__(self, capsule, sc):
        self._cap, self._sc = capsule, sc

    @classmethod
    def fit(cls, sc, path, labelColumn, positiveLabel, categoricalColumns, delimiter=",",
            header=False):
        """Fits the categories of categoricalColumns (0-based) on path (a job)."""
        cap = _kiln.ml_one_hot_fit(sc._ctx(), str(path), int(labelColumn), str(positiveLabel),
                                   list(categoricalColumns), delimiter, bool(header))
        return cls(cap, sc)

    @property
    def numFeatures(self):
        return _kiln.ml_one_hot_num_features(self._cap)

    def transform(self, path, header=None, minPartitions=None):
        """An RDD of LabeledPoints (SparseVector features) of the file(s) at path;
        header None keeps the fit's setting."""
        h = _kiln.ml_one_hot_transform(self._cap, self._sc._ctx(), str(path),
                                       -1 if header is None else int(bool(header)),
                                       int(minPartitions or 0))
        return RDD(h, self._sc).map(_labeled)
