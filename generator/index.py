"""Index notation with sympy: entries as sums, one-entry derivatives, Kronecker-delta reduction, display.

Sums are built 0-based by sympy; `display` renames sympy's dummies to k, l, p, … and shifts
the limits to 1..n, so what a student reads matches the lecture.
"""
from __future__ import annotations

from itertools import chain, count
from typing import Iterable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from . import symbolic as S
from .errors import NotDerivable

INDEX_LETTERS = "ijklpqrstuvabcdefgh"


def index_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)


class NoIndexForm(NotDerivable):
    """The expression has no short index form (det, logdet): the proof uses an identity instead."""


# ---------------------------------------------------------------- abstract functions, entry by entry

class IndexCall(sp.Expr):
    """g(f) of an abstract scalar function, differentiated as Σ_l δ_l ∂f_l/∂s."""

    is_commutative = True

    def __new__(cls, fn: str, arg: MatrixExpr, grad: MatrixExpr):
        return sp.Expr.__new__(cls, S._str(fn), arg, grad)

    def _eval_derivative(self, s: sp.Basic) -> sp.Expr:
        _, arg, grad = self.args
        return _through(arg, lambda l: grad._entry(l, 0), s)


class IndexValue(sp.Expr):
    """u_i(f) of an abstract vector function, differentiated as Σ_l (∂u/∂f)_{li} ∂f_l/∂s."""

    is_commutative = True

    def __new__(cls, fn: str, arg: MatrixExpr, jac: MatrixExpr, i: sp.Expr):
        return sp.Expr.__new__(cls, S._str(fn), arg, jac, i)

    def _eval_derivative(self, s: sp.Basic) -> sp.Expr:
        _, arg, jac, i = self.args
        return _through(arg, lambda l: jac._entry(l, i), s)


def _through(arg: MatrixExpr, weight, s: sp.Basic) -> sp.Expr:
    """Σ_l weight(l) ∂arg_l/∂s: the chain rule through an abstract function's (vector) argument."""
    l = sp.Dummy("l", integer=True)
    column = arg.shape[1] == 1
    n = arg.shape[0] if column else arg.shape[1]
    entry = arg._entry(l, 0) if column else arg._entry(0, l)
    return sp.Sum(weight(l) * sp.diff(expand(entry), s), (l, 0, n - 1))


def value_entry(m: S.AbstractValue, i: sp.Expr, j: sp.Expr) -> IndexValue:
    """u_i(f): one entry of an abstract vector function, with its Jacobian's name for the derivative."""
    fn, arg = m.args[0].name, m.args[1]
    length = arg.shape[0] if arg.shape[1] == 1 else arg.shape[1]
    jac = sp.MatrixSymbol(f"J_{fn}", length, m.shape[0] * m.shape[1])
    return IndexValue(fn, arg, jac, i if m.shape[1] == 1 else j)


# ---------------------------------------------------------------- index forms

def entry(m: sp.Basic, i: sp.Expr, j: sp.Expr) -> sp.Expr:
    """The (i, j) entry of a sympy matrix expression, as an index expression."""
    if not isinstance(m, MatrixExpr):
        return expand(m)
    out = m._entry(i, j)
    if isinstance(out, MatrixElement) and out.parent == m:
        return out  # an opaque entry, e.g. of (X + A)⁻¹
    return expand(out)


def expand(e: sp.Basic) -> sp.Expr:
    """Replace every matrix-valued piece of a scalar sympy expression by its index form."""
    if isinstance(e, MatrixExpr) and e.shape == (1, 1):
        return entry(e, sp.Integer(0), sp.Integer(0))
    if isinstance(e, S.AsScalar):
        return entry(e.args[0], sp.Integer(0), sp.Integer(0))
    if isinstance(e, sp.Trace):
        k = sp.Dummy("k", integer=True)
        return sp.Sum(entry(e.arg, k, k), (k, 0, e.arg.shape[0] - 1))
    if isinstance(e, sp.Determinant):
        raise NoIndexForm("det has no short index form")
    if isinstance(e, S.Reduction):
        return _reduction(e.args[0].name, e.args[1])
    if isinstance(e, S.ScalarFn):
        return S.apply_entry(e.args[0].name, int(e.args[2]), expand(e.args[1]))
    if isinstance(e, S.AbstractCall):
        raise NoIndexForm("an abstract function needs its gradient's name")
    if isinstance(e, (S.SoftmaxOf, S.ElementwiseFn)):
        return entry(e, sp.Integer(0), sp.Integer(0))
    if isinstance(e, MatrixElement):
        parent = e.parent
        if isinstance(parent, sp.MatrixSymbol) or isinstance(parent, sp.Inverse) and isinstance(parent.arg, sp.MatrixSymbol):
            return e
        return entry(parent, e.i, e.j)
    if not e.args or isinstance(e, (sp.Symbol, sp.Number, sp.Dummy)):
        return e
    if isinstance(e, sp.Sum):
        return sp.Sum(expand(e.function), *e.limits)
    return e.func(*(expand(a) if isinstance(a, sp.Basic) else a for a in e.args))


def _reduction(op: str, m: MatrixExpr) -> sp.Expr:
    if op == "logdet":
        raise NoIndexForm("logdet has no short index form")
    k, l = sp.Dummy("k", integer=True), sp.Dummy("l", integer=True)
    rows, cols = m.shape
    body = entry(m, k, l) if cols != 1 else entry(m, k, sp.Integer(0))
    limits = [(k, 0, rows - 1)] + ([(l, 0, cols - 1)] if cols != 1 else [])
    if op == "sum":
        return sp.Sum(body, *limits)
    if op == "norm":
        return sp.sqrt(sp.Sum(body ** 2, *limits))
    return sp.log(sp.Sum(sp.exp(body), *limits))  # logsumexp


def with_abstract(e: sp.Basic, gradients: dict[str, str]) -> sp.Basic:
    """Abstract scalar calls g(f) → IndexCall, using the name of each gradient (δ)."""
    def swap(node: sp.Basic) -> sp.Basic:
        fn, arg = node.args[0].name, node.args[1]
        name = gradients.get(fn) or f"d{fn}"
        return IndexCall(fn, arg, sp.MatrixSymbol(name, *arg.shape))
    return e.replace(lambda n: isinstance(n, S.AbstractCall), swap)


# ---------------------------------------------------------------- Kronecker deltas

def reduce_deltas(e: sp.Expr) -> sp.Expr:
    """Sum over k of δ_kj f(k) → f(j), repeated until no delta can go; δ_jj → 1."""
    e = plain_deltas(e)
    for _ in range(20):
        new = _distribute(e)
        new = new.replace(lambda n: isinstance(n, sp.Sum), _reduce_sum)
        new = plain_deltas(new)
        if new == e:
            break
        e = new
    return e


def plain_deltas(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda n: isinstance(n, sp.KroneckerDelta) and len(n.args) > 2,
                     lambda n: sp.KroneckerDelta(n.args[0], n.args[1]))


def _distribute(e: sp.Expr) -> sp.Expr:
    """Σ (a + b) → Σ a + Σ b, and products expanded inside sums, so deltas sit on single terms."""
    def split(node: sp.Sum) -> sp.Expr:
        body = sp.expand(node.function)
        terms = body.args if isinstance(body, sp.Add) else (body,)
        return sp.Add(*(sp.Sum(t, *node.limits) for t in terms))
    return e.replace(lambda n: isinstance(n, sp.Sum) and isinstance(sp.expand(n.function), sp.Add), split)


def _reduce_sum(node: sp.Sum) -> sp.Expr:
    body, limits = node.function, node.limits
    kept = []
    for var, low, high in limits:
        delta = next((f for f in sp.Mul.make_args(body) if isinstance(f, sp.KroneckerDelta) and var in f.args
                      and f.args[0] != f.args[1]), None)
        if delta is None:
            kept.append((var, low, high))
            continue
        other = delta.args[1] if delta.args[0] == var else delta.args[0]
        body = (body / delta).subs(var, other)
    if not kept:
        return body
    if body.is_zero:
        return sp.Integer(0)
    return sp.Sum(body, *kept)


# ---------------------------------------------------------------- display

def display(exprs: Iterable[sp.Expr], taken: Iterable[str]) -> list[sp.Expr]:
    """Name sympy's dummies k, l, p, … (avoiding `taken`) and shift every sum to run from 1."""
    avoid = set(taken)
    letters = (c for c in chain(INDEX_LETTERS, (f"k{n}" for n in count(1))) if c not in avoid)
    names: dict[sp.Dummy, sp.Symbol] = {}
    out = []
    for e in exprs:
        for d in sorted(e.atoms(sp.Dummy), key=lambda d: d.dummy_index):
            if d not in names:
                names[d] = index_symbol(next(letters))
        e = e.xreplace(names)
        out.append(e.replace(lambda n: isinstance(n, sp.Sum), _from_one))
    return out


def _from_one(node: sp.Sum) -> sp.Sum:
    return sp.Sum(node.function, *((v, lo + 1, hi + 1) for v, lo, hi in node.limits))


def size(e: sp.Expr) -> int:
    """How big an index expression reads: operations plus nested sums."""
    return int(sp.count_ops(e)) + 4 * sum(len(s.limits) for s in e.atoms(sp.Sum))
