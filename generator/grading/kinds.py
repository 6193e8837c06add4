"""Grading by kind of exercise: one answer to one manifest variant → Verdict."""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from ..pipeline.derivation import Derivation
from ..vocabulary import other_layout
from .grade import grade
from .verdict import Verdict

SHAPE_ANSWER = re.compile(r"\s*[(\[]?\s*(\w+?)\s*(?:×|\\times|\*|,|\bby\b|x)\s*(\w+)\s*[)\]]?\s*")


def grade_shape(answer: str, d: Derivation, weights: Mapping[str, float]) -> Verdict:
    """A 'name the shape' answer such as m×n, m x n or (m, n)."""
    match = SHAPE_ANSWER.fullmatch(answer.replace("$", ""))
    if not match:
        tag, feedback = "parse", "Write a shape such as m×n."
    else:
        given = tuple(int(g) if g.isdigit() else g for g in match.groups())
        if given == tuple(d.shape):
            tag, feedback = None, "Correct."
        elif given == tuple(d.shape)[::-1]:
            other = other_layout(d.layout)
            tag, feedback = "layout", (f"This is the shape in the {other} layout; "
                                       f"the question asks for the {d.layout} layout.")
        else:
            tag, feedback = "shape", "That is not the shape of the derivative."
    return Verdict(tag is None, tag, feedback, 1.0 if tag is None else weights.get(tag, 0.0), answer)


def _closed_form(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade(answer, d, weights)


def _shape(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade_shape(answer, d, weights)


Grader = Callable[[str, Derivation, Mapping[str, Any], Mapping[str, float]], Verdict]
GRADERS: dict[str, Grader] = {"closed-form": _closed_form, "shape": _shape}


def grade_variant(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict | None:
    """The verdict on an answer to one manifest variant (its `kind` decides how); None for a kind not graded."""
    grader = GRADERS.get(str(variant.get("kind", "closed-form")))
    return None if grader is None else grader(answer, d, variant, weights)
