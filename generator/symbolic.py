"""Expression trees as sympy objects: sympy's own matrix classes where they exist, small ones where not.

The custom classes (softmax, norm, element-wise functions, abstract functions) define `_entry`,
so the element-wise proof can write any entry of them as an index expression.
"""
from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixExpr

from .expr import (
    Add, Apply, Call, Const, Diag, DiagPart, Dim, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose, Zero,
)


@cache
def dim(d: Dim) -> sp.Expr:
    """A dimension as sympy: a positive integer symbol for a name."""
    return sp.Integer(d) if isinstance(d, int) else sp.Symbol(d, integer=True, positive=True)


KNOWN = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
         "sqrt": sp.sqrt}


@cache
def scalar_function(fn: str, order: int = 0) -> type[sp.Function]:
    """The sympy function fn⁽ᵒʳᵈᵉʳ⁾ an entry is mapped through: sympy's own (exp, tanh, …) or one
    of ours (σ, an abstract g) whose derivative is the next prime, so σ′(xᵢ) stays σ′(xᵢ)."""
    if fn in KNOWN and order == 0:
        return KNOWN[fn]

    def fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
        return scalar_function(fn, order + 1)(self.args[0])

    return type(fn + "'" * order, (sp.Function,), {"fdiff": fdiff, "nargs": 1, "is_real": True,
                                                   "mcgen_fn": fn, "mcgen_order": order})


def apply_entry(fn: str, order: int, x: sp.Expr) -> sp.Expr:
    """fn⁽ᵒʳᵈᵉʳ⁾(x) for one entry x."""
    if fn in KNOWN:
        f = KNOWN[fn](x)
        return f if order == 0 else sp.diff(f, x, order)
    return scalar_function(fn, order)(x)


def _str(x: str | Str) -> Str:
    """sympy rebuilds nodes from their args, so the constructors take a Str back as well as a str."""
    return x if isinstance(x, Str) else Str(x)


# ---------------------------------------------------------------- scalar-valued classes

class AsScalar(sp.Expr):
    """A 1×1 matrix product (aᵀx) used as a number."""

    is_commutative = True

    def __new__(cls, m: sp.Expr):
        return sp.Expr.__new__(cls, m)


class ScalarFn(sp.Expr):
    """fn⁽ᵒʳᵈᵉʳ⁾(s) of a scalar expression."""

    is_commutative = True

    def __new__(cls, fn: str, arg: sp.Expr, order: int = 0):
        return sp.Expr.__new__(cls, _str(fn), arg, sp.Integer(order))


class Reduction(sp.Expr):
    """sum, norm, logdet or logsumexp of a matrix (trace and det are sympy's)."""

    is_commutative = True

    def __new__(cls, op: str, arg: sp.Expr):
        return sp.Expr.__new__(cls, _str(op), arg)


class AbstractCall(sp.Expr):
    """g(f) for an abstract scalar function g."""

    is_commutative = True

    def __new__(cls, fn: str, arg: sp.Expr):
        return sp.Expr.__new__(cls, _str(fn), arg)


# ---------------------------------------------------------------- matrix-valued classes

class ElementwiseFn(MatrixExpr):
    """fn⁽ᵒʳᵈᵉʳ⁾ applied to every entry of a matrix."""

    def __new__(cls, fn: str, arg: sp.Expr, order: int = 0):
        return MatrixExpr.__new__(cls, _str(fn), arg, sp.Integer(order))

    @property
    def shape(self):
        return self.args[1].shape

    def _entry(self, i, j, **kwargs):
        return apply_entry(self.args[0].name, int(self.args[2]), self.args[1]._entry(i, j, **kwargs))


class SoftmaxOf(MatrixExpr):
    """softmax of a vector."""

    def __new__(cls, arg: sp.Expr):
        return MatrixExpr.__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _entry(self, i, j, **kwargs):
        v = self.args[0]
        k = sp.Dummy("k", integer=True)
        n = v.shape[0] if v.shape[1] == 1 else v.shape[1]
        entry = (lambda t: v._entry(t, 0)) if v.shape[1] == 1 else (lambda t: v._entry(0, t))
        return sp.exp(entry(i if v.shape[1] == 1 else j)) / sp.Sum(sp.exp(entry(k)), (k, 0, n - 1))


class DiagOf(MatrixExpr):
    """diag(v): v on the diagonal."""

    def __new__(cls, arg: sp.Expr):
        return MatrixExpr.__new__(cls, arg)

    @property
    def shape(self):
        n = self.args[0].shape[0]
        return (n, n)

    def _entry(self, i, j, **kwargs):
        return sp.KroneckerDelta(i, j) * self.args[0]._entry(i, 0, **kwargs)


class DiagPartOf(MatrixExpr):
    """diag(A): the diagonal of A as a column."""

    def __new__(cls, arg: sp.Expr):
        return MatrixExpr.__new__(cls, arg)

    @property
    def shape(self):
        return (self.args[0].shape[0], sp.Integer(1))

    def _entry(self, i, j, **kwargs):
        return self.args[0]._entry(i, i, **kwargs)


class AbstractValue(MatrixExpr):
    """u(f) for an abstract vector-valued function u."""

    def __new__(cls, fn: str, arg: sp.Expr, rows: sp.Expr, cols: sp.Expr):
        return MatrixExpr.__new__(cls, _str(fn), arg, rows, cols)

    @property
    def shape(self):
        return (self.args[2], self.args[3])

    def _entry(self, i, j, **kwargs):
        from .index import value_entry  # index builds on this module

        return value_entry(self, i, j)


class AbstractGrad(MatrixExpr):
    """∂fn/∂arg of an abstract function, in a layout; shown by its name (δ) when it has one."""

    def __new__(cls, fn: str, arg: sp.Expr, rows: sp.Expr, cols: sp.Expr, name: str, layout: str):
        return MatrixExpr.__new__(cls, _str(fn), arg, rows, cols, _str(name), _str(layout))

    @property
    def shape(self):
        return (self.args[2], self.args[3])

    def _entry(self, i, j, **kwargs):
        return sp.MatrixSymbol(self.args[4].name or f"d{self.args[0].name}", *self.shape)[i, j]


# ---------------------------------------------------------------- conversion

def _symbol(name: str, shape: tuple[Dim, Dim]) -> sp.Basic:
    if shape == (1, 1):
        return sp.Symbol(name, real=True)
    return sp.MatrixSymbol(name, dim(shape[0]), dim(shape[1]))


def _as_scalar(m: sp.Basic) -> sp.Expr:
    return AsScalar(m) if isinstance(m, MatrixExpr) else m


def to_sympy(e: Expr) -> sp.Basic:  # noqa: C901 - one dispatch table
    """The sympy object for a tree: a MatrixExpr for matrices and vectors, a scalar Expr for 1×1."""
    c = to_sympy
    if isinstance(e, (Sym, Named)):
        return _symbol(e.name, e.shape)
    if isinstance(e, Const):
        return sp.Rational(e.value.numerator, e.value.denominator)
    if isinstance(e, Identity):
        return sp.Identity(dim(e.n))
    if isinstance(e, (Zero, Ones)):
        cls = sp.ZeroMatrix if isinstance(e, Zero) else sp.OneMatrix
        return cls(dim(e.rows), dim(e.cols))
    if isinstance(e, Add):
        terms = [c(t) for t in e.terms]
        return sp.MatAdd(*terms) if not e.is_scalar else sp.Add(*map(_as_scalar, terms), evaluate=False)
    if isinstance(e, Mul):
        scalars = [_as_scalar(c(f)) for f in e.factors if f.is_scalar]
        if e.chain and not e.is_scalar:
            return sp.MatMul(*scalars, *(c(f) for f in e.chain))
        if e.chain:  # a 1×1 product such as aᵀx
            return sp.MatMul(*(c(f) for f in e.chain))
        return sp.Mul(*scalars, evaluate=False)
    if isinstance(e, Transpose):
        return sp.Transpose(c(e.arg))
    if isinstance(e, Inverse):
        return sp.Inverse(c(e.arg))
    if isinstance(e, Hadamard):
        return sp.HadamardProduct(*(c(f) for f in e.factors))
    if isinstance(e, Power):
        p = sp.Rational(e.exponent.numerator, e.exponent.denominator)
        if e.is_scalar:
            return sp.Pow(_as_scalar(c(e.arg)), p, evaluate=False)
        return sp.HadamardPower(c(e.arg), p)
    if isinstance(e, Apply):
        if e.is_scalar:
            return ScalarFn(e.fn, _as_scalar(c(e.arg)), e.order)
        return ElementwiseFn(e.fn, c(e.arg), e.order)
    if isinstance(e, Reduce):
        arg = c(e.arg)
        if e.op == "tr":
            return sp.Trace(arg)
        if e.op == "det":
            return sp.Determinant(arg)
        return Reduction(e.op, arg)
    if isinstance(e, Softmax):
        return SoftmaxOf(c(e.arg))
    if isinstance(e, Diag):
        return DiagOf(c(e.arg))
    if isinstance(e, DiagPart):
        return DiagPartOf(c(e.arg))
    if isinstance(e, Call):
        if e.is_scalar:
            return AbstractCall(e.fn, c(e.arg))
        return AbstractValue(e.fn, c(e.arg), dim(e.rows), dim(e.cols))
    if isinstance(e, Grad):
        return AbstractGrad(e.fn, c(e.arg), dim(e.rows), dim(e.cols), e.name or "", e.layout)
    raise TypeError(f"no sympy form for {type(e).__name__}")
