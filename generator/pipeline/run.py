"""The public pipeline: text → parsed statement → closed form → proof → numeric check → Derivation."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from ..calculus import engine
from ..check.verify import check
from ..errors import GeneratorError
from ..parse import problem_file as pf
from ..parse.builder import parse
from ..parse.problem_file import Problem
from ..latex.steps import Step
from ..proof.differentials import FRESH
from ..proof.index import INDEX_ALPHABET
from ..proof.prove import prove
from ..tree.dims import names_of
from ..tree.nodes import Sym
from ..tree.scope import FunctionSpec, Scope, Statement
from ..tree.text import statement_text
from . import rename, renamed
from .derivation import Derivation

CACHE_SIZE = 512
_cache: dict[tuple, tuple[Derivation, frozenset[str]]] = {}


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
    """Differentiate `expr` by `wrt`, write its proof and check the result numerically."""
    layout = pf.layout_from(layout, f"{source}: layout")
    checked = pf.shapes_from(dict(shapes), f"{source}: shapes")
    scope = Scope.build(checked, pf.assumptions_from(assume, checked, f"{source}: assume"),
                        pf.functions_from(functions, f"{source}: functions"))
    statement = parse(expr, scope, f"{source}: expr" if source != "<input>" else source)
    if wrt not in scope.symbols:
        declared = ", ".join(sorted(scope.symbols))
        raise GeneratorError(f"{source}: wrt: '{wrt}' is not declared under shapes (declared: {declared})")
    what = source if source != "<input>" else f"d({statement.text})/d{wrt}"
    try:
        d = _derived(statement, scope, wrt, layout, hessian)
        return replace(d, residual=check(statement.expr, d.wrt, d.closed_form, d.layout, scope, d.kind, what))
    except GeneratorError as err:
        message = str(err)
        if source == "<input>" or message.startswith(source):
            raise
        raise type(err)(f"{source}: {message}") from None  # a refusal names the file it came from


def _derived(statement: Statement, scope: Scope, wrt: str, layout: str, hessian: bool) -> Derivation:
    """The derivation of a statement, through the cache of canonical forms (names and sizes renamed).

    The canonical proof is written with placeholders, so its index letters and intermediates can only
    clash with the caller's own names; only when they do (an index p while a size is called p) is it
    written again avoiding those names. Variants that differ in names share one proof otherwise.
    """
    canon = rename.canonical(statement, scope)
    c_statement, c_scope = rename.statement(statement, canon), rename.scope(scope, canon)
    key = (statement_text(c_statement), canon.names[wrt], layout, hessian,
           tuple(sorted((n, s.shape, tuple(sorted(s.props))) for n, s in c_scope.symbols.items())),
           rename.functions_key(scope.functions, canon))
    back = canon.inverse()
    variable = c_scope.symbols[canon.names[wrt]]
    derived, shown = _cached(key, lambda: _fresh(c_statement, variable, c_scope, layout, hessian), back)
    reserved = _reserved(scope)
    if reserved & shown:
        derived, _ = _cached((*key, tuple(sorted(reserved))),
                             lambda: _fresh(c_statement, variable, c_scope, layout, hessian, reserved), back)
    return renamed.derivation(derived, back, statement, scope)


def _cached(key: tuple, make: Callable[[], Derivation], back: rename.Renaming) -> tuple[Derivation, frozenset[str]]:
    """The canonical derivation for a key and the names its proof shows, made once."""
    if key not in _cache:
        try:
            made = make()
        except GeneratorError as err:
            raise type(err)(rename.message(str(err), back)) from None
        _cache[key] = (made, renamed.names_shown(made))
        if len(_cache) > CACHE_SIZE:
            del _cache[next(iter(_cache))]
    return _cache[key]


def _reserved(scope: Scope) -> frozenset[str]:
    """The problem's own names a proof could otherwise choose (an index p while a size is called p, an
    intermediate u1 beside a symbol u1, a rule's letter P beside a matrix P): the proof is written for
    placeholders, then shown with these."""
    names = {*scope.symbols, *scope.functions, *(n for s in scope.symbols.values() for d in s.shape for n in names_of(d))}
    return frozenset(n for n in names if n in INDEX_ALPHABET or re.fullmatch(r"[uU]\d*|[VZGvz]|e_\w+", n)
                     or re.fullmatch(rf"[{FRESH}](_\d+)?", n))


def _fresh(statement: Statement, variable: Sym, scope: Scope, layout: str, hessian: bool,
           reserved: frozenset[str] = frozenset()) -> Derivation:
    """Differentiate and prove; the residual is filled in by the caller's numeric check."""
    if hessian:
        back, kind, layout = engine.hessian(statement.expr, variable, scope.functions), "hessian", "numerator"
    else:
        back = engine.derivative(statement.expr, variable, layout, scope.functions)
        kind = back.mode
    return Derivation(
        statement=statement,
        wrt=variable,
        layout=layout,
        closed_form=back.result,
        steps=tuple(Step.of(s) for s in prove(statement, variable, back, layout, scope, kind, reserved)),
        residual=float("nan"),
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
    """The Hessian ∂²f/∂x∂xᵀ of a scalar f by a vector x (by a matrix X, the vec Hessian ∂²f/∂vec X∂(vec X)ᵀ),
    checked numerically, with its proof."""
    return derive(expr, wrt, shapes, "denominator", assume, functions, hessian=True)


def derive_problem(problem: Problem, layout: str | None = None) -> Derivation:
    """The derivation a problem file asks for (its own layout unless one is given)."""
    return derive(problem.expr, problem.wrt, problem.shapes, layout or problem.layout, problem.assume,
                  problem.functions, hessian=problem.hessian, source=problem.source)
