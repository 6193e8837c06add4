"""I and \\mathbf{1} before a neighbour tells their size: `2 I + X`, `W^T \\mathbf{1}`, `\\mathbf{1}^T x`."""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..tree import algebra as alg
from ..tree.nodes import Expr, Identity, Ones, Shape


@dataclass(frozen=True)
class Pending:
    """c·I, or c·1 (the all-ones column, a row once transposed), waiting for its size."""

    kind: str = "I"  # "I" or "1"
    coeff: Expr = alg.ONE
    row: bool = False

    def transposed(self) -> Pending:
        return self if self.kind == "I" else replace(self, row=not self.row)

    def scaled(self, c: Expr) -> Pending:
        return replace(self, coeff=alg.mul(self.coeff, c))

    def sized(self, shape: Shape) -> Expr:
        return alg.mul(self.coeff, Identity(shape[0]) if self.kind == "I" else Ones(shape))

    def beside(self, other: Expr, op: str, on_left: bool) -> Expr | None:
        """Sized by its neighbour in `self op other` (or `other op self`); None when the neighbour does not tell."""
        if self.kind == "I":
            n = other.rows if on_left or op != "*" else other.cols
            return self.sized((n, n))
        if op != "*":  # 1 - z, 1 .* z: the shape of z
            return self.sized(other.shape)
        if on_left and (self.row or other.rows != 1):  # 1ᵀ A; 1 A read as 1ᵀ A, as the key's LaTeX prints it
            return self.sized((1, other.rows))
        if not on_left and not self.row:  # A 1
            return self.sized((other.cols, 1))
        return None

    def expected(self, shape: Shape) -> Expr | None:
        """Sized by the shape the answer should have: I when it is square, 1 as a vector (or all-ones matrix)."""
        if self.kind == "I":
            return self.sized(shape) if shape[0] == shape[1] else None
        if self.row and shape[0] != 1:  # 1ᵀ where a column is expected stays a row: a layout mistake to grade
            return self.sized((shape[1], shape[0]))
        return self.sized(shape)


Value = Expr | Pending


def negate(value: Value) -> Value:
    return value.scaled(alg.const(-1)) if isinstance(value, Pending) else alg.neg(value)


def combine(op: str, left: Value, right: Value) -> Pending | None:
    """The combinations that leave the size open: c·P, P/c, P + P, I·I, P ∘ P, and 1 + c (c broadcasts)."""
    if isinstance(left, Pending) and isinstance(right, Pending):
        if (left.kind, left.row) != (right.kind, right.row) or op == "/" or (op == "*" and left.kind == "1"):
            return None
        return replace(left, coeff=(alg.add if op == "+" else alg.mul)(left.coeff, right.coeff))
    pending, other = (left, right) if isinstance(left, Pending) else (right, left)
    assert isinstance(pending, Pending) and not isinstance(other, Pending)
    if not other.is_scalar:
        return None
    if op == "*" or (op == "/" and pending is left):
        return pending.scaled(alg.power(other, -1) if op == "/" else other)
    if op == "+" and pending.kind == "1":
        return replace(pending, coeff=alg.add(pending.coeff, other))
    return None
