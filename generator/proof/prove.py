"""The proof of a derivation: the first strategy that fits on a slide, between the layout and result steps.

`prove` tries, in order: the element-wise proof through a named intermediate (the lecture's
g(f), f = Wᵀa), the direct element-wise proof, and the chain rule with the shape of every
factor (`chain.py`) for compositions whose index form would not fit on a slide.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from ..calculus.engine import Backprop, derivative
from ..calculus.simplify import Rewrite, rewrites
from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.nodes import Expr, Sym
from ..tree.scope import Scope, Statement
from ..tree.text import to_text
from . import entries
from . import index as ix
from .chain import chain_proof
from .context import Context, TooLong, layout_step, result_step, symbol
from .elementwise import _direct, _through_named
from .assumptions import assumption_step, without_assumptions
from .formula import Entry, Equation, Name, Part, Partial, Piece, Reason, Rule, Tree, Where, equation, reason
from .steps import Claim, ProofStep
from .tensor import differential_proof, tensor_proof
from .terms import sum_route


def prove(statement: Statement, wrt: Sym, back: Backprop, layout: str, scope: Scope, kind: str,
          reserved: frozenset[str] = frozenset()) -> list[ProofStep]:
    """The steps from the statement to the closed form. `reserved` are names the proof may not give an
    index or an intermediate: a proof written for placeholders is shown with the problem's own names."""
    name = statement.output or "y"
    if kind == "tensor" or kind == "hessian" and not (wrt.is_vector or wrt.is_scalar):
        return tensor_proof(statement, wrt, back.result, layout, scope, kind, reserved)
    if kind == "hessian":
        return _hessian(statement, wrt, back, scope, reserved)
    ctx = Context(statement.expr, name, wrt, back.result, layout, scope, statement, reserved)
    free, used = without_assumptions(ctx)
    rewritten, applied = rewrites(free.output)
    steps = [layout_step(ctx)]
    if applied:
        steps.append(_rewrite_step(free, rewritten, applied))
        free = replace(free, output=rewritten)
    try:
        steps += sum_route(free, lambda term: _body(term, (_direct,)))
    except TooLong:
        steps += _body(free, (_through_named, _direct))
    if used:
        steps.append(assumption_step(ctx, free, used))
    return shown([*steps, result_step(ctx)])


def _rewrite_step(ctx: Context, rewritten: Expr, applied: tuple[Rewrite, ...]) -> ProofStep:
    """y = (the output rewritten), citing each identity applied with the problem's own expressions."""
    pieces: list[Piece] = ["rewrite with "]
    for k, r in enumerate(applied):
        pieces += ["; " if k else "", Rule(r.rule), ": ", equation(Tree(r.before), Tree(r.after))]
    return ProofStep(equation(ctx.label, Tree(rewritten)), reason(*pieces), kind="rewrite",
                     claim=Claim("equal", ctx.output, rewritten))


def shown(steps: list[ProofStep]) -> list[ProofStep]:
    """The steps worth showing: a step that shows what the step before it showed, or an equation whose sides
    are all the same, changes nothing; equal neighbouring sides of an equation are written once. A last step
    that already shows the result becomes the result step."""
    out: list[ProofStep] = []
    for step in steps:
        if isinstance(step.shows, Equation):
            sides = tuple(s for k, s in enumerate(step.shows.sides)
                          if k == 0 or signature(s) != signature(step.shows.sides[k - 1]))
            if len(sides) < 2:
                continue
            step = replace(step, shows=Equation(sides))
        if out and signature(step.shows) == signature(out[-1].shows):
            if step.kind == "result":  # the last step reached the result: it is the result, for its reason
                out[-1] = replace(out[-1], kind="result", claim=out[-1].claim or step.claim)
            continue
        out.append(replace(step, reason=_unrepeated(step.reason, step.shows)))
    return out


def signature(part: object) -> object:
    """What a part shows, comparable: trees by their text, so two trees that read alike are alike."""
    if isinstance(part, Tree):
        return ("tree", to_text(part.expr))
    if isinstance(part, tuple):
        return tuple(signature(p) for p in part)
    if is_dataclass(part):
        return (type(part).__name__, *(signature(getattr(part, f.name)) for f in fields(part)))
    return part


def _unrepeated(why: Reason, shows: Part) -> Reason:
    """The reason without a formula the step shows anyway (an identity that is the step itself)."""
    pieces = list(why.pieces)
    for k, piece in enumerate(pieces):
        if not isinstance(piece, (str, Rule)) and signature(piece) == signature(shows):
            start = k - 1 if k and pieces[k - 1] == ": " else k
            return Reason(tuple(pieces[:start] + pieces[k + 1:]))
    return why


def _body(ctx: Context, elementwise: tuple) -> list[ProofStep]:
    """The first proof that works: element-wise when it fits on a slide, else the chain rule."""
    for attempt in (*elementwise, chain_proof, differential_proof):
        try:
            return attempt(ctx)
        except (entries.NoIndexForm, TooLong, NotDerivable, NotImplementedError):
            continue  # sympy has no index form for this piece: the next kind of proof
    return []



# ---------------------------------------------------------------- second derivatives

def _hessian(statement: Statement, wrt: Sym, back: Backprop, scope: Scope,
             reserved: frozenset[str]) -> list[ProofStep]:
    """H = ∂/∂xᵀ (∂y/∂x): the gradient first, then its Jacobian entry by entry."""
    grad = derivative(statement.expr, wrt, "denominator", scope.functions).result
    y, x = symbol(statement.output or "y", statement.expr), symbol(wrt.name, wrt)
    ctx = Context(grad if grad.is_column else alg.transpose(grad), "g", wrt, back.result, "numerator", scope,
                  statement, reserved)
    g = symbol("g", ctx.output)
    first = ProofStep(equation(g, Partial(y, x), Tree(ctx.output)), reason("the gradient (denominator layout)"),
                      kind="gradient", claim=Claim("derivative", statement.expr, ctx.output, wrt))
    i, j = ix.index_symbol("i"), ix.index_symbol("j")
    entry = equation(Entry("H", (i, j)), Partial(Entry("g", (i,), braced=False), Entry(wrt.name, (j,), braced=False)))
    define = ProofStep(Where(equation(Name("H"), Partial(y, x, order=2), Partial(g, x, transposed=True)), (entry,)),
                       reason("the Hessian is the Jacobian of the gradient (numerator layout)"), kind="layout")
    body = _body(ctx, (_direct,))
    result = ProofStep(equation(Name("H"), Tree(back.result)), reason("the Hessian"), kind="result",
                       claim=Claim("derivative", ctx.output, back.result, wrt))
    return shown([first, define, *body, result])
