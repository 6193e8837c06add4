"""The same app on a real PostgreSQL server the test starts: several app processes, a kill, append-only rows."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterator

import psycopg
import pytest

from generator.grading.manifest import Manifest
from generator.serve.run import prepare
from generator.serve.service import Settings
from generator.serve.store import Store
from generator.sheets.plan import read_roster
from servekit import Postgres, Server, build_manifest, burst, call, links, write_roster

STUDENTS = [(f"p{k:02}", f"Student {k}") for k in range(20)]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    """One PostgreSQL server for the module; each test makes its own database."""
    server = Postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A two-variant manifest and a roster of 20."""
    out = tmp_path_factory.mktemp("pg")
    return build_manifest(out / "sheet", variants=2), write_roster(out / "roster.csv", STUDENTS)


def targets(manifest: Path, tokens: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every student's first exercise, each listed twice so two clients race for the same attempt numbers."""
    variants = Manifest(manifest).variants
    first = {n: next(vid for vid, v in variants.items() if v["number"] == n) for n in (1, 2)}
    one = [(tokens[sid], sid, first[1 + k % 2]) for k, (sid, _) in enumerate(STUDENTS)]
    return one + one


def test_two_app_processes_number_attempts_without_gaps_or_repeats(postgres: Postgres, course: tuple,
                                                                   tmp_path: Path) -> None:
    manifest, roster = course
    url = postgres.database("workers")
    server = Server(manifest, ["--roster", str(roster), "--database", url, "--workers", "2"], tmp_path / "log")
    try:
        tokens = links(manifest.parent / "links.csv")
        refused: list[str] = []
        acked = burst(server.url, targets(manifest, tokens), count=200, tag="pg", threads=12,  # 10 a student
                      refused=refused)
        assert len(acked) == 200, refused[:5]
        status, page = call(f"{server.url}/i/{server.instructor}")
        assert status == 200 and f"{len(STUDENTS)} students · 200 submissions" in page  # either process sees all
    finally:
        server.stop()
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT student, exercise, answer, attempt FROM attempts").fetchall()
    assert sorted(rows) == sorted(acked)
    numbers = defaultdict(list)
    for student, exercise, _, attempt in rows:
        numbers[(student, exercise)].append(attempt)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in numbers.values())


def test_a_kill_loses_no_acknowledged_submission(postgres: Postgres, course: tuple, tmp_path: Path) -> None:
    manifest, roster = course
    url = postgres.database("killed")
    args = ["--roster", str(roster), "--database", url]
    server = Server(manifest, args, tmp_path / "first.log")
    tokens = links(manifest.parent / "links.csv")
    acked = burst(server.url, targets(manifest, tokens), count=1500, tag="kill", threads=12, kill=server,
                  kill_after=100)
    again = Server(manifest, args, tmp_path / "second.log")
    try:
        assert links(manifest.parent / "links.csv") == tokens
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT student, exercise, answer, attempt FROM attempts").fetchall()
        assert len(acked) >= 100 and all(rows.count(row) == 1 for row in acked)
    finally:
        again.stop()


def test_schema_migrates_once_and_attempts_are_append_only(postgres: Postgres, course: tuple) -> None:
    manifest, roster = course
    url = postgres.database("schema")
    settings = Settings(str(manifest), url)
    first = prepare(settings, read_roster(roster), "http://h:1")
    assert prepare(settings, read_roster(roster), "http://h:1").instructor == first.instructor
    store = Store(url)
    assert store.meta("schema") == "2" and len(store.students()) == len(STUDENTS)
    store.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO attempts (student, exercise, attempt, answer, reading, graded, feedback, created)"
                     " VALUES ('p00', 'x', 1, 'a', '', 1, 'f', 't')")
        for statement in ("UPDATE attempts SET answer = 'b'", "DELETE FROM attempts"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
