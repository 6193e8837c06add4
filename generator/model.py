"""The data that flows through the pipeline: problems, statements, derivations and their steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Mapping

from .expr import Dim, Expr, Shape, Sym

if TYPE_CHECKING:
    import numpy as np

LAYOUTS = ("denominator", "numerator")
ASSUMPTIONS = ("symmetric", "spd", "probability")
FUNCTION_KINDS = ("elementwise", "scalar", "vector")


@dataclass(frozen=True)
class FunctionSpec:
    """An abstract function of the problem: g applied element-wise, g: ℝⁿ→ℝ, or u: ℝⁿ→ℝʳ."""

    name: str
    kind: str
    shape: Shape | None = None  # output shape of a vector-valued function
    gradient: str | None = None  # display name of ∂g/∂f for a scalar function, e.g. "delta"


@dataclass(frozen=True)
class Scope:
    """What a piece of text may mention: declared symbols and abstract functions."""

    symbols: Mapping[str, Sym]
    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        shapes: Mapping[str, tuple[Dim, Dim]],
        assume: Mapping[str, str] | None = None,
        functions: Mapping[str, FunctionSpec] | None = None,
    ) -> Scope:
        """A scope from shapes such as {"W": ("n", "m")} and assumptions such as {"A": "symmetric"}."""
        assume = assume or {}
        symbols = {
            name: Sym(name, (shape[0], shape[1]), frozenset({assume[name]} if name in assume else ()))
            for name, shape in shapes.items()
        }
        return cls(symbols, dict(functions or {}))


@dataclass(frozen=True)
class Statement:
    """Parsed text: the named intermediates in order, the output's name and its expression."""

    expr: Expr
    output: str | None = None
    definitions: tuple[tuple[str, Expr], ...] = ()
    text: str = ""
    bindings: Mapping[str, Expr] = field(default_factory=dict)  # names an answer may use: f, delta


@dataclass(frozen=True)
class Problem:
    """One problem file: what to differentiate, by what, with which shapes and in which layout."""

    name: str
    title: str
    expr: str
    wrt: str
    shapes: Mapping[str, Shape]
    layout: str = "denominator"
    assume: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)
    notes: str = ""
    source: str = "<input>"
    hessian: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # sections later stages read (variation, …)


@dataclass(frozen=True)
class Claim:
    """What a step asserts, in a form a test can check numerically.

    kind "equal": `lhs` and `rhs` are expression trees with the same value.
    kind "derivative": `rhs` is ∂lhs/∂var in denominator layout (∂z/∂var, len(var)×len(z), for a
    vector lhs); finite differences decide, with var set to the value of `at` when given.
    kind "entry": `lhs` is a sympy index expression (0-based sums) in the free index symbols
    `indices`, equal to the entry of the expression tree `rhs` at (indices[0], indices[1]).
    """

    kind: str
    lhs: Any
    rhs: Any
    var: Sym | None = None
    indices: tuple[Any, ...] = ()
    at: Expr | None = None  # for a derivative by a cut-out intermediate: the value var takes


@dataclass(frozen=True)
class Step:
    """One line of a proof: LaTeX to show (math mode), the reason in words, and its claim."""

    latex: str
    reason: str
    kind: str = "equation"
    claim: Claim | None = None


@dataclass(frozen=True)
class Derivation:
    """A derivative in closed form, with its proof and the residual of its numeric check."""

    statement: Statement
    wrt: Sym
    layout: str
    closed_form: Expr
    result: Any  # the sympy matrix expression of closed_form
    latex: str
    steps: tuple[Step, ...]
    residual: float
    scope: Scope
    kind: str = "gradient"  # gradient (scalar output), jacobian (vector output) or hessian

    @property
    def shape(self) -> Shape:
        """Shape of the derivative: the layout decides between a shape and its transpose."""
        return self.closed_form.shape

    @property
    def answer(self) -> str:
        """The closed form in the expression language, as a student in this layout would write it."""
        from .text import to_text

        return to_text(self.closed_form, self.layout)

    def numeric(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The derivative evaluated at the given values, as a 2-D array."""
        from .numeric import evaluate

        return evaluate(self.closed_form, values, self.scope)


# ---------------------------------------------------------------- exercise sheets

KINDS = ("closed-form", "numeric", "shape", "fill-step")


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


MISTAKES = ("layout", "sign", "scale", "shape", "unknown-symbol", "parse", "other")


@dataclass(frozen=True)
class Verdict:
    """A graded answer: right or not, the mistake's tag (one of MISTAKES), feedback and a score in 0..1."""

    correct: bool
    mistake: str | None
    feedback: str
    score: float
    answer: str = ""
