"""What a grading worker does with one answer: the verdict by kind, and the preview of how it reads."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping

from ..errors import GeneratorError
from ..grading.grade import credit_table
from ..grading.kinds import SHAPE_ANSWER, grade_variant
from ..grading.manifest import Manifest
from ..grading.reading import echo

UNGRADED = "Stored. This kind of exercise is marked by your instructor."
# A numeric answer previews as the matrix it spells: [[1, 2], [3, 4]] or [1 2; 3 4], entries integers or a/b.
ENTRY = re.compile(r"[-+−]?\s*\d+(?:\s*/\s*\d+)?")


class Judge:
    """Grades and previews answers to one manifest's variants; each derivation is made once."""

    def __init__(self, manifest: Manifest, credit: Mapping[str, float] | None = None):
        self.manifest, self.weights = manifest, credit_table(credit)

    def grade(self, vid: str, answer: str) -> dict[str, Any]:
        """The verdict as a plain dict (graded, correct, mistake, feedback, score) and how the answer reads."""
        variant = self.manifest.variants[vid]
        verdict = grade_variant(answer, self.manifest.derivation(vid), variant, self.weights)
        reading = self.preview(vid, answer)
        shown = reading["latex"] if reading["ok"] else ""
        if verdict is None:
            return {"graded": False, "correct": None, "mistake": None, "feedback": UNGRADED, "score": None,
                    "reading": shown}
        return {"graded": True, "correct": verdict.correct, "mistake": verdict.mistake, "feedback": verdict.feedback,
                "score": verdict.score, "reading": shown}

    def preview(self, vid: str, answer: str) -> dict[str, Any]:
        """How the answer reads, for the live preview: {ok, latex} or {ok: False, message, column}."""
        return _preview(self, vid, answer)


@lru_cache(maxsize=8192)  # a class types the same prefixes over and over
def _preview(judge: Judge, vid: str, answer: str) -> dict[str, Any]:
    kind = str(judge.manifest.variants[vid].get("kind", "closed-form"))
    if not answer.strip():
        return {"ok": False, "latex": "", "message": "type your answer", "column": None}
    if kind == "shape":
        return _shape(answer)
    if kind == "numeric":
        return _matrix(answer)
    try:
        found = echo(answer, judge.manifest.derivation(vid))
    except GeneratorError as err:  # the variant itself cannot be derived: say so, never crash the worker
        return {"ok": False, "latex": "", "message": str(err), "column": None}
    return {"ok": found.ok, "latex": found.latex, "message": found.message, "column": found.column}


def _shape(answer: str) -> dict[str, Any]:
    match = SHAPE_ANSWER.fullmatch(answer.replace("$", ""))
    if not match:
        return {"ok": False, "latex": "", "message": "write a shape such as m×n", "column": None}
    rows, cols = match.groups()
    return {"ok": True, "latex": rf"{rows} \times {cols}", "message": "", "column": None}


def _matrix(answer: str) -> dict[str, Any]:
    text = answer.strip()
    if text.startswith("[[") and text.endswith("]]"):
        rows = [r.strip(" []") for r in text[1:-1].split("],")]
        cells = [[c.strip() for c in r.split(",")] for r in rows]
    elif text.startswith("[") and text.endswith("]"):
        cells = [r.split() for r in text[1:-1].split(";")]
    else:
        cells = [[text]]
    if not all(row and all(ENTRY.fullmatch(c) for c in row) for row in cells) or len({len(r) for r in cells}) != 1:
        return {"ok": False, "latex": "", "message": "write a matrix such as [[1, 2], [3, 4]] or [1 2; 3 4]",
                "column": None}
    body = r" \\ ".join(" & ".join(_number(c) for c in row) for row in cells)
    single = len(cells) == 1 and len(cells[0]) == 1
    return {"ok": True, "latex": _number(cells[0][0]) if single else rf"\begin{{bmatrix}} {body} \end{{bmatrix}}",
            "message": "", "column": None}


def _number(cell: str) -> str:
    text = "".join(cell.split()).replace("−", "-")
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("+-")
    if "/" in text:
        top, bottom = text.split("/")
        return rf"{sign}\frac{{{top}}}{{{bottom}}}"
    return sign + text
