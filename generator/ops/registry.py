"""The two kinds of operation the language knows by name, and the lookups every layer uses.

An element-wise function and a reduction are each declared once (ops/functions.py,
ops/reductions.py) with everything the layers need: how it is spelled in text and LaTeX, its
numpy value, its derivative as a formula (ops/kit.py), its sympy form for index proofs, how
samples keep to its domain, and how exporters write it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .kit import Formula

Array = np.ndarray
MAXIMA_KNOWS = frozenset({"exp", "log", "sin", "cos", "tan", "sqrt", "sinh", "cosh", "tanh"})  # by the same name


@dataclass(frozen=True)
class Function:
    """An element-wise function f: ℝ → ℝ, applied entry by entry to a matrix."""

    name: str  # the canonical name, which the text form writes: tanh
    numpy: Callable[[Array], Array]  # f at every entry
    derivatives: tuple[Formula, ...]  # f′, f″, … as formulas in f's argument (see kit.py)
    primed: bool = False  # closed forms keep f′(u) by name (σ′, tanh′) instead of its formula
    sympy: Callable[[Any], Any] | None = None  # sympy's own function for index proofs; None: shown by name
    latex: str = ""  # the LaTeX head, \tanh; default \operatorname{name}
    wrap: str = r"{head}{primes}\left({arg}\right)"  # how f′(u) is written around its argument
    spellings: tuple[str, ...] = ()  # other names it may be typed as: sigmoid, ln
    positive: bool = False  # defined for positive arguments only: samples are drawn positive
    kinks: tuple[float, ...] = ()  # where it is not differentiable: samples keep away
    code: str = ""  # numpy code with {} for the argument; default np.<name>({})
    maxima: str = ""  # Maxima with {} for the argument; default <name>({})

    def __post_init__(self) -> None:
        # An exporter writes what the entry says: a default it cannot honour would be silently wrong code.
        if not self.code and not isinstance(getattr(np, self.name, None), np.ufunc):
            raise ValueError(f"function {self.name!r}: numpy has no np.{self.name}; give its numpy code, code=...")
        if not self.maxima and self.name not in MAXIMA_KNOWS:
            raise ValueError(f"function {self.name!r}: Maxima has no {self.name}(); give its Maxima code, maxima=...")

    def written(self, arg: str, order: int = 0) -> str:
        r"""LaTeX of f⁽ᵒʳᵈᵉʳ⁾ applied to an argument already in LaTeX: \sigma'\left(z\right), \sqrt{x}."""
        head = self.latex or rf"\operatorname{{{self.name}}}"
        return self.wrap.format(head=head, primes="'" * order, arg=arg)

    @property
    def numpy_code(self) -> str:
        return self.code or f"np.{self.name}({{}})"

    @property
    def maxima_code(self) -> str:
        return self.maxima or f"{self.name}({{}})"


@dataclass(frozen=True)
class Reduction:
    """A scalar made from a matrix or vector: tr, det, logdet, sum, norm, logsumexp."""

    name: str
    numpy: Callable[[Array], float]
    gradient: Callable[[Any, Any, Any], Any]  # (the node r(A), A, kit) → ∂r/∂A in denominator layout
    latex: str  # with {0} for the argument and {1} for a subscript (‖A‖_F)
    rule: str  # its gradient's rule in words, the name a proof cites (the maths comes from the step)
    index: Callable[[Callable[[Any, Any], Any], Any, Any], Any] | None = None  # (entry, rows, cols) → sum
    exact: Callable[[Any], Any] | None = None  # its exact value at a sympy matrix of rationals
    spellings: tuple[str, ...] = ()
    square: bool = False  # needs a square matrix
    linear: bool = False  # scalar factors come out: tr(2A) = 2 tr(A)
    transposable: bool = False  # r(Aᵀ) = r(A)
    of_scalar: str | None = None  # r(s) for a 1×1 s: "" for s itself, "log" for log s; None: kept
    matrix_subscript: str = ""  # written after the closing bracket for a matrix argument (_F)
    code: str = ""  # numpy code with {} for the argument
    maxima: str = ""


@dataclass(frozen=True)
class Registry:
    """Functions and reductions by name and by every spelling."""

    functions: dict[str, Function] = field(default_factory=dict)
    reductions: dict[str, Reduction] = field(default_factory=dict)

    def spelled(self, word: str) -> str | None:
        """The canonical name a word spells (sigmoid → sigma, ln → log, Tr → tr), if it names one."""
        for table in (self.functions, self.reductions):
            if word in table:
                return word
            for entry in table.values():
                if word in entry.spellings:
                    return entry.name
        return None

    def function(self, name: str) -> Function | None:
        return self.functions.get(name)

    def reduction(self, name: str) -> Reduction | None:
        return self.reductions.get(name)


def function_order(fn: Function, order: int) -> Formula:
    """The formula of the order-th derivative (order ≥ 1), or a clear error past the last one declared."""
    if not 1 <= order <= len(fn.derivatives):
        raise ValueError(f"{fn.name} has no derivative of order {order}")
    return fn.derivatives[order - 1]
