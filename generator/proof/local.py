"""Why one step of a chain holds, written from the step: the identity it used, in the problem's own letters.

A step from the cut above to the cut below cites, in order of preference: the table's standard piece
(identities.py) with its right-hand side from the engine (squared norm: ∂‖u₁‖²/∂u₁ = 2u₁); the local
Jacobian of a vector step (∂(Kq)/∂q = Kᵀ, ∂h/∂z₁ = diag(σ′(z₁))) under the names of the rules met on the
way; for a matrix cut, how it enters linearly (multiply by xᵀ on the right). No rule is quoted with
letters of its own, so nothing on the frame means two things.
"""
from __future__ import annotations

from typing import Callable

from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.edit import count, size
from ..tree.nodes import (
    Add, Apply, Call, Const, Expr, Hadamard, Inverse, Mul, Named, Power, Reduce, Softmax, Transpose,
)
from .context import Context, symbol
from .formula import Bracketed, Part, Partial, Piece, Reason, Rule, Tree, equation, reason
from .identities import affine, gradient, recognise

SHORT = 16  # an expression this small is worth restating in a reason
TIMES = {2: "both factors", 3: "all three factors"}

Show = Callable[..., Expr]


def identity_reason(ctx: Context, expr: Expr, var: Expr, var_part: Part, show: Show,
                    layout: str = "denominator") -> Reason:
    """The table's identity for ∂expr/∂var: its name, then the identity with its sign, in the problem's letters;
    a constant factor (λ, 1/2) is said to stay."""
    match = recognise(expr, var)
    assert match is not None, "identity_reason needs a recognised piece"
    # A sign belongs to the identity (softmax cross-entropy is −yᵀ log softmax); any other factor stays outside.
    numbers = [f for f in match.factor if isinstance(f, Const) and f.value == -1]
    symbolic = [f for f in match.factor if f not in numbers]
    piece = alg.mul(*numbers, match.core) if numbers else match.core
    rhs = gradient(piece, var, ctx.scope.functions, layout)
    pieces: list[Piece] = [Rule(match.name), ": ", equation(Partial(_top(show(piece)), var_part), Tree(show(rhs)))]
    if symbolic:
        pieces += [", and the constant factor ", Tree(alg.mul(*symbolic)), " stays"]
    return reason(*pieces)


def step_reason(ctx: Context, above: Expr, cut: Expr, show: Show, names: dict[Expr, str], first: bool) -> Reason:
    """Why ∂y/∂(cut) follows from ∂y/∂(above): the identity met between them, with the problem's letters."""
    expr = above.arg if isinstance(above, Named) else above
    cut_part = symbol(names[cut], cut)
    if expr.is_scalar:
        match = recognise(expr, cut)
        if match is not None and affine(match.inner, cut):
            return identity_reason(ctx, expr, cut, cut_part, show)
    local = _local(ctx, above, expr, cut, cut_part, show, names, first)
    rules = rules_between(expr, cut)
    if local and not (cut.is_vector or cut.is_scalar):  # the words say how the matrix enters: no rule's name
        rules = [r for r in rules if r.name not in ("weights", "linear", "product")]
    pieces: list[Piece] = []
    for k, rule in enumerate(rules):
        pieces += ([", "] if k else []) + [rule]
    if local:
        pieces += [": " if pieces else "", *local]
    return reason(*pieces) if pieces else reason("the chain rule, one step")


def _local(ctx: Context, above: Expr, expr: Expr, cut: Expr, cut_part: Part, show: Show, names: dict[Expr, str],
           first: bool) -> list[Piece]:
    """The local derivative ∂above/∂cut: a gradient for a scalar above, a Jacobian for a vector above and cut;
    how a matrix cut enters a product otherwise."""
    if expr.is_scalar and (size(expr) > SHORT or isinstance(above, Named) and not first):
        return []
    if not expr.is_scalar and not (cut.is_vector or cut.is_scalar):
        times = count(expr, cut)
        if times > 1:  # XᵀX by X: each occurrence contributes, as the product rule says
            return ["the product rule, with ", cut_part, f" in {TIMES.get(times, f'{times} places')} of ",
                    Tree(show(expr))]
        return _linear_in_matrix(expr, cut, cut_part, show) if affine(expr, cut) else []
    if not (expr.is_vector or expr.is_scalar):
        return []
    try:
        local = gradient(expr, cut, ctx.scope.functions)
    except NotDerivable:
        return []
    top = _top(show(expr)) if first or above not in names else symbol(names[above], above)
    return [equation(Partial(top, cut_part), Tree(show(local)))]


def _linear_in_matrix(expr: Expr, cut: Expr, cut_part: Part, show: Show) -> list[Piece]:
    """A matrix cut in a product (W₁x, A X B): the gradient is multiplied by the other factors, transposed."""
    node = next((n for n in expr.walk() if isinstance(n, Mul) and cut in n.chain), None)
    if node is None:
        return []
    k = node.chain.index(cut)
    left, right = node.chain[:k], node.chain[k + 1:]
    pieces: list[Piece] = ["linear in ", cut_part, ", so multiply by "]
    if left:
        pieces += [Tree(show(alg.transpose(alg.mul(*left)))), " on the left"]
    if left and right:
        pieces.append(" and by ")
    if right:
        pieces += [Tree(show(alg.transpose(alg.mul(*right)))), " on the right"]
    return pieces if left or right else []


def _top(e: Expr) -> Part:
    return Bracketed(Tree(e)) if isinstance(e, (Add, Mul, Hadamard)) else Tree(e)


# ---------------------------------------------------------------- the rules met on the way, by name

def rules_between(top: Expr, cut: Expr) -> list[Rule]:
    """The rules that pass the derivative from `top` down to `cut`, each named once, in the order met."""
    rules: list[Rule] = []
    path = _path(top, cut)
    for node, below in zip(path, [*path[1:], cut]):
        rule = _rule(node, below)
        if rule is not None and rule not in rules:
            rules.append(rule)
    return rules


def _path(top: Expr, target: Expr) -> list[Expr]:
    if top == target:
        return []
    for a in top.args:
        if target == a or target in set(a.walk()):
            return [top, *_path(a, target)]
    return [top]


def _rule(node: Expr, below: Expr) -> Rule | None:
    """The rule that passes the derivative through `node` to its child `below` (None: nothing worth naming)."""
    if isinstance(node, Reduce):
        return Rule(node.op, reduction=True)  # its words, from the registry
    if isinstance(node, Power):
        return Rule("power" if node.arg.is_scalar else "elementwise-power")
    if isinstance(node, Apply):
        return Rule("elementwise")
    if isinstance(node, Mul):
        if node.is_vector and node.chain and below == node.chain[0] and len(node.chain) > 1:
            return Rule("weights")  # W x, by W
        if not (below.is_vector or below.is_scalar):
            return Rule("product")  # A X B, by X
        return Rule("linear") if not below.is_scalar or node.chain else None
    if isinstance(node, Hadamard):
        return Rule("hadamard")
    if isinstance(node, Softmax):
        return Rule("softmax")
    if isinstance(node, Inverse):
        return Rule("inverse")
    if isinstance(node, Call):
        return Rule("abstract")
    if isinstance(node, (Add, Transpose, Named)):
        return None  # a sum passes the derivative on; a transpose and a name change nothing worth a word
    return None

