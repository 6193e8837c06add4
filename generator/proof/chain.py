"""The chain-rule proof for compositions: cut the expression at its inner functions, then backpropagate.

y = ‖σ(W₂σ(W₁x)) − t‖² is cut at u₁ = σ(u₂) − t, u₂ = W₂σ(u₃), u₃ = W₁x; each step states
∂y/∂(cut) from the step before, cites the identity it used in the problem's own letters (local.py), and
a test can check it by finite differences with the cut treated as a variable of its own. A name the
author gave is a cut and is written by name (p = softmax(Kq) is not cut again at Kq); a standard piece
of an affine map (‖Xw − t‖², (x − As)ᵀW(x − As)) is cut at the map. Where the variable is reached
along several paths of one product, the product rule takes one occurrence at a time (product.py).
"""
from __future__ import annotations

from ..calculus.engine import pullback
from ..calculus.textbook import fold_named, named_in
from ..ops import OPS
from ..tree import algebra as alg
from ..tree.edit import count, replace, size, symbols
from ..tree.text import to_text
from ..tree.nodes import (
    Add, Apply, Call, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named, Power, Reduce, Softmax, Sym,
)
from .context import Context, symbol
from .formula import Bracketed, Formulas, Part, Partial, Product, Transposed, Tree, Underbrace, equation, reason
from .identities import affine, recognise
from .local import identity_reason, step_reason
from .product import product_rule
from .steps import Claim, ProofStep

NONLINEAR = (Apply, Softmax, Call, Power, Inverse, Hadamard)


def chain_proof(ctx: Context) -> list[ProofStep]:
    """Cuts named, the chain rule with shapes, then one step per cut from the output inwards."""
    match = recognise(ctx.output, ctx.wrt)
    if match is not None and match.inner == ctx.wrt:
        return [cited(ctx)]
    affine_inner = match is not None and affine(match.inner, ctx.wrt) and ctx.output.is_scalar
    cuts = [match.inner, ctx.wrt] if affine_inner else _kept(_cuts(ctx.output, ctx.wrt), ctx.wrt)
    if len(cuts) == 1 and count(ctx.output, ctx.wrt) > 1:
        return product_rule(ctx)  # x met several times in one product: one occurrence at a time
    names = _names(cuts, ctx)
    show = Display(cuts, names, named_in(ctx.statement.expr))
    steps: list[ProofStep] = []
    lets = tuple(equation(symbol(names[c], c), Tree(show(c, skip=c))) for c in cuts[:-1] if not isinstance(c, Named))
    if lets:
        steps.append(ProofStep(Formulas(lets), reason("name the inner functions"), kind="define"))
    if len(cuts) > 1 and all(c.is_vector or c.is_scalar for c in cuts) and ctx.shown is None:
        steps.append(_chain_rule(ctx, cuts, names))
    mode = _mode(ctx)
    full: Expr = _seed(ctx)
    above: Expr = ctx.output
    for k, cut in enumerate(cuts):
        # The adjoint from the step before is a fresh symbol, so it transposes like any matrix;
        # it is shown as ∂y/∂(cut above) and replaced by its full expression for the claim.
        seed = _seed(ctx) if k == 0 else Sym(f"_adjoint{k}", _adjoint_shape(ctx, above))
        shown_seed = seed if k == 0 else Grad(ctx.name, _named(above, names), seed.shape)
        u = cut if cut == ctx.wrt else Sym(f"_cut{k}", cut.shape)
        local = pullback(replace(above, cut, u), u, seed, mode, ctx.scope.functions)
        full = replace(replace(local, seed, full), u, cut) if k else replace(local, u, cut)
        # A term has no name to write ∂(term)/∂(cut above) with: its step shows the product worked out.
        worked = full if ctx.shown is not None else replace(replace(local, seed, shown_seed), u, cut)
        top = _top(ctx, show, cut if k < len(cuts) - 1 else None, alone=len(cuts) == 1)
        sides: list[Part] = [Partial(top, symbol(names[cut], cut)),
                             Tree(show(replace(worked, cut, _named(cut, names))))]
        if ctx.shown is not None and cut == ctx.wrt and ctx.layout == "denominator":
            sides.append(Tree(ctx.closed))  # a term ends with its own closed form, which the sum adds up
        claim = Claim("derivative", replace(ctx.output, cut, u), full, u, at=None if cut == ctx.wrt else cut)
        why = step_reason(ctx, above, cut, show, names, first=k == 0)
        steps.append(ProofStep(equation(*sides), why, kind="chain", claim=claim))
        above = cut
    return steps + to_layout(ctx, full)


def cited(ctx: Context) -> ProofStep:
    """∂y/∂x by one identity of the table, cited by name with the problem's own letters, in the layout asked for."""
    show = Display([ctx.wrt], {ctx.wrt: ctx.wrt.name}, named_in(ctx.statement.expr))
    d = Partial(ctx.label if ctx.shown is not None else bracketed(show(ctx.output)), symbol(ctx.wrt.name, ctx.wrt))
    closed = ctx.closed if ctx.layout == "denominator" else alg.transpose(ctx.closed)
    why = identity_reason(ctx, ctx.output, ctx.wrt, symbol(ctx.wrt.name, ctx.wrt), show, ctx.layout)
    return ProofStep(equation(d, Tree(show(ctx.closed))), why, kind="identity",
                     claim=Claim("derivative", ctx.output, closed, ctx.wrt))


def _top(ctx: Context, show: Display, cut: Expr | None, alone: bool = False) -> Part:
    """What a chain step differentiates: the output's name, or a term written with the cut it is taken by; a
    step that is the whole proof differentiates the expression itself (∂det(X)/∂X, then the result names it)."""
    if ctx.shown is None:
        return bracketed(show(ctx.output)) if alone else ctx.label
    term = show.only(ctx.output, cut) if cut is not None else show.only(ctx.output, None)
    return bracketed(term)


def bracketed(e: Expr) -> Part:
    """A term as the top of a fraction: bracketed when it is a sum or a product, so ∂(λ‖w‖²)/∂w reads right."""
    return Bracketed(Tree(e)) if isinstance(e, (Add, Mul, Hadamard)) else Tree(e)


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


def _kept(cuts: list[Expr], wrt: Sym) -> list[Expr]:
    """The cuts worth a step: inside a name the author gave, an affine map of the variable is not cut again
    (p = softmax(Kq) goes to q in one step), and a cut that a name the author gave passes through unchanged
    (u = p − y above p) is dropped: its step would say ∂y/∂p = ∂y/∂u."""
    kept: list[Expr] = []
    for k, c in enumerate(cuts):
        below = cuts[k + 1] if k + 1 < len(cuts) else None
        if below is not None and not isinstance(c, (Named, Sym)):
            if kept and isinstance(kept[-1], Named) and below == wrt and affine(c, wrt):
                continue
            if isinstance(below, Named) and isinstance(c, Add) and below in c.terms and all(
                    below not in set(t.walk()) for t in c.terms if t != below):
                continue
        kept.append(c)
    return kept


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
    used |= {n.name for n in ctx.statement.expr.walk() if isinstance(n, Named)}
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


class Display:
    """An expression with every cut shown by its name and every name the author gave folded back in."""

    def __init__(self, cuts: list[Expr], names: dict[Expr, str], given: list[Named]):
        # Larger cuts first, so an outer cut is named before the inner ones inside it.
        self.cuts = sorted(cuts[:-1], key=lambda c: -sum(1 for _ in c.walk()))
        self.names = names
        self.given = given

    def __call__(self, e: Expr, skip: Expr | None = None) -> Expr:
        e = fold_named(e, [n for n in self.given if n != skip])
        for c in self.cuts:
            if c != skip:
                e = replace(e, c, _named(c, self.names))
        return e

    def only(self, e: Expr, cut: Expr | None) -> Expr:
        """e with only `cut` shown by its name (the term a chain step differentiates by that cut)."""
        e = fold_named(e, self.given)
        return e if cut is None else replace(e, cut, _named(cut, self.names))


def _mode(ctx: Context) -> str:
    return "gradient" if ctx.output.is_scalar else "jacobian"


def _seed(ctx: Context) -> Expr:
    return alg.ONE if ctx.output.is_scalar else Identity(ctx.output.length)


def _adjoint_shape(ctx: Context, node: Expr) -> tuple:
    return node.shape if ctx.output.is_scalar else (node.length, ctx.output.length)


def to_layout(ctx: Context, denominator: Expr) -> list[ProofStep]:
    """A last step where the layout asked for is the transpose of what the chain produced."""
    if ctx.layout == "denominator":
        return []
    d = Partial(ctx.label, symbol(ctx.wrt.name, ctx.wrt))
    return [ProofStep(equation(d, Transposed(Tree(denominator)), Tree(ctx.closed)),
                      reason("the numerator layout is the transpose of the denominator layout"), kind="transpose",
                      claim=Claim("equal", alg.transpose(denominator), ctx.closed))]


def _chain_rule(ctx: Context, cuts: list[Expr], names: dict[Expr, str]) -> ProofStep:
    """∂y/∂x = ∂u_k/∂x ⋯ ∂u₁/∂u₂ ∂y/∂u₁ with the shape of each factor under it (denominator order)."""
    chain = [ctx.output, *cuts]
    labels = [ctx.label] + [symbol(names[c], c) for c in cuts]
    factors = []
    for k in range(len(chain) - 1):
        top, bottom = chain[k], chain[k + 1]
        rows, cols = (bottom.length, top.length) if ctx.layout == "denominator" else (top.length, bottom.length)
        factors.append(Underbrace(Partial(labels[k], labels[k + 1]), (rows, cols)))
    ordered = factors[::-1] if ctx.layout == "denominator" else factors
    return ProofStep(equation(Partial(labels[0], labels[-1]), Product(tuple(ordered))),
                     reason(f"chain rule in {ctx.layout} layout, with the shape of each factor"), kind="chain")

