"""The registry's formulas (ops/kit.py) built as expression trees, through the smart constructors."""
from __future__ import annotations

from fractions import Fraction

from . import algebra as alg
from .nodes import Expr, Identity, Ones


class TreeKit:
    """Builds what a formula describes as an expression tree in canonical form."""

    def const(self, value: int | Fraction) -> Expr:
        return alg.const(Fraction(value))

    def apply(self, fn: str, u: Expr, order: int = 0) -> Expr:
        return alg.apply(fn, u, order)

    def add(self, *terms: Expr) -> Expr:
        return alg.add(*terms)

    def mul(self, *factors: Expr) -> Expr:
        return alg.mul(*factors)

    def power(self, u: Expr, p: int | Fraction) -> Expr:
        return alg.power(u, Fraction(p))

    def hadamard(self, *factors: Expr) -> Expr:
        return alg.hadamard(*factors)

    def transpose(self, u: Expr) -> Expr:
        return alg.transpose(u)

    def inverse(self, u: Expr) -> Expr:
        return alg.inverse(u)

    def identity(self, like: Expr) -> Expr:
        return Identity(like.rows)

    def ones(self, like: Expr) -> Expr:
        return Ones(like.shape)

    def softmax(self, u: Expr) -> Expr:
        return alg.softmax(u)

    def reduce(self, op: str, u: Expr) -> Expr:
        return alg.reduce_(op, u)


TREE = TreeKit()
