"""A problem's [variation] table: what may vary and how, checked with one-line errors naming file and key."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..errors import GeneratorError
from ..parse import problem_file as pf
from ..parse.builder import parse
from ..ops import OPS
from ..parse.names import builtin
from ..parse.problem_file import Problem
from ..tree.nodes import Apply, Dim, Sym
from ..tree.scope import Scope, Statement
from ..vocabulary import LAYOUTS
from .data import EXERCISE_KINDS, Variation

KEYS = ("names", "dims", "functions", "structures", "layouts", "kinds")
RESERVED_INDEX_LETTERS = ("i", "j", "k", "l")  # the proofs' first index letters: no symbol or size may take one


def _pools(value: Any, where: str, item: str) -> list[tuple[str, list[Any]]]:
    if not isinstance(value, Mapping):
        raise GeneratorError(f"{where}: expected a table such as {item}")
    out = []
    for key, pool in value.items():
        if isinstance(pool, (str, bytes)) or not isinstance(pool, Sequence) or not pool:
            raise GeneratorError(f"{where}.{key}: expected a non-empty list such as {item}")
        for k, entry in enumerate(pool):
            if entry in pool[:k]:
                raise GeneratorError(f"{where}.{key}[{k}]: {entry!r} is listed twice")
        out.append((key, list(pool)))
    return out


def _options(value: Any, allowed: Sequence[str], where: str) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise GeneratorError(f"{where}: expected a non-empty list of {', '.join(allowed)}")
    for k, entry in enumerate(value):
        if entry not in allowed:
            raise GeneratorError(f"{where}[{k}]: expected one of {', '.join(allowed)}, found {entry!r}")
        if entry in value[:k]:
            raise GeneratorError(f"{where}[{k}]: {entry!r} is listed twice")
    return tuple(value)


def declared_dims(problem: Problem) -> set[str]:
    """The symbolic dimensions of the problem's shapes and function shapes."""
    shapes = [*problem.shapes.values(), *(f.shape for f in problem.functions.values() if f.shape)]
    return {d for shape in shapes for d in shape if isinstance(d, str)}


def _clash(name: str, taken: Mapping[str, str]) -> str | None:
    if name in RESERVED_INDEX_LETTERS:
        return "an index letter of the proofs (i, j, k, l)"
    if builtin(name) or name == "I":
        return "a built-in name of the expression language"
    return taken.get(name)


def variation_from(problem: Problem) -> Variation:
    """The problem's [variation] table, checked; a mistake is a one-line error naming the file and the key."""
    where = f"{problem.source}: variation"
    table = problem.extra.get("variation", {})
    if not isinstance(table, Mapping):
        raise GeneratorError(f"{where}: expected a table ([variation])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise GeneratorError(f"{where}.{unknown[0]}: unknown key; expected {', '.join(KEYS)}")
    raw = table.get("structures", [problem.expr])
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or not raw or not all(
            isinstance(s, str) and s.strip() for s in raw):
        raise GeneratorError(f'{where}.structures: expected a non-empty list of expressions such as ["y = a^T X b"]')
    structures = tuple(raw)
    statements = [_statement(problem, text, f"{where}.structures[{k}]") for k, text in enumerate(structures)]
    names = _pools(table.get("names", {}), f"{where}.names", 'W = ["W", "A", "B"]')
    dims = _pools(table.get("dims", {}), f"{where}.dims", 'n = ["n", "m", 3]')
    functions = _pools(table.get("functions", {}), f"{where}.functions", 'sigma = ["sigma", "tanh"]')
    dims = [(d, [pf.dim_from(v, f"{where}.dims.{d}[{k}]") for k, v in enumerate(pool)]) for d, pool in dims]
    _check_names(problem, statements, names, dims, where)
    _check_functions(problem, statements, functions, where)
    if problem.hessian and "layouts" in table:
        raise GeneratorError(f"{where}.layouts: a Hessian is always given in one layout; remove the key")
    layouts = _options(table.get("layouts", [problem.layout]), LAYOUTS, f"{where}.layouts")
    kinds = _options(table.get("kinds", ["closed-form"]), EXERCISE_KINDS, f"{where}.kinds")
    return Variation(tuple((k, tuple(p)) for k, p in names), tuple((k, tuple(p)) for k, p in dims),
                     tuple((k, tuple(p)) for k, p in functions), structures, layouts, kinds)


def _statement(problem: Problem, text: str, where: str) -> Statement:
    scope = Scope.build(problem.shapes, problem.assume, problem.functions)
    statement = parse(text, scope, where)
    if problem.wrt not in {s.name for s in statement.expr.walk() if isinstance(s, Sym)}:
        raise GeneratorError(f"{where}: the expression does not depend on {problem.wrt}")
    return statement


def _check_names(problem: Problem, statements: list[Statement], names: list[tuple[str, list[Any]]],
                 dims: list[tuple[str, list[Dim]]], where: str) -> None:
    declared = declared_dims(problem)
    varied = {key for key, _ in names}
    taken: dict[str, str] = {}
    for s in statements:
        taken.update({n: f"the intermediate {n}" for n, _ in s.definitions})
        taken.update({s.output: f"the output {s.output}"} if s.output else {})
    for spec in problem.functions.values():
        taken[spec.name] = f"the function {spec.name}"
        if spec.gradient:
            taken[spec.gradient] = f"the gradient name {spec.gradient}"
    symbol_names = dict(taken)
    symbol_names.update({n: f"the symbol {n}" for n in problem.shapes if n not in varied})
    dim_names = dict(taken)
    dim_names.update({n: f"the symbol {n}" for n in problem.shapes})
    for key, pool in names:
        if key not in problem.shapes:
            raise GeneratorError(f"{where}.names.{key}: {key} is not declared under shapes")
        dim_names.update({v: f"a name in the pool of {key}" for v in pool if isinstance(v, str)})
    for d, pool in dims:
        if d not in declared:
            raise GeneratorError(f"{where}.dims.{d}: {d} is not a dimension of any shape "
                                 f"(dimensions: {', '.join(sorted(declared)) or 'none'})")
        for k, value in enumerate(pool):
            clash = _clash(value, dim_names) if isinstance(value, str) else None
            if clash:
                raise GeneratorError(f"{where}.dims.{d}[{k}]: {value!r} collides with {clash}")
            if value == 1:
                raise GeneratorError(f"{where}.dims.{d}[{k}]: a size of 1 would turn a matrix into a vector; use 2 or more")
    symbol_names.update({v: f"the dimension {v}" for v in declared})
    symbol_names.update({v: f"the dimension {v}" for _, pool in dims for v in pool if isinstance(v, str)})
    for key, pool in names:
        for k, value in enumerate(pool):
            if not isinstance(value, str) or not pf.DIM_NAME.fullmatch(value):
                raise GeneratorError(f"{where}.names.{key}[{k}]: expected a name such as \"W\", found {value!r}")
            clash = _clash(value, symbol_names)
            if clash:
                raise GeneratorError(f"{where}.names.{key}[{k}]: {value!r} collides with {clash}")


def _check_functions(problem: Problem, statements: list[Statement], functions: list[tuple[str, list[Any]]],
                     where: str) -> None:
    applied = {e.fn for s in statements for e in s.expr.walk() if isinstance(e, Apply)}
    elementwise = set(OPS.functions) | {f for f, spec in problem.functions.items() if spec.kind == "elementwise"}
    for key, pool in functions:
        if key not in applied:
            raise GeneratorError(f"{where}.functions.{key}: the expression applies no element-wise function {key}")
        for k, value in enumerate(pool):
            if value not in elementwise:
                raise GeneratorError(f"{where}.functions.{key}[{k}]: expected an element-wise function "
                                     f"({', '.join(sorted(elementwise))}), found {value!r}")
