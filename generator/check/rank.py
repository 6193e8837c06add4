"""Upper bounds on the rank of an expression at given sizes: where Xᵀ X can be invertible and where it cannot.

With X of shape N×d, Xᵀ X (d×d) has rank at most min(N, d); it can be inverted only when N ≥ d.
The sampler reads these bounds to give the dimensions sizes at which every inverse, det and
logdet argument can have full rank, whatever the dimensions are called.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping

from ..tree import dims
from ..tree.text import to_text
from ..tree.nodes import NODES, Add, Const, Expr, Hadamard, Inverse, Kron, Mul, Reduce, Sym, Transpose, Zero, shape_text
from ..tree.visitor import Shared

NEEDS_FULL_RANK = ("det", "logdet")  # reductions that are 0 (or undefined) at a singular argument


def invertible_everywhere(exprs: Iterable[Expr], sizes: Mapping[str, int]) -> bool:
    """Whether every inverted matrix and every det or logdet argument in `exprs` can have full rank at these sizes."""
    bound = _Rank(sizes)
    for e in exprs:
        for node in e.walk():
            arg = node.arg if isinstance(node, Inverse) or isinstance(node, Reduce) and node.op in NEEDS_FULL_RANK \
                else None
            if arg is not None and not arg.is_scalar and bound.rank(arg) < bound.size(arg.rows):
                return False
    return True


def deficient(e: Expr, sizes: Mapping[str, int]) -> str:
    """Why `e` is singular at every sample, when its rank bound says so: 'x x^T has rank at most 1 but is n×n'."""
    arg = e.arg if isinstance(e, (Inverse, Reduce)) else e
    if arg.is_scalar or arg.rows != arg.cols:
        return ""
    bound = _Rank(sizes)
    rank = bound.rank(arg)
    if rank >= bound.size(arg.rows):
        return ""
    # the bound in the problem's own words where a dimension has that size: rank at most N
    named = sorted(d for n in arg.walk() if isinstance(n, Sym) for d in n.shape
                   if isinstance(d, str) and sizes.get(d) == rank and rank > 1)
    return f"{to_text(arg)} has rank at most {named[0] if named else rank} but is {shape_text(arg.shape)}"


class _Rank(Shared[int]):
    """An upper bound on the rank of each node (the generic rank for symbols drawn at random)."""

    family = NODES

    def __init__(self, sizes: Mapping[str, int]):
        super().__init__()
        self.sizes = sizes

    def size(self, d: dims.Dim) -> int:
        """The number a dimension stands for at these sizes."""
        return dims.size(d, self.sizes)

    def full(self, e: Expr) -> int:
        """The largest rank a node of its shape can have."""
        return min(self.size(e.rows), self.size(e.cols))

    rank = Shared.once

    def compute(self, e: Expr) -> int:
        """The bound for a node, never above its full rank."""
        return min(self.full(e), self.visit(e))

    def visit_Sym(self, e: Expr) -> int:
        return self.full(e)

    visit_Identity = visit_Inverse = visit_Apply = visit_Power = visit_Softmax = visit_Call = visit_Sym
    visit_Grad = visit_Hess = visit_Commutation = visit_DiagPart = visit_Diag = visit_Sym

    def visit_Const(self, e: Const) -> int:
        return 0 if e.value == 0 else 1

    def visit_Zero(self, e: Zero) -> int:
        return 0

    def visit_Ones(self, e: Expr) -> int:
        return 1

    visit_Reduce = visit_Vec = visit_Ones  # a scalar, or one column

    def visit_Add(self, e: Add) -> int:
        return sum(self.rank(t) for t in e.terms)

    def visit_Mul(self, e: Mul) -> int:
        if any(isinstance(f, Const) and f.value == 0 for f in e.factors):
            return 0
        return min((self.rank(f) for f in e.chain), default=1)

    def visit_Transpose(self, e: Transpose) -> int:
        return self.rank(e.arg)

    visit_Named = visit_Transpose

    def visit_Hadamard(self, e: Hadamard) -> int:
        return math.prod(self.rank(f) for f in e.factors)

    def visit_Kron(self, e: Kron) -> int:
        return math.prod(self.rank(f) for f in e.factors)
