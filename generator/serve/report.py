"""The instructor's view of the stored attempts: progress per exercise, mistakes, common wrong answers, grades.csv."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..grading.gradebook import OUTPUT_COLUMNS, _csv_text
from ..grading.verdict import MISTAKES
from .course import Course
from .store import Attempt

OUTCOMES = ("correct", *MISTAKES, "ungraded")
GRADE_COLUMNS = (*OUTPUT_COLUMNS, "attempt", "time")
COMMON = 5  # wrong answers shown per question
RECENT = 20  # latest submissions shown


def counted(attempts: Sequence[Attempt], policy: str = "last") -> dict[tuple[str, str], Attempt]:
    """The attempt that counts for each (student, exercise) under the duplicate policy (`last`, as mcgen grade)."""
    if policy != "last":
        raise ValueError(f"unknown policy {policy!r}")
    chosen: dict[tuple[str, str], Attempt] = {}
    for a in sorted(attempts, key=lambda a: a.seq):
        chosen[(a.student, a.exercise)] = a
    return chosen


def outcome(a: Attempt) -> str:
    """correct, a mistake tag, or ungraded."""
    return "ungraded" if not a.graded else "correct" if a.correct else (a.mistake or "other")


@dataclass(frozen=True)
class Question:
    """One question (a problem of the sheet) across the class."""

    problem: str
    title: str
    students: int  # students who have a variant of it
    attempted: int  # students who submitted at least once
    solved: int  # students whose counted attempt is correct
    mean: float | None  # mean score of the counted attempts that were graded
    submissions: int
    outcomes: dict[str, int]  # every attempt's outcome
    common: tuple[tuple[str, str, int], ...]  # (reading LaTeX, answer text, how many) of wrong answers


def questions(course: Course, attempts: Sequence[Attempt]) -> list[Question]:
    """Progress and mistakes per question, in the manifest's order."""
    problem_of = {vid: str(v.get("problem", vid)) for vid, v in course.manifest.variants.items()}
    order: dict[str, str] = {}
    for vid, v in course.manifest.variants.items():
        order.setdefault(problem_of[vid], str(v.get("title", problem_of[vid])))
    holders: Counter = Counter()
    for s in course.students.values():
        for ex in course.exercises.get(s.number, []):
            holders[ex.problem] += 1
    chosen = counted(attempts)
    out = []
    for problem, title in order.items():
        mine = [a for a in attempts if problem_of.get(a.exercise) == problem]
        final = [a for key, a in chosen.items() if problem_of.get(key[1]) == problem]
        graded = [a.score or 0.0 for a in final if a.graded]
        wrong = Counter((a.reading, a.answer.strip()) for a in mine if a.graded and not a.correct and a.answer.strip())
        out.append(Question(problem, title, holders[problem], len({a.student for a in mine}),
                            sum(1 for a in final if a.correct), sum(graded) / len(graded) if graded else None,
                            len(mine), dict(Counter(outcome(a) for a in mine)),
                            tuple((r, t, n) for (r, t), n in wrong.most_common(COMMON))))
    return out


def recent(attempts: Sequence[Attempt]) -> list[Attempt]:
    """The latest submissions, newest first."""
    return sorted(attempts, key=lambda a: a.seq, reverse=True)[:RECENT]


def grades_csv(course: Course, attempts: Sequence[Attempt]) -> str:
    """mcgen grade's columns plus attempt and time: one row per student and exercise, the counted attempt."""
    rows = []
    for (_, exercise), a in sorted(counted(attempts).items()):
        variant = course.manifest.variants.get(exercise, {})
        kind = str(variant.get("kind", "closed-form"))
        error = ("" if a.graded else f"a {kind!r} question is not graded automatically") or \
                ("empty answer" if not a.answer.strip() else "")
        score = f"{a.score:g}" if a.graded and a.score is not None else "0"
        rows.append([str(a.seq), a.student, exercise, str(variant.get("problem", exercise)), a.answer, score,
                     a.mistake or "", a.feedback, error, str(a.attempt), a.created])
    return _csv_text(GRADE_COLUMNS, rows)
