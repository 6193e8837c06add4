"""The data of exercise sheets: variation tables, choices, variants, students and exercises."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from ..pipeline.derivation import Derivation
from ..tree.nodes import Dim, Shape
from ..tree.scope import FunctionSpec

EXERCISE_KINDS = ("closed-form", "numeric", "shape", "fill-step", "slice")


@dataclass(frozen=True)
class Variation:
    """A problem's [variation] table, checked: pools per symbol, dimension and function, and the alternatives."""

    names: tuple[tuple[str, tuple[str, ...]], ...] = ()  # symbol → names it may take
    dims: tuple[tuple[str, tuple[Dim, ...]], ...] = ()  # dimension → names or sizes it may take
    functions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # element-wise function → its stand-ins
    structures: tuple[str, ...] = ()  # alternative expressions over the same symbols
    layouts: tuple[str, ...] = ("denominator",)
    kinds: tuple[str, ...] = ("closed-form",)


@dataclass(frozen=True)
class Choice:
    """One point of a variation space: what each symbol, dimension and function became, and the rest."""

    names: tuple[tuple[str, str], ...]
    dims: tuple[tuple[str, Dim], ...]
    functions: tuple[tuple[str, str], ...]
    structure: int  # index into Variation.structures
    layout: str
    kind: str


@dataclass(frozen=True)
class Variant:
    """One exercise of a sheet: a problem with its names, sizes, function, structure, layout and kind chosen."""

    id: str  # "<problem>-<number>"
    problem: str  # the problem's name (its file's stem)
    number: int  # 1, 2, …: the sheet variant it belongs to
    seed: int  # drives this variant's own randomness: numeric data, the blanked step, check points
    kind: str
    title: str
    expr: str  # in the expression language, renamed through the tree
    wrt: str
    shapes: Mapping[str, Shape]
    layout: str
    assume: Mapping[str, str]
    functions: Mapping[str, FunctionSpec]
    hessian: bool
    choice: Choice
    source: str  # the problem file


@dataclass(frozen=True)
class Student:
    """One row of a roster."""

    id: str
    name: str


Fraction2D = tuple[tuple[Fraction, ...], ...]  # rows of exact numbers


@dataclass(frozen=True)
class Exercise:
    """A variant with its derivation and what its kind needs: data and exact value, or the blanked step."""

    variant: Variant
    derivation: Derivation
    data: Mapping[str, Fraction2D] = field(default_factory=dict)  # numeric kind: the values given
    value: Fraction2D = ()  # numeric kind: the exact derivative at `data`
    blank: int | None = None  # fill-step kind: index of the blanked step in derivation.steps
    residual: float = float("nan")  # set by the key check, before anything is written
