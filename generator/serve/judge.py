"""What a grading worker does with one answer: the verdict by kind, and the preview of how it reads."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Mapping

from ..grading.grade import credit_table
from ..grading.kinds import grade_variant
from ..grading.manifest import Manifest
from ..grading.reading import echo

UNGRADED = "Stored. This exercise is marked by your instructor."
COLUMN = re.compile(r"\bcolumn (\d+)", re.IGNORECASE)
READING = ("parse", "unknown-symbol")  # mistakes about how an answer reads, never about whether it is right


class Judge:
    """Grades and previews answers to one manifest's variants; each derivation is made once."""

    def __init__(self, manifest: Manifest, credit: Mapping[str, float] | None = None):
        self.manifest, self.weights = manifest, credit_table(credit)

    def grade(self, vid: str, answer: str) -> dict[str, Any]:
        """The verdict as a plain dict (graded, correct, mistake, feedback, score) and how the answer read."""
        verdict = grade_variant(answer, self.manifest.derivation(vid), self.manifest.variants[vid], self.weights)
        if verdict is None:
            reading = self.preview(vid, answer)
            return {"graded": False, "correct": None, "mistake": None, "feedback": UNGRADED, "score": None,
                    "reading": reading["latex"]}
        return {"graded": True, "correct": verdict.correct, "mistake": verdict.mistake, "feedback": verdict.feedback,
                "score": verdict.score, "reading": verdict.echo}

    def preview(self, vid: str, answer: str) -> dict[str, Any]:
        """How the answer reads, for the live preview: {ok, latex} or {ok: False, message, column}.

        It says nothing of whether the answer is right: in exam mode that waits for the release.
        """
        return _preview(self, vid, answer)


@lru_cache(maxsize=8192)  # a class types the same prefixes over and over
def _preview(judge: Judge, vid: str, answer: str) -> dict[str, Any]:
    if not answer.strip():
        return {"ok": False, "latex": "", "message": "type your answer", "column": None}
    d, variant = judge.manifest.derivation(vid), judge.manifest.variants[vid]
    verdict = grade_variant(answer, d, variant, judge.weights)
    if verdict is None:  # not graded automatically: the expression reading is the best preview there is
        found = echo(answer, d)
        return {"ok": found.ok, "latex": found.latex, "message": found.message, "column": found.column}
    if verdict.echo:
        return {"ok": True, "latex": verdict.echo, "message": "", "column": None}
    if verdict.mistake in READING:
        where = COLUMN.search(verdict.feedback)
        return {"ok": False, "latex": "", "message": verdict.feedback, "column": int(where.group(1)) if where else None}
    return {"ok": False, "latex": "", "message": "this answer cannot be read", "column": None}
