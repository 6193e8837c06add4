"""The public pipeline: text → parsed statement → closed form → numeric check → proof → Derivation."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from . import derive as engine
from . import problems as pf
from .errors import GeneratorError
from .latex import latex
from .model import Derivation, FunctionSpec, Problem, Scope
from .parse import parse
from .steps import prove
from .symbolic import to_sympy
from .verify import check


def derive(
    expr: str,
    wrt: str,
    shapes: Mapping[str, Sequence[Any]],
    layout: str = "denominator",
    assume: Mapping[str, str] | None = None,
    functions: Mapping[str, FunctionSpec | Mapping[str, Any] | str] | None = None,
    *,
    hessian: bool = False,
    source: str = "<input>",
) -> Derivation:
    """Differentiate `expr` by `wrt`, check the result numerically and write its proof."""
    layout = pf.layout_from(layout, f"{source}: layout")
    checked = pf.shapes_from(dict(shapes), f"{source}: shapes")
    scope = Scope.build(checked, pf.assumptions_from(assume, checked, f"{source}: assume"),
                        pf.functions_from(functions, f"{source}: functions"))
    statement = parse(expr, scope, f"{source}: expr" if source != "<input>" else source)
    if wrt not in scope.symbols:
        declared = ", ".join(sorted(scope.symbols))
        raise GeneratorError(f"{source}: wrt: '{wrt}' is not declared under shapes (declared: {declared})")
    variable = scope.symbols[wrt]
    if hessian:
        back, kind, layout = engine.hessian(statement.expr, variable, scope.functions), "hessian", "numerator"
    else:
        back = engine.derivative(statement.expr, variable, layout, scope.functions)
        kind = back.mode
    what = source if source != "<input>" else f"d({statement.text})/d{wrt}"
    residual = check(statement.expr, variable, back.result, layout, scope, kind, what)
    return Derivation(
        statement=statement,
        wrt=variable,
        layout=layout,
        closed_form=back.result,
        result=to_sympy(back.result),
        latex=latex(back.result),
        steps=tuple(prove(statement, variable, back, layout, scope, kind)),
        residual=residual,
        scope=scope,
        kind=kind,
    )


def hessian(
    expr: str,
    wrt: str,
    shapes: Mapping[str, Sequence[Any]],
    assume: Mapping[str, str] | None = None,
    functions: Mapping[str, FunctionSpec | Mapping[str, Any] | str] | None = None,
) -> Derivation:
    """The Hessian ∂²f/∂x∂xᵀ of a scalar f by a vector x, checked numerically, with its proof."""
    return derive(expr, wrt, shapes, "denominator", assume, functions, hessian=True)


def derive_problem(problem: Problem, layout: str | None = None) -> Derivation:
    """The derivation a problem file asks for (its own layout unless one is given)."""
    return derive(problem.expr, problem.wrt, problem.shapes, layout or problem.layout, problem.assume,
                  problem.functions, hessian=problem.hessian, source=problem.source)
