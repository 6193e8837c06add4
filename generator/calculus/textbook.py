"""Textbook forms of a closed form: the author's terms in the author's order, named intermediates kept.

A course proves ∂/∂w (‖Xw − t‖² + λ‖w‖²) term by term and writes 2Xᵀ(Xw − t) + 2λw, not
2(λw + Xᵀ(Xw − t)); with p = softmax(Kq) it writes Kᵀ(diag(p) − p pᵀ)a, not softmax(Kq) three times.
"""
from __future__ import annotations

from dataclasses import replace

from ..tree.nodes import Add, Expr, Named


def terms(expr: Expr) -> tuple[Expr, ...]:
    """The terms of a sum as the author wrote them (a named sum is looked through), or the expression itself."""
    inner = expr.arg if isinstance(expr, Named) else expr
    return inner.terms if isinstance(inner, Add) else (expr,)


def fold_named(e: Expr, named: list[Named]) -> Expr:
    """`e` with every subtree that a named intermediate stands for replaced by its name (largest first)."""
    for n in sorted(named, key=lambda n: -sum(1 for _ in n.arg.walk())):
        e = _fold(e, n)
    return e


def _fold(e: Expr, n: Named) -> Expr:
    if e == n.arg:
        return n
    if not e.args or isinstance(e, Named):
        return e
    args = tuple(_fold(a, n) for a in e.args)
    return e if args == e.args else e.with_args(args)


def named_in(expr: Expr) -> list[Named]:
    """The named intermediates an expression is built from, each once."""
    return list(dict.fromkeys(n for n in expr.walk() if isinstance(n, Named)))


def named_back(back, named: list[Named]):
    """A Backprop (engine.py) with its result in terms of the named intermediates."""
    return replace(back, result=fold_named(back.result, named))
