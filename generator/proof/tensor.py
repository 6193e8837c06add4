"""Proofs of tensor derivatives, the lecture's way: one generic entry, its Kronecker deltas reduced, then the
slices a lecturer draws (∂y_k/∂X for a vector by a matrix, ∂Y/∂X_ij for a matrix by a matrix), then the
Kronecker form with its vec convention.

    layout       ∂Y/∂X ∈ ℝ^{m×n×p×q}, (∂Y/∂X)_{ijkl} = ∂Y_kl/∂X_ij
    index        Y_kl = Σ_p Σ_q A_kp X_pq B_ql
    differentiate, reduce
                 ∂Y_kl/∂X_ij = Σ_p Σ_q A_kp 𝕀_{p=i} 𝕀_{q=j} B_ql = A_ki B_jl
    slice        ∂Y/∂X_ij = [A_1i B_j1 ⋯ ; ⋮ ⋱ ⋮] = A eᵢ eⱼᵀ B
    kronecker    ∂vec Y/∂(vec X)ᵀ = Bᵀ ⊗ A   (column i + m(j − 1) is vec(∂Y/∂X_ij))
    result       in the layout asked for

Where the entry has no short index form (an inverse, a determinant) the differential takes its
place (dY = −X⁻¹ dX X⁻¹), and where the output is a function of a matrix that depends on X the
chain rule is stated for vec–Jacobians, with the shape of every factor (tensor_chain.py).
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..calculus.differential import directional
from ..calculus.engine import derivative
from ..calculus.slices import letters, slice_form
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.edit import inline, symbols
from ..tree.nodes import Add, Call, Expr, Grad, Hess, Sym
from ..tree.scope import Scope, Statement
from . import entries
from . import index as ix
from .context import INDEX_BUDGET, Context, TooLong, symbol
from .formula import (
    Bracketed, Corners, Differential, Entry, EntryOf, Index, InDifferential, Member, Name, Part, Partial, Product, Rule, Space,
    Transposed, Tree, VecPartial, Where, corners, equation, reason,
)
from .steps import Claim, ProofStep
from .symbolic import dim, to_sympy
from .differentials import differential_rules, vec_rule
from .elementwise import differentiate_reason, reduce_reason
from .tensor_chain import chain_route

DIFFERENTIAL = "dzzd"  # the stand-in for the differential dX while a proof is written; printed as dX


def tensor_proof(statement: Statement, wrt: Sym, closed: Expr, layout: str, scope: Scope, kind: str,
                 reserved: frozenset[str] = frozenset()) -> list[ProofStep]:
    """The steps from the statement to the closed form of a tensor derivative (or of a Hessian by a matrix)."""
    name = statement.output or "y"
    output, steps = statement.expr, []
    if kind == "hessian":
        output = derivative(statement.expr, wrt, "denominator", scope.functions).result
        steps.append(ProofStep(equation(Name("G", output.shape), Partial(Name(name), symbol(wrt.name, wrt)),
                                        Tree(output)),
                               reason("the gradient (denominator layout)"), kind="gradient",
                               claim=Claim("derivative", statement.expr, output, wrt)))
        name = "G"
    ctx = Context(output, name, wrt, closed, layout, scope, statement, reserved)
    taken = {*ctx.taken, *(n for n in scope.symbols if n.startswith("e_"))}
    free = letters(taken, 4)
    jacobian = _numerator(ctx, kind)
    steps.append(_layout(ctx, free, kind, statement.output or "y"))
    body: list[ProofStep] = []
    # by a scalar the differential dY = … ds is the derivative itself: no chain of vec–Jacobians needed
    routes = (_index_route, _differential_route) if wrt.is_scalar else (_index_route, chain_route, _differential_route)
    for route in routes:
        try:
            body = route(ctx, free, jacobian)
            break
        except (entries.NoIndexForm, TooLong, NotImplementedError):
            continue
    sliced = next((s.claim.kind for s in body if s.kind == "slice" and s.claim is not None), None)
    ending = _ending(ctx, kind, jacobian, free, sliced)
    if body and ending[0].shows == body[-1].shows:  # the chain rule ended on the vec–Jacobian: say it once
        said = reason(*body[-1].reason.pieces, "; ", *ending[0].reason.pieces)
        body[-1] = replace(body[-1], reason=said, kind=ending[0].kind, claim=ending[0].claim)
        ending = ending[1:]
    return steps + body + ending


def _numerator(ctx: Context, kind: str) -> Expr:
    """∂vec Y/∂(vec X)ᵀ: the closed form in the numerator layout (or of a Hessian), else its transpose."""
    if ctx.wrt.is_scalar:
        return kr.vec(ctx.closed)
    return ctx.closed if ctx.layout == "numerator" or kind == "hessian" else kr.transpose(ctx.closed)


def _indices(ctx: Context, free: list[str]) -> tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr]]:
    """(row, column) of the output's entry and of the variable's entry, as index symbols (0 on a unit axis)."""
    i, j, k, l = (ix.index_symbol(c) for c in free)
    zero = sp.Integer(0)

    def place(shape: tuple, first: sp.Symbol, second: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
        if shape == (1, 1):
            return zero, zero
        if shape[1] == 1:
            return first, zero
        if shape[0] == 1:
            return zero, first
        return first, second

    return place(ctx.output.shape, k, l), place(ctx.wrt.shape, i, j)


def _shown(index: tuple[sp.Expr, sp.Expr], shape: tuple) -> tuple[sp.Expr, ...]:
    """The indices an entry shows: none on a unit axis."""
    return tuple(v for v, n in zip(index, shape) if n != 1)


def _entry(name: str, shape: tuple, index: tuple[sp.Expr, sp.Expr]) -> Part:
    """Y_{kl}, y_{k}, or the scalar's own name."""
    shown = _shown(index, shape)
    return Entry(name, shown) if shown else Name(name)


def _axes(shape: tuple) -> tuple:
    if shape == (1, 1):
        return ()
    return (shape[0],) if shape[1] == 1 else (shape[1],) if shape[0] == 1 else tuple(shape)


def _layout(ctx: Context, free: list[str], kind: str, output: str) -> ProofStep:
    """What the tensor is, entry by entry, with the convention of its axes."""
    (r, c), (p, q) = _indices(ctx, free)
    y, x = symbol(ctx.name, ctx.output), symbol(ctx.wrt.name, ctx.wrt)
    out_ix, var_ix = _shown((r, c), ctx.output.shape), _shown((p, q), ctx.wrt.shape)
    out_axes, var_axes = _axes(ctx.output.shape), _axes(ctx.wrt.shape)
    if kind == "hessian":
        tensor = Partial(Name(output), x, order=2, by_matrix=True)
        shape, position = var_axes + var_axes, var_ix + out_ix
        why = reason("a Hessian by a matrix has the variable's axes twice: it is ", Partial(Name("G", ctx.output.shape),
                                                                                         x))
    else:
        tensor = Partial(y, x)
        first_var = ctx.layout == "denominator"
        shape = var_axes + out_axes if first_var else out_axes + var_axes
        position = var_ix + out_ix if first_var else out_ix + var_ix
        why = reason(f"{ctx.layout} layout: the {'variable' if first_var else 'output'}'s axes first, "
                     f"then the {'output' if first_var else 'variable'}'s")
        if ctx.wrt.is_scalar:
            why = reason("a matrix by a scalar has the output's shape")
    entry = Partial(_entry(ctx.name, ctx.output.shape, (r, c)), _entry(ctx.wrt.name, ctx.wrt.shape, (p, q)))
    return ProofStep(Where(Member(tensor, Space(shape)), (equation(EntryOf(tensor, position), entry),)), why,
                     kind="layout")


# ---------------------------------------------------------------- the entry, its deltas, the slice

def _index_route(ctx: Context, free: list[str], jacobian: Expr) -> list[ProofStep]:
    """Y_kl as an index sum, differentiated by X_ij, the deltas reduced, and the slice by its corners."""
    (r, c), (p, q) = _indices(ctx, free)
    if any(isinstance(n, (Grad, Hess, Call)) and ctx.wrt in symbols(n) for n in ctx.output.walk()):
        raise TooLong("a named gradient's entries hide how they depend on the variable")
    s = ix.with_abstract(to_sympy(inline(ctx.output)), ctx.gradients)
    form = entries.entry(s, r, c)
    opaque = any(not isinstance(m.parent, sp.MatrixSymbol) for m in form.atoms(MatrixElement))
    if opaque or form.atoms(entries.IndexCall, entries.IndexValue) or ix.size(form) > INDEX_BUDGET:
        raise TooLong("no short index form: an inverse's entries are not sums")
    var = _variable(ctx, p, q)
    raw = sp.diff(form, var)
    reduced = ix.reduce_deltas(raw)
    if ix.size(raw) > INDEX_BUDGET or ix.size(reduced) > INDEX_BUDGET or reduced.atoms(sp.Derivative):
        raise TooLong("the index form is too long for a slide")
    shown_form, shown_raw, shown_reduced = ix.display([form, raw, reduced], {*ctx.taken, *free})
    lhs = _entry(ctx.name, ctx.output.shape, (r, c))
    by = _entry(ctx.wrt.name, ctx.wrt.shape, (p, q))
    where = (r, c, p, q)
    steps = [
        ProofStep(equation(lhs, Index(shown_form)), reason("write one entry as an index sum"), kind="index",
                  claim=Claim("entry", form, ctx.output, indices=(r, c))),
        ProofStep(equation(Partial(lhs, by), Index(shown_raw)), differentiate_reason(shown_form, shown_raw, var, by),
                  kind="differentiate",
                  claim=Claim("tensor-entry", raw, jacobian, ctx.wrt, where, ctx.output)),
    ]
    if reduced != ix.plain_deltas(raw):
        steps.append(ProofStep(equation(Partial(lhs, by), Index(shown_reduced)),
                               reduce_reason(shown_raw), kind="reduce",
                               claim=Claim("tensor-entry", reduced, jacobian, ctx.wrt, where, ctx.output)))
    return steps + [_slice_step(ctx, free, shown_reduced, (r, c, p, q))]


def _variable(ctx: Context, p: sp.Expr, q: sp.Expr) -> sp.Basic:
    w = ctx.wrt
    if w.is_scalar:
        return sp.Symbol(w.name, real=True)
    return sp.MatrixSymbol(w.name, dim(w.rows), dim(w.cols))[p, q]


def _slice_step(ctx: Context, free: list[str], entry: sp.Expr | None, where: tuple) -> ProofStep:
    """The slice a lecturer draws — ∂y_k/∂X, ∂Y/∂X_ij, ∂Y/∂x_i or ∂Y/∂s — by its corners, and recognised."""
    form = slice_form(ctx.output, ctx.wrt, free, ctx.scope.functions)
    r, c, p, q = where
    if form.direction is None:  # ∂y_k/∂X: a matrix over the variable's indices, k fixed
        fixed = _entry(ctx.name, ctx.output.shape, (r, c))
        label: Part = Partial(fixed, symbol(ctx.wrt.name, ctx.wrt))
        grid = _corners(entry, (p, ctx.wrt.rows), (q, ctx.wrt.cols)) if entry is not None else None
        claim = Claim("derivative", form.of, form.closed, ctx.wrt)
        why = reason("the slice for one ", Index(r), ": the gradient of ",
                     equation(fixed, Product((Tree(alg.transpose(form.units[0])), symbol(ctx.name, ctx.output)),
                                             gap="none")))
    else:  # ∂Y/∂X_ij: a matrix of the output's shape, i and j fixed
        by = Name(ctx.wrt.name) if ctx.wrt.is_scalar else _entry(ctx.wrt.name, ctx.wrt.shape, (p, q))
        label = Partial(symbol(ctx.name, ctx.output), by)
        grid = _corners(entry, (r, ctx.output.rows), (c, ctx.output.cols)) if entry is not None else None
        claim = Claim("directional", form.of, form.closed, ctx.wrt, at=form.direction)
        units: list = []
        for k, u in enumerate(form.units):
            units += [", " if k else "", Tree(u)]
        why = reason("the slice for one entry of the variable", *((", in unit vectors ", *units) if units else ()))
    sides = (label, grid, Tree(form.closed)) if grid is not None else (label, Tree(form.closed))
    return ProofStep(equation(*sides), why, kind="slice", claim=claim)


def _corners(entry: sp.Expr, rows: tuple, cols: tuple) -> Corners | None:
    """A matrix of entries over (rows index, cols index) shown by its corners; a delta between two fixed
    labels is evaluated, one with a free index is kept (𝕀_{k=1})."""
    if entry.atoms(sp.Sum) or ix.size(entry) > 14:
        return None
    (ri, rn), (ci, cn) = rows, cols
    first = sp.Symbol("1")
    row_vals = [first, sp.Symbol(str(rn))] if rn != 1 else [None]
    col_vals = [first, sp.Symbol(str(cn))] if cn != 1 else [None]
    labels = {first, *(v for v in row_vals + col_vals if v is not None)}

    def at(rv: sp.Expr | None, cv: sp.Expr | None) -> Index:
        subs = {k: v for k, v in ((ri, rv), (ci, cv)) if v is not None and isinstance(k, sp.Symbol)}
        shown = entry.xreplace(subs).replace(
            lambda n: isinstance(n, sp.KroneckerDelta) and set(n.args) <= labels,
            lambda n: sp.Integer(n.args[0] == n.args[1]))
        return Index(shown)

    return corners(at, row_vals, col_vals)


# ---------------------------------------------------------------- the differential, where entries do not fit

def _differential_route(ctx: Context, free: list[str], jacobian: Expr) -> list[ProofStep]:
    """dY in terms of dX by the rules of differentials, then the slice along eᵢeⱼᵀ."""
    d_var = Sym(DIFFERENTIAL, ctx.wrt.shape)
    written = frozenset(e for e in ctx.output.walk() if isinstance(e, Add))  # sums as the author wrote them
    d_out = directional(ctx.output, ctx.wrt, d_var, ctx.scope.functions, written)
    variable = symbol(ctx.wrt.name, ctx.wrt)
    shown: Part = InDifferential(d_out, DIFFERENTIAL, variable)
    if ctx.wrt.is_scalar:  # dY = (…) ds, the scalar's differential written last as by hand
        per = directional(ctx.output, ctx.wrt, alg.ONE, ctx.scope.functions, written)
        shown = Product((Bracketed(Tree(per)) if isinstance(per, Add) else Tree(per), Differential(Name(ctx.wrt.name))),
                        gap="thin")
    step = ProofStep(equation(Differential(symbol(ctx.name, ctx.output)), shown),
                     reason("the differential: ", *differential_rules(ctx)),
                     kind="differential", claim=Claim("directional", ctx.output, d_out, ctx.wrt, at=d_var))
    if ctx.wrt.is_scalar:
        return [step]  # the result step reads ∂Y/∂s off the differential
    (r, c), (p, q) = _indices(ctx, free)
    return [step, _slice_step(ctx, free, None, (r, c, p, q))]


def differential_proof(ctx: Context) -> list[ProofStep]:
    """The last resort of any proof: the differential dz = M dx, which names the derivative M (∂z/∂xᵀ)."""
    d_var = Sym(DIFFERENTIAL, ctx.wrt.shape)
    d_out = directional(ctx.output, ctx.wrt, d_var, ctx.scope.functions)
    shown = InDifferential(d_out, DIFFERENTIAL, symbol(ctx.wrt.name, ctx.wrt))
    return [ProofStep(equation(Differential(symbol(ctx.name, ctx.output)), shown),
                      reason("the differential", *_by(differential_rules(ctx)), "; what multiplies ",
                             Differential(symbol(ctx.wrt.name, ctx.wrt)), " is the derivative"), kind="differential",
                      claim=Claim("directional", ctx.output, d_out, ctx.wrt, at=d_var))]


def _by(rules: list) -> list:
    return [", by ", *rules] if rules else []


# ---------------------------------------------------------------- the Kronecker form and the result

def _ending(ctx: Context, kind: str, jacobian: Expr, free: list[str], sliced: str | None = None) -> list[ProofStep]:
    """The vec–Jacobian with its convention, then the closed form in the layout asked for; `sliced` says which
    slices the proof drew: by an entry of the variable ("directional"), of the output ("derivative"), or none."""
    y = symbol(ctx.name, ctx.output)
    if ctx.wrt.is_scalar:
        return [ProofStep(equation(Partial(y, Name(ctx.wrt.name)), Tree(ctx.closed)),
                          reason("the derivative of a matrix by a scalar is a matrix of the output's shape, "
                                 "in either layout"), kind="result",
                          claim=Claim("directional", ctx.output, ctx.closed, ctx.wrt, at=alg.ONE))]
    top, var = Name(ctx.name, ctx.output.shape), Name(ctx.wrt.name, ctx.wrt.shape)
    i, j = (ix.index_symbol(c) for c in free[:2])
    if ctx.wrt.is_vector:
        column: tuple = ("column ", Index(i), " is the slice by ", Entry(ctx.wrt.name, (i,)))
    else:
        m = dim(ctx.wrt.rows)
        column = ("column ", Index(i + m * (j - 1)), " is the slice by ", Entry(ctx.wrt.name, (i, j)))
    if sliced == "derivative":  # ∂y_k/∂X: each is a row of the Jacobian
        why = reason("stack the slices, column-major (", vec_rule(ctx), "): each row is the slice of one entry of ",
                     symbol(ctx.name, ctx.output), ", its entries in column-major order")
    elif sliced is None:  # the chain or the differential gave the Jacobian itself
        why = reason("the vec–Jacobian, column-major (", vec_rule(ctx), "): ", column[0], column[1],
                     " holds the derivatives by ", column[3])
    else:
        why = reason("stack the slices, column-major (", vec_rule(ctx), "): ", *column)
    vec = Claim("vec", ctx.output, jacobian, ctx.wrt)
    numerator = VecPartial(top, var, "numerator")
    if ctx.layout == "numerator" or kind == "hessian":
        return [ProofStep(equation(numerator, Tree(ctx.closed)), why, kind="result", claim=vec)]
    return [ProofStep(equation(numerator, Tree(jacobian)), why, kind="kronecker", claim=vec),
            ProofStep(equation(VecPartial(top, var, "denominator"), Transposed(Tree(jacobian)), Tree(ctx.closed)),
                      reason(Rule("transpose-layout")), kind="result",
                      claim=Claim("vec", ctx.output, kr.transpose(ctx.closed), ctx.wrt))]
