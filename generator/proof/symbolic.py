"""Expression trees as sympy objects: sympy's own matrix classes where they exist, ours (entries.py) where not."""
from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from ..tree.dims import factors
from ..tree.nodes import (
    NODES, Add, Apply, Call, Commutation, Const, Diag, DiagPart, Dim, Expr, Grad, Hadamard, Hess, Identity, Inverse,
    Kron, Mul, Named, Ones, Power, Reduce, Softmax, Sym, Transpose, Vec, Zero,
)
from ..tree.visitor import Visitor
from .entries import (
    AbstractCall, AbstractGrad, AbstractHess, AbstractValue, AsScalar, CommutationOf, DiagOf, DiagPartOf,
    ElementwiseFn, KronOf, Reduction, ScalarFn, SoftmaxOf, VecOf,
)


@cache
def dim(d: Dim) -> sp.Expr:
    """A dimension as sympy: a positive integer symbol for a name."""
    if isinstance(d, int):
        return sp.Integer(d)
    if isinstance(d, str):
        return sp.Symbol(d, integer=True, positive=True)
    coeff, names = factors(d)  # a product of dimensions, m n
    return sp.Mul(coeff, *(dim(n) for n in names))



def _symbol(name: str, shape: tuple[Dim, Dim]) -> sp.Basic:
    if shape == (1, 1):
        return sp.Symbol(name, real=True)
    return sp.MatrixSymbol(name, dim(shape[0]), dim(shape[1]))


def _as_scalar(m: sp.Basic) -> sp.Expr:
    return AsScalar(m) if isinstance(m, MatrixExpr) else m


def to_sympy(e: Expr) -> sp.Basic:
    """The sympy object for a tree: a MatrixExpr for matrices and vectors, a scalar Expr for 1×1."""
    return _SYMPY.visit(e)


class _Sympy(Visitor[sp.Basic]):
    """One sympy object per node: sympy's matrix classes where they exist, ours (entries.py) where not."""

    family = NODES

    def scalar(self, e: Expr) -> sp.Expr:
        return _as_scalar(self.visit(e))

    def visit_Sym(self, e: Sym | Named) -> sp.Basic:
        return _symbol(e.name, e.shape)

    visit_Named = visit_Sym

    def visit_Const(self, e: Const) -> sp.Basic:
        return sp.Rational(e.value.numerator, e.value.denominator)

    def visit_Identity(self, e: Identity) -> sp.Basic:
        return sp.Identity(dim(e.n))

    def visit_Zero(self, e: Zero) -> sp.Basic:
        return sp.ZeroMatrix(dim(e.rows), dim(e.cols))

    def visit_Ones(self, e: Ones) -> sp.Basic:
        return sp.OneMatrix(dim(e.rows), dim(e.cols))

    def visit_Add(self, e: Add) -> sp.Basic:
        terms = [self.visit(t) for t in e.terms]
        return sp.MatAdd(*terms) if not e.is_scalar else sp.Add(*map(_as_scalar, terms), evaluate=False)

    def visit_Mul(self, e: Mul) -> sp.Basic:
        scalars = [self.scalar(f) for f in e.factors if f.is_scalar]
        if e.chain and not e.is_scalar:
            return sp.MatMul(*scalars, *(self.visit(f) for f in e.chain))
        if e.chain:  # a 1×1 product such as aᵀx
            return sp.MatMul(*(self.visit(f) for f in e.chain))
        return sp.Mul(*scalars, evaluate=False)

    def visit_Transpose(self, e: Transpose) -> sp.Basic:
        return sp.Transpose(self.visit(e.arg))

    def visit_Inverse(self, e: Inverse) -> sp.Basic:
        return sp.Inverse(self.visit(e.arg))

    def visit_Hadamard(self, e: Hadamard) -> sp.Basic:
        return sp.HadamardProduct(*(self.visit(f) for f in e.factors))

    def visit_Power(self, e: Power) -> sp.Basic:
        p = sp.Rational(e.exponent.numerator, e.exponent.denominator)
        if e.is_scalar:
            return sp.Pow(self.scalar(e.arg), p, evaluate=False)
        return sp.HadamardPower(self.visit(e.arg), p)

    def visit_Apply(self, e: Apply) -> sp.Basic:
        if e.is_scalar:
            return ScalarFn(e.fn, self.scalar(e.arg), e.order)
        return ElementwiseFn(e.fn, self.visit(e.arg), e.order)

    def visit_Reduce(self, e: Reduce) -> sp.Basic:
        return Reduction(e.op, self.visit(e.arg))

    def visit_Softmax(self, e: Softmax) -> sp.Basic:
        return SoftmaxOf(self.visit(e.arg))

    def visit_Diag(self, e: Diag) -> sp.Basic:
        return DiagOf(self.visit(e.arg))

    def visit_DiagPart(self, e: DiagPart) -> sp.Basic:
        return DiagPartOf(self.visit(e.arg))

    def visit_Call(self, e: Call) -> sp.Basic:
        if e.is_scalar:
            return AbstractCall(e.fn, self.visit(e.arg))
        return AbstractValue(e.fn, self.visit(e.arg), dim(e.rows), dim(e.cols))

    def visit_Grad(self, e: Grad) -> sp.Basic:
        return AbstractGrad(e.fn, self.visit(e.arg), dim(e.rows), dim(e.cols), e.name or "", e.layout)

    def visit_Hess(self, e: Hess) -> sp.Basic:
        return AbstractHess(e.fn, self.visit(e.arg), dim(e.rows), dim(e.cols), e.name)

    def visit_Kron(self, e: Kron) -> sp.Basic:
        return KronOf(*(self.visit(f) for f in e.factors))

    def visit_Vec(self, e: Vec) -> sp.Basic:
        return VecOf(self.visit(e.arg))

    def visit_Commutation(self, e: Commutation) -> sp.Basic:
        return CommutationOf(dim(e.m), dim(e.n))


_SYMPY = _Sympy()
