"""The standard pieces a course differentiates by citing an identity: a small table, matched on the tree.

A term c·P(a) is recognised when P is one of the pieces below and `a` holds every occurrence of the
variable: ‖a‖², aᵀMa, cᵀa (and any product linear in a), cᵀa⁻¹d, tr(A a B), tr(aᵀMa), log det a, logsumexp(a),
the softmax cross-entropy −yᵀ log softmax(a) (after its rewrite, yᵀ(a − logsumexp(a)1)), sum(f(a)) and
cᵀf(a) for an element-wise f. The identity's right-hand side is never typed: the engine differentiates the
piece, so a citation reads in the problem's own letters and is right by construction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from ..calculus.engine import derivative, pullback
from ..tree.edit import count, replace
from ..tree.nodes import (
    Add, Apply, Expr, Hadamard, Identity, Inverse, Mul, Named, Ones, Power, Reduce, Sym, Transpose,
)
from ..tree.scope import FunctionSpec


@dataclass(frozen=True)
class Match:
    """e = factor · core, with core a standard piece (`name`) of `inner`, which holds every occurrence of x."""

    name: str
    factor: tuple[Expr, ...]  # scalar factors free of the variable: −1, λ, 1/2
    core: Expr
    inner: Expr


def recognise(e: Expr, x: Expr) -> Match | None:
    """The table's piece that `e` is, up to a constant factor, with its argument; None when it is none of them."""
    factor, core = _constant_factor(e, x)
    for name, match in TABLE:
        inner = match(core, x)
        if inner is not None and x in set(inner.walk()) and count(core, x) == count(core, inner) * count(inner, x):
            return Match(name, factor, core, inner)
    return None


def proved(e: Expr, x: Expr) -> str | None:
    """The identity a problem proves outright when its whole statement is one of the table's pieces of the
    variable itself, with no factor (aᵀx by x proves the linear form): a frame a later proof may cite."""
    match = recognise(e, x)
    return match.name if match is not None and not match.factor and match.inner == x else None


def gradient(core: Expr, inner: Expr, functions: Mapping[str, FunctionSpec], layout: str = "denominator") -> Expr:
    """∂core/∂inner by the engine, with `inner` as it is written: a gradient in the layout asked for, or the
    Jacobian of a vector core in the denominator layout."""
    u = inner if isinstance(inner, Sym) else Sym("_inner", inner.shape)
    if core.is_scalar:
        local = derivative(replace(core, inner, u), u, layout, functions).result
    else:
        local = pullback(replace(core, inner, u), u, Identity(core.length), "jacobian", functions)
    return replace(local, u, inner)


def affine(e: Expr, x: Expr) -> bool:
    """Whether e is an affine map of x (Xw − t, x − A s, R − U Vᵀ): sums, products with one factor that
    depends on x, transposes, element-wise products with data, linear reductions."""
    if e == x or x not in set(e.walk()):
        return True
    if isinstance(e, Named):
        return affine(e.arg, x)
    if isinstance(e, Add):
        return all(affine(t, x) for t in e.terms)
    if isinstance(e, (Mul, Hadamard)):
        dependent = [f for f in e.factors if x in set(f.walk())]
        return len(dependent) == 1 and affine(dependent[0], x)
    if isinstance(e, Transpose):
        return affine(e.arg, x)
    if isinstance(e, Reduce) and e.op in ("tr", "sum"):
        return affine(e.arg, x)
    return False


# ---------------------------------------------------------------- the table

def _squared_norm(core: Expr, x: Expr) -> Expr | None:
    if isinstance(core, Power) and core.exponent == 2 and isinstance(core.arg, Reduce) and core.arg.op == "norm":
        return core.arg.arg
    if isinstance(core, Mul) and len(core.factors) == 2 and core.factors[0] == _flip(core.factors[1]):
        return core.factors[1]  # aᵀa
    return None


def _quadratic_form(core: Expr, x: Expr) -> Expr | None:
    if isinstance(core, Mul) and core.is_scalar and len(core.factors) == 3:
        first, middle, last = core.factors
        if first == _flip(last) and x not in set(middle.walk()) and last.is_column:
            return last
    return None


def _linear_form(core: Expr, x: Expr) -> Expr | None:
    if not (isinstance(core, Mul) and core.is_scalar and len(core.chain) == len(core.factors) >= 2):
        return None
    dependent = [f for f in core.factors if x in set(f.walk())]
    if len(dependent) != 1:
        return None
    return dependent[0].arg if isinstance(dependent[0], Transpose) else dependent[0]


def _inverse_form(core: Expr, x: Expr) -> Expr | None:
    """aᵀ X⁻¹ b (Matrix Cookbook 61), X holding the variable and a, b free of it."""
    if isinstance(core, Mul) and core.is_scalar and len(core.factors) == 3 and isinstance(core.factors[1], Inverse):
        first, middle, last = core.factors
        if x not in set(first.walk()) | set(last.walk()):
            return middle.arg
    return None


def _trace_linear(core: Expr, x: Expr) -> Expr | None:
    if not (isinstance(core, Reduce) and core.op == "tr"):
        return None
    factors = core.arg.factors if isinstance(core.arg, Mul) else (core.arg,)
    dependent = [f for f in factors if x in set(f.walk())]
    if len(dependent) != 1:
        return None
    return dependent[0].arg if isinstance(dependent[0], Transpose) else dependent[0]


def _trace_quadratic(core: Expr, x: Expr) -> Expr | None:
    if not (isinstance(core, Reduce) and core.op == "tr" and isinstance(core.arg, Mul)):
        return None
    dependent = [f for f in core.arg.factors if x in set(f.walk())]
    if len(dependent) == 2 and dependent[0] == _flip(dependent[1]):
        plain = [f for f in dependent if not isinstance(f, Transpose)]
        return plain[0] if plain else None
    return None


def _reduction(op: str) -> Callable[[Expr, Expr], Expr | None]:
    def match(core: Expr, x: Expr) -> Expr | None:
        return core.arg if isinstance(core, Reduce) and core.op == op else None
    return match


def _softmax_cross_entropy(core: Expr, x: Expr) -> Expr | None:
    """yᵀ(a − logsumexp(a)1): −yᵀ log softmax(a) after its rewrite (the minus is the constant factor)."""
    if not (isinstance(core, Mul) and len(core.factors) == 2 and isinstance(core.factors[1], Add)):
        return None
    terms = core.factors[1].terms
    if len(terms) != 2 or x in set(core.factors[0].walk()):
        return None
    a, rest = terms
    lse = [f for f in (rest.factors if isinstance(rest, Mul) else ()) if isinstance(f, Reduce)]
    ones = [f for f in (rest.factors if isinstance(rest, Mul) else ()) if isinstance(f, Ones)]
    if lse and ones and lse[0].op == "logsumexp" and lse[0].arg == a and rest.coeff == -1:
        return a
    return None


def _activation(core: Expr, x: Expr) -> Expr | None:
    """sum(f(a)) or cᵀf(a) for an element-wise function f."""
    if isinstance(core, Reduce) and core.op == "sum" and isinstance(core.arg, Apply):
        return core.arg.arg
    if isinstance(core, Mul) and len(core.factors) == 2 and isinstance(core.factors[1], Apply) \
            and x not in set(core.factors[0].walk()):
        return core.factors[1].arg
    return None


TABLE: tuple[tuple[str, Callable[[Expr, Expr], Expr | None]], ...] = (
    ("squared-norm", _squared_norm),
    ("quadratic-form", _quadratic_form),
    ("softmax-cross-entropy", _softmax_cross_entropy),
    ("activation", _activation),
    ("inverse-form", _inverse_form),
    ("linear-form", _linear_form),
    ("trace-quadratic", _trace_quadratic),
    ("trace-linear", _trace_linear),
    ("log-det-gradient", _reduction("logdet")),
    ("log-sum-exp", _reduction("logsumexp")),
)


# ---------------------------------------------------------------- helpers

def _constant_factor(e: Expr, x: Expr) -> tuple[tuple[Expr, ...], Expr]:
    """(scalar factors free of x, the rest): λ‖w‖² → ((λ,), ‖w‖²); a nested −(yᵀ…) is looked through."""
    if not (isinstance(e, Mul) and e.is_scalar):
        return (), e
    free = tuple(f for f in e.factors if f.is_scalar and x not in set(f.walk()))
    rest = tuple(f for f in e.factors if f not in free)
    if not free or not rest:
        return (), e
    if len(rest) == 1:
        inner_free, core = _constant_factor(rest[0], x)
        return free + inner_free, core
    return free, Mul(rest)


def _flip(e: Expr) -> Expr:
    """aᵀ for a, a for aᵀ, as written (no re-canonicalisation)."""
    return e.arg if isinstance(e, Transpose) else Transpose(e)
