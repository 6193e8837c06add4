"""Geometry of the dashboard's charts (the template draws them as SVG; no script, no CDN)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .report import OUTCOMES, Question

WIDTH = 640  # the SVG's user units; it scales to the page
LABEL = 150  # room for the question's name left of its bar
ROW = 30
BAR = 20


@dataclass(frozen=True)
class Segment:
    """One outcome's share of one question's bar."""

    outcome: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    """One question's row: its label, where it sits, and its segments left to right."""

    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    """A stacked bar per question of how its attempts went (correct, then each mistake)."""

    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def outcome_chart(questions: Sequence[Question]) -> Chart:
    """Every question's attempts split by outcome, each bar as wide as the most attempted question's."""
    most = max((q.submissions for q in questions), default=0) or 1
    span = WIDTH - LABEL - 40
    bars = []
    for k, q in enumerate(questions):
        x, segments = float(LABEL), []
        for name in OUTCOMES:
            count = q.outcomes.get(name, 0)
            if count:
                width = span * count / most
                segments.append(Segment(name, count, round(x, 2), round(width, 2)))
                x += width
        bars.append(Bar(q.problem, k * ROW + 4.0, q.submissions, tuple(segments)))
    return Chart(WIDTH, max(1, len(questions)) * ROW + 8, LABEL, BAR, tuple(bars))
