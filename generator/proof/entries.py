"""sympy objects for the language's nodes, and each one's entries as index expressions (for element-wise proofs).

The custom classes (softmax, reductions, element-wise and abstract functions) define `_entry`,
so any entry of an expression can be written as an index expression; `expand` does it for a
whole scalar expression.
"""
from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np
import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixElement, MatrixExpr

from ..check.numeric import abstract_elementwise
from ..errors import NotDerivable
from ..ops import OPS


class NoIndexForm(NotDerivable):
    """The expression has no short index form (det, logdet): the proof uses an identity instead."""


class SympyKit:
    """The registry's element-wise formulas (ops/kit.py) as sympy expressions of one entry."""

    def const(self, value: int | Fraction) -> sp.Expr:
        return sp.Rational(Fraction(value).numerator, Fraction(value).denominator)

    def apply(self, fn: str, u: sp.Expr, order: int = 0) -> sp.Expr:
        return apply_entry(fn, order, u)

    def add(self, *terms: sp.Expr) -> sp.Expr:
        return sp.Add(*terms)

    def mul(self, *factors: sp.Expr) -> sp.Expr:
        return sp.Mul(*factors)

    hadamard = mul

    def power(self, u: sp.Expr, p: int | Fraction) -> sp.Expr:
        return sp.Pow(u, self.const(p))


SYMPY = SympyKit()


@cache
def scalar_function(fn: str, order: int = 0) -> type[sp.Function]:
    """The sympy function fn⁽ᵒʳᵈᵉʳ⁾ an entry is mapped through: sympy's own (exp, tanh, …) or one
    of ours, shown by name (σ, softplus, an abstract g), whose derivative is the registry's formula
    or, for σ, tanh and abstract functions, the next prime, so σ′(xᵢ) stays σ′(xᵢ)."""
    entry = OPS.function(fn)
    if entry is not None and entry.sympy is not None and order == 0:
        return entry.sympy

    def fdiff(self: sp.Function, argindex: int = 1) -> sp.Expr:
        if entry is not None and not entry.primed and order < len(entry.derivatives):
            return entry.derivatives[order](self.args[0], SYMPY)
        return scalar_function(fn, order + 1)(self.args[0])

    def _eval_evalf(self: sp.Function, prec: int) -> sp.Expr | None:
        x = self.args[0].evalf(prec)
        if not x.is_number:
            return None
        if entry is None:
            return sp.Float(float(abstract_elementwise(fn, np.array(float(x)), order)), prec)
        if order == 0:
            return sp.Float(float(entry.numpy(np.array(float(x)))), prec)
        return entry.derivatives[order - 1](x, SYMPY).evalf(prec)

    return type(fn + "'" * order, (sp.Function,), {"fdiff": fdiff, "_eval_evalf": _eval_evalf, "nargs": 1,
                                                   "is_real": True, "mcgen_fn": fn, "mcgen_order": order})


def apply_entry(fn: str, order: int, x: sp.Expr) -> sp.Expr:
    """fn⁽ᵒʳᵈᵉʳ⁾(x) for one entry x."""
    entry = OPS.function(fn)
    if entry is not None and entry.sympy is not None:
        if order == 0:
            return entry.sympy(x)
        t = sp.Dummy("t", real=True)  # sympy differentiates by a symbol, not by a compound entry such as Σ W x
        return sp.diff(entry.sympy(t), t, order).subs(t, x)
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
    """A reduction of the registry (tr, det, sum, norm, logdet, logsumexp) of a matrix."""

    is_commutative = True

    def __new__(cls, op: str, arg: sp.Expr):
        return sp.Expr.__new__(cls, _str(op), arg)

    def doit(self, **hints) -> sp.Expr:
        """Its exact value once the argument is an explicit matrix of numbers (numeric exercises)."""
        arg = self.args[1].doit(**hints) if hints.get("deep", True) else self.args[1]
        exact = OPS.reductions[self.args[0].name].exact
        if isinstance(arg, MatrixExpr) and not arg.free_symbols:
            arg = arg.as_explicit()
        if exact is not None and isinstance(arg, sp.MatrixBase):
            return exact(arg)
        return Reduction(self.args[0].name, arg)


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



class AbstractHess(MatrixExpr):
    """∂²fn/∂arg∂argᵀ of an abstract scalar function, shown by its name (H)."""

    def __new__(cls, fn: str, arg: sp.Expr, rows: sp.Expr, cols: sp.Expr, name: str):
        return MatrixExpr.__new__(cls, _str(fn), arg, rows, cols, _str(name))

    @property
    def shape(self):
        return (self.args[2], self.args[3])

    def _entry(self, i, j, **kwargs):
        return sp.MatrixSymbol(self.args[4].name, *self.shape)[i, j]


class KronOf(MatrixExpr):
    """A ⊗ B ⊗ …: entry (i, j) of A ⊗ B is A[i div r, j div s] B[i mod r, j mod s] for B of shape r×s."""

    def __new__(cls, *factors: sp.Expr):
        return MatrixExpr.__new__(cls, *factors)

    @property
    def shape(self):
        return (sp.Mul(*(f.shape[0] for f in self.args)), sp.Mul(*(f.shape[1] for f in self.args)))

    def _entry(self, i, j, **kwargs):
        first, rest = self.args[0], self.args[1:]
        inner = KronOf(*rest) if len(rest) > 1 else rest[0]
        r, c = inner.shape
        return first._entry(sp.floor(i / r), sp.floor(j / c)) * inner._entry(sp.Mod(i, r), sp.Mod(j, c))


class VecOf(MatrixExpr):
    """vec(A): the columns of A stacked, entry k is A[k mod m, k div m]."""

    def __new__(cls, arg: sp.Expr):
        return MatrixExpr.__new__(cls, arg)

    @property
    def shape(self):
        rows, cols = self.args[0].shape
        return (rows * cols, sp.Integer(1))

    def _entry(self, i, j, **kwargs):
        rows = self.args[0].shape[0]
        return self.args[0]._entry(sp.Mod(i, rows), sp.floor(i / rows))


class CommutationOf(MatrixExpr):
    """K_{m,n}: entry (i, j) is 1 when vec(Aᵀ)_i = vec(A)_j for an m×n matrix A."""

    def __new__(cls, m: sp.Expr, n: sp.Expr):
        return MatrixExpr.__new__(cls, m, n)

    @property
    def shape(self):
        size = self.args[0] * self.args[1]
        return (size, size)

    def _entry(self, i, j, **kwargs):
        m, n = self.args
        return sp.KroneckerDelta(i, sp.floor(j / m) + n * sp.Mod(j, m))


# ---------------------------------------------------------------- abstract functions, entry by entry

class IndexCall(sp.Expr):
    """g(f) of an abstract scalar function, differentiated as Σ_l δ_l ∂f_l/∂s."""

    is_commutative = True

    def __new__(cls, fn: str, arg: MatrixExpr, grad: MatrixExpr):
        return sp.Expr.__new__(cls, _str(fn), arg, grad)

    def _eval_derivative(self, s: sp.Basic) -> sp.Expr:
        _, arg, grad = self.args
        return _through(arg, lambda l: grad._entry(l, 0), s)


class IndexValue(sp.Expr):
    """u_i(f) of an abstract vector function, differentiated as Σ_l (∂u/∂f)_{li} ∂f_l/∂s."""

    is_commutative = True

    def __new__(cls, fn: str, arg: MatrixExpr, jac: MatrixExpr, i: sp.Expr):
        return sp.Expr.__new__(cls, _str(fn), arg, jac, i)

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


def value_entry(m: AbstractValue, i: sp.Expr, j: sp.Expr) -> IndexValue:
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
    if isinstance(e, AsScalar):
        return entry(e.args[0], sp.Integer(0), sp.Integer(0))
    if isinstance(e, Reduction):
        op, m = e.args[0].name, e.args[1]
        index = OPS.reductions[op].index
        if index is None:
            raise NoIndexForm(f"{op} has no short index form")
        return index(lambda i, j: entry(m, i, j), *m.shape)
    if isinstance(e, ScalarFn):
        return apply_entry(e.args[0].name, int(e.args[2]), expand(e.args[1]))
    if isinstance(e, AbstractCall):
        raise NoIndexForm("an abstract function needs its gradient's name")
    if isinstance(e, (SoftmaxOf, ElementwiseFn)):
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
