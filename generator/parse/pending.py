"""I and \\mathbf{1} wait for their size until a neighbour tells it, on either side and through products.

`2 I + X`, `W^T \\mathbf{1}`, `\\mathbf{1}^T x` are sized by the matrix next to them; in
`diag(p)(I - \\mathbf{1} p^T)` the size of I and 1 comes from p, two products away. Each I or 1
gets size variables; combining values unifies them (a union-find over one parse), and a value
is built the moment all its sizes are known.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count
from typing import Callable

from ..errors import ShapeError
from ..tree import algebra as alg
from ..tree.nodes import Dim, Expr, Identity, Ones, shape_text


@dataclass(frozen=True)
class Var:
    """An unknown size."""

    id: int


Size = Var | Dim
Resolve = Callable[[Size], Dim]


@dataclass(frozen=True)
class Pending:
    """A value made from I or 1 whose rows or columns are not known yet; `make` builds it once they are."""

    rows: Size
    cols: Size
    make: Callable[[Resolve], Expr]
    kind: str  # "I" or "1": what a message names
    ones: tuple[tuple[Size, Size], ...] = ()  # the sizes of each 1 inside: a vector once one side is known
    row: bool = False  # a 1 transposed: where a column is expected it stays a row (a layout slip to grade)
    factors: tuple = ()  # a product: its factors, flat, so a long chain (I I … I W) is built without deep recursion


Value = Expr | Pending


class Sizes:
    """The unknown sizes of one parse and what they are known to equal."""

    def __init__(self) -> None:
        self.parent: dict[Var, Size] = {}
        self.ids = count()

    def new(self) -> Var:
        v = Var(next(self.ids))
        self.parent[v] = v
        return v

    def find(self, d: Size) -> Size:
        while isinstance(d, Var) and self.parent[d] != d:
            self.parent[d] = self.parent.get(self.parent[d], self.parent[d])  # path halving
            d = self.parent[d]
        return d

    def unify(self, a: Size, b: Size) -> bool:
        """Record a = b; False when both are known and differ."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(a, Var):
            self.parent[a] = b
            return True
        if isinstance(b, Var):
            self.parent[b] = a
            return True
        return False

    def known(self, d: Size) -> Dim | None:
        found = self.find(d)
        return None if isinstance(found, Var) else found

    # -- values -------------------------------------------------------------------------------
    def identity(self, coeff: Expr = alg.ONE) -> Pending:
        v = self.new()
        return Pending(v, v, lambda r: alg.mul(coeff, Identity(r(v))), "I")

    def ones(self) -> Pending:
        """\\mathbf{1}: all ones, of the shape of what it meets; a vector when it meets a matrix in a product."""
        v, w = self.new(), self.new()
        return Pending(v, w, lambda r: Ones((r(v), r(w))), "1", ((v, w),))

    def vectors(self, p: Pending) -> bool:
        """Each 1 whose length is known is a vector: its other side is 1 (W^T 1, 1^T x, 1 W). Whether any changed."""
        changed = False
        for a, b in p.ones:
            ka, kb = self.known(a), self.known(b)
            if ka is None and kb not in (None, 1):
                changed |= self.unify(a, 1)
            elif kb is None and ka not in (None, 1):
                changed |= self.unify(b, 1)
        return changed

    def settle(self, p: Pending) -> Value:
        """The expression, once every size of `p` is known; else `p` itself."""
        rows, cols = self.known(p.rows), self.known(p.cols)
        if rows is None or cols is None:
            return p
        self.vectors(p)  # 1 1ᵀ inside a known shape: each 1 is a vector, its inner side 1
        if any(self.known(d) is None for leaf in p.ones for d in leaf):
            return p
        return p.make(self.resolve)

    def resolve(self, d: Size) -> Dim:
        known = self.known(d)
        assert known is not None, "settle builds only what is fully sized"
        return known

    def transpose(self, p: Pending) -> Pending:
        return Pending(p.cols, p.rows, lambda r: alg.transpose(p.make(r)), p.kind, p.ones, not p.row)

    def scale(self, p: Pending, c: Expr) -> Pending:
        return Pending(p.rows, p.cols, lambda r: alg.mul(c, p.make(r)), p.kind, p.ones, p.row)

    def finish(self, p: Pending) -> Value:
        """The value where nothing more will tell its size: each 1 whose length is known is a vector."""
        self.vectors(p)
        return self.settle(p)

    def expected(self, p: Pending, shape: tuple[Dim, Dim]) -> Expr | None:
        """Sized by the shape the answer should have; 1ᵀ where a column is expected stays a row, a layout
        slip the grader names."""
        for rows, cols in ((shape[::-1], shape) if p.row and shape[0] != 1 else (shape, shape[::-1])):
            trial = dict(self.parent)
            if self.unify(p.rows, rows) and self.unify(p.cols, cols):
                built = self.settle(p)
                if not isinstance(built, Pending):
                    return built
            self.parent = trial
        built = self.finish(p)
        return None if isinstance(built, Pending) else built

    def combine(self, op: str, left: Value, right: Value) -> Value:
        """left op right for op in + .* * / when either side waits for its size; ShapeError when they cannot fit."""
        if op == "/":
            if isinstance(right, Pending) or not right.is_scalar:
                raise ShapeError(f"cannot divide by {right.kind if isinstance(right, Pending) else 'a matrix'}")
            return self.settle(self.scale(left, alg.power(right, -1)))  # type: ignore[arg-type]
        if op == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, Pending) and not isinstance(b, Pending) and b.is_scalar:
                    return self.settle(self.scale(a, b))
            product = self.product(left, right)
            return self.settle(product) if isinstance(product, Pending) else product
        return self.settle(self.entrywise(op, left, right))

    def product(self, left: Value, right: Value) -> Value:
        lr, lc = self.dims(left)
        rr, rc = self.dims(right)
        if not self.unify(lc, rr):
            # (1ᵀx) B x: a 1 that is a vector by now may make its factor 1×1, a scalar
            if any(isinstance(v, Pending) and self.vectors(v) for v in (left, right)):
                left, right = (self.settle(v) if isinstance(v, Pending) else v for v in (left, right))
                if not (isinstance(left, Pending) or isinstance(right, Pending)):
                    return alg.mul(left, right) if left.is_scalar or right.is_scalar or left.cols == right.rows \
                        else self.conflict(left, right)
                return self.product(left, right)
            self.conflict(left, right)
        parts = self.parts(left) + self.parts(right)
        return Pending(lr, rc, lambda r: alg.mul(*(self.build(f, r) for f in parts)), self.kind(left, right),
                       self.leaves(left, right), factors=parts)

    def conflict(self, left: Value, right: Value) -> Expr:
        raise ShapeError(f"cannot multiply {self.text(left)} by {self.text(right)}")

    def entrywise(self, op: str, left: Value, right: Value) -> Pending:
        scalar = next((v for v in (left, right) if not isinstance(v, Pending) and v.is_scalar), None)
        if scalar is None:
            (lr, lc), (rr, rc) = self.dims(left), self.dims(right)
            if not (self.unify(lr, rr) and self.unify(lc, rc)):
                raise ShapeError(f"cannot combine {self.text(left)} and {self.text(right)}")
        pending = left if isinstance(left, Pending) else right
        assert isinstance(pending, Pending)
        join = alg.add if op == "+" else alg.hadamard
        return Pending(pending.rows, pending.cols, lambda r: join(self.build(left, r), self.build(right, r)),
                       self.kind(left, right), self.leaves(left, right))

    @staticmethod
    def parts(v: Value) -> tuple[Value, ...]:
        return v.factors if isinstance(v, Pending) and v.factors else (v,)

    @staticmethod
    def dims(v: Value) -> tuple[Size, Size]:
        return (v.rows, v.cols) if isinstance(v, Pending) else v.shape

    @staticmethod
    def build(v: Value, r: Resolve) -> Expr:
        return v.make(r) if isinstance(v, Pending) else v

    @staticmethod
    def kind(left: Value, right: Value) -> str:
        """What a message calls a value made of I or 1 and something else."""
        return "I or 1"

    def leaves(self, left: Value, right: Value) -> tuple[tuple[Size, Size], ...]:
        """The 1s of both sides whose size is still open: a sized 1 has nothing left to settle, and dropping it
        keeps a long chain (1 x^T 1 x^T …) linear."""
        return tuple(leaf for v in (left, right) if isinstance(v, Pending) for leaf in v.ones
                     if self.known(leaf[0]) is None or self.known(leaf[1]) is None)

    def text(self, v: Value) -> str:
        if not isinstance(v, Pending):
            return shape_text(v.shape)
        rows, cols = self.known(v.rows), self.known(v.cols)
        return f"{v.kind} ({'?' if rows is None else rows}×{'?' if cols is None else cols})"


def negate(sizes: Sizes, value: Value) -> Value:
    """−value."""
    return sizes.scale(value, alg.const(-1)) if isinstance(value, Pending) else alg.neg(value)
