"""kiln.mllib.linalg: the same vectors as kiln.ml.linalg."""
from ..ml.linalg import (DenseMatrix, DenseVector, Matrices, Matrix, SparseVector, Vector,
                         Vectors)

__all__ = ["Vector", "DenseVector", "SparseVector", "Vectors", "Matrix", "DenseMatrix",
           "Matrices"]
