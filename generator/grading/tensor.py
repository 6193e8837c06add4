"""Mistakes only a Kronecker-form answer can make: the factors swapped (A ⊗ Bᵀ for Bᵀ ⊗ A), which is the
vec–Jacobian written with row-major vec (vec Yᵀ by vec Xᵀ) instead of the column-major vec of the course."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..check.numeric import commutation_matrix
from ..pipeline.derivation import Derivation
from ..tree import dims

KRON_ORDER = "kron-order"
KRON_ORDER_HINT = ("The Kronecker factors are in the wrong order: that is the row-major vec. With the column-major "
                   "vec, the factor to the right of the variable comes first.")

Reindex = Callable[[np.ndarray, Mapping[str, int]], np.ndarray]


def row_major(d: Derivation) -> Reindex | None:
    """For a tensor's vec–Jacobian: a function turning an answer written for row-major vec back to column-major
    (K_{q,p} G K_{m,n} for an output p×q and a variable m×n), in the derivation's layout; None for other kinds."""
    if not d.tensor or d.wrt.is_scalar:
        return None
    out = d.wrt.shape if d.kind == "hessian" else d.statement.expr.shape
    var = d.wrt.shape
    numerator = d.layout == "numerator" or d.kind == "hessian"

    def reindex(g: np.ndarray, sizes: Mapping[str, int]) -> np.ndarray:
        (p, q), (m, n) = ((dims.size(x, sizes) for x in shape) for shape in (out, var))
        j = g if numerator else g.T
        if j.shape != (p * q, m * n):
            return np.full_like(g, np.nan)
        back = commutation_matrix(q, p) @ j @ commutation_matrix(m, n)
        return back if numerator else back.T

    return reindex
