"""kiln.ml.linalg: PySpark's vectors (DenseVector, SparseVector, Vectors)
and DenseMatrix, over numpy.

A 1-D float64 numpy array is already a dense vector to kiln (it travels
as a kiln vector); DenseVector wraps one. A SparseVector travels as the
tuple (size, int32 index bytes, float64 values), kiln's sparse vector.
"""
import numpy as np

__all__ = ["Vector", "DenseVector", "SparseVector", "Vectors", "Matrix", "DenseMatrix",
           "Matrices"]


class Vector:
    """The base of DenseVector and SparseVector."""

    def toArray(self):
        """The vector as a dense float64 numpy array."""
        raise NotImplementedError

    def asML(self):
        return self


class DenseVector(Vector):
    """A dense vector of float64 values (PySpark's DenseVector)."""

    __slots__ = ("array",)

    def __init__(self, ar):
        if isinstance(ar, (bytes, bytearray)):
            ar = np.frombuffer(ar, dtype=np.float64)
        self.array = np.array(ar, dtype=np.float64).reshape(-1)

    def __reduce__(self):
        return DenseVector, (self.array.tolist(),)

    @property
    def values(self):
        return self.array

    @property
    def size(self):
        return len(self.array)

    def toArray(self):
        return self.array

    def numNonzeros(self):
        return int(np.count_nonzero(self.array))

    def norm(self, p):
        return float(np.linalg.norm(self.array, p))

    def dot(self, other):
        if isinstance(other, SparseVector):
            return other.dot(self)
        return float(np.dot(self.array, _array(other)))

    def squared_distance(self, other):
        d = self.array - _array(other)
        return float(np.dot(d, d))

    def __len__(self):
        return len(self.array)

    def __getitem__(self, i):
        return self.array[i]

    def __iter__(self):
        return iter(self.array)

    def __eq__(self, other):
        if isinstance(other, DenseVector):
            return np.array_equal(self.array, other.array)
        if isinstance(other, SparseVector):
            return other == self
        return False

    def __hash__(self):
        return hash(tuple(self.array.tolist()))

    def __str__(self):
        return "[" + ",".join(repr(float(x)) for x in self.array) + "]"

    def __repr__(self):
        return "DenseVector([%s])" % ", ".join(repr(float(x)) for x in self.array)

    def __array__(self, dtype=None):
        return self.array if dtype is None else self.array.astype(dtype)


class SparseVector(Vector):
    """A sparse vector: its size, increasing int32 indices and float64
    values (PySpark's SparseVector). SparseVector(size, {i: v}),
    SparseVector(size, [(i, v), ...]) or SparseVector(size, indices, values)."""

    __slots__ = ("size", "indices", "values")

    def __init__(self, size, *args):
        self.size = int(size)
        if len(args) == 1:
            pairs = args[0]
            if isinstance(pairs, dict):
                pairs = pairs.items()
            pairs = sorted((int(i), float(v)) for i, v in pairs)
            idx = [i for i, _ in pairs]
            vals = [v for _, v in pairs]
        elif len(args) == 2:
            idx, vals = args
            if isinstance(idx, (bytes, bytearray)):
                idx = np.frombuffer(idx, dtype="<i4")
            if isinstance(vals, (bytes, bytearray)):
                vals = np.frombuffer(vals, dtype=np.float64)
        else:
            raise TypeError("SparseVector(size, dict or pairs) or (size, indices, values)")
        self.indices = np.array(idx, dtype=np.int32).reshape(-1)
        self.values = np.array(vals, dtype=np.float64).reshape(-1)
        if len(self.indices) != len(self.values):
            raise ValueError("indices and values differ in length")
        if len(self.indices) and (np.any(np.diff(self.indices) <= 0) or self.indices[0] < 0
                                  or self.indices[-1] >= self.size):
            raise ValueError("indices must be strictly increasing and in [0, size)")

    def __reduce__(self):
        return SparseVector, (self.size, self.indices.tolist(), self.values.tolist())

    def toArray(self):
        a = np.zeros(self.size)
        a[self.indices] = self.values
        return a

    def numNonzeros(self):
        return int(np.count_nonzero(self.values))

    def norm(self, p):
        return float(np.linalg.norm(self.values, p))

    def dot(self, other):
        if isinstance(other, SparseVector):
            return float(np.dot(self.toArray(), other.toArray()))
        return float(np.dot(self.values, _array(other)[self.indices]))

    def squared_distance(self, other):
        d = self.toArray() - _array(other)
        return float(np.dot(d, d))

    def __len__(self):
        return self.size

    def __getitem__(self, i):
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError("index %d out of range" % i)
        j = np.searchsorted(self.indices, i)
        return float(self.values[j]) if j < len(self.indices) and self.indices[j] == i else 0.0

    def __eq__(self, other):
        if isinstance(other, Vector):
            return len(other) == self.size and np.array_equal(self.toArray(), other.toArray())
        return False

    def __hash__(self):
        return hash((self.size, tuple(self.indices.tolist()), tuple(self.values.tolist())))

    def __str__(self):
        return "(%d,[%s],[%s])" % (self.size, ",".join(str(int(i)) for i in self.indices),
                                   ",".join(repr(float(v)) for v in self.values))

    def __repr__(self):
        return "SparseVector(%d, {%s})" % (self.size, ", ".join(
            "%d: %r" % (int(i), float(v)) for i, v in zip(self.indices, self.values)))


class Vectors:
    """Factory methods of vectors (PySpark's Vectors)."""

    @staticmethod
    def dense(*elements):
        """Vectors.dense(1.0, 2.0) or Vectors.dense([1.0, 2.0])."""
        if len(elements) == 1 and not isinstance(elements[0], (int, float)):
            elements = elements[0]
        return DenseVector(elements)

    @staticmethod
    def sparse(size, *args):
        return SparseVector(size, *args)

    @staticmethod
    def zeros(size):
        return DenseVector(np.zeros(size))

    @staticmethod
    def squared_distance(v1, v2):
        d = _array(v1) - _array(v2)
        return float(np.dot(d, d))

    @staticmethod
    def norm(vector, p):
        return float(np.linalg.norm(_array(vector), p))


class Matrix:
    """The base of DenseMatrix."""


class DenseMatrix(Matrix):
    """A column-major dense matrix (PySpark's DenseMatrix)."""

    def __init__(self, numRows, numCols, values, isTransposed=False):
        self.numRows, self.numCols = int(numRows), int(numCols)
        self.values = np.array(values, dtype=np.float64).reshape(-1)
        self.isTransposed = isTransposed

    def toArray(self):
        """The matrix as a 2-D numpy array."""
        if self.isTransposed:
            return self.values.reshape(self.numRows, self.numCols)
        return self.values.reshape(self.numCols, self.numRows).T

    def __getitem__(self, ij):
        return self.toArray()[ij]

    def __eq__(self, other):
        return isinstance(other, DenseMatrix) and np.array_equal(self.toArray(), other.toArray())

    def __repr__(self):
        return "DenseMatrix(%d, %d, %r)" % (self.numRows, self.numCols, self.toArray().tolist())


class Matrices:
    """Factory methods of matrices."""

    @staticmethod
    def dense(numRows, numCols, values):
        return DenseMatrix(numRows, numCols, values)


def _matrix(a):
    """A DenseMatrix of the 2-D numpy array a."""
    a = np.asarray(a, dtype=np.float64)
    return DenseMatrix(a.shape[0], a.shape[1], a.reshape(-1), isTransposed=True)


def _array(v):
    """Any vector (Vector, numpy array, list, kiln's sparse tuple) as a dense array."""
    if isinstance(v, np.ndarray):
        return v.astype(np.float64, copy=False).reshape(-1)
    if isinstance(v, Vector):
        return v.toArray()
    if isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], (bytes, bytearray)):
        return SparseVector(v[0], v[1], v[2]).toArray()
    return np.asarray(v, dtype=np.float64).reshape(-1)


def _to_kiln(v):
    """A vector in kiln's form: a float64 array or (size, int32 index bytes, values)."""
    if isinstance(v, SparseVector):
        return (v.size, v.indices.astype("<i4").tobytes(), v.values)
    if isinstance(v, DenseVector):
        return v.array
    if isinstance(v, np.ndarray) and v.dtype == np.float64 and v.ndim == 1:
        return v
    if isinstance(v, tuple) and len(v) == 3 and isinstance(v[1], (bytes, bytearray)):
        return v
    if isinstance(v, (int, float)):
        return np.array([v], dtype=np.float64)
    return np.asarray(v, dtype=np.float64).reshape(-1)


def _from_kiln(v):
    """kiln's vector (an array or the sparse tuple) as a DenseVector or SparseVector."""
    if isinstance(v, tuple) and len(v) == 3:
        return SparseVector(v[0], v[1], v[2])
    if isinstance(v, Vector):
        return v
    return DenseVector(v)
