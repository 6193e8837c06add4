"""A sheet's plan: the variants of every problem by number, and the roster that says who gets which."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import GeneratorError
from ..files import read_text
from ..parse.problem_file import Problem
from . import space
from .data import Student, Variant

ID_COLUMNS = ("id", "student", "student id", "student_id")


@dataclass(frozen=True)
class Plan:
    """What a sheet holds: its problems, seed and variants (by number, then problem), and who gets which."""

    problems: tuple[Problem, ...]
    seed: int
    count: int
    variants: tuple[Variant, ...]
    students: tuple[Student, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "problems/x.toml: only 4 distinct variants; some repeat"

    def student(self, number: int) -> Student | None:
        """The student who gets sheet variant `number`, when there is a roster."""
        return self.students[number - 1] if self.students else None


def plan(problems: Sequence[Problem], count: int | None, seed: int, students: Sequence[Student] = ()) -> Plan:
    """Variants 1…count of every problem (count = the roster's length when a roster is given)."""
    if students and count is not None and count != len(students):
        raise GeneratorError(f"--variants {count} disagrees with the roster's {len(students)} students; "
                             "leave --variants out to give every student one variant")
    count = len(students) if students else (1 if count is None else count)
    if count < 1:
        raise GeneratorError(f"--variants: expected at least 1, found {count}")
    seen: dict[str, str] = {}
    for p in problems:
        if p.name in seen:
            raise GeneratorError(f"{p.source}: has the same name as {seen[p.name]} ({p.name}); variant ids would clash")
        seen[p.name] = p.source
    rows, notes = [], []
    for p in problems:
        variants, note = space.variants(p, seed, count)
        rows.append(variants)
        notes += [note] if note else []
    ordered = tuple(v for number in range(count) for v in (row[number] for row in rows))
    return Plan(tuple(problems), seed, count, ordered, tuple(students), tuple(notes))


def read_roster(path: str | Path) -> tuple[Student, ...]:
    """A CSV with a header naming an id column (id, student or student id) and a name column."""
    path = Path(path)
    text = read_text(path, "the roster")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, row) for row in reader]  # line_num: a quoted name may span lines
    header = [h.strip().lower() for h in rows[0][1]] if rows else []
    id_col = next((header.index(h) for h in ID_COLUMNS if h in header), None)
    if id_col is None or "name" not in header:
        raise GeneratorError(f"{path}: line 1: expected a header with the columns id and name")
    name_col = header.index("name")
    students: list[Student] = []
    first: dict[str, int] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        sid = row[id_col].strip() if id_col < len(row) else ""
        name = row[name_col].strip() if name_col < len(row) else ""
        if not sid:
            raise GeneratorError(f"{path}: line {line}: the student id is missing")
        if sid in first:
            raise GeneratorError(f"{path}: line {line}: the student id {sid!r} is already on line {first[sid]}")
        first[sid] = line
        students.append(Student(sid, name))
    if not students:
        raise GeneratorError(f"{path}: the roster lists no students")
    return tuple(students)
