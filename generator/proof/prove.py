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
from ..latex.names import symbol_latex
from ..latex.printer import latex
from ..tree import algebra as alg
from ..tree.nodes import Sym
from ..tree.scope import Scope, Statement
from . import entries
from .steps import Claim, Step
from .chain import chain_proof
from .context import Context, TooLong, frac, layout_step, result_step
from .elementwise import _direct, _through_named
from .tensor import differential_proof, tensor_proof


def prove(statement: Statement, wrt: Sym, back: Backprop, layout: str, scope: Scope, kind: str) -> list[Step]:
    """The steps from the statement to the closed form."""
    name = statement.output or "y"
    if kind == "tensor" or kind == "hessian" and not (wrt.is_vector or wrt.is_scalar):
        return tensor_proof(statement, wrt, back.result, layout, scope, kind)
    if kind == "hessian":
        return _hessian(statement, wrt, back, scope)
    ctx = Context(statement.expr, name, wrt, back.result, layout, scope, statement)
    rewritten = normalize(statement.expr)
    rewrite = []
    if rewritten != statement.expr:
        rewrite = [Step(f"{symbol_latex(name, statement.expr.shape)} = {latex(rewritten)}", "rewrite with "
                        r"$\log\det X = \operatorname{logdet} X$, $\log\operatorname{softmax}(v) = v - "
                        r"\operatorname{logsumexp}(v)\mathbf{1}$, $\log e^{u} = u$", kind="rewrite",
                        claim=Claim("equal", statement.expr, rewritten))]
        ctx = replace(ctx, output=rewritten)
    return [layout_step(ctx), *rewrite, *_body(ctx, (_through_named, _direct)), result_step(ctx)]


def _body(ctx: Context, elementwise: tuple) -> list[Step]:
    """The first proof that works: element-wise when it fits on a slide, else the chain rule."""
    for attempt in (*elementwise, chain_proof, differential_proof):
        try:
            return attempt(ctx)
        except (entries.NoIndexForm, TooLong, NotDerivable, NotImplementedError):
            continue  # sympy has no index form for this piece: the next kind of proof
    return []



# ---------------------------------------------------------------- second derivatives

def _hessian(statement: Statement, wrt: Sym, back: Backprop, scope: Scope) -> list[Step]:
    """H = ∂/∂xᵀ (∂y/∂x): the gradient first, then its Jacobian entry by entry."""
    grad = derivative(statement.expr, wrt, "denominator", scope.functions).result
    y, x = symbol_latex(statement.output or "y", statement.expr.shape), symbol_latex(wrt.name, wrt.shape)
    ctx = Context(grad if grad.is_column else alg.transpose(grad), "g", wrt, back.result, "numerator", scope,
                  statement)
    first = Step(rf"\mathbf{{g}} = {frac(y, x)} = {latex(ctx.output)}", "the gradient (denominator layout)",
                 kind="gradient", claim=Claim("derivative", statement.expr, ctx.output, wrt))
    define = Step(rf"H = \frac{{\partial^2 {y}}}{{\partial {x}\,\partial {x}^\top}} = \frac{{\partial \mathbf{{g}}}}"
                  rf"{{\partial {x}^\top}},\quad H_{{ij}} = \frac{{\partial g_i}}{{\partial x_j}}",
                  "the Hessian is the Jacobian of the gradient (numerator layout)", kind="layout")
    body = _body(ctx, (_direct,))
    result = Step(rf"H = {latex(back.result)}", "the Hessian", kind="result",
                  claim=Claim("derivative", ctx.output, back.result, wrt))
    return [first, define, *body, result]
