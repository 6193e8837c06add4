"""Who answers what: the manifest's variants, the students (roster or manifest) and their secret tokens."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import GeneratorError
from ..grading.manifest import Manifest
from ..sheets.data import Student as RosterStudent
from .store import Store

TOKEN_BYTES = 16  # 128-bit tokens
ENROLLED = "enrolled"  # the meta key of the ids the last start gave links to (the roster's students)


@dataclass(frozen=True)
class Student:
    """A student with their secret token and the sheet variant number whose exercises are theirs."""

    id: str
    name: str
    token: str
    number: int


@dataclass(frozen=True)
class Exercise:
    """One exercise as the student page shows it (from the manifest; nothing typed by hand)."""

    id: str
    problem: str
    title: str
    kind: str
    question: str  # LaTeX text: inline $…$ and \[ … \] displays


class Course:
    """The manifest's exercises grouped by variant number, and the students with their tokens."""

    def __init__(self, manifest: Manifest, students: Sequence[Student]):
        self.manifest = manifest
        self.exercises: dict[int, list[Exercise]] = {}
        for vid, v in manifest.variants.items():
            ex = Exercise(vid, str(v.get("problem", vid)), str(v.get("title", vid)), str(v.get("kind", "closed-form")),
                          str(v.get("question", "")))
            self.exercises.setdefault(_number(v), []).append(ex)
        self.students = {s.id: s for s in students}
        # Look-up by a digest of the token, then compare in constant time: no timing tells how close a guess was.
        self._by_digest = {_digest(s.token): s for s in students}

    def student(self, token: str) -> Student | None:
        """The student whose token this is, or None."""
        found = self._by_digest.get(_digest(token))
        return found if found is not None and hmac.compare_digest(found.token, token) else None

    def owns(self, student: Student, exercise: str) -> bool:
        """Whether the exercise is one of the student's own variant."""
        return any(ex.id == exercise for ex in self.exercises.get(student.number, []))

    def kind(self, exercise: str) -> str:
        """The exercise's kind (closed-form, numeric, shape, fill-step)."""
        return str(self.manifest.variants[exercise].get("kind", "closed-form"))


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _number(variant: Mapping[str, Any]) -> int:
    number = variant.get("number", 1)
    return number if isinstance(number, int) else 1


def seats(manifest: Manifest, roster: Sequence[RosterStudent] | None) -> list[tuple[str, str, int]]:
    """(student id, name, variant number) for everyone who gets a link.

    A manifest made with a roster names the student of each variant; otherwise roster students take
    the variant numbers in turn (student k gets number k, wrapping round), and without any roster
    each variant number gets one link of its own ("variant-3").
    """
    owners: dict[str, int] = {}
    for vid, v in manifest.variants.items():
        if isinstance(v.get("student"), str):
            owners.setdefault(v["student"], _number(v))
    numbers = sorted({_number(v) for v in manifest.variants.values()})
    names = {s.id: s.name for s in roster or ()}
    if owners:
        unknown = [sid for sid in names if sid not in owners]
        if unknown:
            raise GeneratorError(f"{manifest.path}: the roster's student {unknown[0]!r} has no variant in the manifest")
        return [(sid, names.get(sid, ""), number) for sid, number in sorted(owners.items())]
    if roster:
        return [(s.id, s.name, numbers[k % len(numbers)]) for k, s in enumerate(roster)]
    return [(f"variant-{n}", f"Variant {n}", n) for n in numbers]


def enrol(store: Store, manifest: Manifest, roster: Sequence[RosterStudent] | None) -> list[Student]:
    """Everyone's token: kept from the database, new 128-bit ones for students seen for the first time.

    Who is enrolled is stored too: a student since taken off the roster keeps their row (and attempts)
    in the database, but the app no longer answers their link.
    """
    stored = {sid: (name, token, number) for sid, name, token, number in store.students()}
    fresh = [(sid, name, secrets.token_urlsafe(TOKEN_BYTES), number)
             for sid, name, number in seats(manifest, roster) if sid not in stored]
    if fresh:
        store.add_students(fresh)
        stored = {sid: (name, token, number) for sid, name, token, number in store.students()}
    wanted = {sid for sid, _, _ in seats(manifest, roster)}
    store.set_meta(ENROLLED, json.dumps(sorted(wanted)))
    return [Student(sid, name, token, number) for sid, (name, token, number) in stored.items() if sid in wanted]


def enrolled(students: Sequence[Student], stored: str | None) -> list[Student]:
    """The students of the last start's roster (the meta value enrol stored; everyone when there is none)."""
    if stored is None:
        return list(students)
    ids = set(json.loads(stored))
    return [s for s in students if s.id in ids]


def links_csv(students: Sequence[Student], base_url: str) -> str:
    """links.csv: student,name,url, one row per student, by id."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("student", "name", "url"))
    for s in sorted(students, key=lambda s: s.id):
        writer.writerow((s.id, s.name, f"{base_url}/s/{s.token}"))
    return out.getvalue()


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (it holds secret links), atomically: a temporary file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
