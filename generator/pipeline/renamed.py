"""A canonical derivation renamed back for its caller: closed form, claims and proof, all renamed as data.

The proof is data (proof/formula.py): renaming it renames its expression trees (`rename.tree`),
its sympy index expressions (rebuilt with the new names, term order kept) and the names and
shapes in its parts; the LaTeX layer prints it with the caller's names when first read.

Variants of one sheet rename the same canonical parts with a few names from small pools, so
what renaming builds is kept by (canonical object, the new names of the placeholders it holds):
a variant reuses the renamed A_{ik} or ∂y/∂W_{ij} another one built, and a step whose
placeholders were all renamed alike before is printed from memory (see `Step.of`).
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace
from functools import cache, partial
from typing import Any, Callable

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixElement

from ..latex.steps import Step
from ..proof.formula import (
    PARTS, Bracketed, Corners, Differential, Entry, EntryOf, Equation, Formulas, Implies, InDifferential, Index, Marked,
    Member, Name, Partial, Plus, Product, Reason, Size, Space, SumOver, Transposed, Tree, Underbrace, VecPartial, Where,
)
from ..proof.steps import Claim, ProofStep
from ..proof.symbolic import dim
from ..tree import dims
from ..tree.nodes import Dim, Expr
from ..tree.scope import Scope, Statement
from ..tree.visitor import Visitor
from .derivation import Derivation
from .rename import Renaming, is_placeholder, placeholders, tree

MEMO_SIZE = 20_000  # entries a memo keeps before it starts afresh


def derivation(d: Derivation, back: Renaming, st: Statement, real: Scope) -> Derivation:
    """A canonical derivation with the caller's names and sizes (residual left for the caller).

    The steps are renamed and printed when first read: sheets and slides read them all, grading
    none, so a cache hit costs little more than renaming the closed form.
    """
    renamer = StepRenamer(back)
    steps = tuple(Step.of(s.data, renamer.step, None if s.claim is None else _LazyClaim(s.claim, back),
                          key=partial(renamer.key, s.data)) for s in d.steps)
    return replace(d, statement=st, wrt=real.symbols[back.names[d.wrt.name]], closed_form=tree(d.closed_form, back),
                   steps=steps, scope=real)


# ---------------------------------------------------------------- memos

class _Held:
    """A token naming a canonical object's content, and the placeholders it holds.

    Found by identity after the first lookup (hashing a part's trees at every lookup costs more
    than the lookup saves); equal content of different proofs shares one token, so their renamed
    parts and printed steps are shared too. Keys hold the token, which outlives no object it
    could be mistaken for.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, object, tuple[str, ...]]] = {}
        self._by_value: dict[Any, tuple[object, tuple[str, ...]]] = {}

    def __call__(self, obj: Any, content: Any = None) -> tuple[object, tuple[str, ...]]:
        """The token of `obj`'s content (`content` when given, else obj itself) and its placeholders."""
        known = self._known.get(id(obj))
        if known is None or known[0] is not obj:
            content = obj if content is None else content
            shared = self._by_value.get(content)
            if shared is None:
                if len(self._by_value) >= MEMO_SIZE:
                    self._by_value.clear()
                shared = self._by_value[content] = (object(), tuple(sorted(_tokens(content, memo=False))))
            if len(self._known) >= MEMO_SIZE:
                self._known.clear()
            known = self._known[id(obj)] = (obj, *shared)
        return known[1], known[2]


_held_by = _Held()
_RENAMED: dict[tuple, Any] = {}


def _memo(key: tuple, make: Callable[[Any], Any], arg: Any) -> Any:
    out = _RENAMED.get(key)
    if out is None:
        if len(_RENAMED) >= MEMO_SIZE:
            _RENAMED.clear()
        out = _RENAMED[key] = make(arg)
    return out


def _tokens(obj: Any, memo: bool = True) -> set[str]:
    """The placeholders anywhere in a step's parts, trees and sympy objects (the parts and sympy
    objects below the top through `_held_by`, so what several steps share is walked once)."""
    if isinstance(obj, str):
        return {obj} if is_placeholder(obj) else set()
    if type(obj) is sp.Symbol or isinstance(obj, Str):
        return {obj.name} if is_placeholder(obj.name) else set()
    if memo and isinstance(obj, (sp.Basic, *PARTS)):
        return set(_held_by(obj)[1])
    if isinstance(obj, sp.Basic):
        return set().union(*(_tokens(a) for a in obj.args))
    if isinstance(obj, (tuple, frozenset)):
        return set().union(*(_tokens(x) for x in obj))
    if isinstance(obj, Expr):
        return placeholders(obj)
    if is_dataclass(obj):
        return set().union(*(_tokens(getattr(obj, name)) for name in _field_names(type(obj))))
    return set()


def names_shown(d: Derivation) -> frozenset[str]:
    """Every name the proof's parts hold (index letters, intermediates, symbols, and some words besides):
    what the caller's own names are checked against before a canonical proof is shown with them."""
    return frozenset().union(*(_names(s.data.shows) | _names(s.data.reason) for s in d.steps))


def _names(obj: Any) -> set[str]:
    if isinstance(obj, str):
        return {obj}
    if isinstance(obj, (sp.Symbol, Str)):
        return {obj.name}
    if isinstance(obj, sp.Basic):
        return set().union(*map(_names, obj.args))
    if isinstance(obj, (tuple, frozenset)):
        return set().union(*map(_names, obj))
    if isinstance(obj, Expr):
        return {n for node in obj.walk() for n in (getattr(node, "name", None),) if isinstance(n, str)}
    if is_dataclass(obj):
        return set().union(*(_names(getattr(obj, name)) for name in _field_names(type(obj))))
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
        self._new: dict[str, Dim] = {**r.dims, **r.names}  # placeholder → the caller's name or size
        self._reals: dict[tuple[str, ...], tuple[Dim, ...]] = {}

    def step(self, s: ProofStep) -> ProofStep:
        """The proof step with the renaming applied to what it shows and to its reason (not its claim)."""
        pieces = tuple(self.visit(p) if isinstance(p, PARTS) else p for p in s.reason.pieces)
        return replace(s, shows=self.visit(s.shows), reason=Reason(pieces))

    def key(self, s: ProofStep) -> tuple:
        """What the renamed step prints depends on the canonical step and on the new names of the
        placeholders it holds, nothing else: equal keys print alike."""
        token, held = _held_by(s, (s.shows, s.reason))  # the claim is renamed apart, when read
        return token, self._real(held)

    def visit(self, node: Any, *args: Any) -> Any:
        """The renamed part, shared with every renaming that gives its placeholders the same names."""
        token, held = _held_by(node)
        return _memo((token, self._real(held)), super().visit, node) if held else node

    def _real(self, held: tuple[str, ...]) -> tuple[Dim, ...]:
        out = self._reals.get(held)
        if out is None:
            out = self._reals[held] = tuple(map(self._new.__getitem__, held))
        return out

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
        return Partial(self.visit(p.top), self.visit(p.bottom), p.order, p.transposed, p.by_matrix)

    def visit_VecPartial(self, p: VecPartial) -> VecPartial:
        return VecPartial(self.visit(p.top), self.visit(p.bottom), p.layout)

    def visit_Differential(self, p: Differential) -> Differential:
        return Differential(self.visit(p.part))

    def visit_InDifferential(self, p: InDifferential) -> InDifferential:
        return InDifferential(tree(p.expr, self.r), p.stand_in, self.visit(p.variable))

    def visit_EntryOf(self, p: EntryOf) -> EntryOf:
        return EntryOf(self.visit(p.part), tuple(map(self.sympy, p.indices)))

    def visit_Transposed(self, p: Transposed) -> Transposed:
        return Transposed(self.visit(p.part))

    def visit_Bracketed(self, p: Bracketed) -> Bracketed:
        return Bracketed(self.visit(p.part))

    def visit_Marked(self, p: Marked) -> Marked:
        return Marked(tree(p.expr, self.r), p.stand_in, self.visit(p.variable))

    def visit_Underbrace(self, p: Underbrace) -> Underbrace:
        return Underbrace(self.visit(p.part), self.shape(p.shape))

    def visit_Product(self, p: Product) -> Product:
        return Product(tuple(map(self.visit, p.factors)), p.gap)

    def visit_Plus(self, p: Plus) -> Plus:
        return Plus(tuple(map(self.visit, p.terms)))

    def visit_SumOver(self, p: SumOver) -> SumOver:
        return SumOver(self.sympy(p.index), dims.rename(p.upper, self.r.dims), self.visit(p.body))

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
    def shape(self, shape: tuple[Dim, ...]) -> tuple[Dim, ...]:
        return tuple(dims.rename(d, self.r.dims) for d in shape)

    def sympy(self, e: sp.Basic) -> sp.Basic:
        """A sympy object with symbols, matrix names and sizes renamed, its structure and order kept."""
        token, held = _held_by(e)
        return _memo((token, self._real(held)), self._rebuild, e) if held else e

    def _rebuild(self, e: sp.Basic) -> sp.Basic:
        if type(e) is sp.Symbol:
            return self._symbol(e)
        if isinstance(e, Str):
            return Str(self.r.names.get(e.name, e.name))
        return _same_kind(e, tuple(self.sympy(a) for a in e.args))

    def _symbol(self, e: sp.Symbol) -> sp.Basic:
        if e.name in self.r.names:
            return sp.Symbol(self.r.names[e.name], **e.assumptions0)
        size = self.r.dims[e.name]
        if e.is_integer and e.is_positive:
            return dim(size)
        return sp.Symbol(str(size), **e.assumptions0)  # a label such as the n of a corner W_{1n}


def _same_kind(e: sp.Basic, args: tuple[sp.Basic, ...]) -> sp.Basic:
    """A sympy object like `e` over new args, built without evaluating: evaluation would reorder
    terms by the new names and fold numbers, and the checks a constructor makes (index ranges,
    summation limits) passed for `e` already, while they cost most of a renaming."""
    if isinstance(e, (sp.Add, sp.Mul)):
        return type(e)._from_args(args, e.is_commutative)
    if isinstance(e, (MatrixElement, sp.MatrixSymbol)):
        return sp.Basic.__new__(type(e), *args)
    if isinstance(e, sp.Sum):
        out = sp.Basic.__new__(sp.Sum, *args)
        out.is_commutative = e.is_commutative  # as Sum's own constructor does
        return out
    if isinstance(e, (sp.Pow, sp.Function)):
        return e.func(*args, evaluate=False)
    return e.func(*args)


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
