"""StorageLevel with PySpark's names, mapped onto kiln's four levels."""

__all__ = ["StorageLevel"]


class StorageLevel:
    """How an RDD's partitions are kept (PySpark's StorageLevel)."""

    def __init__(self, useDisk, useMemory, useOffHeap, deserialized, replication=1):
        self.useDisk = useDisk
        self.useMemory = useMemory
        self.useOffHeap = useOffHeap
        self.deserialized = deserialized
        self.replication = replication

    def _kiln_level(self):
        """kiln's level: 0 none, 1 MEMORY_ONLY (kiln keeps values, not pickles),
        2 MEMORY_ONLY_SER (kiln's serialized form), 3 MEMORY_AND_DISK,
        4 DISK_ONLY. Off-heap is memory and disk; replication is not kept."""
        if getattr(self, "_kiln", None) is not None:
            return self._kiln
        if self.useMemory and self.useDisk:
            return 3
        if self.useMemory:
            return 1
        if self.useDisk:
            return 4
        return 0

    def __eq__(self, other):
        return isinstance(other, StorageLevel) and self._tuple() == other._tuple()

    def __hash__(self):
        return hash(self._tuple())

    def _tuple(self):
        return (self.useDisk, self.useMemory, self.useOffHeap, self.deserialized, self.replication)

    def __repr__(self):
        return "StorageLevel(%s, %s, %s, %s, %s)" % self._tuple()

    def __str__(self):
        parts = []
        parts.append("Disk" if self.useDisk else "")
        parts.append("Memory" if self.useMemory else "")
        parts.append("OffHeap" if self.useOffHeap else "")
        parts.append("Deserialized" if self.deserialized else "Serialized")
        return "%s %dx Replicated" % (" ".join(p for p in parts if p), self.replication)


StorageLevel.NONE = StorageLevel(False, False, False, False)
StorageLevel.DISK_ONLY = StorageLevel(True, False, False, False)
StorageLevel.DISK_ONLY_2 = StorageLevel(True, False, False, False, 2)
StorageLevel.DISK_ONLY_3 = StorageLevel(True, False, False, False, 3)
StorageLevel.MEMORY_ONLY = StorageLevel(False, True, False, False)
StorageLevel.MEMORY_ONLY_2 = StorageLevel(False, True, False, False, 2)
StorageLevel.MEMORY_AND_DISK = StorageLevel(True, True, False, False)
StorageLevel.MEMORY_AND_DISK_2 = StorageLevel(True, True, False, False, 2)
StorageLevel.MEMORY_AND_DISK_DESER = StorageLevel(True, True, False, True)
StorageLevel.OFF_HEAP = StorageLevel(True, True, True, False, 1)
# PySpark's flags are those of MEMORY_ONLY (Python's values are always
# pickled there); kiln keeps this one in its serialized form.
StorageLevel.MEMORY_ONLY_SER = StorageLevel(False, True, False, False)
StorageLevel.MEMORY_ONLY_SER._kiln = 2
