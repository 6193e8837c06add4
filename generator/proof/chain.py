"""The chain-rule proof for compositions: cut the expression at its inner functions, then backpropagate.

y = ‖σ(W₂σ(W₁x)) − t‖² is cut at u₁ = σ(u₂) − t, u₂ = W₂σ(u₃), u₃ = W₁x; each step states
∂y/∂(cut) from the step before by one rule of the engine, and a test can check it by finite
differences with the cut treated as a variable of its own. Where the variable is reached along
several paths (xᵀAx, tr(PPᵀ)), the product rule takes one occurrence at a time instead.
"""
from __future__ import annotations

from ..calculus.engine import pullback
from ..errors import NotDerivable
from ..ops import OPS
from ..tree import algebra as alg
from ..tree.edit import count, occurrences, replace, replace_at, size, symbols
from ..tree.text import to_text
from ..tree.nodes import (
    Add, Apply, Call, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named, Power, Reduce, Softmax, Sym,
    Transpose,
)
from .context import Context, symbol
from .formula import (
    At, Formulas, Partial, Plus, Product, Reason, Rule, Transposed, Tree, Underbrace, equation, reason,
)
from .steps import Claim, ProofStep

NONLINEAR = (Apply, Softmax, Call, Power, Inverse, Hadamard)


def chain_proof(ctx: Context) -> list[ProofStep]:
    """Cuts named, the chain rule with shapes, then one step per cut from the output inwards."""
    cuts = _cuts(ctx.output, ctx.wrt)
    if len(cuts) == 1 and count(ctx.output, ctx.wrt) > 1:
        return product_rule(ctx)  # x met several times in one product: one occurrence at a time
    names = _names(cuts, ctx)
    show = _Display(cuts, names)
    steps: list[ProofStep] = []
    lets = tuple(equation(symbol(names[c], c), Tree(show(c, skip=c))) for c in cuts[:-1] if not isinstance(c, Named))
    if lets:
        steps.append(ProofStep(Formulas(lets), reason("name the inner functions"), kind="define"))
    if len(cuts) > 1 and all(c.is_vector or c.is_scalar for c in cuts):
        steps.append(_chain_rule(ctx, cuts, names))
    mode = _mode(ctx)
    full: Expr = _seed(ctx)
    above: Expr = ctx.output
    y = symbol(ctx.name, ctx.output)
    for k, cut in enumerate(cuts):
        # The adjoint from the step before is a fresh symbol, so it transposes like any matrix;
        # it is shown as ∂y/∂(cut above) and replaced by its full expression for the claim.
        seed = _seed(ctx) if k == 0 else Sym(f"_adjoint{k}", _adjoint_shape(ctx, above))
        shown_seed = seed if k == 0 else Grad(ctx.name, _named(above, names), seed.shape)
        u = cut if cut == ctx.wrt else Sym(f"_cut{k}", cut.shape)
        local = pullback(replace(above, cut, u), u, seed, mode, ctx.scope.functions)
        full = replace(replace(local, seed, full), u, cut) if k else replace(local, u, cut)
        shows = equation(Partial(y, symbol(names[cut], cut)),
                         Tree(show(replace(replace(local, seed, shown_seed), u, _named(cut, names)))))
        claim = Claim("derivative", replace(ctx.output, cut, u), full, u, at=None if cut == ctx.wrt else cut)
        steps.append(ProofStep(shows, _reason(above, cut), kind="chain", claim=claim))
        above = cut
    return steps + _to_layout(ctx, full)


def product_rule(ctx: Context) -> list[ProofStep]:
    """One occurrence of the variable at a time, the others held fixed; then the sum."""
    paths = list(occurrences(ctx.output, ctx.wrt))
    if len(paths) < 2:
        raise NotDerivable("no product rule to apply")
    mode = _mode(ctx)
    x = symbol(ctx.wrt.name, ctx.wrt)
    d = Partial(symbol(ctx.name, ctx.output), x)
    steps, parts = [], []
    for k, path in enumerate(paths, 1):
        u = Sym(f"_occurrence{k}", ctx.wrt.shape)
        alone = replace_at(ctx.output, path, u)
        part = replace(pullback(alone, u, _seed(ctx), mode, ctx.scope.functions), u, ctx.wrt)
        parts.append(part)
        steps.append(ProofStep(equation(At(d, k), Tree(part)),
                               reason(f"product rule: occurrence {k} of ", x, " varies, the others are held fixed"),
                               kind="product", claim=Claim("derivative", alone, part, u, at=ctx.wrt)))
    total = Plus(tuple(At(d, k) for k in range(1, len(paths) + 1)))
    steps.append(ProofStep(equation(d, total), reason("add the contributions of all occurrences"), kind="sum"))
    return steps + _to_layout(ctx, alg.add(*parts), always=True)


# ---------------------------------------------------------------- choosing the cuts

def _cuts(root: Expr, wrt: Sym) -> list[Expr]:
    """Where the path to wrt enters a function, from outside in; wrt last.

    Each cut is the largest such node below the previous one that holds every occurrence of
    wrt (−tᵀWx + logsumexp(Wx) is cut at Wx, met twice), so one variable carries the chain.
    """
    cuts: list[Expr] = []
    node = root
    while node != wrt:
        total = count(node, wrt)
        covering = [d for d in _boundaries(node, wrt) if count(node, d) * count(d, wrt) == total]
        node = max(covering, key=lambda d: (size(d), to_text(d)))  # text: no tie left to set order
        cuts.append(node)
    return cuts


def _boundaries(node: Expr, wrt: Sym) -> set[Expr]:
    """Nodes below `node` that depend on wrt and start a function's argument (or are named, or wrt)."""
    found: set[Expr] = set()
    for child in node.args:
        if wrt not in symbols(child):
            continue
        if child == wrt or isinstance(child, Named) or _is_function(node) and (
                not child.is_scalar or isinstance(node, Apply)):
            found.add(child)
        found |= _boundaries(child, wrt)
    return found


def _is_function(node: Expr) -> bool:
    return isinstance(node, NONLINEAR) or isinstance(node, Reduce) and not OPS.reductions[node.op].linear










def _names(cuts: list[Expr], ctx: Context) -> dict[Expr, str]:
    used = set(ctx.scope.symbols) | set(ctx.scope.functions) | {ctx.name} | ctx.reserved
    names: dict[Expr, str] = {}
    counter = 0
    for c in cuts:
        if isinstance(c, (Named, Sym)):
            names[c] = c.name
            continue
        counter += 1
        while f"u{counter}" in used:
            counter += 1
        names[c] = f"u{counter}"
    return names


# ---------------------------------------------------------------- rewriting for display and claims





def _named(e: Expr, names: dict[Expr, str]) -> Expr:
    return e if isinstance(e, (Named, Sym)) or e not in names else Named(names[e], e)


class _Display:
    """An expression with every cut shown by its name."""

    def __init__(self, cuts: list[Expr], names: dict[Expr, str]):
        # Larger cuts first, so an outer cut is named before the inner ones inside it.
        self.cuts = sorted(cuts[:-1], key=lambda c: -sum(1 for _ in c.walk()))
        self.names = names

    def __call__(self, e: Expr, skip: Expr | None = None) -> Expr:
        for c in self.cuts:
            if c != skip:
                e = replace(e, c, _named(c, self.names))
        return e


def _mode(ctx: Context) -> str:
    return "gradient" if ctx.output.is_scalar else "jacobian"


def _seed(ctx: Context) -> Expr:
    return alg.ONE if ctx.output.is_scalar else Identity(ctx.output.length)


def _adjoint_shape(ctx: Context, node: Expr) -> tuple:
    return node.shape if ctx.output.is_scalar else (node.length, ctx.output.length)


def _to_layout(ctx: Context, denominator: Expr, always: bool = False) -> list[ProofStep]:
    """A last step where the layout asked for is the transpose of what the chain produced."""
    if ctx.layout == "denominator" and not always:
        return []
    d = Partial(symbol(ctx.name, ctx.output), symbol(ctx.wrt.name, ctx.wrt))
    if ctx.layout == "denominator":
        return [ProofStep(equation(d, Tree(ctx.closed)), reason("simplify"), kind="simplify",
                          claim=Claim("equal", denominator, ctx.closed))]
    return [ProofStep(equation(d, Transposed(Tree(denominator)), Tree(ctx.closed)),
                      reason("the numerator layout is the transpose of the denominator layout"), kind="transpose",
                      claim=Claim("equal", alg.transpose(denominator), ctx.closed))]


def _chain_rule(ctx: Context, cuts: list[Expr], names: dict[Expr, str]) -> ProofStep:
    """∂y/∂x = ∂u_k/∂x ⋯ ∂u₁/∂u₂ ∂y/∂u₁ with the shape of each factor under it (denominator order)."""
    chain = [ctx.output, *cuts]
    labels = [symbol(ctx.name, ctx.output)] + [symbol(names[c], c) for c in cuts]
    factors = []
    for k in range(len(chain) - 1):
        top, bottom = chain[k], chain[k + 1]
        rows, cols = (bottom.length, top.length) if ctx.layout == "denominator" else (top.length, bottom.length)
        factors.append(Underbrace(Partial(labels[k], labels[k + 1]), (rows, cols)))
    ordered = factors[::-1] if ctx.layout == "denominator" else factors
    return ProofStep(equation(Partial(labels[0], labels[-1]), Product(tuple(ordered))),
                     reason(f"chain rule in {ctx.layout} layout, with the shape of each factor"), kind="chain")


def _reason(above: Expr, cut: Expr) -> Reason:
    """The rules met between a node and the cut below it, cited in turn."""
    path = _path(above, cut)
    rules: list[Rule] = []
    for node, below in zip(path, [*path[1:], cut]):
        rule = _rule(node, below)
        if rule and rule not in rules:
            rules.append(rule)
    if not rules:
        return reason("one step of the chain rule")
    pieces: list[str | Rule] = []
    for rule in rules:
        pieces += ["; ", rule] if pieces else [rule]
    return reason(*pieces)


def _path(top: Expr, target: Expr) -> list[Expr]:
    if top == target:
        return []
    for a in top.args:
        if target == a or target in set(a.walk()):
            return [top, *_path(a, target)]
    return [top]


def _rule(node: Expr, below: Expr) -> Rule | None:
    """The rule that passes the derivative through `node` to its child `below` (None: nothing to cite)."""
    if isinstance(node, Reduce):
        return Rule(node.op, reduction=True)  # its gradient identity, from the registry
    if isinstance(node, Power):
        return Rule("power" if node.arg.is_scalar else "elementwise-power")
    if isinstance(node, Apply):
        return Rule("elementwise")
    if isinstance(node, Mul):
        if node.chain and below == node.chain[0] and not below.is_vector and len(node.chain) > 1:
            return Rule("weights")  # z = W x, by W
        return Rule("linear")  # z = A u, by u
    if isinstance(node, Hadamard):
        return Rule("hadamard")
    if isinstance(node, Softmax):
        return Rule("softmax")
    if isinstance(node, Inverse):
        return Rule("inverse")
    if isinstance(node, Call):
        return Rule("abstract")
    if isinstance(node, Add):
        return Rule("add")
    if isinstance(node, Transpose):
        return Rule("transpose")
    return None
