"""Element-wise proofs, the lecture's way: index sum, one entry, Kronecker deltas, assembly by corners."""
from __future__ import annotations

from dataclasses import replace

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from ..tree.edit import inline, symbols
from ..tree.nodes import Call, Expr, Grad, Named, Sym
from . import entries
from . import index as ix
from .context import INDEX_BUDGET, Context, TooLong, entry_position, symbol, variable_entry
from .formula import (
    Corners, Entry, EntryOf, Implies, Index, Part, Partial, Product, Reason, SumOver, Tree, Underbrace, equation,
    corners, reason,
)
from .steps import Claim, ProofStep
from .symbolic import dim, to_sympy


def _index_form(e: Expr, ctx: Context, out: sp.Expr | None) -> sp.Expr:
    s = ix.with_abstract(to_sympy(e), ctx.gradients)
    if e.is_scalar:
        return entries.expand(s)
    return entries.entry(s, out, sp.Integer(0)) if e.is_column else entries.entry(s, sp.Integer(0), out)


def _budget(*exprs: sp.Expr) -> None:
    if any(ix.size(e) > INDEX_BUDGET for e in exprs):
        raise TooLong("the index form is too long for a slide")


def _direct(ctx: Context) -> list[ProofStep]:
    """Index sum of one entry, derivative by one entry of the variable, deltas reduced, assembly."""
    if any(isinstance(n, Call) and not n.is_scalar for n in ctx.output.walk()):
        raise TooLong("abstract vector functions are proved with the chain rule, as in the lecture")
    if any(isinstance(n, Grad) and ctx.wrt in symbols(n.arg) for n in ctx.output.walk()):
        raise TooLong("a named gradient's entries hide how they depend on the variable")
    i, j, *_ = ctx.letters(4)
    out = None if ctx.output.is_scalar else i
    var_index = [j] if out is not None else [i, j]
    var, var_part, var_idx = variable_entry(ctx, var_index)
    form = _index_form(inline(ctx.output), ctx, out)
    _budget(form)  # before differentiating: sympy's diff is the expensive part
    raw = sp.diff(form, var)
    _budget(raw)
    reduced = ix.reduce_deltas(raw)
    _budget(reduced)
    shown_form, shown_raw, shown_reduced = ix.display([form, raw, reduced], {*ctx.taken, str(i), str(j)})
    lhs: Part = ctx.entry_label(out) if out is not None else ctx.label
    where = entry_position(var_idx, ctx, out)
    entry_claim = Claim("entry", raw, ctx.closed, indices=where) if _checkable(raw, ctx.closed, ctx) else None
    steps = [
        ProofStep(equation(lhs, Index(shown_form)), reason("write the entry as an index sum"), kind="index",
                  claim=Claim("entry", form, ctx.output, indices=(out, sp.Integer(0)) if out is not None else
                              (sp.Integer(0), sp.Integer(0))) if _checkable(form, ctx.output, ctx) else None),
        ProofStep(equation(Partial(lhs, var_part), Index(shown_raw)),
                  differentiate_reason(shown_form, shown_raw, var, var_part), kind="differentiate", claim=entry_claim),
    ]
    if reduced != ix.plain_deltas(raw):
        steps.append(ProofStep(equation(Partial(lhs, var_part), Index(shown_reduced)),
                               reduce_reason(shown_raw), kind="reduce",
                               claim=replace(entry_claim, lhs=reduced) if entry_claim else None))
    steps.append(_assemble(ctx, shown_reduced, out, var_idx))
    return steps


def differentiate_reason(form: sp.Expr, raw: sp.Expr, var: sp.Basic, var_part: Part) -> Reason:
    """Why the derivative by one entry reads as it does: each entry of the variable met in the sum, by the
    entry differentiated by, is the Kronecker delta the formula shows (∂w_p/∂w_i = 𝕀_{i=p})."""
    present = ix.plain_deltas(raw).atoms(sp.KroneckerDelta)
    if not present:
        return reason("differentiate by ", var_part)
    met = []
    for entry in sorted(_entries_of(form, var), key=_letter_order):
        delta = ix.plain_deltas(sp.diff(entry, var))
        deltas = delta.atoms(sp.KroneckerDelta)
        if deltas and deltas <= present:
            met.append(equation(Partial(Index(entry), var_part), Index(delta)))
    if not met:
        return reason("differentiate by ", var_part)
    return reason("differentiate by ", var_part, ": ", *_listed(met),
                  " (1 for the same entry, 0 for any other)")


def reduce_reason(raw: sp.Expr) -> Reason:
    """Which terms of which sums survive: those where the Kronecker deltas are 1 (p = i, l = j)."""
    kept = []
    for total in sorted(ix.plain_deltas(raw).atoms(sp.Sum), key=sp.default_sort_key):
        bound = {v for v, *_ in total.limits}
        for delta in sp.Mul.make_args(sp.expand(total.function)):
            for d in delta.atoms(sp.KroneckerDelta):
                summed = [a for a in d.args if a in bound]
                if len(summed) == 1:
                    other = next(a for a in d.args if a != summed[0])
                    pair = equation(Index(summed[0]), Index(other))
                    if pair not in kept:
                        kept.append(pair)
    kept.sort(key=lambda pair: _letter_order(pair.sides[0].expr))
    if not kept:
        return reason("the Kronecker deltas keep only the terms where they equal 1")
    return reason("the sums keep only their terms with ", *_listed(kept), ", where the Kronecker deltas are 1")


def _entries_of(form: sp.Expr, var: sp.Basic) -> set[sp.Basic]:
    """The entries of the variable an index expression holds (w_p, w_l; W_kl): a scalar variable is itself."""
    if not isinstance(var, MatrixElement):
        return {var} if var in form.free_symbols else set()
    return {m for m in form.atoms(MatrixElement) if m.parent == var.parent and m != var}


def _letter_order(e: sp.Basic) -> tuple:
    """Index letters in the order proofs hand them out (k, l, p, …), so a reason lists them as the formula reads."""
    letters = e.indices if isinstance(e, MatrixElement) else (e,)
    return tuple((ix.INDEX_ALPHABET.find(str(x)), str(x)) for x in letters)


def _listed(parts: list) -> list:
    """Parts separated by commas, the last two by 'and'."""
    out: list = []
    for k, p in enumerate(parts):
        if k:
            out.append(" and " if k == len(parts) - 1 else ", ")
        out.append(p)
    return out


def _checkable(form: sp.Expr, e: Expr, ctx: Context) -> bool:
    """An index form can be checked by numbers unless it holds an abstract function's value or an
    unnamed derivative of one (their entries have no numbers a test could look up)."""
    unnamed = {f"J_{f}" for f in ctx.scope.functions} | {
        f"d{f}" for f, spec in ctx.scope.functions.items() if not spec.gradient}
    opaque = form.atoms(entries.IndexCall, entries.IndexValue) or any(
        str(m.name) in unnamed for m in form.atoms(sp.MatrixSymbol))
    return not e.is_row and not opaque


def _through_named(ctx: Context) -> list[ProofStep]:
    """The lecture's proof for y = g(f), f = Wᵀa: chain rule for one entry, then f entry by entry."""
    named = {n for n in ctx.output.walk() if isinstance(n, Named) and ctx.wrt in symbols(n.arg)}
    outer_direct = ctx.wrt in symbols(_cut(ctx.output, named))
    if len(named) != 1 or outer_direct or not ctx.output.is_scalar:
        raise TooLong("not a single named intermediate")
    f = named.pop()
    if not f.is_column:
        raise TooLong("the named intermediate is not a column vector")
    i, j, k = ctx.letters(3)
    var, var_part, var_idx = variable_entry(ctx, [i, j])
    f_sym = sp.MatrixSymbol(f.name, dim(f.rows), 1)
    y = ctx.label
    f_part, fk = symbol(f.name, f), Entry(f.name, (k,))
    # inner: f_k as an index sum, differentiated by the variable's entry
    inner = _index_form(inline(f.arg), ctx, k)
    _budget(inner)
    inner_raw = sp.diff(inner, var)
    inner_red = ix.reduce_deltas(inner_raw)
    # outer: y as a function of f, differentiated by f_k
    outer = ix.reduce_deltas(sp.diff(_index_form(ctx.output, ctx, None), f_sym[k, 0]))
    total = ix.reduce_deltas(sp.Sum(outer * inner_red, (k, 0, f_sym.shape[0] - 1)))
    _budget(inner, inner_raw, inner_red, outer, total)
    s_inner, s_raw, s_red, s_outer, s_total = ix.display([inner, inner_raw, inner_red, outer, total],
                                                         {*ctx.taken, str(i), str(j), str(k)})
    where = entry_position(var_idx, ctx, None)
    chain = equation(Partial(y, var_part),
                     Product((Underbrace(Partial(f_part, var_part), (1, f.rows)),
                              Underbrace(Partial(y, f_part), (f.rows, 1))), gap="none"),
                     SumOver(k, f.rows, Product((Partial(fk, var_part), Partial(y, fk)), gap="thin")))
    gradient_names = set(ctx.gradients.values())
    by_definition = any(str(m.name) in gradient_names for m in s_outer.atoms(sp.MatrixSymbol))
    outer_reason = (reason("by definition of the gradient") if by_definition
                    else reason("differentiate the outer expression by one entry of ", f_part))
    return [
        ProofStep(chain, reason(f"chain rule in {ctx.layout} layout for one entry ", var_part), kind="chain"),
        ProofStep(equation(fk, Index(s_inner)), reason("write one entry of ", f_part, " as an index sum"),
                  kind="index", claim=Claim("entry", inner, inline(f.arg), indices=(k, 0))),
        ProofStep(equation(Partial(fk, var_part), Index(s_raw)), differentiate_reason(s_inner, s_raw, var, var_part),
                  kind="differentiate"),
        *([ProofStep(equation(Partial(fk, var_part), Index(s_red)), reduce_reason(s_raw), kind="reduce")]
          if s_red != ix.plain_deltas(s_raw) else []),
        ProofStep(equation(Partial(y, fk), Index(s_outer)), outer_reason, kind="differentiate"),
        ProofStep(equation(Partial(y, var_part), Index(s_total)),
                  reason("put both into the chain rule and sum over ", Index(k)), kind="reduce",
                  claim=Claim("entry", total, ctx.closed, indices=where)),
        _assemble(ctx, s_total, None, var_idx),
    ]


def _cut(e: Expr, named: set[Expr]) -> Expr:
    """e with the given named intermediates as opaque symbols (so we can see what is left outside)."""
    if e in named:
        return Sym(f"_{e.name}", e.shape)  # type: ignore[attr-defined]
    if not e.args:
        return e
    return e.with_args(tuple(_cut(a, named) for a in e.args))


def _assemble(ctx: Context, entry: sp.Expr, out: sp.Expr | None, var_idx: tuple[sp.Expr, ...]) -> ProofStep:
    """Collect the entries into a matrix in the layout asked for and recognise the closed form."""
    d = Partial(ctx.label, symbol(ctx.wrt.name, ctx.wrt))
    closed = Tree(ctx.closed)
    rows, cols = entry_position(var_idx, ctx, out)
    grid = _corners(ctx, entry, rows, cols)
    if grid is not None:
        shows: Part = equation(d, grid, closed)
    else:
        pos = tuple(v for v in (rows, cols) if not isinstance(v, sp.Integer))
        shows = Implies(equation(EntryOf(d, pos), Index(entry), EntryOf(closed, pos)), equation(d, closed))
    return ProofStep(shows, reason(f"collect the entries in {ctx.layout} layout and recognise the matrix"),
                     kind="assemble")


def _corners(ctx: Context, entry: sp.Expr, rows: sp.Expr, cols: sp.Expr) -> Corners | None:
    """The matrix of entries shown by its corners, as the lecture does, when the entry is short."""
    if entry.atoms(sp.Sum) or ix.size(entry) > 12:
        return None
    r, c = ctx.closed.shape
    # Plain symbols named 1 and n: labels for display, so sympy does not range-check W[n, m].
    first = sp.Symbol("1")
    row_vals = [first, sp.Symbol(str(r))] if not isinstance(rows, sp.Integer) else [None]
    col_vals = [first, sp.Symbol(str(c))] if not isinstance(cols, sp.Integer) else [None]

    def at(rv: sp.Expr | None, cv: sp.Expr | None) -> Index:
        subs = {}
        if rv is not None:
            subs[rows] = rv
        if cv is not None:
            subs[cols] = cv
        return Index(entry.xreplace(subs).replace(
            lambda n: isinstance(n, sp.KroneckerDelta), lambda n: sp.Integer(n.args[0] == n.args[1])))

    return corners(at, row_vals, col_vals)
