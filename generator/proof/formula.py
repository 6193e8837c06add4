"""What a proof step shows, as data: formula parts and reasons, printed to LaTeX only at the end (latex/steps.py).

A step's formula is a small tree of frozen parts. Leaves are an expression tree (`Tree`), a sympy
index expression (`Index`), a symbol by name (`Name`), an entry (`Entry`), a space ℝ^{m×n}
(`Space`) or a size m×n (`Size`); the other parts combine them the way the lecture writes a line:
∂top/∂bottom, equalities, "where" lists, underbraces, a matrix shown by its corners, sums, marked
occurrences, transposes, implications. Names and sizes stay data, so renaming a proof renames its parts,
and a later stage can read a step's left and right sides without parsing LaTeX.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence, Union

import sympy as sp

from ..tree.nodes import Dim, Expr, Shape

# ---------------------------------------------------------------- leaves


@dataclass(frozen=True)
class Tree:
    """An expression tree of the matrix language: W^{\\top} x, \\sigma(u) \\odot a."""

    expr: Expr


@dataclass(frozen=True)
class Index:
    """A sympy index expression (sums from 1, letters named): \\sum_{k=1}^{n} W_{ik} x_{k}, or one index."""

    expr: sp.Basic


@dataclass(frozen=True)
class Name:
    """A symbol or intermediate by name; bold when `shape` is a vector's."""

    name: str
    shape: Shape = (1, 1)


@dataclass(frozen=True)
class Entry:
    """One entry of a named matrix or vector: x_{i}, W_{ij}, (W_{1})_{ij}; `braced=False` gives g_i."""

    name: str
    indices: tuple[sp.Basic, ...]
    braced: bool = True


@dataclass(frozen=True)
class Space:
    """The set a value of this shape lives in: ℝ, ℝ^{m×n}, or a tensor's ℝ^{m×n×r}."""

    shape: tuple[Dim, ...]


@dataclass(frozen=True)
class Size:
    """A shape written m×n, as under an underbrace."""

    shape: tuple[Dim, ...]


# ---------------------------------------------------------------- compounds


@dataclass(frozen=True)
class Partial:
    """∂top/∂bottom; `order=2` is the Hessian's ∂²top/∂bottom∂bottomᵀ (∂²top/∂bottom∂bottom by a matrix,
    `by_matrix`), `transposed` gives ∂top/∂bottomᵀ."""

    top: Part
    bottom: Part
    order: int = 1
    transposed: bool = False
    by_matrix: bool = False


@dataclass(frozen=True)
class VecPartial:
    """The vec–Jacobian: ∂vec Y/∂(vec X)ᵀ in the numerator layout, ∂(vec Y)ᵀ/∂vec X in the denominator
    layout (a vector is its own vec)."""

    top: Name
    bottom: Name
    layout: str


@dataclass(frozen=True)
class Differential:
    """The differential of a named value: dy (bold for a vector), dX."""

    part: Part


@dataclass(frozen=True)
class InDifferential:
    """A formula linear in the differential of the variable, written with a stand-in symbol for it
    (`stand_in`), printed with d`variable` in its place: −X⁻¹ dX X⁻¹."""

    expr: Expr
    stand_in: str
    variable: Name


@dataclass(frozen=True)
class Marked:
    """An expression with one occurrence of the variable marked, written with a stand-in symbol for that
    occurrence (`stand_in`) and printed with the variable underlined in its place: x̲ᵀA x."""

    expr: Expr
    stand_in: str
    variable: Name


@dataclass(frozen=True)
class EntryOf:
    """The entry of a bracketed formula: (∂y/∂W)_{ij}."""

    part: Part
    indices: tuple[sp.Basic, ...]


@dataclass(frozen=True)
class Transposed:
    """A formula in brackets, transposed: (…)ᵀ."""

    part: Part


@dataclass(frozen=True)
class Bracketed:
    """A formula in brackets: (a + b), where it multiplies what follows."""

    part: Part


@dataclass(frozen=True)
class Underbrace:
    """A factor with its shape written under it."""

    part: Part
    shape: Shape


@dataclass(frozen=True)
class Product:
    """Factors side by side; `gap` is how far apart: "none", "space" or "thin"."""

    factors: tuple[Part, ...]
    gap: str = "space"


@dataclass(frozen=True)
class Plus:
    """Terms added: a + b + c."""

    terms: tuple[Part, ...]


@dataclass(frozen=True)
class SumOver:
    """Σ_{index=1}^{upper} body."""

    index: sp.Basic
    upper: Dim
    body: Part


@dataclass(frozen=True)
class Corners:
    """A matrix shown by its corners (⋯ ⋮ ⋱): 2×2 cells, a column of 2 or a row of 2."""

    cells: tuple[tuple[Part, ...], ...]


def corners(at: Callable[[Any, Any], Part], rows: Sequence[Any], cols: Sequence[Any]) -> Corners | None:
    """The corners of a matrix whose entry (r, c) `at` shows, for rows and columns given as [first, last], or
    [None] along an axis of length one; None when both axes have length one."""
    if len(rows) == 2 and len(cols) == 2:
        return Corners(tuple(tuple(at(r, c) for c in cols) for r in rows))
    if len(rows) == 2:
        return Corners(tuple((at(r, None),) for r in rows))
    if len(cols) == 2:
        return Corners((tuple(at(None, c) for c in cols),))
    return None


@dataclass(frozen=True)
class Equation:
    """A chain of equalities a = b = c; `sides[0]` is the left-hand side."""

    sides: tuple[Part, ...]

    @property
    def lhs(self) -> Part:
        """The left-hand side."""
        return self.sides[0]

    @property
    def rhs(self) -> tuple[Part, ...]:
        """Everything right of the first '='."""
        return self.sides[1:]


@dataclass(frozen=True)
class Member:
    """element ∈ space."""

    element: Part
    space: Part


@dataclass(frozen=True)
class Where:
    """A formula followed by what its symbols stand for: body, a = …, b = …."""

    body: Part
    items: tuple[Part, ...]


@dataclass(frozen=True)
class Formulas:
    """Several formulas on one line, set apart: a = …, b = …."""

    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Implies:
    """premise ⇒ conclusion."""

    premise: Part
    conclusion: Part


Part = Union[Tree, Index, Name, Entry, Space, Size, Partial, VecPartial, Differential, InDifferential, Marked,
             EntryOf, Transposed, Bracketed, Underbrace, Product, Plus, SumOver, Corners, Equation, Member, Where,
             Formulas, Implies]
PARTS: tuple[type, ...] = Part.__args__  # type: ignore[attr-defined]
GAPS = ("none", "space", "thin")


# ---------------------------------------------------------------- reasons


@dataclass(frozen=True)
class Rule:
    """A rule or identity cited by name; its sentence, with any maths, is written by the LaTeX layer,
    or, for `reduction`, is the gradient identity the ops registry gives the reduction `name`."""

    name: str
    reduction: bool = False


Piece = Union[str, Rule, Part]


@dataclass(frozen=True)
class Reason:
    """Why a step holds: words, cited rules and formula parts (shown as inline maths), in order."""

    pieces: tuple[Piece, ...]


def reason(*pieces: Piece) -> Reason:
    """A reason from its pieces: `reason("write one entry of ", Name("f", shape), " as an index sum")`."""
    return Reason(pieces)


def equation(*sides: Part) -> Equation:
    """The equation sides[0] = sides[1] = …."""
    return Equation(sides)
