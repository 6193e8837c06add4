"""SIGKILL `mcgen serve` (SQLite) in the middle of a burst: every acknowledged submission is there exactly once."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from generator.grading.manifest import Manifest
from servekit import Server, build_manifest, burst, call, links, write_roster

STUDENTS = [(f"s{k:03}", f"Student {k}") for k in range(60)]


def test_every_acknowledged_submission_survives_a_kill(tmp_path: Path) -> None:
    manifest = build_manifest(tmp_path / "sheet", variants=2)
    roster = write_roster(tmp_path / "roster.csv", STUDENTS)
    db = tmp_path / "db.sqlite3"
    args = ["--roster", str(roster), "--db", str(db)]
    server = Server(manifest, args, tmp_path / "first.log")
    tokens = links(tmp_path / "links.csv")
    variants = Manifest(manifest).variants
    first = {number: next(vid for vid, v in variants.items() if v["number"] == number) for number in (1, 2)}
    # Roster students take the variant numbers in turn: s000 → 1, s001 → 2, …
    targets = [(tokens[sid], sid, first[1 + k % 2]) for k, (sid, _) in enumerate(STUDENTS)]
    acked = burst(server.url, targets, count=2000, tag="killed", threads=16, kill=server, kill_after=150)
    assert len(acked) >= 150

    again = Server(manifest, args, tmp_path / "second.log")
    try:
        assert links(tmp_path / "links.csv") == tokens  # the same links after a restart
        rows = sqlite3.connect(db).execute("SELECT student, exercise, answer, attempt FROM attempts").fetchall()
        for row in acked:
            assert rows.count(row) == 1, row
        assert len({(s, e, a) for s, e, _, a in rows}) == len(rows)  # no attempt number given twice
        status, body = call(f"{again.url}/s/{targets[0][0]}/answer", {"exercise": targets[0][2], "answer": "after"})
        before = max((a for s, e, _, a in rows if s == targets[0][1] and e == targets[0][2]), default=0)
        assert status == 200 and body["attempt"] == before + 1
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        again.stop()


def test_the_banner_comes_once_the_port_answers(tmp_path: Path) -> None:
    manifest = build_manifest(tmp_path / "sheet", variants=2)
    args = ["--db", str(tmp_path / "db.sqlite3")]
    for start in ("first", "restart"):  # a restart used to print it seconds before the port answered
        server = Server(manifest, args, tmp_path / f"{start}.log", ping=False)  # waits for the banner only
        try:
            assert call(server.url + "/ping", timeout=2) == (200, "ok"), start
        finally:
            server.stop()
