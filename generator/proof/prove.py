"""The proof of a derivation: the first strategy that fits on a slide, between the layout and result steps.

`prove` tries, in order: the element-wise proof through a named intermediate (the lecture's
g(f), f = Wᵀa), the direct element-wise proof, and the chain rule with the shape of every
factor (`chain.py`) for compositions whose index form would not fit on a slide.
"""
from __future__ import annotations

from dataclasses import replace

from ..calculus.engine import Backprop, derivative
from ..calculus.simplify import normalize
from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.nodes import Sym
from ..tree.scope import Scope, Statement
from . import entries
from . import index as ix
from .chain import chain_proof
from .context import Context, TooLong, layout_step, result_step, symbol
from .elementwise import _direct, _through_named
from .formula import Entry, Name, Partial, Rule, Tree, Where, equation, reason
from .steps import Claim, ProofStep
from .tensor import differential_proof, tensor_proof


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
    rewritten = normalize(statement.expr)
    rewrite = []
    if rewritten != statement.expr:
        rewrite = [ProofStep(equation(symbol(name, statement.expr), Tree(rewritten)),
                             reason("rewrite with ", Rule("log-det"), ", ", Rule("log-softmax"), ", ", Rule("log-exp")),
                             kind="rewrite", claim=Claim("equal", statement.expr, rewritten))]
        ctx = replace(ctx, output=rewritten)
    return [layout_step(ctx), *rewrite, *_body(ctx, (_through_named, _direct)), result_step(ctx)]


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
    return [first, define, *body, result]
