"""Broadcast variables (PySpark's Broadcast): a value sent to every
executor once, read in tasks as .value."""
import _kiln

__all__ = ["Broadcast"]


# The values read in this process's tasks: {(context token, id): (task, value)}.
# A value is converted from kiln's once per process and checked to be live
# once per task, so a destroyed broadcast fails the tasks that read it even
# in functions an executor has cached.
_VALUES = {}


class Broadcast:
    """A read-only value shared with the tasks (sc.broadcast(v))."""

    def __init__(self, sc, value, bid):
        self._sc = sc
        self._value = value
        self._id = bid
        self._token = sc._token
        self._destroyed = False

    @classmethod
    def _in_task(cls, bid, token=None):
        b = cls.__new__(cls)
        b._sc = None
        b._id = bid
        b._token = token
        b._destroyed = False
        return b

    @property
    def id(self):
        return self._id

    @property
    def value(self):
        """The value (on the driver, and in tasks)."""
        if self._sc is not None:
            if self._destroyed:
                raise ValueError("Broadcast %d has been destroyed" % self._id)
            return self._value
        key = (self._token, self._id)
        task = _kiln.task_info()
        got = _VALUES.get(key)
        if got is None:
            value = _kiln.broadcast_value(self._id)
            _VALUES[key] = (task, value)
            return value
        if got[0] != task:
            _kiln.broadcast_value(self._id, True)
            _VALUES[key] = (task, got[1])
        return got[1]

    def unpersist(self, blocking=False):
        """Kept for PySpark's API: kiln drops the executors' copies on destroy."""

    def destroy(self, blocking=False):
        """Frees the value here and in every executor; tasks reading it fail."""
        if self._sc is None:
            raise RuntimeError("Broadcast.destroy can only be called on the driver")
        if not self._destroyed:
            self._sc._ctx().broadcast_destroy(self._id)
            self._destroyed = True
            del self._value

    def __reduce__(self):
        if self._sc is not None and self._destroyed:
            raise ValueError("Attempted to use broadcast %d after it was destroyed" % self._id)
        return (Broadcast._in_task, (self._id, self._token))
