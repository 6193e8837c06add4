"""The data that flows through the pipeline: problems, statements, derivations and their steps."""
from __future__ import annotations

from dataclasses import dataclass, field
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

    def numeric(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The derivative evaluated at the given values, as a 2-D array."""
        from .numeric import evaluate

        return evaluate(self.closed_form, values, self.scope)


MISTAKES = ("layout", "sign", "scale", "shape", "unknown-symbol", "parse", "other")


@dataclass(frozen=True)
class Verdict:
    """A graded answer: right or not, the mistake's tag (one of MISTAKES), feedback and a score in 0..1."""

    correct: bool
    mistake: str | None
    feedback: str
    score: float
    answer: str = ""
