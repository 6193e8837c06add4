"""The product rule, as a course writes it: one occurrence of the variable at a time, marked in the formula.

    ∂y/∂x = ∂(x̲ᵀA x)/∂x + ∂(xᵀA x̲)/∂x        product rule, said once: the underlined x varies
    ∂(x̲ᵀA x)/∂x = A x                           the rule that occurrence meets
    ∂y/∂x = A x + Aᵀx = (A + Aᵀ) x                add

Equal contributions are shown once ("both occurrences give the same term") and counted in the sum.
"""
from __future__ import annotations

from ..calculus.engine import pullback
from ..calculus.textbook import fold_named, named_in
from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.edit import occurrences, replace, replace_at
from ..tree.nodes import Add, Expr, Hadamard, Identity, Mul, Sym
from ..tree.text import to_text
from .context import Context, symbol
from .formula import Bracketed, Marked, Part, Partial, Plus, Transposed, Tree, equation, reason
from .identities import affine
from .local import rules_between
from .steps import Claim, ProofStep

MARK = "zzmarkzz"  # the stand-in for the marked occurrence while a step is written; printed underlined
COUNTS = {2: "both occurrences", 3: "all three occurrences"}
LINEAR = ("linear", "weights", "product", "tr", "sum", "hadamard")  # rules that pass one occurrence on linearly


def product_rule(ctx: Context) -> list[ProofStep]:
    """The variable's occurrences one at a time, each underlined where it varies; equal terms said once."""
    paths = list(occurrences(ctx.output, ctx.wrt))
    if len(paths) < 2:
        raise NotDerivable("no product rule to apply")
    scalar = ctx.output.is_scalar
    seed = alg.ONE if scalar else Identity(ctx.output.length)
    x = symbol(ctx.wrt.name, ctx.wrt)
    given = named_in(ctx.statement.expr)
    marked, alone, parts = [], [], []
    for k, path in enumerate(paths, 1):
        u = Sym(f"_occurrence{k}", ctx.wrt.shape)
        alone.append((replace_at(ctx.output, path, u), u))
        parts.append(replace(pullback(alone[-1][0], u, seed, "gradient" if scalar else "jacobian",
                                      ctx.scope.functions), u, ctx.wrt))
        shown = fold_named(replace_at(ctx.output, path, Sym(MARK, ctx.wrt.shape)), given)
        marked.append(_fraction(Marked(shown, MARK, x), x))
    d = Partial(ctx.label, x)
    steps = [ProofStep(equation(d, Plus(tuple(marked))),
                       reason("product rule: one occurrence of ", x, " varies at a time (underlined), the others "
                              "are held fixed, and the contributions add up"), kind="product")]
    groups: dict[str, list[int]] = {}
    for k, part in enumerate(parts):
        groups.setdefault(to_text(part), []).append(k)
    total: list[Expr] = []
    for members in groups.values():
        first = members[0]
        expr, u = alone[first]
        nonlinear = [r for r in rules_between(expr, u) if r.name not in LINEAR]
        why = reason("linear in the underlined ", x) if affine(expr, u) or not nonlinear else reason(
            *_listed(nonlinear), ", for the underlined ", x)
        if len(members) > 1:
            why = reason(*why.pieces, "; ", COUNTS.get(len(members), f"all {len(members)} occurrences"),
                         " give the same term")
        sides: list[Part] = [marked[k] for k in members]
        steps.append(ProofStep(equation(*sides, Tree(fold_named(parts[first], given))), why, kind="product",
                               claim=Claim("derivative", expr, parts[first], u, at=ctx.wrt)))
        total.append(alg.mul(alg.const(len(members)), parts[first]))
    denominator = ctx.closed if ctx.layout == "denominator" else alg.transpose(ctx.closed)
    written = Add(tuple(total)) if len(total) > 1 else total[0]  # as the contributions came, not re-ordered
    sides = [d, Tree(fold_named(written, given))]
    steps.append(ProofStep(equation(*sides, Tree(fold_named(denominator, given))), reason("add the contributions"),
                           kind="sum",
                           claim=Claim("derivative", ctx.output, denominator, ctx.wrt)))
    if ctx.layout == "numerator":
        steps.append(ProofStep(equation(d, Transposed(Tree(fold_named(denominator, given))),
                                        Tree(fold_named(ctx.closed, given))),
                               reason("the numerator layout is the transpose of the denominator layout"),
                               kind="transpose", claim=Claim("equal", alg.transpose(denominator), ctx.closed)))
    return steps


def _fraction(marked: Marked, x: Part) -> Part:
    """∂(…)/∂x with the marked expression on top, bracketed when it is a sum or a product."""
    top: Part = Bracketed(marked) if isinstance(marked.expr, (Add, Mul, Hadamard)) else marked
    return Partial(top, x)


def _listed(rules: list) -> list:
    out: list = []
    for k, rule in enumerate(rules):
        out += ([", "] if k else []) + [rule]
    return out
