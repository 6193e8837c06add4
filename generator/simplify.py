"""Rewrites around the engine: identities before differentiating, textbook form after."""
from __future__ import annotations

from collections import Counter

from . import algebra as alg
from .expr import Add, Apply, Expr, Mul, Ones, Reduce, Softmax


def normalize(expr: Expr) -> Expr:
    """The identities a course uses before differentiating: log det X = logdet X,
    log softmax(v) = v − logsumexp(v)1, log exp u = u, exp log u = u."""
    if not expr.args:
        return expr
    children = tuple(normalize(a) for a in expr.args)
    node = expr if children == expr.args else _rebuild(expr, children)
    if isinstance(node, Apply) and node.order == 0:
        inner = node.arg
        if node.fn == "log" and isinstance(inner, Reduce) and inner.op == "det":
            return alg.reduce_("logdet", inner.arg)
        if node.fn == "log" and isinstance(inner, Softmax):
            return alg.sub(inner.arg, alg.mul(alg.reduce_("logsumexp", inner.arg), Ones(inner.shape)))
        if isinstance(inner, Apply) and inner.order == 0 and {node.fn, inner.fn} == {"log", "exp"}:
            return inner.arg
    return node


def tidy(expr: Expr) -> Expr:
    """Bottom-up: rebuild through the smart constructors, factor sums, put positive terms first."""
    if not expr.args:
        return expr
    children = tuple(tidy(a) for a in expr.args)
    node = expr if children == expr.args else _rebuild(expr, children)
    return _factor(node) if isinstance(node, Add) else node


def _rebuild(expr: Expr, children: tuple[Expr, ...]) -> Expr:
    if isinstance(expr, Add):
        return alg.add(*children)
    if isinstance(expr, Mul):
        return alg.mul(*children)
    return expr.with_args(children)


def _split(term: Expr) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
    """(scalar factors with the number, chain) of a term; a lone matrix is its own chain."""
    if isinstance(term, Mul):
        return tuple(f for f in term.factors if f.is_scalar), term.chain
    return ((term,), ()) if term.is_scalar else ((), (term,))


def _factor(node: Add) -> Expr:
    """Pull out common scalar factors, then a chain factor that several terms end or start with."""
    terms = _positive_first(node.terms)
    common = _common_scalars(terms)
    if common:
        rest = alg.add(*(_divide(t, common) for t in terms))
        return alg.mul(*common, _factor(rest) if isinstance(rest, Add) else rest)
    for side in (-1, 0):
        ends = Counter(c[side] for _, c in map(_split, terms) if len(c) >= 2)
        shared = [f for f, n in ends.items() if n >= 2]
        if shared:
            f = shared[0]
            group = [t for t in terms if len(_split(t)[1]) >= 2 and _split(t)[1][side] == f]
            others = [t for t in terms if t not in group]
            rests = [_drop_end(t, side) for t in group]
            inner = alg.add(*rests)
            inner = _factor(inner) if isinstance(inner, Add) else inner
            factored = alg.mul(inner, f) if side == -1 else alg.mul(f, inner)
            if not others:
                return factored
            return Add(tuple(_positive_first((factored, *others))))
    return Add(tuple(terms))


def _positive_first(terms: tuple[Expr, ...] | list[Expr]) -> list[Expr]:
    return sorted(terms, key=lambda t: alg.split_coeff(t)[0] < 0)


def _common_scalars(terms: list[Expr]) -> list[Expr]:
    """Non-numeric scalar factors that every term carries (1/(xᵀx) in a quotient's gradient)."""
    sets = [set(f for f in _split(t)[0] if not isinstance(f, type(alg.ONE))) for t in terms]
    shared = set.intersection(*sets) if sets else set()
    return sorted(shared, key=str) if all(_split(t)[1] for t in terms) else []


def _divide(term: Expr, common: list[Expr]) -> Expr:
    scalars, chain = _split(term)
    return alg.mul(*(s for s in scalars if s not in common), *chain)


def _drop_end(term: Expr, side: int) -> Expr:
    scalars, chain = _split(term)
    return alg.mul(*scalars, *(chain[:-1] if side == -1 else chain[1:]))
