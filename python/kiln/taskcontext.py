"""TaskContext (PySpark's): what task a function runs in."""
import _kiln

__all__ = ["TaskContext"]


class TaskContext:
    """The running task; TaskContext.get() is None outside tasks."""

    def __init__(self, stage, partition, attempt):
        self._stage, self._partition, self._attempt = stage, partition, attempt

    @classmethod
    def get(cls):
        info = _kiln.task_info()
        return cls(*info) if info else None

    def stageId(self):
        return self._stage

    def partitionId(self):
        return self._partition

    def attemptNumber(self):
        return self._attempt
