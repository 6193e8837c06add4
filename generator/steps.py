"""The proof of a derivation as a list of Steps (first cut: layout and result; element-wise steps follow)."""
from __future__ import annotations

from .derive import Backprop
from .latex import latex, name_latex
from .model import Scope, Statement, Step
from .expr import Sym


def prove(statement: Statement, wrt: Sym, back: Backprop, layout: str, scope: Scope, kind: str) -> list[Step]:
    """The steps that lead from the statement to the closed form."""
    out = name_latex(statement.output or "y", bold=statement.expr.is_vector)
    var = name_latex(wrt.name, bold=wrt.is_vector)
    result = rf"\frac{{\partial {out}}}{{\partial {var}}} = {latex(back.result)}"
    return [Step(result, f"closed form in {layout} layout", kind="result")]
