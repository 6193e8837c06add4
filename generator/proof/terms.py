"""The textbook route for a sum the author wrote: the sum rule once, each term on its own, then the terms added.

    ∂L/∂w = ∂‖Xw − t‖²/∂w + ∂(λ‖w‖²)/∂w                  sum rule
    u₁ = Xw − t;  ∂‖u₁‖²/∂u₁ = 2u₁;  ∂‖Xw − t‖²/∂w = Xᵀ ∂‖u₁‖²/∂u₁ = 2Xᵀ(Xw − t)
    ∂(λ‖w‖²)/∂w = 2λw                                       squared norm; the constant factor λ stays
    ∂L/∂w = 2Xᵀ(Xw − t) + 2λw                               add the terms

A term that is a standard piece of the variable itself is cited by name (identities.py); a standard
piece of an affine map is proved by the chain rule through that map; any other term by the lecture's
method (element-wise where it fits, else the chain rule). The route is taken only where the closed form
is the sum of the terms' own closed forms, as the engine writes it when that reads no longer.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..calculus.engine import derivative
from ..calculus.textbook import fold_named, named_in, terms
from ..tree import algebra as alg
from ..tree.edit import symbols
from ..tree.text import to_text
from .chain import bracketed, chain_proof, cited
from .context import Context, TooLong, symbol
from .formula import Part, Partial, Piece, Plus, Rule, Tree, equation, reason
from .identities import affine, recognise
from .steps import Claim, ProofStep

Body = Callable[[Context], list[ProofStep]]


def sum_route(ctx: Context, body: Body) -> list[ProofStep]:
    """The sum rule, each term proved on its own (by `body` when no identity fits), and the terms added."""
    written = terms(ctx.output)
    dependent = [t for t in written if ctx.wrt in symbols(t)]
    if len(written) < 2 or not dependent:
        raise TooLong("not a sum of terms that depend on the variable")
    given = named_in(ctx.statement.expr)
    functions = ctx.scope.functions
    own = [fold_named(derivative(t, ctx.wrt, ctx.layout, functions).result, given) for t in dependent]
    if to_text(alg.add(*own)) != to_text(ctx.closed):
        raise TooLong("the closed form is not the sum of the terms' own")
    x = symbol(ctx.wrt.name, ctx.wrt)
    d = Partial(ctx.label, x)
    shown = [bracketed(fold_named(t, given)) for t in dependent]
    constants = _listed([Tree(fold_named(c, given)) for c in written if ctx.wrt not in symbols(c)])
    verb = " does not depend on " if len(constants) == 1 else " do not depend on "
    if len(dependent) > 1:
        pieces: list[Piece] = [Rule("sum-rule"), ": differentiate each term on its own"]
        pieces += [", and ", *constants, verb, x] if constants else []
    else:
        pieces = [Rule("sum-rule"), ": ", *constants, verb, x, ", so only the other term is differentiated"]
    steps = [ProofStep(equation(d, Plus(tuple(Partial(s, x) for s in shown))), reason(*pieces), kind="sum-rule")]
    for term, top, closed in zip(dependent, shown, own):
        steps += _term(replace(ctx, output=term, closed=closed, shown=top), body)
    if len(dependent) == 1:
        return steps  # one term varies: its closed form is the result
    added = alg.add(*own)
    sides: list[Part] = [d, Tree(added)]
    if to_text(added) != to_text(ctx.closed):
        sides.append(Tree(ctx.closed))
    denominator = ctx.closed if ctx.layout == "denominator" else alg.transpose(ctx.closed)
    steps.append(ProofStep(equation(*sides), reason("add the terms" if len(sides) == 2 else "add the terms and collect"),
                           kind="add", claim=Claim("derivative", ctx.output, denominator, ctx.wrt)))
    return steps


def _term(ctx: Context, body: Body) -> list[ProofStep]:
    """One term: cited when it is a standard piece of the variable, through the chain rule when it is one of an
    affine map, else the lecture's method."""
    match = recognise(ctx.output, ctx.wrt)
    if match is not None and match.inner == ctx.wrt:
        return [cited(ctx)]
    if match is not None and affine(match.inner, ctx.wrt) and ctx.output.is_scalar:
        return chain_proof(ctx)
    steps = body(ctx)
    if not steps:
        raise TooLong("a term has no proof that fits")
    return steps


def _listed(parts: list[Part]) -> list[Piece]:
    out: list[Piece] = []
    for k, p in enumerate(parts):
        if k:
            out.append(" and " if k == len(parts) - 1 else ", ")
        out.append(p)
    return out
