"""A proof step as data: what it shows, why, its kind, and the claim a test checks it by."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..tree.nodes import Expr, Sym
from .formula import Part, Reason


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
class ProofStep:
    """One line of a proof as data: the formula it shows, the reason, its kind and its claim.

    The LaTeX layer prints it (latex/steps.py); `kind` says what the line does (layout, index,
    differentiate, reduce, chain, …) and `claim`, when there is one, what a test checks by numbers.
    """

    shows: Part
    reason: Reason
    kind: str = "equation"
    claim: Claim | None = None
