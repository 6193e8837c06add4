"""The lecture deck: a frame of statement, the proof a step at a time, the result; views the template reads."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Sequence

from ..latex.names import shape_latex
from ..parse.problem_file import Problem
from ..pipeline.derivation import Derivation
from ..proof.formula import Rule
from ..proof.identities import TABLE, proved
from .env import render
from .formulas import (
    closed_form_latex, definition_lines, derivative_latex, given_lines, notes_latex, residual_latex, shape_lines,
    statement_lines,
)
from .notation import notation


# A frame holds at most MAX_STEPS proof steps and at most FRAME_BUDGET of height, in rough lines:
# a reason and a flat formula weigh 1.2; fractions and sums 2; matrices and underbraces 3. A reason longer
# than a line (REASON_CHARS of text) adds a line for each line more, and fractions in it make its line taller.
MAX_STEPS = 5
FRAME_BUDGET = 8.5
WEIGHTS = ((3.0, (r"\begin", r"\underbrace", r"\overbrace")), (2.0, (r"\frac", r"\sum", r"\prod")))
FLAT = 1.2
REASON_CHARS = 95
REASON_LINE = 1.0
INLINE_FRACTION = 0.6
NOTATION_ROWS = 7  # rows of the notation table on one frame (the template batches by it)
IDENTITIES = frozenset(name for name, _ in TABLE)


@dataclass(frozen=True)
class Citation:
    """Where the deck proved an identity a step cites: the number of that result and the frame it is on."""

    number: int
    frame: int


@dataclass(frozen=True)
class StepView:
    """One proof step as the template shows it."""

    latex: str
    reason: str
    kind: str
    identities: tuple[str, ...] = ()  # the identities of the table its reason cites, by name
    cites: Citation | None = None  # where an earlier frame of the deck proved the first of them


@dataclass(frozen=True)
class DerivationView:
    """Everything a slide shows about one derivation, as LaTeX (maths) or plain text (words)."""

    title: str
    statement: tuple[str, ...]  # LaTeX lines: named intermediates first, then the output
    shapes: tuple[str, ...]  # W \in \mathbb{R}^{n\times m}
    givens: tuple[str, ...]  # LaTeX: assumptions and abstract functions
    asked: str  # LaTeX of the derivative asked for, e.g. \frac{\partial y}{\partial W}
    shape: str  # LaTeX of the derivative's shape
    kind: str  # gradient | jacobian | hessian
    layout: str
    pages: tuple[tuple[StepView, ...], ...]  # the proof, split over frames
    result: str  # LaTeX: asked = closed form
    definitions: tuple[str, ...]  # LaTeX lines: what the names in the result stand for, p = softmax(K q)
    notes: str  # LaTeX text: words escaped, maths typeset
    notes_math: tuple[str, ...]  # the notes' formulas alone
    residual: str  # LaTeX number, e.g. 7.4\times 10^{-11}
    form: str = ""  # a tensor's: LaTeX of the matrix its closed form is, ∂vec Y/∂(vec X)ᵀ
    axes: str = ""  # a tensor's: the order of its axes, in words
    number: int = 0  # its result's number in the deck, (1), (2), …; 0 outside a deck

    @property
    def kind_name(self) -> str:
        """The word for what is asked: gradient, Jacobian or Hessian."""
        return {"jacobian": "Jacobian", "hessian": "Hessian"}.get(self.kind, self.kind)



def _weight(step: StepView) -> float:
    formula = next((w for w, marks in WEIGHTS if any(m in step.latex for m in marks)), FLAT)
    text = re.sub(r"\\(?:left|right)\b|\\[A-Za-z]+|[{}$_^]", "", step.reason)  # roughly what a reader sees
    lines = max(1, math.ceil(len(text) / REASON_CHARS))
    return formula + REASON_LINE * (lines - 1) + (INLINE_FRACTION if r"\frac" in step.reason else 0.0)


def paginate(steps: Sequence[StepView]) -> tuple[tuple[StepView, ...], ...]:
    """Split a proof over as few frames as fit, balanced so no frame is left with one lonely step."""
    if not steps:
        return ()
    count = math.ceil(len(steps) / MAX_STEPS)
    while True:
        size, extra = divmod(len(steps), count)
        pages, start = [], 0
        for k in range(count):
            end = start + size + (k < extra)
            pages.append(tuple(steps[start:end]))
            start = end
        if count >= len(steps) or all(sum(map(_weight, p)) <= FRAME_BUDGET for p in pages):
            return tuple(pages)
        count += 1


def view(d: Derivation, problem: Problem | None = None) -> DerivationView:
    """The slide view of a derivation; the problem, when given, supplies title and notes."""
    steps = tuple(StepView(s.latex, s.reason, s.kind, _identities(s)) for s in d.steps)
    notes, notes_math = notes_latex(problem.notes, d, problem.source) if problem else ("", ())
    return DerivationView(
        title=problem.title if problem else f"Derivative of {d.statement.output or 'y'} by {d.wrt.name}",
        statement=statement_lines(d),
        shapes=shape_lines(d),
        givens=given_lines(d),
        asked=derivative_latex(d),
        shape=shape_latex(d.shape),
        kind=d.kind,
        layout=d.layout,
        pages=paginate(steps),
        result=f"{closed_form_latex(d)} = {d.latex}",
        definitions=definition_lines(d),
        notes=notes,
        notes_math=notes_math,
        residual=residual_latex(d.residual),
        form=closed_form_latex(d) if d.tensor and not d.wrt.is_scalar else "",
        axes=axes_words(d),
    )


def axes_words(d: Derivation) -> str:
    """The convention of a tensor's axes, in words ('' for a derivative with two axes or fewer)."""
    if not d.tensor or d.wrt.is_scalar:
        return ""
    if d.kind == "hessian":
        return "axes: the variable's, twice"
    first, second = ("variable", "output") if d.layout == "denominator" else ("output", "variable")
    return f"axes: the {first}'s, then the {second}'s (a vector's unit axis dropped)"


def render_slides(derivations: Sequence[Derivation], title: str,
                  problems: Sequence[Problem] | None = None, subtitle: str = "", handout: bool = False) -> str:
    """The Beamer deck (templates/slides.tex); `problems`, parallel to `derivations`, give titles and notes.

    A handout has no overlays: each frame is one page with all its steps, for print.
    """
    if problems is not None and len(problems) != len(derivations):
        raise ValueError("render_slides: one problem per derivation")
    pairs = zip(problems or [None] * len(derivations), derivations)
    views = tuple(view(d, p) for p, d in pairs)
    shown = [line for v in views for line in (*v.statement, *v.shapes, *v.givens, v.result, *v.notes_math)] + [
        f"{s.latex} {s.reason}" for v in views for page in v.pages for s in page]
    table = notation(shown, (v.layout for v in views if v.kind != "hessian"))
    views = cited(views, derivations, 1 + math.ceil(len(table) / NOTATION_ROWS))
    return render("slides.tex", title=title, subtitle=subtitle, derivations=views, notation=table, handout=handout,
                  notation_rows=NOTATION_ROWS)


def cited(views: Sequence[DerivationView], derivations: Sequence[Derivation],
          frames_before: int) -> tuple[DerivationView, ...]:
    """The deck's views numbered (1), (2), …, each step that cites an identity an earlier result proved
    pointing to that result and its frame (the deck has `frames_before` frames before its first derivation).

    A result proves an identity when its whole statement is the identity's piece of its own variable
    (proof/identities.py); of several, the first that names something besides the variable is cited
    (tr(A X) rather than tr(X)), else the first.
    """
    frame, out = frames_before, []
    proved_by: dict[str, tuple[bool, Citation]] = {}  # identity → (its statement names only the variable, where)
    for number, (v, d) in enumerate(zip(views, derivations), 1):
        pages = tuple(tuple(replace(s, cites=_first(s.identities, proved_by)) for s in page) for page in v.pages)
        out.append(replace(v, number=number, pages=pages))
        frame += 1 + len(v.pages) + 1  # the statement, the proof, the result
        name = proved(d.statement.expr, d.wrt) if d.kind != "hessian" else None
        if name is not None:
            bare = set(d.statement.expr.walk()) & set(d.scope.symbols.values()) <= {d.wrt}
            if name not in proved_by or (proved_by[name][0] and not bare):
                proved_by[name] = (bare, Citation(number, frame))
    return tuple(out)


def _first(names: Sequence[str], proved_by: dict[str, tuple[bool, Citation]]) -> Citation | None:
    return next((proved_by[n][1] for n in names if n in proved_by), None)


def _identities(step) -> tuple[str, ...]:
    data = step.data
    pieces = data.reason.pieces if data is not None else ()
    return tuple(p.name for p in pieces if isinstance(p, Rule) and p.name in IDENTITIES)
