"""A graded answer and the mistakes it can be tagged with."""
from __future__ import annotations

from dataclasses import dataclass

MISTAKES = ("layout", "sign", "scale", "shape", "unknown-symbol", "parse", "other")


@dataclass(frozen=True)
class Verdict:
    """A graded answer: right or not, the mistake's tag (one of MISTAKES), feedback and a score in 0..1."""

    correct: bool
    mistake: str | None
    feedback: str
    score: float
    answer: str = ""
