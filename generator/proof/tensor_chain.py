"""The chain rule for tensors: cut the output where the variable enters a function of a matrix, and multiply
the vec–Jacobians, with the shape of every factor under it.

For Y = σ(A X B) the cut is U = A X B, and
    ∂vec Y/∂(vec X)ᵀ = ∂vec Y/∂(vec U)ᵀ · ∂vec U/∂(vec X)ᵀ   (pq×pq times pq×mn),
the contraction over the entries of U that the chain rule of a lecture performs on 4-index arrays.
"""
from __future__ import annotations

import itertools

from ..calculus.vec import vec_jacobian
from ..tree import algebra as alg
from ..tree.dims import dim_mul
from ..tree.edit import replace, symbols
from ..tree.nodes import Expr, Named, Sym
from .chain import _cuts
from .context import Context, symbol
from .formula import Name, Product, Tree, Underbrace, VecPartial, equation, reason
from .steps import Claim, ProofStep


def chain_route(ctx: Context, free: list[str], jacobian: Expr) -> list[ProofStep]:
    """Name the cut, state the chain rule with shapes, give both factors and their product."""
    if ctx.wrt not in symbols(ctx.output):
        raise NotImplementedError("the output does not depend on the variable")
    cut = _cuts(ctx.output, ctx.wrt)[0]
    if cut == ctx.wrt or cut.is_scalar or cut == ctx.output:
        raise NotImplementedError("no intermediate to cut at")
    taken = set(ctx.scope.symbols) | set(ctx.scope.functions) | {ctx.name} | ctx.reserved
    first = ("u", "v", "z") if cut.is_vector else ("U", "V", "Z")  # a vector is lower case, a matrix upper case
    letters = itertools.chain(first, (f"{first[0]}{k}" for k in itertools.count(1)))
    name = cut.name if isinstance(cut, Named) else next(n for n in letters if n not in taken)
    u = Sym(f"_cut_{name}", cut.shape)
    shown = cut if isinstance(cut, Named) else Named(name, cut)
    outer = vec_jacobian(replace(ctx.output, cut, u), u, ctx.scope.functions)
    inner = vec_jacobian(cut, ctx.wrt, ctx.scope.functions)
    y, c, x = Name(ctx.name, ctx.output.shape), Name(name, cut.shape), Name(ctx.wrt.name, ctx.wrt.shape)
    sizes = {"Y": dim_mul(ctx.output.rows, ctx.output.cols), "U": dim_mul(cut.rows, cut.cols),
             "X": dim_mul(ctx.wrt.rows, ctx.wrt.cols)}
    numerator = ctx.layout == "numerator"
    first = Underbrace(VecPartial(y, c, ctx.layout), (sizes["Y"], sizes["U"]) if numerator else (sizes["U"], sizes["Y"]))
    second = Underbrace(VecPartial(c, x, ctx.layout), (sizes["U"], sizes["X"]) if numerator else (sizes["X"], sizes["U"]))
    chain = equation(VecPartial(y, x, ctx.layout), Product((first, second) if numerator else (second, first)))
    steps = []
    if not isinstance(cut, Named):
        steps.append(ProofStep(equation(symbol(name, cut), Tree(cut)), reason("name the inner function"),
                               kind="define"))
    steps.append(ProofStep(chain, reason("chain rule for vec–Jacobians, with the shape of each factor: the product "
                                         "contracts over the entries of ", symbol(name, cut)), kind="chain"))
    steps.append(ProofStep(equation(VecPartial(y, c, "numerator"), Tree(replace(outer, u, shown))),
                           reason("the outer function by its argument"), kind="chain",
                           claim=Claim("vec", replace(ctx.output, cut, u), outer, u, at=cut)))
    steps.append(ProofStep(equation(VecPartial(c, x, "numerator"), Tree(inner)),
                           reason("the inner function by the variable"), kind="chain",
                           claim=Claim("vec", cut, inner, ctx.wrt)))
    product = alg.mul(replace(outer, u, cut), inner)
    steps.append(ProofStep(equation(VecPartial(y, x, "numerator"), Tree(replace(product, cut, shown))),
                           reason("multiply the two factors"), kind="chain",
                           claim=Claim("vec", ctx.output, product, ctx.wrt)))
    return steps
