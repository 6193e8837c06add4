"""Exact evaluation with rationals: an expression built from sums, products, transposes, inverses and integer powers,
at small integer values, so that a tiny perturbation of a rational key (2.0000001 A x) cannot pass as equal.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

import numpy as np

from ..tree import dims
from ..tree.nodes import (
    Add,
    Apply,
    Call,
    Commutation,
    Const,
    Diag,
    DiagPart,
    Dim,
    Expr,
    Grad,
    Hadamard,
    Hess,
    Identity,
    Inverse,
    Kron,
    Mul,
    Named,
    Ones,
    Power,
    Reduce,
    Softmax,
    Sym,
    Transpose,
    Vec,
    Zero,
)
from ..tree.scope import Scope
from ..tree.visitor import Shared

Rational = int | Fraction  # plain ints where they suffice: int arithmetic costs no Python calls
Matrix = list[list[Rational]]
EXACT_REDUCTIONS = frozenset({"tr", "sum", "det"})
MAX_CELLS = 4096  # entries of any intermediate matrix
MAX_BITS = 4096  # a number grown past this many bits stops the exact check (the float check still stands)


class NotRational(Exception):
    """The expression leaves the rationals (exp, log, a root) or grows too large to evaluate exactly."""


def rational_point(scope: Scope, sizes: Mapping[Dim, int], seed: int = 7) -> dict[str, Matrix]:
    """Small seeded integers for every symbol: symmetric where assumed, square ones dominant on the diagonal
    (so invertible), probability vectors positive and summing to 1."""
    rng = np.random.default_rng(seed)
    values = {}
    for name in sorted(scope.symbols):
        sym = scope.symbols[name]
        r, c = (d if isinstance(d, int) else sizes[d] for d in sym.shape)
        cells = rng.integers(-3, 4, size=(r, c))
        if r == c and r > 1:
            cells = cells + np.diag(np.abs(cells).sum(axis=1) + 1)  # strictly diagonally dominant
        if sym.props & {"symmetric", "spd"}:
            cells = cells + cells.T
        m: Matrix = [[int(x) for x in row] for row in cells]
        if "probability" in sym.props:
            weights = [abs(int(x)) + 1 for row in cells for x in row]
            m = [[Fraction(weights[i * c + j], sum(weights)) for j in range(c)] for i in range(r)]
        values[name] = m
    return values


class Exact(Shared[Matrix]):
    """The value of a rational expression as a matrix of Fractions; NotRational for anything else."""

    family = (Sym, Const, Identity, Zero, Ones, Add, Mul, Transpose, Inverse, Hadamard, Power, Apply, Reduce,
              Softmax, Diag, DiagPart, Named, Call, Grad, Hess, Kron, Vec, Commutation)

    def __init__(self, values: Mapping[str, Matrix], sizes: Mapping[Dim, int]):
        super().__init__()
        self.values, self.sizes = values, sizes

    __call__ = Shared.once  # shared subtrees (named intermediates) are evaluated once

    def compute(self, e: Expr) -> Matrix:
        out = self.visit(e)
        if len(out) * len(out[0]) > MAX_CELLS:
            raise NotRational("too large to evaluate exactly")
        if isinstance(e, (Power, Inverse, Mul)) and any(_bits(x) > MAX_BITS for row in out for x in row):
            raise NotRational("numbers too large to evaluate exactly")  # only these make numbers grow fast
        return out

    def size(self, d: Dim) -> int:
        return dims.size(d, self.sizes)

    def visit_Sym(self, e: Sym) -> Matrix:
        return self.values[e.name]

    def visit_Const(self, e: Const) -> Matrix:
        value = Fraction(e.value)
        return [[value.numerator if value.denominator == 1 else value]]

    def visit_Identity(self, e: Identity) -> Matrix:
        n = self.size(e.n)
        return [[int(i == j) for j in range(n)] for i in range(n)]

    def visit_Zero(self, e: Zero) -> Matrix:
        return [[0] * self.size(e.cols) for _ in range(self.size(e.rows))]

    def visit_Ones(self, e: Ones) -> Matrix:
        return [[1] * self.size(e.cols) for _ in range(self.size(e.rows))]

    def visit_Add(self, e: Add) -> Matrix:
        parts = [self(t) for t in e.terms]
        rows, cols = max((len(p), len(p[0])) for p in parts)
        return [[sum(_at(p, i, j) for p in parts) for j in range(cols)] for i in range(rows)]

    def visit_Mul(self, e: Mul) -> Matrix:
        scale: Rational = 1
        chain = None
        for f in e.factors:
            value = self(f)
            if f.is_scalar:
                scale *= value[0][0]
            else:
                chain = value if chain is None else _matmul(chain, value)
        chain = chain if chain is not None else [[1]]
        return chain if scale == 1 else [[scale * x for x in row] for row in chain]

    def visit_Transpose(self, e: Transpose) -> Matrix:
        return [list(col) for col in zip(*self(e.arg))]

    def visit_Inverse(self, e: Inverse) -> Matrix:
        return _inverse(self(e.arg))

    def visit_Hadamard(self, e: Hadamard) -> Matrix:
        parts = [self(f) for f in e.factors]
        out = parts[0]
        for p in parts[1:]:
            out = [[a * b for a, b in zip(ra, rb)] for ra, rb in zip(out, p)]
        return out

    def visit_Power(self, e: Power) -> Matrix:
        p = Fraction(e.exponent)
        if p.denominator != 1 or abs(p) > 64:
            raise NotRational("a root or a large power")
        base = self(e.arg)
        if any(x == 0 for row in base for x in row) and p < 0:
            raise NotRational("a negative power of zero")
        return [[Fraction(x) ** int(p) if p < 0 else x ** int(p) for x in row] for row in base]

    def visit_Reduce(self, e: Reduce) -> Matrix:
        if e.op not in EXACT_REDUCTIONS:
            raise NotRational(e.op)
        m = self(e.arg)
        if e.op == "tr":
            return [[sum(m[i][i] for i in range(len(m)))]]
        if e.op == "sum":
            return [[sum(x for row in m for x in row)]]
        return [[_det(m)]]

    def visit_Diag(self, e: Diag) -> Matrix:
        v = [x for row in self(e.arg) for x in row]
        return [[v[i] if i == j else 0 for j in range(len(v))] for i in range(len(v))]

    def visit_DiagPart(self, e: DiagPart) -> Matrix:
        m = self(e.arg)
        return [[m[i][i]] for i in range(min(len(m), len(m[0])))]

    def visit_Named(self, e: Named) -> Matrix:
        return self(e.arg)

    def not_rational(self, e: Expr) -> Matrix:
        raise NotRational(type(e).__name__)

    visit_Apply = visit_Softmax = visit_Call = visit_Grad = visit_Hess = not_rational

    def visit_Kron(self, e: Kron) -> Matrix:
        out = self(e.factors[-1])
        for f in reversed(e.factors[:-1]):
            a = self(f)
            out = [[x * y for x in row_a for y in row_b] for row_a in a for row_b in out]
        return out

    def visit_Vec(self, e: Vec) -> Matrix:
        m = self(e.arg)
        return [[m[i][j]] for j in range(len(m[0])) for i in range(len(m))]  # the columns stacked

    def visit_Commutation(self, e: Commutation) -> Matrix:
        m, n = self.size(e.m), self.size(e.n)
        k = [[0] * (m * n) for _ in range(m * n)]
        for p in range(m):
            for q in range(n):
                k[q + n * p][p + m * q] = 1
        return k


def _at(m: Matrix, i: int, j: int) -> Rational:
    """An entry, a 1×1 matrix broadcast as the builder broadcasts scalars."""
    return m[0][0] if len(m) == 1 and len(m[0]) == 1 else m[i][j]


def _bits(x: Rational) -> int:
    return x.bit_length() if isinstance(x, int) else max(x.numerator.bit_length(), x.denominator.bit_length())


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    columns = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) for col in columns] for row in a]


def _inverse(m: Matrix) -> Matrix:
    n = len(m)
    work = [[Fraction(x) for x in row] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if work[r][col] != 0), None)
        if pivot is None:
            raise NotRational("singular")
        work[col], work[pivot] = work[pivot], work[col]
        lead = work[col][col]
        work[col] = [x / lead for x in work[col]]
        for r in range(n):
            if r != col and work[r][col] != 0:
                factor = work[r][col]
                work[r] = [x - factor * y for x, y in zip(work[r], work[col])]
    return [row[n:] for row in work]


def _det(m: Matrix) -> Fraction:
    work, n, det = [[Fraction(x) for x in row] for row in m], len(m), Fraction(1)
    for col in range(n):
        pivot = next((r for r in range(col, n) if work[r][col] != 0), None)
        if pivot is None:
            return Fraction(0)
        if pivot != col:
            work[col], work[pivot] = work[pivot], work[col]
            det = -det
        det *= work[col][col]
        for r in range(col + 1, n):
            factor = work[r][col] / work[col][col]
            work[r] = [x - factor * y for x, y in zip(work[r], work[col])]
    return det


def exact_value(e: Expr, values: Mapping[str, Matrix], sizes: Mapping[Dim, int]) -> Matrix:
    """The exact value of `e` at rational `values`; NotRational when it has none (or is too big to find)."""
    try:
        return Exact(values, sizes)(e)
    except (ZeroDivisionError, OverflowError, KeyError) as err:
        raise NotRational(str(err)) from None
