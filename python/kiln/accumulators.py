"""Accumulators (PySpark's Accumulator): sums that tasks add to and the
driver reads; a task's additions count once, when it succeeds."""
import _kiln

__all__ = ["Accumulator", "AccumulatorParam"]


class AccumulatorParam:
    """PySpark's interface for custom accumulators; kiln sums ints and floats."""

    def zero(self, value):
        return 0

    def addInPlace(self, a, b):
        return a + b


class Accumulator:
    """An int or float sum (sc.accumulator(0) / sc.accumulator(0.0))."""

    def __init__(self, sc, aid, is_float, initial):
        self._sc = sc
        self._id = aid
        self._float = is_float
        self._initial = initial

    @classmethod
    def _in_task(cls, aid, is_float):
        a = cls.__new__(cls)
        a._sc = None
        a._id = aid
        a._float = is_float
        a._initial = 0
        return a

    @property
    def value(self):
        if self._sc is None:
            raise RuntimeError("Accumulator.value cannot be accessed inside tasks")
        return self._initial + self._sc._ctx().accumulator_value(self._id)

    @value.setter
    def value(self, v):
        if self._sc is None:
            raise RuntimeError("Accumulator.value cannot be set inside tasks")
        self._initial = v - self._sc._ctx().accumulator_value(self._id)

    def add(self, term):
        if self._sc is None or _kiln.in_task():
            _kiln.accumulator_add(self._id, float(term) if self._float else term)
        else:
            self._initial += term

    def __iadd__(self, term):
        self.add(term)
        return self

    def __reduce__(self):
        return (Accumulator._in_task, (self._id, self._float))

    def __str__(self):
        return str(self.value)

    def __repr__(self):
        return "Accumulator<id=%d, value=%s>" % (self._id, self.value if self._sc else "?")
