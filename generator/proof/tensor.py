"""Proofs of tensor derivatives, the lecture's way: one generic entry, its Kronecker deltas reduced, then the
slices a lecturer draws (∂y_k/∂X for a vector by a matrix, ∂Y/∂X_ij for a matrix by a matrix), then the
Kronecker form with its vec convention.

    layout       ∂Y/∂X ∈ ℝ^{m×n×p×q}, (∂Y/∂X)_{ijkl} = ∂Y_kl/∂X_ij
    index        Y_kl = Σ_p Σ_q A_kp X_pq B_ql
    differentiate, reduce
                 ∂Y_kl/∂X_ij = Σ_p Σ_q A_kp δ_pi δ_qj B_ql = A_ki B_jl
    slice        ∂Y/∂X_ij = [A_1i B_j1 ⋯ ; ⋮ ⋱ ⋮] = A eᵢ eⱼᵀ B
    kronecker    ∂vec Y/∂(vec X)ᵀ = Bᵀ ⊗ A   (column i + m(j − 1) is vec(∂Y/∂X_ij))
    result       in the layout asked for

Where the entry has no short index form (an inverse, a determinant) the differential takes its
place (dY = −X⁻¹ dX X⁻¹), and where the output is a function of a matrix that depends on X the
chain rule is stated for vec–Jacobians, with the shape of every factor.
"""
from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..calculus.differential import directional
from ..calculus.engine import derivative
from ..calculus.slices import letters, slice_form
from ..latex.names import entry_name, name_latex, shape_latex, symbol_latex, vec_partial
from ..latex.printer import latex
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.edit import inline, symbols
from ..tree.nodes import Add, Call, Expr, Grad, Hess, Sym
from ..tree.scope import Scope, Statement
from . import entries
from . import index as ix
from .context import INDEX_BUDGET, Context, TooLong, frac
from .steps import Claim, Step
from .symbolic import dim, to_sympy
from .tensor_chain import chain_route

DIFFERENTIAL = "dzzd"  # the name of the differential dX while a proof is written; printed as \mathrm{d}X


def tensor_proof(statement: Statement, wrt: Sym, closed: Expr, layout: str, scope: Scope, kind: str) -> list[Step]:
    """The steps from the statement to the closed form of a tensor derivative (or of a Hessian by a matrix)."""
    name = statement.output or "y"
    output, steps = statement.expr, []
    if kind == "hessian":
        output = derivative(statement.expr, wrt, "denominator", scope.functions).result
        y, x = symbol_latex(name, (1, 1)), symbol_latex(wrt.name, wrt.shape)
        steps.append(Step(rf"G = {frac(y, x)} = {latex(output)}", "the gradient (denominator layout)",
                          kind="gradient", claim=Claim("derivative", statement.expr, output, wrt)))
        name = "G"
    ctx = Context(output, name, wrt, closed, layout, scope, statement)
    taken = {*ctx.taken, *(n for n in scope.symbols if n.startswith("e_"))}
    free = letters(taken, 4)
    jacobian = _numerator(ctx, kind)
    steps.append(_layout(ctx, free, kind, statement.output or "y"))
    body: list[Step] = []
    # by a scalar the differential dY = … ds is the derivative itself: no chain of vec–Jacobians needed
    routes = (_index_route, _differential_route) if wrt.is_scalar else (_index_route, chain_route, _differential_route)
    for route in routes:
        try:
            body = route(ctx, free, jacobian)
            break
        except (entries.NoIndexForm, TooLong, NotImplementedError):
            continue
    return steps + body + _ending(ctx, kind, jacobian, free)


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


def _entry_tex(name: str, shape: tuple, index: tuple[sp.Expr, sp.Expr]) -> str:
    """Y_{kl}, y_{k}, or the scalar's own name."""
    shown = "".join(latex(v) for v, n in zip(index, shape) if n != 1)
    return entry_name(name, shown) if shown else name_latex(name)


def _layout(ctx: Context, free: list[str], kind: str, output: str) -> Step:
    """What the tensor is, entry by entry, with the convention of its axes."""
    (r, c), (p, q) = _indices(ctx, free)
    y, x = symbol_latex(ctx.name, ctx.output.shape), symbol_latex(ctx.wrt.name, ctx.wrt.shape)
    out_ix = "".join(latex(v) for v, n in zip((r, c), ctx.output.shape) if n != 1)
    var_ix = "".join(latex(v) for v, n in zip((p, q), ctx.wrt.shape) if n != 1)
    axes = _axes(ctx.output.shape), _axes(ctx.wrt.shape)
    if kind == "hessian":
        top = symbol_latex(output, (1, 1))
        tensor = rf"\frac{{\partial^{{2}} {top}}}{{\partial {x}\, \partial {x}}}"
        shape, position = axes[1] + axes[1], var_ix + out_ix
        reason = "a Hessian by a matrix has the variable's axes twice: it is ∂G/∂X"
    else:
        tensor = frac(y, x)
        first_var = ctx.layout == "denominator"
        shape = axes[1] + axes[0] if first_var else axes[0] + axes[1]
        position = var_ix + out_ix if first_var else out_ix + var_ix
        reason = (f"{ctx.layout} layout: the {'variable' if first_var else 'output'}'s axes first, "
                  f"then the {'output' if first_var else 'variable'}'s")
        if ctx.wrt.is_scalar:
            reason = "a matrix by a scalar has the output's shape"
    entry = frac(_entry_tex(ctx.name, ctx.output.shape, (r, c)), _entry_tex(ctx.wrt.name, ctx.wrt.shape, (p, q)))
    return Step(rf"{tensor} \in \mathbb{{R}}^{{{shape_latex(shape)}}},\quad \left({tensor}\right)_{{{position}}} "
                rf"= {entry}", reason, kind="layout")


def _axes(shape: tuple) -> tuple:
    if shape == (1, 1):
        return ()
    return (shape[0],) if shape[1] == 1 else (shape[1],) if shape[0] == 1 else tuple(shape)


# ---------------------------------------------------------------- the entry, its deltas, the slice

def _index_route(ctx: Context, free: list[str], jacobian: Expr) -> list[Step]:
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
    lhs = _entry_tex(ctx.name, ctx.output.shape, (r, c))
    by = _entry_tex(ctx.wrt.name, ctx.wrt.shape, (p, q))
    where = (r, c, p, q)
    steps = [
        Step(f"{lhs} = {latex(shown_form)}", "write one entry as an index sum", kind="index",
             claim=Claim("entry", form, ctx.output, indices=(r, c))),
        Step(f"{frac(lhs, by)} = {latex(shown_raw)}", f"differentiate by ${by}$" if ctx.wrt.is_scalar else
             "differentiate by one entry: a Kronecker delta for each index", kind="differentiate",
             claim=Claim("tensor-entry", raw, jacobian, ctx.wrt, where, ctx.output)),
    ]
    if reduced != ix.plain_deltas(raw):
        steps.append(Step(f"{frac(lhs, by)} = {latex(shown_reduced)}", "only the terms whose Kronecker deltas "
                          "equal 1 survive", kind="reduce",
                          claim=Claim("tensor-entry", reduced, jacobian, ctx.wrt, where, ctx.output)))
    return steps + [_slice_step(ctx, free, shown_reduced, (r, c, p, q))]


def _variable(ctx: Context, p: sp.Expr, q: sp.Expr) -> sp.Basic:
    w = ctx.wrt
    if w.is_scalar:
        return sp.Symbol(w.name, real=True)
    return sp.MatrixSymbol(w.name, dim(w.rows), dim(w.cols))[p, q]


def _slice_step(ctx: Context, free: list[str], entry: sp.Expr | None, where: tuple) -> Step:
    """The slice a lecturer draws — ∂y_k/∂X, ∂Y/∂X_ij, ∂Y/∂x_i or ∂Y/∂s — by its corners, and recognised."""
    form = slice_form(ctx.output, ctx.wrt, free, ctx.scope.functions)
    r, c, p, q = where
    if form.direction is None:  # ∂y_k/∂X: a matrix over the variable's indices, k fixed
        label = frac(_entry_tex(ctx.name, ctx.output.shape, (r, c)), symbol_latex(ctx.wrt.name, ctx.wrt.shape))
        grid = _corners(entry, (p, ctx.wrt.rows), (q, ctx.wrt.cols)) if entry is not None else None
        claim = Claim("derivative", form.of, form.closed, ctx.wrt)
        reason = (f"the slice for one ${latex(r)}$: the gradient of "
                  f"${_entry_tex(ctx.name, ctx.output.shape, (r, c))} = {latex(alg.transpose(form.units[0]))}"
                  f"{symbol_latex(ctx.name, ctx.output.shape)}$")
    else:  # ∂Y/∂X_ij: a matrix of the output's shape, i and j fixed
        by = name_latex(ctx.wrt.name) if ctx.wrt.is_scalar else _entry_tex(ctx.wrt.name, ctx.wrt.shape, (p, q))
        label = frac(symbol_latex(ctx.name, ctx.output.shape), by)
        grid = _corners(entry, (r, ctx.output.rows), (c, ctx.output.cols)) if entry is not None else None
        claim = Claim("directional", form.of, form.closed, ctx.wrt, at=form.direction)
        units = ", ".join(f"${latex(u)}$" for u in form.units)
        reason = ("the slice for one entry of the variable" + (f", in unit vectors {units}" if units else ""))
    text = f"{label} = {grid} = {latex(form.closed)}" if grid else f"{label} = {latex(form.closed)}"
    return Step(text, reason, kind="slice", claim=claim)


def _corners(entry: sp.Expr, rows: tuple, cols: tuple) -> str | None:
    """A matrix of entries over (rows index, cols index) shown by its corners; a delta between two fixed
    labels is evaluated, one with a free index is kept (δ_{k1})."""
    if entry.atoms(sp.Sum) or ix.size(entry) > 14:
        return None
    (ri, rn), (ci, cn) = rows, cols
    first = sp.Symbol("1")
    row_vals = [first, sp.Symbol(str(rn))] if rn != 1 else [None]
    col_vals = [first, sp.Symbol(str(cn))] if cn != 1 else [None]
    labels = {first, *(v for v in row_vals + col_vals if v is not None)}

    def at(rv: sp.Expr | None, cv: sp.Expr | None) -> str:
        subs = {k: v for k, v in ((ri, rv), (ci, cv)) if v is not None and isinstance(k, sp.Symbol)}
        shown = entry.xreplace(subs).replace(
            lambda n: isinstance(n, sp.KroneckerDelta) and set(n.args) <= labels,
            lambda n: sp.Integer(n.args[0] == n.args[1]))
        return latex(shown)

    if len(row_vals) == 2 and len(col_vals) == 2:
        body = (rf"{at(row_vals[0], col_vals[0])} & \cdots & {at(row_vals[0], col_vals[1])} \\ \vdots & \ddots & "
                rf"\vdots \\ {at(row_vals[1], col_vals[0])} & \cdots & {at(row_vals[1], col_vals[1])}")
    elif len(row_vals) == 2:
        body = rf"{at(row_vals[0], None)} \\ \vdots \\ {at(row_vals[1], None)}"
    elif len(col_vals) == 2:
        body = rf"{at(None, col_vals[0])} & \cdots & {at(None, col_vals[1])}"
    else:
        return None
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


# ---------------------------------------------------------------- the differential, where entries do not fit

def _differential_route(ctx: Context, free: list[str], jacobian: Expr) -> list[Step]:
    """dY in terms of dX by the rules of differentials, then the slice along eᵢeⱼᵀ."""
    d_var = Sym(DIFFERENTIAL, ctx.wrt.shape)
    written = frozenset(e for e in ctx.output.walk() if isinstance(e, Add))  # sums as the author wrote them
    d_out = directional(ctx.output, ctx.wrt, d_var, ctx.scope.functions, written)
    shown = differential_latex(latex(d_out), ctx.wrt)
    if ctx.wrt.is_scalar:  # dY = (…) ds, the scalar's differential written last as by hand
        per = directional(ctx.output, ctx.wrt, alg.ONE, ctx.scope.functions, written)
        tex = latex(per)
        shown = rf"\left({tex}\right)" if isinstance(per, Add) else tex
        shown += rf"\,\mathrm{{d}}{name_latex(ctx.wrt.name)}"
    text = rf"\mathrm{{d}}{symbol_latex(ctx.name, ctx.output.shape)} = {shown}"
    step = Step(text, r"the differential: $\mathrm{d}(UV) = \mathrm{d}U\,V + U\,\mathrm{d}V$, "
                r"$\mathrm{d}(U^{-1}) = -U^{-1}\,\mathrm{d}U\,U^{-1}$, $\mathrm{d}f(U) = f'(U) \odot \mathrm{d}U$",
                kind="differential", claim=Claim("directional", ctx.output, d_out, ctx.wrt, at=d_var))
    if ctx.wrt.is_scalar:
        return [step]  # the result step reads ∂Y/∂s off the differential
    (r, c), (p, q) = _indices(ctx, free)
    return [step, _slice_step(ctx, free, None, (r, c, p, q))]


def differential_proof(ctx: Context) -> list[Step]:
    """The last resort of any proof: the differential dz = M dx, which names the derivative M (∂z/∂xᵀ)."""
    d_var = Sym(DIFFERENTIAL, ctx.wrt.shape)
    d_out = directional(ctx.output, ctx.wrt, d_var, ctx.scope.functions)
    text = (rf"\mathrm{{d}}{symbol_latex(ctx.name, ctx.output.shape)} = "
            rf"{differential_latex(latex(d_out), ctx.wrt)}")
    return [Step(text, r"the differential, by $\mathrm{d}(UV) = \mathrm{d}U\,V + U\,\mathrm{d}V$ and the "
                 "derivative of each function; what multiplies the differential of the variable is the derivative",
                 kind="differential", claim=Claim("directional", ctx.output, d_out, ctx.wrt, at=d_var))]


def differential_latex(tex: str, wrt: Sym) -> str:
    """LaTeX written with the placeholder differential, with \\mathrm{d}X in its place."""
    bold = symbol_latex(DIFFERENTIAL, wrt.shape)
    return tex.replace(bold, rf"\mathrm{{d}}{symbol_latex(wrt.name, wrt.shape)}")


# ---------------------------------------------------------------- the Kronecker form and the result

def _ending(ctx: Context, kind: str, jacobian: Expr, free: list[str]) -> list[Step]:
    """The vec–Jacobian with its convention, then the closed form in the layout asked for."""
    top = ctx.name
    if ctx.wrt.is_scalar:
        y, s = symbol_latex(top, ctx.output.shape), name_latex(ctx.wrt.name)
        return [Step(rf"{frac(y, s)} = {latex(ctx.closed)}", "the derivative of a matrix by a scalar is a matrix "
                     "of the output's shape, in either layout", kind="result",
                     claim=Claim("directional", ctx.output, ctx.closed, ctx.wrt, at=alg.ONE))]
    numerator = vec_partial(top, ctx.output.shape, ctx.wrt.name, ctx.wrt.shape, "numerator")
    m = latex(dim(ctx.wrt.rows))
    i, j = free[0], free[1]
    column = (rf"column ${i} + {m}({j} - 1)$ is the slice by ${entry_name(ctx.wrt.name, i + j)}$"
              if not ctx.wrt.is_vector else rf"column ${i}$ is the slice by ${entry_name(ctx.wrt.name, i)}$")
    reason = (r"stack the slices, column-major ($\operatorname{vec}(A Z B) = (B^{\top} \otimes A) "
              r"\operatorname{vec} Z$): " + column)
    vec = Claim("vec", ctx.output, jacobian, ctx.wrt)
    if ctx.layout == "numerator" or kind == "hessian":
        return [Step(rf"{numerator} = {latex(ctx.closed)}", reason, kind="result", claim=vec)]
    denominator = vec_partial(top, ctx.output.shape, ctx.wrt.name, ctx.wrt.shape, "denominator")
    return [Step(rf"{numerator} = {latex(jacobian)}", reason, kind="kronecker", claim=vec),
            Step(rf"{denominator} = \left({latex(jacobian)}\right)^{{\top}} = {latex(ctx.closed)}",
                 "the denominator layout is the transpose of the numerator layout", kind="result",
                 claim=Claim("vec", ctx.output, kr.transpose(ctx.closed), ctx.wrt))]

