"""Directional derivatives: dU when the variable moves along a direction D, by the rules of differentials.

d(UV) = dU V + U dV, d(U⁻¹) = −U⁻¹ dU U⁻¹, d f(U) = f′(U) ∘ dU, d r(U) = ⟨∂r/∂U, dU⟩, … With D = 1
for a scalar variable this is the derivative of a matrix by a scalar; with D = eᵢeⱼᵀ it is the
slice ∂Y/∂Xᵢⱼ of a fourth-order derivative (A eᵢ eⱼᵀ B for Y = A X B), as a lecturer draws it.
"""
from __future__ import annotations

from typing import Mapping

from ..ops import OPS
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.kit import TREE
from ..tree.nodes import (
    NODES, Add, Call, Diag, Expr, Grad, Hadamard, Inverse, Kron, Mul, Ones, Reduce, Softmax, Sym, Transpose, Vec,
)
from ..tree.scope import FunctionSpec
from .forward import Forward, Maybe
from .rules import column
from .simplify import tidy
from .vec import hessian_of


def directional(expr: Expr, wrt: Sym, direction: Expr, functions: Mapping[str, FunctionSpec] | None = None,
                keep: frozenset[Expr] = frozenset()) -> Expr:
    """The derivative of `expr` when `wrt` moves along `direction` (a tree of wrt's shape), tidied; sums in
    `keep` (those the author wrote) stay as written."""
    d = _Sweep(wrt, direction, functions or {}).diff(expr)
    return alg.zero(expr.shape) if d is None else tidy(d, keep)


def inner(g: Expr, p: Expr) -> Expr:
    """⟨G, P⟩ = tr(GᵀP), written without a trace where P ends in a row: tr(Gᵀ L u vᵀ) = vᵀ Gᵀ L u."""
    if g.is_scalar or p.is_scalar:
        return alg.mul(g, p)
    if g.is_column:
        return alg.mul(alg.transpose(g), p)
    if g.is_row:
        return alg.mul(g, alg.transpose(p))
    chain = p.chain if isinstance(p, Mul) else (p,)
    if chain[-1].is_row:
        scalars = [f for f in p.factors if f.is_scalar] if isinstance(p, Mul) else []
        return alg.mul(*scalars, chain[-1], alg.transpose(g), *chain[:-1])
    return alg.reduce_("tr", alg.mul(alg.transpose(g), p))


class _Sweep(Forward):
    """One forward sweep of differentials along a fixed direction."""

    family = NODES

    def __init__(self, wrt: Sym, direction: Expr, functions: Mapping[str, FunctionSpec]):
        super().__init__(wrt, functions)
        self.direction = direction

    diff = Forward.once  # dU of a node of the input tree

    def seed(self) -> Expr:
        return self.direction

    def visit_Add(self, e: Add) -> Maybe:
        parts = [d for d in map(self.diff, e.terms) if d is not None]
        if not parts:
            return None
        total = alg.add(*parts)
        return alg.mul(total, Ones(e.shape)) if total.is_scalar and not e.is_scalar else total

    def visit_Mul(self, e: Mul) -> Maybe:
        parts = []
        for i, f in enumerate(e.factors):
            d = self.diff(f)
            if d is not None:
                parts.append(alg.mul(*e.factors[:i], d, *e.factors[i + 1:]))
        return alg.add(*parts) if parts else None

    def visit_Hadamard(self, e: Hadamard) -> Maybe:
        parts = []
        for i, f in enumerate(e.factors):
            d = self.diff(f)
            if d is not None:
                parts.append(alg.hadamard(*e.factors[:i], d, *e.factors[i + 1:]))
        return alg.add(*parts) if parts else None

    def visit_Kron(self, e: Kron) -> Maybe:
        parts = []
        for i, f in enumerate(e.factors):
            d = self.diff(f)
            if d is not None:
                parts.append(kr.kron(*e.factors[:i], d, *e.factors[i + 1:]))
        return alg.add(*parts) if parts else None

    def visit_Transpose(self, e: Transpose) -> Maybe:
        d = self.diff(e.arg)
        return None if d is None else alg.transpose(d)

    def visit_Inverse(self, e: Inverse) -> Maybe:
        d = self.diff(e.arg)
        return None if d is None else alg.neg(alg.mul(e, d, e))

    def elementwise(self, u: Expr, derivative: Expr) -> Maybe:
        """f(U) entry by entry: f′(U) ∘ dU."""
        d = self.diff(u)
        return None if d is None else alg.hadamard(derivative, d)

    def visit_Reduce(self, e: Reduce) -> Maybe:
        d = self.diff(e.arg)
        return None if d is None else inner(OPS.reductions[e.op].gradient(e, e.arg, TREE), d)

    def visit_Softmax(self, e: Softmax) -> Maybe:
        d = self.diff(e.arg)
        if d is None:
            return None
        s = column(e)
        out = alg.mul(alg.sub(alg.diag(s), alg.mul(s, alg.transpose(s))), column(d))
        return out if e.is_column else alg.transpose(out)

    def visit_Diag(self, e: Diag) -> Maybe:
        d = self.diff(e.arg)
        return None if d is None else alg.diag(d)

    visit_DiagPart = visit_Diag

    def visit_Vec(self, e: Vec) -> Maybe:
        d = self.diff(e.arg)
        return None if d is None else kr.vec(d)

    def visit_Call(self, e: Call) -> Maybe:
        f, d = e.arg, self.argument(e)
        if d is None:
            return None
        if e.is_scalar:
            return inner(Grad(e.fn, f, f.shape, self.spec(e.fn).gradient), d)
        out = alg.mul(alg.transpose(Grad(e.fn, f, (f.length, e.length), None)), column(d))
        return out if e.is_column else alg.transpose(out)

    def visit_Grad(self, e: Grad) -> Maybe:
        d = self.diff(e.arg)
        if d is None:
            return None
        out = alg.mul(hessian_of(e.fn, e.arg, self.spec(e.fn)), column(d))
        return out if e.is_column or e.is_scalar else alg.transpose(out)
