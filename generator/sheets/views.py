"""What the sheet and key templates read: one view per exercise, grouped by sheet variant."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import sympy as sp

from ..latex.names import shape_latex, symbol_latex
from ..latex.printer import latex
from ..render.formulas import (
    closed_form_latex, derivative_latex, given_lines, residual_latex, shape_lines, statement_lines,
)
from .data import Exercise, Fraction2D
from .plan import Plan

TASKS = {
    "closed-form": "Find ${asked}${layout} and prove it.",
    "numeric": "Compute ${asked}${layout} exactly, at the values below.",
    "shape": r"What is the shape of ${asked}${layout}? Answer as rows $\times$ columns.",
    "fill-step": "The proof below finds ${asked}${layout}. Fill in the missing step {blank}.",
    "slice": "Find the slice ${slice}$ of ${asked}$, in terms of {units}, and prove it.",
}
TENSOR_TASKS = {  # a tensor's closed form is its vec–Jacobian, and its shape has more than two axes
    "closed-form": "Find ${asked}${layout}, written as the matrix ${form}$ (column-major vec, in Kronecker form), "
                   "and prove it.",
    "shape": r"What is the shape of ${asked}${layout}? Answer with its axes, such as $m \times n \times r$.",
}
SPACE = {"closed-form": 14, "numeric": 10, "shape": 3, "fill-step": 5, "slice": 10}  # answer lines left on the sheet
BLANK = r"\boxed{\rule{0pt}{1.4em}\hspace{10em}}"
CORNERS = re.compile(r"\\begin\{bmatrix\}.*?\\end\{bmatrix\}")  # a matrix shown by its corners, printed flat
HIDDEN_CORNERS = r"\begin{bmatrix} \;\cdots\; \end{bmatrix}"


@dataclass(frozen=True)
class StepLine:
    """One proof step: its reason, its LaTeX, and the LaTeX the sheet shows (right-hand side blanked)."""

    reason: str
    latex: str
    sheet: str
    blank: bool


@dataclass(frozen=True)
class ExerciseView:
    """One exercise as sheet and key show it: strings of LaTeX (maths) and plain text (words)."""

    id: str
    title: str
    kind: str
    statement: tuple[str, ...]
    shapes: tuple[str, ...]
    givens: tuple[str, ...]
    task: str  # LaTeX text with inline maths
    data: tuple[str, ...]  # numeric: W = [[…]]
    steps: tuple[StepLine, ...]
    answer: str  # LaTeX of the closed form
    result: str  # asked = closed form
    shape: str
    value: str  # numeric: asked = [[…]]
    residual: str
    space: int

    @property
    def question(self) -> str:
        """The whole question as one LaTeX paragraph (inline maths and displays): the manifest's `question`."""
        given = [f"${line}$" for line in (*self.shapes, *self.givens)]
        text = f"Let {', '.join(given)} and " + " and ".join(f"${s}$" for s in self.statement) + ". " + self.task
        text += "".join(f" \\[ {d} \\]" for d in self.data)
        return text + "".join(f" \\[ {s.sheet} \\]" for s in self.steps if self.kind == "fill-step")


@dataclass(frozen=True)
class PageView:
    """One sheet variant: its number, its student (when there is a roster) and its exercises."""

    number: int
    student_id: str
    student_name: str
    exercises: tuple[ExerciseView, ...]


def split_equation(text: str) -> tuple[str, str]:
    """LaTeX `lhs = rhs` split at its first '=' outside braces; ('', text) when there is none. For
    text typed by a person: a proof step has its own sides (`Step.sides`)."""
    depth = 0
    for k, char in enumerate(text):
        depth += (char == "{") - (char == "}")
        if char == "=" and depth == 0:
            return text[:k].rstrip(), text[k + 1:].lstrip()
    return "", text


def matrix_latex(rows: Fraction2D) -> str:
    """Exact numbers as a bracketed matrix (a plain number when 1×1)."""
    cells = sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in rows])
    return latex(cells[0, 0]) if cells.shape == (1, 1) else latex(cells)


def exercise_view(ex: Exercise) -> ExerciseView:
    """The strings sheet and key print for one checked exercise."""
    v, d = ex.variant, ex.derivation
    answer = latex(d.closed_form)  # of the closed form the check passed, never a stale copy
    steps = []
    hidden = d.steps[ex.blank].sides[1] if ex.blank is not None else ""
    for k, step in enumerate(d.steps):
        blank = k == ex.blank
        shown = f"{step.sides[0]} = {BLANK}" if blank else step.latex
        if hidden and ex.blank is not None and k > ex.blank:  # a later line restating the missing step shows the gap
            shown = shown.replace(hidden, BLANK)
            if d.steps[ex.blank].kind == "reduce":  # the corners of the matrix would show the reduced entry
                shown = CORNERS.sub(lambda m: HIDDEN_CORNERS, shown)
        steps.append(StepLine(step.reason, step.latex, shown, blank))
    layout = "" if d.kind == "hessian" else f" in the {d.layout} layout"
    blank_number = "" if ex.blank is None else str(ex.blank + 1)
    template = TENSOR_TASKS.get(v.kind, TASKS[v.kind]) if d.tensor and not d.wrt.is_scalar else TASKS[v.kind]
    result = f"{closed_form_latex(d)} = {answer}"
    fields = {"asked": derivative_latex(d), "layout": layout, "blank": blank_number, "form": closed_form_latex(d)}
    if v.kind == "slice":
        piece = d.slice
        answer, result = latex(piece.expr), f"{piece.label} = {latex(piece.expr)}"
        units = [f"${latex(u)}$" for u in piece.units]
        fields.update(slice=piece.label, units=("the unit vector " if len(units) == 1 else "the unit vectors ")
                      + " and ".join(units))
    task = template.format(**fields)
    data = tuple(f"{symbol_latex(name, v.shapes[name])} = {matrix_latex(rows)}" for name, rows in ex.data.items())
    return ExerciseView(
        id=v.id, title=v.title, kind=v.kind, statement=statement_lines(d), shapes=shape_lines(d),
        givens=given_lines(d), task=task, data=data, steps=tuple(steps),
        answer=answer, result=result, shape=shape_latex(d.shape),
        value=f"{derivative_latex(d)} = {matrix_latex(ex.value)}" if ex.value else "",
        residual=residual_latex(ex.residual), space=SPACE[v.kind])


def pages(p: Plan, exercises: Sequence[Exercise], views: Sequence[ExerciseView]) -> tuple[PageView, ...]:
    """The exercise views grouped by sheet variant, in the plan's order."""
    by_number: dict[int, list[ExerciseView]] = {}
    for ex, view in zip(exercises, views):
        by_number.setdefault(ex.variant.number, []).append(view)
    out = []
    for number, views in sorted(by_number.items()):
        student = p.student(number)
        out.append(PageView(number, student.id if student else "", student.name if student else "", tuple(views)))
    return tuple(out)
