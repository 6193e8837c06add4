"""Expression trees as sympy objects: sympy's own matrix classes where they exist, ours (entries.py) where not."""
from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..tree.nodes import (
    Add, Apply, Call, Const, Diag, DiagPart, Dim, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose, Zero,
)
from .entries import (
    AbstractCall, AbstractGrad, AbstractValue, AsScalar, DiagOf, DiagPartOf, ElementwiseFn, Reduction, ScalarFn,
    SoftmaxOf,
)


@cache
def dim(d: Dim) -> sp.Expr:
    """A dimension as sympy: a positive integer symbol for a name."""
    return sp.Integer(d) if isinstance(d, int) else sp.Symbol(d, integer=True, positive=True)



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
        return Reduction(e.op, c(e.arg))
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
