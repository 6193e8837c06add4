"""Mistakes only a Kronecker-form answer can make: the factors swapped (A ⊗ Bᵀ for Bᵀ ⊗ A), which is the
vec–Jacobian written with row-major vec (vec Yᵀ by vec Xᵀ) instead of the column-major vec of the course."""
from __future__ import annotations

import re
from typing import Callable, Mapping, Sequence

import numpy as np

from ..check.numeric import commutation_matrix
from ..pipeline.derivation import Derivation, axes
from ..tree import dims
from ..vocabulary import other_layout
from .verdict import Verdict

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


MAX_SHAPE_LENGTH = 100  # a shape is a few characters
AXES = re.compile(r"\w+")
SEPARATORS = re.compile(r"\s*(?:×|\\times|\*|,|\bby\b|x)\s*")
# ℝ^{m×p}, \mathbb{R}^{m \times p}, R^{m x p}: the space the derivative lives in names its shape
SPACE = re.compile(r"\s*(?:\\math(?:bb|bf|rm)\s*(?:\{\s*R\s*\}|R)|\\R|ℝ|R)\s*\^")


def shape_axes(answer: str) -> tuple[int | str, ...] | None:
    """The axes a shape answer gives, two or more: m×p, m x p, (m, p), m by p, m x p x 1, \\mathbb{R}^{m \\times p},
    R^{m x p}; None when it is not written as a shape."""
    if len(answer) > MAX_SHAPE_LENGTH:
        return None
    text = answer.replace("$", "").strip()
    space = SPACE.match(text)
    text = text[space.end():].strip().strip("{}") if space else text
    text = text.strip().strip("()[]").strip()
    parts = SEPARATORS.split(text) if text else []
    if len(parts) < 2 or not all(AXES.fullmatch(p) for p in parts):
        return None
    return tuple(int(p) if p.isdigit() else p for p in parts)


def grade_tensor_shape(answer: str, d: Derivation, weights: Mapping[str, float]) -> Verdict:
    """A tensor's shape given by its axes, such as m×n×r or (m, n, r); the other layout's order is a layout slip."""
    given = shape_axes(answer)
    if given is None:
        tag, feedback = "parse", "Write a shape by its axes, such as m×n×r."
    else:
        out, var = axes(d.statement.expr.shape), axes(d.wrt.shape)
        other = out + var if d.layout == "denominator" else var + out
        if given == tuple(d.shape):
            tag, feedback = None, "Correct."
        elif given == other and d.kind != "hessian":
            tag, feedback = "layout", (f"These axes are in the order of the {other_layout(d.layout)} layout; the "
                                       f"question asks for the {d.layout} layout.")
        else:
            tag, feedback = "shape", "That is not the shape of the derivative."
    echo = "" if tag == "parse" else shape_echo(given)
    return Verdict(tag is None, tag, feedback, 1.0 if tag is None else weights.get(tag, 0.0), answer, echo)


def shape_echo(given: Sequence[int | str]) -> str:
    """A shape as it was read, in LaTeX: m \\times n \\times 2 (an axis that is not a plain name shows as ?)."""
    return r" \times ".join(str(d) if isinstance(d, int) or d.isalnum() and d.isascii() else "?" for d in given)
