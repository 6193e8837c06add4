"""Slices of a tensor derivative as a lecturer draws them, with unit vectors eᵢ: ∂y_k/∂X = e_k aᵀ, ∂Y/∂X_ij = A eᵢeⱼᵀB.

A slice is linear in each unit vector, so it stays true with any vectors in their place: the
numeric check (and the grading of a slice exercise) uses random vectors for eᵢ, eⱼ, e_k.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from ..calculus.engine import derivative
from ..calculus.slices import SliceForm, letters, slice_form
from ..check.numeric import evaluate
from ..check.sampling import sample_for
from ..check.verify import RESIDUAL_LIMIT, gap_at, tensor_gap
from ..errors import GeneratorError, VerificationError
from ..latex.names import entry_name, name_latex, symbol_latex
from ..tree import algebra as alg
from ..tree.nodes import Expr, Sym
from ..tree.scope import Scope, Statement

CHECK_POINTS = 2


class Derived(Protocol):
    """What a slice is taken of: pipeline/derivation.py's Derivation (named here without importing it, as
    derivation.py imports this module)."""

    statement: Statement
    wrt: Sym
    scope: Scope
    kind: str

    @property
    def tensor(self) -> bool: ...


@dataclass(frozen=True)
class Slice:
    """One slice of a tensor derivative, in closed form over unit vectors."""

    expr: Expr  # the slice: e_k a^T, A e_i e_j^T B
    of: Expr  # what it is the derivative of: e_kᵀ y for ∂y_k/∂X, else the output itself
    direction: Expr | None  # eᵢeⱼᵀ (or eᵢ) for ∂Y/∂X_ij; None when the slice is a gradient (∂y_k/∂X)
    units: tuple[Sym, ...]  # the unit vectors it is written with
    label: str  # LaTeX of what it is: \frac{\partial y_{k}}{\partial X}
    derivation: Any  # the slice as a Derivation over the scope with the unit vectors (to grade answers)

    @property
    def indices(self) -> tuple[str, ...]:
        """The index letters of its unit vectors: ('k',) or ('i', 'j')."""
        return tuple(u.name.removeprefix("e_") for u in self.units)


def slice_of(d: Derived) -> Slice:
    """The slice of a tensor derivative the lecture draws: ∂y_k/∂X for a vector by a matrix, ∂Y/∂X_ij for a matrix
    by a matrix (∂²f/∂X∂X_ij for a Hessian), ∂Y/∂x_i by a vector, ∂Y/∂s itself by a scalar; checked numerically."""
    if not d.tensor:
        raise GeneratorError("a slice is taken of a tensor derivative (a vector or matrix by a matrix, a matrix by "
                             "a vector or a scalar)")
    wrt, functions = d.wrt, d.scope.functions
    output = derivative(d.statement.expr, wrt, "denominator", functions).result if d.kind == "hessian" \
        else d.statement.expr
    free = letters(taken(d.scope))
    form = slice_form(output, wrt, free, functions)
    name = d.statement.output or "y"
    var = symbol_latex(wrt.name, wrt.shape)
    if form.direction is None:
        label = rf"\frac{{\partial {entry_name(name, free[2])}}}{{\partial {var}}}"
    else:
        by = name_latex(wrt.name) if wrt.is_scalar else entry_name(wrt.name, "".join(free[:len(form.units)]))
        top = symbol_latex(name, d.statement.expr.shape)
        label = (rf"\frac{{\partial^{{2}} {top}}}{{\partial {var}\,\partial {by}}}" if d.kind == "hessian"
                 else rf"\frac{{\partial {top}}}{{\partial {by}}}")
    return _made(d, form, label)


def taken(scope: Scope) -> set[str]:
    """Names an index letter must not take: the dimensions and the scalar symbols (as the proofs avoid them)."""
    dims = {x for s in scope.symbols.values() for x in s.shape if isinstance(x, str)}
    scalars = {n for n, s in scope.symbols.items() if s.is_scalar}
    return dims | scalars | {n for n in scope.symbols if n.startswith("e_")}


def _made(d: Derived, form: SliceForm, label: str) -> Slice:
    """The slice, once finite differences agree with it at random vectors in place of the unit vectors."""
    scope = Scope({**d.scope.symbols, **{u.name: u for u in form.units}}, d.scope.functions)
    worst = _gap(form.of, d.wrt, form.closed, form.direction, scope)
    if not worst <= RESIDUAL_LIMIT["tensor"]:
        raise VerificationError(f"the slice {label} disagrees with finite differences (largest relative error "
                                f"{worst:.2e})")
    as_derivation = replace(d, closed_form=form.closed, steps=(), scope=scope, layout="denominator", kind="slice", residual=worst)
    return Slice(form.closed, form.of, form.direction, form.units, label, as_derivation)


def slice_residual(piece: Slice, output: Expr, wrt: Sym, scope: Scope, hessian: bool = False) -> float:
    """The largest relative gap between a slice and finite differences of `output` (parsed afresh by the caller,
    so a key is checked against the expression, not against what derived it)."""
    top = derivative(output, wrt, "denominator", scope.functions).result if hessian else output
    if piece.direction is None:  # ∂y_k/∂X is the gradient of e_kᵀ y
        top = alg.mul(alg.transpose(piece.units[0]), top if top.is_column else alg.transpose(top))
    return _gap(top, wrt, piece.expr, piece.direction, Scope({**scope.symbols, **{u.name: u for u in piece.units}},
                                                                scope.functions))


def _gap(of: Expr, wrt: Sym, closed: Expr, direction: Expr | None, scope: Scope) -> float:
    worst = 0.0
    for point in range(CHECK_POINTS):
        values, sizes = sample_for([of, closed], scope, 4241 + point)
        if direction is None:
            gap = gap_at(of, wrt, closed, "denominator", scope, "gradient", values, sizes)
        else:
            gap = _directional_gap(of, wrt, closed, direction, scope, values, sizes)
        worst = max(worst, gap)
    return worst


def _directional_gap(of: Expr, wrt: Sym, closed: Expr, direction: Expr, scope: Scope,
                     values: dict[str, np.ndarray], sizes: dict) -> float:
    """The slice against central differences of the output along the direction, at one point."""
    base, step = evaluate(wrt, values, scope, sizes), evaluate(direction, values, scope, sizes)

    def along(t: np.ndarray) -> np.ndarray:  # the output at X + (t − 1) D, so t = 1 is the sample point
        return evaluate(of, {**values, wrt.name: base + (float(t[0, 0]) - 1.0) * step}, scope, sizes)

    return tensor_gap(along, np.ones((1, 1)), evaluate(closed, values, scope, sizes), Sym("_t", (1, 1)),
                      "numerator")
