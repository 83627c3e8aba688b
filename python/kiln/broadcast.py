"""Broadcast variables (PySpark's Broadcast): a value sent to every
executor once, read in tasks as .value."""
import _kiln

__all__ = ["Broadcast"]


class Broadcast:
    """A read-only value shared with the tasks (sc.broadcast(v))."""

    def __init__(self, sc, value, bid):
        self._sc = sc
        self._value = value
        self._id = bid
        self._destroyed = False

    @classmethod
    def _in_task(cls, bid):
        b = cls.__new__(cls)
        b._sc = None
        b._id = bid
        b._destroyed = False
        return b

    @property
    def id(self):
        return self._id

    @property
    def value(self):
        if self._sc is not None:
            if self._destroyed:
                raise ValueError("Broadcast %d has been destroyed" % self._id)
            return self._value
        if not hasattr(self, "_value"):
            self._value = _kiln.broadcast_value(self._id)
        return self._value

    def unpersist(self, blocking=False):
        """Kept for PySpark's API: kiln drops the executors' copies on destroy."""

    def destroy(self, blocking=False):
        if self._sc is None:
            raise RuntimeError("Broadcast.destroy can only be called on the driver")
        if not self._destroyed:
            self._sc._ctx().broadcast_destroy(self._id)
            self._destroyed = True

    def __reduce__(self):
        if self._sc is not None and self._destroyed:
            raise ValueError("Attempted to use broadcast %d after it was destroyed" % self._id)
        return (Broadcast._in_task, (self._id,))
