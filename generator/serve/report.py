"""The instructor's view of the stored attempts: progress per exercise, mistakes, common wrong answers, grades.csv."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..grading.gradebook import OUTPUT_COLUMNS, csv_text
from ..grading.policy import counted as policy_pick
from ..grading.verdict import MISTAKES
from .course import Course
from .store import Attempt

OUTCOMES = ("correct", *MISTAKES, "ungraded")
GRADE_COLUMNS = (*OUTPUT_COLUMNS, "attempt", "time")
POLICY = "last"  # which attempt counts, as mcgen grade's default
COMMON = 5  # wrong answers shown per question
RECENT = 20  # latest submissions shown


def counted(attempts: Sequence[Attempt], policy: str = POLICY) -> dict[tuple[str, str], Attempt]:
    """The graded attempt that counts for each (student, exercise) under mcgen grade's duplicate policy."""
    groups: dict[tuple[str, str], list[Attempt]] = {}
    for a in sorted(attempts, key=lambda a: a.seq):
        if a.graded:
            groups.setdefault((a.student, a.exercise), []).append(a)
    return {key: group[policy_pick([a.score or 0.0 for a in group], policy)] for key, group in groups.items()}


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
    """Progress and mistakes per question of the enrolled students, in the manifest's order."""
    attempts = [a for a in attempts if a.student in course.students]
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


def grades_csv(course: Course, attempts: Sequence[Attempt], policy: str = POLICY) -> str:
    """mcgen grade's columns plus attempt and time: every attempt, `counted` saying which one counts."""
    chosen = {a.seq: a for a in counted(attempts, policy).values()}
    final = {(a.student, a.exercise): a.seq for a in chosen.values()}
    rows = []
    for a in sorted(attempts, key=lambda a: a.seq):
        variant = course.manifest.variants.get(a.exercise, {})
        if not a.graded:
            error = "not graded automatically"
        elif a.seq not in chosen:
            error = f"superseded by line {final[(a.student, a.exercise)]} (policy {policy})"
        else:
            error = "empty answer" if not a.answer.strip() else ""
        score = f"{a.score:g}" if a.graded and a.score is not None else ""
        rows.append([str(a.seq), a.student, a.exercise, str(variant.get("problem", a.exercise)), a.answer, score,
                     a.mistake or "", a.feedback, error, "yes" if a.seq in chosen else "no", "", a.reading,
                     str(a.attempt), a.created])
    return csv_text(GRADE_COLUMNS, rows)
