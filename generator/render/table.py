"""The identity tables: rows from problem files derived in both layouts, side by side."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..errors import GeneratorError
from ..latex.printer import latex
from ..parse.problem_file import Problem
from ..pipeline.derivation import Derivation
from .env import render
from .formulas import derivative_latex, given_lines, residual_latex, shape_lines, statement_lines


@dataclass(frozen=True)
class RowView:
    """One identity: condition, the derivative asked for, and its value in each layout."""

    condition: str  # plain text
    where: tuple[str, ...]  # LaTeX: shapes, intermediates, abstract functions
    expression: str  # LaTeX, e.g. \frac{\partial W \mathbf{x}}{\partial \mathbf{x}}
    numerator: str
    denominator: str
    equation: str  # plain text, e.g. (70)
    residual: str  # LaTeX: the larger residual of the two layouts


@dataclass(frozen=True)
class TableView:
    """A named table of identities, rows in order."""

    name: str
    rows: tuple[RowView, ...]


@dataclass(frozen=True)
class TableEntry:
    """The table keys of a problem file: which table, which row, under which condition."""

    table: str
    row: int
    condition: str
    equation: str


def table_entry(problem: Problem) -> TableEntry | None:
    """The problem's table keys, checked; None when the problem belongs to no table."""
    extra = problem.extra
    if "table" not in extra:
        return None
    for key in ("table", "condition", "equation"):
        if key in extra and not (isinstance(extra[key], str) and (key != "table" or extra[key].strip())):
            raise GeneratorError(f"{problem.source}: '{key}' should be a non-empty string, found {extra[key]!r}")
    row = extra.get("row", 0)
    if isinstance(row, bool) or not isinstance(row, int):
        raise GeneratorError(f"{problem.source}: 'row' should be a whole number, found {row!r}")
    return TableEntry(extra["table"].strip(), row, extra.get("condition", ""), extra.get("equation", ""))


def row_view(entry: TableEntry, numerator: Derivation, denominator: Derivation) -> RowView:
    """A table row from the same problem derived in numerator and in denominator layout."""
    d = denominator
    where = shape_lines(d) + statement_lines(d)[:-1] + given_lines(d)
    return RowView(
        condition=entry.condition,
        where=where,
        expression=derivative_latex(d, top=latex(d.statement.expr)),
        numerator=numerator.latex,
        denominator=denominator.latex,
        equation=entry.equation,
        residual=residual_latex(max(numerator.residual, denominator.residual)),
    )


def render_table(rows: Iterable[tuple[TableEntry, Derivation, Derivation]], title: str) -> str:
    """The identity-table document (templates/identities.tex): tables in order of first appearance,
    rows by their `row` number; each item is (entry, numerator derivation, denominator derivation)."""
    tables: dict[str, list[tuple[int, int, RowView]]] = {}
    for position, (entry, num, den) in enumerate(rows):
        tables.setdefault(entry.table, []).append((entry.row, position, row_view(entry, num, den)))
    views = tuple(TableView(name, tuple(r for _, _, r in sorted(items, key=lambda t: t[:2])))
                  for name, items in tables.items())
    return render("identities.tex", title=title, tables=views)
