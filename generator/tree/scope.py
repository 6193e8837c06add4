"""What a text may mention and what parsing it gives: abstract functions, the scope, statements."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from .nodes import Dim, Expr, Shape, Sym


@dataclass(frozen=True)
class FunctionSpec:
    """An abstract function of the problem: g applied element-wise, g: ℝⁿ→ℝ, or u: ℝⁿ→ℝʳ."""

    name: str
    kind: str
    shape: Shape | None = None  # output shape of a vector-valued function
    gradient: str | None = None  # display name of ∂g/∂f for a scalar function, e.g. "delta"
    hessian: str | None = None  # display name of ∂²g/∂f∂fᵀ for a scalar function, e.g. "H"


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
