"""A derivative in closed form with its proof: what `derive` returns."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from ..check.numeric import dimensions, evaluate
from ..check.sampling import sizes_for
from ..code.module import numpy_module
from ..latex.printer import latex
from ..latex.steps import Step
from ..proof.symbolic import to_sympy
from ..tree.nodes import Expr, Shape, Sym
from ..tree.scope import Scope, Statement
from ..tree.text import to_text
from . import display


@dataclass(frozen=True)
class Derivation:
    """A derivative in closed form, with its proof and the residual of its numeric check."""

    statement: Statement
    wrt: Sym
    layout: str
    closed_form: Expr
    steps: tuple[Step, ...]
    residual: float
    scope: Scope
    kind: str = "gradient"  # gradient (scalar output), jacobian (vector output) or hessian

    @cached_property
    def latex(self) -> str:
        """LaTeX of the closed form (printed when first read)."""
        return latex(self.closed_form)

    @cached_property
    def result(self) -> Any:
        """The closed form as a sympy matrix expression (built when first read)."""
        return to_sympy(self.closed_form)

    @property
    def shape(self) -> Shape:
        """Shape of the derivative: the layout decides between a shape and its transpose."""
        return self.closed_form.shape

    @property
    def answer(self) -> str:
        """The closed form in the expression language, as a student in this layout would write it."""
        return to_text(self.closed_form, self.layout)

    def numeric(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The derivative evaluated at the given values, as a 2-D array. A size the values cannot tell
        (the output length of an abstract function) takes the size the numeric check gives it."""
        env = {n: v for n, v in values.items() if n in self.scope.symbols}
        return evaluate(self.closed_form, values, self.scope, sizes_for(self.scope, dimensions(self.scope, env)))

    def to_numpy(self) -> str:
        """A standalone Python module computing the value and this derivative with NumPy, with a finite-difference check."""
        return numpy_module(self.statement, self.wrt, self.closed_form, self.scope, self.layout, self.kind)

    def proof(self) -> display.Proof:
        """The proof as a notebook shows it, step by step."""
        return display.Proof(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return display.derivation_bundle(self)

    def _repr_latex_(self) -> str:
        return display.derivation_bundle(self)["text/latex"]

    def _repr_html_(self) -> str:
        return display.derivation_bundle(self)["text/html"]
