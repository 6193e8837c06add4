"""The HTML pages: serve's own Jinja environment (autoescaped HTML) and what each page shows."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .course import Course, Exercise, Student
from .store import Attempt

HINTS = {
    "closed-form": r"Text such as A^T x or LaTeX such as \mathbf{A}^\top \mathbf{x}.",
    "numeric": "A matrix such as [[1, 2], [3, 4]] or [1 2; 3 4]; fractions as 3/4.",
    "shape": "Rows × columns, such as m x n.",
    "fill-step": r"The right-hand side of the missing step, in index notation such as \sum_{k} A_{ik} x_{k}.",
}

# Control characters (a NUL typed into an answer) are shown as their pictures, ␀ …, never written raw into a page;
# tab and line breaks are kept, C1 controls become U+FFFD. The stored text is not changed.
VISIBLE = {**{code: 0x2400 + code for code in range(0x20) if chr(code) not in "\t\n\r"}, 0x7F: 0x2421,
           **{code: 0xFFFD for code in range(0x80, 0xA0)}}


def visible(value: Any) -> Any:
    """What a template writes for a value: text with its control characters made visible (escaping comes after)."""
    if isinstance(value, Markup):
        return Markup(str(value).translate(VISIBLE))
    return value.translate(VISIBLE) if isinstance(value, str) else value


@cache
def environment() -> Environment:
    """The one Jinja environment of the web pages: HTML autoescaped, control characters shown, a missing variable
    is an error."""
    return Environment(loader=PackageLoader("generator.serve", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True, finalize=visible)


def render(template: str, **values: Any) -> str:
    """A page from its template."""
    return environment().get_template(template).render(**values)


@dataclass(frozen=True)
class ExerciseCard:
    """One exercise on the student page, with the attempts made so far."""

    exercise: Exercise
    hint: str
    attempts: tuple[Attempt, ...]
    left: int | None  # attempts left; None: unlimited


def cards(course: Course, student: Student, attempts: Sequence[Attempt], limit: int | None) -> list[ExerciseCard]:
    """The student's exercises in sheet order, each with its own attempts."""
    out = []
    for ex in course.exercises.get(student.number, []):
        mine = tuple(a for a in attempts if a.exercise == ex.id)
        left = None if limit is None else max(0, limit - len(mine))
        out.append(ExerciseCard(ex, HINTS.get(ex.kind, HINTS["closed-form"]), mine, left))
    return out
