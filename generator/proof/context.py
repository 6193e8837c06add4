"""What every proof needs: the context of the derivation, names and entries, the layout and result steps."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.nodes import Expr, Named, Sym
from ..tree.scope import Scope, Statement
from . import index as ix
from .formula import Entry, EntryOf, Member, Name, Partial, Part, Space, Tree, Where, equation, reason
from .steps import Claim, ProofStep
from .symbolic import dim

INDEX_BUDGET = 48  # largest index expression (ops + 4 per summation) worth a slide line


class TooLong(NotDerivable):
    """The element-wise proof would not fit on a slide."""


@dataclass(frozen=True)
class Context:
    """What every proof needs to know about the derivation it explains."""

    output: Expr  # the expression differentiated
    name: str  # its name: y, z, f …
    wrt: Sym
    closed: Expr  # the closed form, in `layout`
    layout: str
    scope: Scope
    statement: Statement
    reserved: frozenset[str] = frozenset()  # names the problem gives that a proof must not reuse (see prove)
    shown: Part | None = None  # how the output is written when it has no name of its own: a term ‖Xw − t‖²

    @property
    def label(self) -> Part:
        """The output as the steps write it: its name (y, bold for a vector), or the term itself."""
        return self.shown if self.shown is not None else symbol(self.name, self.output)

    @property
    def gradients(self) -> dict[str, str]:
        return {f: spec.gradient for f, spec in self.scope.functions.items() if spec.gradient}

    @property
    def taken(self) -> set[str]:
        dims = {d for s in self.scope.symbols.values() for d in s.shape if isinstance(d, str)}
        return dims | {n for n, s in self.scope.symbols.items() if s.is_scalar} | self.reserved

    def entry_label(self, index: sp.Expr) -> Part:
        """One entry of a vector output as the steps write it: z_i, or (u(x) + v(x))_i for a term."""
        if self.shown is None:
            return Entry(self.name, (index,))
        return EntryOf(self.shown, (index,))

    def letters(self, n: int) -> list[sp.Symbol]:
        free = [c for c in ix.INDEX_ALPHABET if c not in self.taken]
        return [ix.index_symbol(c) for c in free[:n]]



# ---------------------------------------------------------------- names and entries

def symbol(name: str, e: Expr) -> Name:
    """An expression's name, bold when the expression is a vector."""
    return Name(name, e.shape)


def variable_entry(ctx: Context, idx: list[sp.Symbol]) -> tuple[sp.Basic, Part, tuple[sp.Expr, ...]]:
    """The entry of the variable a proof differentiates by: X_ij, x_i, or the scalar itself."""
    w = ctx.wrt
    if w.is_scalar:
        return sp.Symbol(w.name, real=True), Name(w.name), ()
    m = sp.MatrixSymbol(w.name, dim(w.rows), dim(w.cols))
    if w.is_column:
        return m[idx[0], 0], Entry(w.name, (idx[0],)), (idx[0],)
    if w.is_row:
        return m[0, idx[0]], Entry(w.name, (idx[0],)), (idx[0],)
    return m[idx[0], idx[1]], Entry(w.name, (idx[0], idx[1])), (idx[0], idx[1])


def entry_position(var: tuple[sp.Expr, ...], ctx: Context, out: sp.Expr | None) -> tuple[sp.Expr, sp.Expr]:
    """(row, column) of the closed form that holds ∂out/∂var for these indices, in ctx.layout."""
    zero = sp.Integer(0)
    if out is not None:
        pos = (var[0] if var else zero, out)
    elif len(var) == 2:
        pos = (var[0], var[1])
    elif not var:
        pos = (zero, zero)
    else:  # a scalar by a vector: the entry sits where the variable's entry sits
        pos = (var[0], zero) if ctx.wrt.is_column else (zero, var[0])
    return pos if ctx.layout == "denominator" else (pos[1], pos[0])


# ---------------------------------------------------------------- the steps every proof has

def layout_step(ctx: Context) -> ProofStep:
    """What the derivative is, entry by entry, in the layout asked for."""
    y, x = ctx.label, symbol(ctx.wrt.name, ctx.wrt)
    i, j = ctx.letters(2)
    d = Partial(y, x)
    if ctx.output.is_scalar and ctx.wrt.is_scalar:
        body: Part = Member(d, Space(ctx.closed.shape))
    elif ctx.output.is_scalar:
        var = (i, j) if not ctx.wrt.is_vector else (i,)
        pos = var if ctx.layout == "denominator" or len(var) == 1 else var[::-1]
        body = Where(Member(d, Space(ctx.closed.shape)),
                     (equation(EntryOf(d, pos), Partial(y, Entry(ctx.wrt.name, var))),))
    else:
        pos = (j, i) if ctx.layout == "denominator" else (i, j)
        rhs = Partial(Entry(ctx.name, (i,)), Entry(ctx.wrt.name, (j,)) if not ctx.wrt.is_scalar else x)
        body = Where(Member(d, Space(ctx.closed.shape)), (equation(EntryOf(d, pos), rhs),))
    return ProofStep(body, reason(f"{ctx.layout} layout: the derivative collects one partial derivative per entry"),
                     kind="layout")


def result_step(ctx: Context) -> ProofStep:
    """The closed form, with the intermediates it is written in."""
    shows: Part = equation(Partial(symbol(ctx.name, ctx.output), symbol(ctx.wrt.name, ctx.wrt)), Tree(ctx.closed))
    where = tuple(equation(symbol(n, e), Tree(e.arg)) for n, e in ctx.statement.definitions
                  if isinstance(e, Named) and mentions(ctx.closed, n))
    if where:
        shows = Where(shows, where)
    return ProofStep(shows, reason(f"closed form in {ctx.layout} layout"), kind="result",
                     claim=Claim("derivative", ctx.output, ctx.closed if ctx.layout == "denominator"
                                 else alg.transpose(ctx.closed), ctx.wrt))


def mentions(e: Expr, name: str) -> bool:
    return any(isinstance(n, Named) and n.name == name for n in e.walk())
