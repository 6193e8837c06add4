"""A canonical derivation renamed back for its caller: closed form, claims and proof, all renamed as data.

The proof is data (proof/formula.py): renaming it renames its expression trees (`rename.tree`),
its sympy index expressions (rebuilt with the new names, term order kept) and the names and
shapes in its parts; the LaTeX layer prints it with the caller's names when first read.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import Any

import sympy as sp
from sympy.core.symbol import Str

from ..latex.steps import Step
from ..proof.formula import (
    PARTS, At, Corners, Entry, EntryOf, Equation, Formulas, Implies, Index, Member, Name, Partial, Plus, Product,
    Reason, Size, Space, SumOver, Transposed, Tree, Underbrace, Where,
)
from ..proof.steps import Claim, ProofStep
from ..proof.symbolic import dim
from ..tree.nodes import Dim, Expr
from ..tree.scope import Scope, Statement
from ..tree.visitor import Visitor
from .derivation import Derivation
from .rename import Renaming, is_placeholder, placeholders, tree

def derivation(d: Derivation, back: Renaming, st: Statement, real: Scope) -> Derivation:
    """A canonical derivation with the caller's names and sizes (residual left for the caller).

    The steps are renamed and printed when first read: sheets and slides read them all, grading
    none, so a cache hit costs little more than renaming the closed form.
    """
    renamer = StepRenamer(back)
    steps = tuple(Step.of(s.data, renamer.step, None if s.claim is None else _LazyClaim(s.claim, back))
                  for s in d.steps)
    return replace(d, statement=st, wrt=real.symbols[back.names[d.wrt.name]], closed_form=tree(d.closed_form, back),
                   steps=steps, scope=real)


# ---------------------------------------------------------------- placeholders

def _tokens(obj: Any) -> set[str]:
    """The placeholders anywhere in a step's parts, trees and sympy objects."""
    if isinstance(obj, str):
        return {obj} if is_placeholder(obj) else set()
    if isinstance(obj, (sp.Symbol, Str)):
        return {obj.name} if is_placeholder(obj.name) else set()
    if isinstance(obj, sp.Basic):
        return set().union(*(_tokens(a) for a in obj.args))
    if isinstance(obj, (tuple, frozenset)):
        return set().union(*(_tokens(x) for x in obj))
    if isinstance(obj, Expr):
        return placeholders(obj)
    if is_dataclass(obj):
        return set().union(*(_tokens(getattr(obj, name)) for name in _field_names(type(obj))))
    return set()


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


# ---------------------------------------------------------------- proof steps

class StepRenamer(Visitor[Any]):
    """Formula parts with the placeholders of a canonical proof renamed: trees by `rename.tree`,
    sympy objects rebuilt with the new names, names and shapes in the parts themselves.

    A sympy object is rebuilt in place, term order kept (xreplace would sort the terms again by
    the new names), so the renamed step prints as the canonical one with other names.
    """

    family = PARTS

    def __init__(self, r: Renaming):
        self.r = r
        self._memo: dict[sp.Basic, sp.Basic] = {}  # the steps of one proof share their sub-expressions

    def step(self, s: ProofStep) -> ProofStep:
        """The proof step with the renaming applied to what it shows and to its reason (not its claim)."""
        pieces = tuple(self.visit(p) if isinstance(p, PARTS) else p for p in s.reason.pieces)
        return replace(s, shows=self.visit(s.shows), reason=Reason(pieces))

    # -- leaves
    def visit_Tree(self, p: Tree) -> Tree:
        return Tree(tree(p.expr, self.r))

    def visit_Index(self, p: Index) -> Index:
        return Index(self.sympy(p.expr))

    def visit_Name(self, p: Name) -> Name:
        return Name(self.r.names.get(p.name, p.name), self.shape(p.shape))

    def visit_Entry(self, p: Entry) -> Entry:
        return Entry(self.r.names.get(p.name, p.name), tuple(map(self.sympy, p.indices)), p.braced)

    def visit_Space(self, p: Space) -> Space:
        return Space(self.shape(p.shape))

    def visit_Size(self, p: Size) -> Size:
        return Size(self.shape(p.shape))

    # -- compounds
    def visit_Partial(self, p: Partial) -> Partial:
        return Partial(self.visit(p.top), self.visit(p.bottom), p.order, p.transposed)

    def visit_EntryOf(self, p: EntryOf) -> EntryOf:
        return EntryOf(self.visit(p.part), tuple(map(self.sympy, p.indices)))

    def visit_Transposed(self, p: Transposed) -> Transposed:
        return Transposed(self.visit(p.part))

    def visit_At(self, p: At) -> At:
        return At(self.visit(p.part), p.label)

    def visit_Underbrace(self, p: Underbrace) -> Underbrace:
        return Underbrace(self.visit(p.part), self.shape(p.shape))

    def visit_Product(self, p: Product) -> Product:
        return Product(tuple(map(self.visit, p.factors)), p.gap)

    def visit_Plus(self, p: Plus) -> Plus:
        return Plus(tuple(map(self.visit, p.terms)))

    def visit_SumOver(self, p: SumOver) -> SumOver:
        return SumOver(self.sympy(p.index), self.r.dims.get(p.upper, p.upper), self.visit(p.body))

    def visit_Corners(self, p: Corners) -> Corners:
        return Corners(tuple(tuple(map(self.visit, row)) for row in p.cells))

    def visit_Equation(self, p: Equation) -> Equation:
        return Equation(tuple(map(self.visit, p.sides)))

    def visit_Member(self, p: Member) -> Member:
        return Member(self.visit(p.element), self.visit(p.space))

    def visit_Where(self, p: Where) -> Where:
        return Where(self.visit(p.body), tuple(map(self.visit, p.items)))

    def visit_Formulas(self, p: Formulas) -> Formulas:
        return Formulas(tuple(map(self.visit, p.parts)))

    def visit_Implies(self, p: Implies) -> Implies:
        return Implies(self.visit(p.premise), self.visit(p.conclusion))

    # -- sizes and sympy objects
    def shape(self, shape: tuple[Dim, Dim]) -> tuple[Dim, Dim]:
        return (self.r.dims.get(shape[0], shape[0]), self.r.dims.get(shape[1], shape[1]))

    def sympy(self, e: sp.Basic) -> sp.Basic:
        """A sympy object with symbols, matrix names and sizes renamed, its structure and order kept."""
        out = self._memo.get(e)
        if out is None:
            out = self._memo[e] = self._rebuild(e)
        return out

    def _rebuild(self, e: sp.Basic) -> sp.Basic:
        if type(e) is sp.Symbol:
            return self._symbol(e)
        if isinstance(e, Str):
            return Str(self.r.names.get(e.name, e.name))
        if not e.args:
            return e
        args = tuple(self.sympy(a) for a in e.args)
        if all(a is b for a, b in zip(args, e.args)):
            return e
        if isinstance(e, (sp.Add, sp.Mul, sp.Pow, sp.Function)):
            return e.func(*args, evaluate=False)  # evaluating would reorder terms by the new names
        return e.func(*args)

    def _symbol(self, e: sp.Symbol) -> sp.Basic:
        if e.name in self.r.names:
            return sp.Symbol(self.r.names[e.name], **e.assumptions0)
        if e.name not in self.r.dims:
            return e
        size = self.r.dims[e.name]
        if e.is_integer and e.is_positive:
            return dim(size)
        return sp.Symbol(str(size), **e.assumptions0)  # a label such as the n of a corner W_{1n}


# ---------------------------------------------------------------- claims

class _LazyClaim:
    """A claim renamed when first read. Only tests read claims, and renaming their sympy index
    expressions is most of the cost of a cache hit, so sheets of hundreds of variants skip it."""

    def __init__(self, claim: Claim, back: Renaming):
        self._source, self._back, self._claim = claim, back, None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._claim is None:
            self._claim = _claim(self._source, self._back, _sympy_map(self._back))
        return getattr(self._claim, name)


def _claim(c: Claim, back: Renaming, subs: dict) -> Claim:
    values = {}
    for f in fields(c):
        v = getattr(c, f.name)
        if isinstance(v, Expr):
            v = tree(v, back)
        elif isinstance(v, sp.Basic):
            v = v.xreplace(subs)
        elif isinstance(v, tuple):
            v = tuple(x.xreplace(subs) if isinstance(x, sp.Basic) else x for x in v)
        values[f.name] = v
    return Claim(**values)


def _sympy_map(back: Renaming) -> dict:
    subs: dict = {}
    for canon, name in back.names.items():
        subs[Str(canon)] = Str(name)
        subs[sp.Symbol(canon, real=True)] = sp.Symbol(name, real=True)
    for canon, size in back.dims.items():
        subs[dim(canon)] = dim(size)
    return subs
