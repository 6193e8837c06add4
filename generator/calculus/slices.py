"""One slice of a tensor derivative in closed form, over unit vectors: ∂y_k/∂X = e_k aᵀ, ∂Y/∂X_ij = A eᵢeⱼᵀB.

For a vector y by a matrix X the lecture draws the slices ∂y_k/∂X, the gradients of y_k = e_kᵀ y;
for a matrix Y by a matrix X the slice ∂Y/∂X_ij is Y's derivative along eᵢeⱼᵀ (by a vector x, along
eᵢ; by a scalar, the derivative itself). Each is linear in every unit vector it holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from ..tree import algebra as alg
from ..tree.nodes import Expr, Sym
from ..tree.scope import FunctionSpec
from .differential import directional
from .engine import derivative

LETTERS = "ijklpqrstuvabcdefgh"  # the proofs' index letters, in the order they are handed out


@dataclass(frozen=True)
class SliceForm:
    """A slice: its closed form, what it is the derivative of, the direction (None for a gradient), its unit vectors."""

    closed: Expr
    of: Expr  # e_kᵀ y for ∂y_k/∂X; the output itself otherwise
    direction: Expr | None  # eᵢeⱼᵀ, eᵢ (or eᵢᵀ), or 1; None when the slice is the gradient of `of`
    units: tuple[Sym, ...]


def letters(taken: Iterable[str], count: int = 3) -> list[str]:
    """Index letters free of the problem's dimensions and scalars: i, j, k, … (variable's first, then output's)."""
    avoid = set(taken)
    return [c for c in LETTERS if c not in avoid and f"e_{c}" not in avoid][:count]


def slice_form(output: Expr, wrt: Sym, free: list[str], functions: Mapping[str, FunctionSpec]) -> SliceForm:
    """The slice of ∂output/∂wrt (`output` is the gradient for a Hessian by a matrix) with the given letters:
    free[0], free[1] index the variable, free[2] a vector output."""
    if output.is_vector and not wrt.is_scalar:  # ∂y_k/∂X, the gradient of y_k = e_kᵀ y
        e_k = Sym(f"e_{free[2]}", (output.length, 1))
        of = alg.mul(alg.transpose(e_k), output if output.is_column else alg.transpose(output))
        return SliceForm(derivative(of, wrt, "denominator", functions).result, of, None, (e_k,))
    if wrt.is_scalar:
        direction: Expr = alg.ONE
        units: tuple[Sym, ...] = ()
    elif wrt.is_vector:
        units = (Sym(f"e_{free[0]}", (wrt.length, 1)),)
        direction = units[0] if wrt.is_column else alg.transpose(units[0])
    else:
        units = (Sym(f"e_{free[0]}", (wrt.rows, 1)), Sym(f"e_{free[1]}", (wrt.cols, 1)))
        direction = alg.mul(units[0], alg.transpose(units[1]))
    return SliceForm(directional(output, wrt, direction, functions), output, direction, units)
