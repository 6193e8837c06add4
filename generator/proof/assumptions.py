"""The assumptions a closed form uses, found by deriving without them, and the one step that uses them.

A proof of xᵀAx by x with A symmetric reaches (A + Aᵀ)x like any other and then says
"= 2Ax because A = Aᵀ (A is symmetric)"; softmax cross-entropy reaches (sum(y) softmax(Wx) − y)xᵀ and says
"sum(y) = 1ᵀy = 1 because y is a probability vector". An assumption the closed form does not need is not mentioned.
"""
from __future__ import annotations

from dataclasses import replace

from ..calculus.engine import derivative
from ..tree import algebra as alg
from ..tree.nodes import Expr, Mul, Ones, Reduce, Sym, Transpose
from ..tree.text import to_text
from .context import Context, symbol
from .formula import Name, Partial, Piece, Tree, equation, reason
from .steps import Claim, ProofStep

WHAT = {"symmetric": "symmetric", "spd": "symmetric positive definite", "probability": "a probability vector"}


def without_assumptions(ctx: Context) -> tuple[Context, tuple[Sym, ...]]:
    """The context with the output's assumptions dropped (the variable keeps its own) when the closed form needs
    any of them, and the symbols whose assumptions it needs; the context itself and () when it needs none."""
    carrying = sorted({s for s in ctx.output.walk() if isinstance(s, Sym) and s.props and s.name != ctx.wrt.name},
                      key=lambda s: s.name)
    if not carrying:
        return ctx, ()
    free = strip(ctx.output, carrying)
    closed = derivative(free, ctx.wrt, ctx.layout, ctx.scope.functions).result
    if to_text(closed) == to_text(ctx.closed):
        return ctx, ()
    used = tuple(s for s in carrying if to_text(derivative(strip(ctx.output, [s]), ctx.wrt, ctx.layout,
                                                            ctx.scope.functions).result) != to_text(ctx.closed))
    return replace(ctx, output=free, closed=closed), used or tuple(carrying)


def strip(e: Expr, symbols: list[Sym]) -> Expr:
    """e with the given symbols' assumptions removed, as written (no re-canonicalisation)."""
    if isinstance(e, Sym):
        return Sym(e.name, e.shape) if e in symbols else e
    if not e.args:
        return e
    args = tuple(strip(a, symbols) for a in e.args)
    return e if args == e.args else e.with_args(args)


def assumption_step(ctx: Context, free: Context, used: tuple[Sym, ...]) -> ProofStep:
    """∂y/∂x = (closed form without the assumptions) = (closed form): the step where they are used, said once."""
    pieces: list[Piece] = []
    for s in used:
        for prop in sorted(s.props):
            plain = Sym(s.name, s.shape)
            fact = (equation(Tree(Reduce("sum", plain)), Tree(Mul((Transpose(Ones(s.shape)), plain))), Tree(alg.ONE))
                    if prop == "probability" else equation(Tree(plain), Tree(Transpose(plain))))
            pieces += ["; " if pieces else "", fact, " because ", Name(s.name, s.shape), f" is {WHAT[prop]}"]
    d = Partial(ctx.label, symbol(ctx.wrt.name, ctx.wrt))
    return ProofStep(equation(d, Tree(free.closed), Tree(ctx.closed)), reason(*pieces), kind="assume",
                     claim=Claim("equal", free.closed, ctx.closed))
