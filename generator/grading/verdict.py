"""A graded answer and the mistakes it can be tagged with."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..pipeline import display

MISTAKES = ("layout", "transpose", "sign", "scale", "kron-order", "shape", "unknown-symbol", "parse", "other")


@dataclass(frozen=True)
class Verdict:
    """A graded answer: right or not, the mistake's tag (one of MISTAKES), feedback, a score in 0..1 and how it was read."""

    correct: bool
    mistake: str | None
    feedback: str
    score: float
    answer: str = ""
    echo: str = ""  # LaTeX of the answer as it was read ("" when it could not be read): what the grader saw
    wrong: tuple[tuple[int, int], ...] = ()  # numeric answers: the (row, column) of each wrong entry, from 1

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return display.verdict_bundle(self)

    def _repr_html_(self) -> str:
        return display.verdict_bundle(self)["text/html"]
