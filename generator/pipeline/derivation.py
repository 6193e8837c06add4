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
from ..tree import dims as dm
from ..tree.dims import Dim
from ..tree.nodes import Expr, Shape, Sym
from ..tree.scope import Scope, Statement
from ..tree.text import to_text
from . import display
from .slices import Slice, slice_of


def axes(shape: Shape) -> tuple[Dim, ...]:
    """The axes of a value: a matrix has two, a vector one (its unit axis dropped), a scalar none."""
    if shape == (1, 1):
        return ()
    if shape[1] == 1 or shape[0] == 1:
        return (shape[0] if shape[1] == 1 else shape[1],)
    return tuple(shape)


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
    kind: str = "gradient"  # gradient (scalar output), jacobian (vector by vector), hessian, or tensor

    @cached_property
    def latex(self) -> str:
        """LaTeX of the closed form (printed when first read)."""
        return latex(self.closed_form)

    @cached_property
    def result(self) -> Any:
        """The closed form as a sympy matrix expression (built when first read)."""
        return to_sympy(self.closed_form)

    @property
    def tensor(self) -> bool:
        """Whether the derivative has more than two axes (or is a matrix by a scalar): its closed form is then
        the vec–Kronecker form, not the array itself."""
        return self.kind == "tensor" or self.kind == "hessian" and not (self.wrt.is_vector or self.wrt.is_scalar)

    @property
    def shape(self) -> tuple[Dim, ...]:
        """The derivative's axes. Scalars and vectors: the closed form's shape, which the layout decides. A tensor:
        in the denominator layout the variable's axes, then the output's (∂y/∂X is m×n×r for y of length r and X
        m×n); in the numerator layout the output's, then the variable's; a vector's unit axis is dropped."""
        if not self.tensor:
            return self.closed_form.shape
        out, var = axes(self.statement.expr.shape), axes(self.wrt.shape)
        if self.kind == "hessian":
            return var + var
        return var + out if self.layout == "denominator" else out + var

    @property
    def answer(self) -> str:
        """The closed form in the expression language, as a student in this layout would write it."""
        return to_text(self.closed_form, self.layout)

    def numeric(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The derivative at the given values: a 2-D array for scalars and vectors, an ndarray with the axes of
        `shape` for a tensor."""
        sizes = self._sizes(values)
        if not self.tensor:
            return evaluate(self.closed_form, values, self.scope, sizes)
        out = self.wrt.shape if self.kind == "hessian" else self.statement.expr.shape
        var = self.wrt.shape
        # J[p + P q, i + M j] = ∂Y_pq/∂X_ij, so a column-major reshape gives T[p, q, i, j]
        array = self.vec_jacobian(values).reshape([dm.size(d, sizes) for d in (*out, *var)], order="F")
        kept = [n for n, k in zip((*out, *var), _kept(out) + _kept(var)) if k]
        array = array.reshape([dm.size(d, sizes) for d in kept])
        n_out = len(axes(out))
        if self.layout == "denominator" and self.kind != "hessian":
            array = array.transpose(list(range(n_out, array.ndim)) + list(range(n_out)))
        return array

    def vec_jacobian(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """∂vec(Y)/∂vec(X)ᵀ at the given values: one row per entry of vec(Y), one column per entry of vec(X),
        both column-major (for a scalar y the row vec(∂y/∂X)ᵀ, for a Hessian the vec Hessian)."""
        value = evaluate(self.closed_form, values, self.scope, self._sizes(values))
        if self.kind == "gradient":
            gradient = value if self.layout == "denominator" else value.T
            return gradient.reshape(1, -1, order="F")
        if self.kind == "hessian":
            return value
        if self.kind == "tensor" and self.wrt.is_scalar:
            return value.reshape(-1, 1, order="F")
        return value if self.layout == "numerator" else value.T

    def _sizes(self, values: Mapping[str, np.ndarray]) -> dict:
        """The sizes the values tell; a size they cannot tell (the output length of an abstract function) takes the
        size the numeric check gives it."""
        env = {n: v for n, v in values.items() if n in self.scope.symbols}
        return sizes_for(self.scope, dimensions(self.scope, env))

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

    @cached_property
    def slice(self) -> Slice:
        """One slice of the derivative as a lecturer draws it: ∂y_k/∂X, ∂Y/∂X_ij, ∂Y/∂x_i (see pipeline/slices.py)."""
        return slice_of(self)


def _kept(shape: Shape) -> tuple[bool, bool]:
    """Which of a shape's two axes are kept as axes of a tensor (see `axes`)."""
    if shape == (1, 1):
        return (False, False)
    if shape[1] == 1 or shape[0] == 1:
        return (shape[0] != 1, shape[1] != 1)
    return (True, True)
