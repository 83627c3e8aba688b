"""Window and WindowSpec (PySpark's pyspark.sql.window)."""
from .column import Column

__all__ = ["Window", "WindowSpec"]

_MIN, _MAX = -(1 << 63), (1 << 63) - 1


def _cols(cols, order=False):
    from .functions import _col
    if len(cols) == 1 and isinstance(cols[0], (list, tuple)):
        cols = cols[0]
    return [_col(c) for c in cols]


class WindowSpec:
    """Partitioning, ordering and frame of a window function (immutable)."""

    def __init__(self, part=(), order=(), frame=None):
        self._part = list(part)
        self._order = list(order)
        self._frame = frame

    def partitionBy(self, *cols):
        return WindowSpec(_cols(cols), self._order, self._frame)

    def orderBy(self, *cols):
        return WindowSpec(self._part, _cols(cols), self._frame)

    def rowsBetween(self, start, end):
        return WindowSpec(self._part, self._order, (False, _bound(start), _bound(end)))

    def rangeBetween(self, start, end):
        return WindowSpec(self._part, self._order, (True, _bound(start), _bound(end)))


def _bound(v):
    return max(_MIN, min(_MAX, int(v)))


class Window:
    """Window.partitionBy(...).orderBy(...).rowsBetween(...)."""

    unboundedPreceding = _MIN
    unboundedFollowing = _MAX
    currentRow = 0

    @staticmethod
    def partitionBy(*cols):
        return WindowSpec().partitionBy(*cols)

    @staticmethod
    def orderBy(*cols):
        return WindowSpec().orderBy(*cols)

    @staticmethod
    def rowsBetween(start, end):
        return WindowSpec().rowsBetween(start, end)

    @staticmethod
    def rangeBetween(start, end):
        return WindowSpec().rangeBetween(start, end)
