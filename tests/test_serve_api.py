"""mcgen serve through Starlette's ASGI test client: the JSON interface, pages, isolation, modes, limits, logs."""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from generator.cli import main

from generator.grading.gradebook import OUTPUT_COLUMNS
from generator.grading.manifest import Manifest
from generator.serve.app import create_app
from generator.serve.guard import csrf_token
from generator.serve.report import GRADE_COLUMNS
from generator.serve.run import prepare
from generator.serve.service import Settings
from generator.sheets.plan import read_roster
from servekit import build_manifest, links, write_roster

STUDENTS = (("s1", "Ada Lovelace"), ("s2", "Alan Turing"), ("s3", "Grace Hopper"))


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A two-variant manifest of problems/sheets and a roster of three (s3 shares variant 1 with s1)."""
    out = tmp_path_factory.mktemp("serve")
    return build_manifest(out / "sheet", variants=2), write_roster(out / "roster.csv", STUDENTS)


def start(course: tuple[Path, Path], tmp: Path, **options: object) -> tuple[TestClient, dict[str, str], str, Settings]:
    """Prepare a database and give a test client of an app over it: (client, tokens, instructor, settings)."""
    manifest, roster = course
    settings = Settings(str(manifest), str(tmp / "db.sqlite3"), **options)  # type: ignore[arg-type]
    prepared = prepare(settings, read_roster(roster), "http://testserver")
    return TestClient(create_app(settings)), links(prepared.links), prepared.instructor, settings


@pytest.fixture(scope="module")
def practice(course: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """One running practice-mode app for the module."""
    # Many tests submit as s1 within seconds: a generous rate here; the stated one is tested in exam mode.
    client, tokens, instructor, settings = start(course, tmp_path_factory.mktemp("practice"), answer_rate=100.0,
                                                 answer_burst=100.0)
    with client:
        yield client, tokens, instructor, settings


def own(manifest: Path, kind: str, number: int = 1) -> tuple[str, dict]:
    """The id and entry of the first variant of a kind in sheet variant `number`."""
    m = Manifest(manifest)
    return next((vid, v) for vid, v in m.variants.items() if v["kind"] == kind and v["number"] == number)


def test_a_right_answer_then_a_layout_mistake_numbered_attempts(practice: tuple, course: tuple) -> None:
    client, tokens, _, _ = practice
    vid, v = own(course[0], "closed-form")
    first = client.post(f"/s/{tokens['s1']}/answer", json={"exercise": vid, "answer": v["answer"]})
    assert first.status_code == 200
    assert first.json() == {"correct": True, "mistake": None, "feedback": "Correct.", "score": 1.0, "attempt": 1}
    transposed = f"({v['answer']})^T"
    second = client.post(f"/s/{tokens['s1']}/answer", json={"exercise": vid, "answer": transposed}).json()
    assert (second["correct"], second["mistake"], second["score"], second["attempt"]) == (False, "layout", 0.5, 2)


@pytest.mark.parametrize("kind", ["closed-form", "shape", "numeric", "fill-step"])
def test_every_kind_gets_an_answer_and_is_stored(practice: tuple, course: tuple, kind: str) -> None:
    client, tokens, _, _ = practice
    vid, v = next((vid, v) for vid, v in Manifest(course[0]).variants.items() if v["kind"] == kind)
    owner = "s1" if v["number"] == 1 else "s2"
    reply = client.post(f"/s/{tokens[owner]}/answer", json={"exercise": vid, "answer": "x"})
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"correct", "mistake", "feedback", "score", "attempt"} and body["attempt"] >= 1
    assert body["correct"] is not True and body["feedback"]


@pytest.mark.parametrize("who,body,status", [
    ("nobody", {"exercise": "EX1", "answer": "x"}, 404),          # unknown token
    ("s1", {"exercise": "EX2", "answer": "x"}, 403),              # another student's variant
    ("s1", {"exercise": "no-such-1", "answer": "x"}, 404),        # no such exercise
    ("s1", {"exercise": "EX1"}, 422),                             # no answer
    ("s1", {"exercise": "EX1", "answer": 42}, 422),               # not a string
    ("s1", ["EX1", "x"], 422),                                    # not an object
    ("s1", {"exercise": "EX1", "answer": "x" * 2001}, 413),       # answer over the limit
])
def test_refusals(practice: tuple, course: tuple, who: str, body: object, status: int) -> None:
    client, tokens, _, _ = practice
    ids = {"EX1": own(course[0], "closed-form", 1)[0], "EX2": own(course[0], "closed-form", 2)[0]}
    if isinstance(body, dict) and body.get("exercise") in ids:
        body = {**body, "exercise": ids[str(body["exercise"])]}
    token = tokens.get(who, "A" * 22)
    reply = client.post(f"/s/{token}/answer", json=body)
    assert reply.status_code == status and "error" in reply.json()


DEEP = b'{"exercise": "x", "answer": "x", "d": ' + b"[" * 5000 + b"]" * 5000 + b"}"  # under 16 KiB
LONG_INTEGER = b'{"exercise": "x", "answer": "x", "n": ' + b"7" * 5000 + b"}"  # over int's 4,300 digits


@pytest.mark.parametrize("raw,status", [(b"{not json", 422), (b"\xff\xfe", 422), (b"{" + b" " * 20000 + b"}", 413),
                                        (DEEP, 422), (LONG_INTEGER, 422)])
@pytest.mark.parametrize("route", ["answer", "preview"])
def test_malformed_and_oversize_bodies(practice: tuple, raw: bytes, status: int, route: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    client, tokens, _, _ = practice
    reply = client.post(f"/s/{tokens['s1']}/{route}", content=raw)  # a 500 would raise here (the test client's way)
    assert reply.status_code == status and "error" in reply.json()
    assert not any(r.exc_info for r in caplog.records), "a traceback in the log"


@pytest.mark.parametrize("route", ["answer", "preview"])
@pytest.mark.parametrize("field", ["answer", "exercise"])
def test_a_lone_surrogate_is_not_text(practice: tuple, course: tuple, route: str, field: str) -> None:
    client, tokens, _, settings = practice
    body = {"exercise": own(course[0], "closed-form", 1)[0], "answer": "x", field: "\ud800"}
    raw = json.dumps(body).encode()  # b'..."\\ud800"...': valid JSON, but no UTF-8 text holds what it decodes to
    stored = "SELECT COUNT(*) FROM attempts"
    before = sqlite3.connect(settings.database).execute(stored).fetchone()[0]
    reply = client.post(f"/s/{tokens['s1']}/{route}", content=raw)
    assert reply.status_code == 422
    assert reply.json() == {"error": f"the {field} is not valid text (it holds a lone surrogate)"}
    assert sqlite3.connect(settings.database).execute(stored).fetchone()[0] == before


def test_preview_reads_or_points_at_the_column(practice: tuple, course: tuple) -> None:
    client, tokens, _, _ = practice
    vid, v = own(course[0], "closed-form")
    good = client.post(f"/s/{tokens['s1']}/preview", json={"exercise": vid, "answer": v["answer"]}).json()
    assert good["ok"] and good["latex"] == v["answer_latex"]
    bad = client.post(f"/s/{tokens['s1']}/preview", json={"exercise": vid, "answer": "(x +"}).json()
    assert not bad["ok"] and isinstance(bad["column"], int) and f"column {bad['column']}" in bad["message"].lower()


def test_student_page_shows_own_variant_only_with_strict_headers(practice: tuple, course: tuple) -> None:
    client, tokens, _, _ = practice
    page = client.get(f"/s/{tokens['s1']}")
    assert page.status_code == 200
    mine = [vid for vid, v in Manifest(course[0]).variants.items() if v["number"] == 1]
    theirs = [vid for vid, v in Manifest(course[0]).variants.items() if v["number"] == 2]
    assert all(f'id="{vid}"' in page.text for vid in mine) and not any(f'id="{vid}"' in page.text for vid in theirs)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "cdn" not in page.text.lower()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "inline script"
    assert not re.search(r"\sstyle=|\son[a-z]+=", page.text), "inline style or event handler"
    assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"


def test_the_favicon_a_browser_asks_for_is_no_content(practice: tuple) -> None:
    reply = practice[0].get("/favicon.ico")
    assert reply.status_code == 204 and not reply.content and "content-security-policy" in reply.headers


@pytest.mark.parametrize("path", ["/static/katex/katex.min.js", "/static/katex/katex.min.css",
                                  "/static/katex/contrib/auto-render.js",
                                  "/static/katex/fonts/KaTeX_Main-Regular.woff2", "/static/app.js"])
def test_katex_is_served_by_the_app(practice: tuple, path: str) -> None:
    assert practice[0].get(path).status_code == 200


def test_isolation_a_student_never_sees_another_students_answers(practice: tuple, course: tuple) -> None:
    client, tokens, _, _ = practice
    vid, _ = own(course[0], "closed-form", 1)
    secret = "u^T M u + 12345 * 0"
    assert client.post(f"/s/{tokens['s3']}/answer", json={"exercise": vid, "answer": secret}).status_code == 200
    assert "12345" in client.get(f"/s/{tokens['s3']}").text
    assert "12345" not in client.get(f"/s/{tokens['s1']}").text  # s1 has the same variant, not s3's answers
    other, _ = own(course[0], "closed-form", 2)
    assert client.post(f"/s/{tokens['s3']}/preview", json={"exercise": other, "answer": "x"}).status_code == 403
    assert client.get(f"/s/{tokens['s3']}x").status_code == 404


def test_form_without_script_needs_its_csrf_field(practice: tuple, course: tuple) -> None:
    client, tokens, _, settings = practice
    vid, v = own(course[0], "shape", 1)
    token = tokens["s1"]
    form = {"exercise": vid, "answer": "m x n", "csrf": "0" * 64}
    assert client.post(f"/s/{token}/form", data=form).status_code == 403
    key = client.app.state.service.csrf_key
    form["csrf"] = csrf_token(key, "answer", token)
    reply = client.post(f"/s/{token}/form", data=form, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == f"/s/{token}#{vid}"
    assert "m x n" in client.get(f"/s/{token}").text


def test_control_characters_are_shown_not_written_raw_into_pages(practice: tuple, course: tuple) -> None:
    client, tokens, instructor, settings = practice
    vid, _ = own(course[0], "closed-form", 1)
    answer = "u\x00v\x1b\x7f\x85w_nul_test"
    assert client.post(f"/s/{tokens['s1']}/answer", json={"exercise": vid, "answer": answer}).status_code == 200
    for page in (client.get(f"/i/{instructor}").text, client.get(f"/s/{tokens['s1']}").text):
        assert "u\u2400v\u241b\u2421\ufffdw_nul_test" in page
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)
    stored = [a for (a,) in sqlite3.connect(settings.database).execute("SELECT answer FROM attempts")]
    assert [a for a in stored if a.endswith("w_nul_test")] == [answer]  # kept as it was sent
    assert answer in client.get(f"/i/{instructor}/grades.csv").text


def test_dashboard_and_grades_need_the_instructor_token(practice: tuple, course: tuple) -> None:
    client, tokens, instructor, _ = practice
    for path in ("/i/{}", "/i/{}/grades.csv"):
        assert client.get(path.format(tokens["s1"])).status_code == 404
        assert client.get(path.format(instructor[:-1] + "x")).status_code == 404
    page = client.get(f"/i/{instructor}")
    assert page.status_code == 200 and "<svg" in page.text and "Ada Lovelace" in page.text


def test_grades_csv_has_mcgen_grade_columns_and_counts_the_last_attempt(practice: tuple, course: tuple) -> None:
    client, tokens, instructor, _ = practice
    vid, v = own(course[0], "closed-form", 1)
    token = tokens["s1"]
    client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": "0"})
    last = client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": v["answer"]}).json()
    reply = client.get(f"/i/{instructor}/grades.csv")
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert tuple(reply.text.splitlines()[0].split(",")) == GRADE_COLUMNS == (*OUTPUT_COLUMNS, "attempt", "time")
    mine = [r for r in rows if r["student"] == "s1" and r["variant"] == vid]
    assert [r["attempt"] for r in mine] == [str(n) for n in range(1, last["attempt"] + 1)]  # every attempt kept
    counts = [r for r in mine if r["counted"] == "yes"]
    assert len(counts) == 1 and counts[0]["attempt"] == str(last["attempt"]) and counts[0]["score"] == "1"
    assert all("superseded by line " + counts[0]["line"] in r["error"] for r in mine if r is not counts[0])
    assert counts[0]["echo"] == v["answer_latex"]


def test_logs_carry_no_tokens_and_no_answers(practice: tuple, course: tuple, caplog: pytest.LogCaptureFixture) -> None:
    client, tokens, instructor, _ = practice
    vid, _ = own(course[0], "closed-form", 1)
    with caplog.at_level(logging.DEBUG):
        client.post(f"/s/{tokens['s1']}/answer", json={"exercise": vid, "answer": "secret_answer_987"})
        client.get(f"/i/{instructor}")
    server = [r for r in caplog.records if not r.name.startswith("httpx")]  # httpx logs the test client's side
    text = "\n".join(r.getMessage() for r in server)
    assert "/s/…/answer" in text
    assert tokens["s1"] not in text and instructor not in text and "secret_answer_987" not in text


def test_attempts_are_append_only(practice: tuple) -> None:
    db = sqlite3.connect(practice[3].database)
    for statement in ("UPDATE attempts SET score = 1", "DELETE FROM attempts"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_database_and_its_log_are_readable_by_their_owner_only(course: tuple, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    files = [db, tmp_path / "db.sqlite3-wal", tmp_path / "db.sqlite3-shm"]
    client, tokens, _, _ = start(course, tmp_path)
    with client:  # the app holds the database open: its -wal and -shm files are there
        vid, _ = own(course[0], "closed-form", 1)
        assert client.post(f"/s/{tokens['s1']}/answer", json={"exercise": vid, "answer": "x"}).status_code == 200
        assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o600" for f in files}
    db.chmod(0o644)  # a database an older mcgen made
    start(course, tmp_path)
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_links_are_stable_across_restarts(course: tuple, tmp_path: Path) -> None:
    manifest, roster = course
    settings = Settings(str(manifest), str(tmp_path / "db.sqlite3"))
    first = prepare(settings, read_roster(roster), "http://h:1")
    again = prepare(settings, read_roster(roster), "http://h:1")
    text = first.links.read_text()
    assert text == again.links.read_text() and first.instructor == again.instructor
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["student", "name", "url"] and len(rows) == 4
    assert all(re.fullmatch(r"http://h:1/s/[A-Za-z0-9_-]{22}", url) for _, _, url in rows[1:])
    assert first.links.parent == tmp_path and (first.links.stat().st_mode & 0o077) == 0


def test_a_student_taken_off_the_roster_loses_the_link_but_not_the_attempts(course: tuple, tmp_path: Path) -> None:
    manifest, roster = course
    client, tokens, instructor, settings = start(course, tmp_path)
    vid, _ = own(manifest, "closed-form", 1)
    with client:
        assert client.post(f"/s/{tokens['s3']}/answer", json={"exercise": vid, "answer": "x"}).status_code == 200
    fewer = read_roster(write_roster(tmp_path / "fewer.csv", STUDENTS[:2]))
    assert set(links(prepare(settings, fewer, "http://testserver").links)) == {"s1", "s2"}
    with TestClient(create_app(settings)) as client:
        token = tokens["s3"]
        assert client.get(f"/s/{token}").status_code == 404  # as an unknown token
        for route in ("answer", "preview"):
            assert client.post(f"/s/{token}/{route}", json={"exercise": vid, "answer": "x"}).status_code == 404
        assert "2 students" in client.get(f"/i/{instructor}").text
        rows = list(csv.DictReader(io.StringIO(client.get(f"/i/{instructor}/grades.csv").text)))
        assert [r["student"] for r in rows] == ["s3"]  # what they submitted is kept
    prepare(settings, read_roster(roster), "http://testserver")  # back on the roster: the same link again
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/s/{tokens['s3']}").status_code == 200


def test_exam_mode_withholds_feedback_until_released_and_limits_attempts(course: tuple, tmp_path: Path) -> None:
    client, tokens, instructor, _ = start(course, tmp_path, mode="exam", attempts=2, answer_burst=3.0,
                                         answer_rate=0.01)
    vid, v = own(course[0], "closed-form", 1)
    token = tokens["s1"]
    with client:
        held = client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": v["answer"]}).json()
        assert held["correct"] is None and held["score"] is None and held["attempt"] == 1
        key = client.app.state.service.csrf_key
        assert client.post(f"/i/{instructor}/release", data={"release": "1", "csrf": "bad"}).status_code == 403
        released = client.post(f"/i/{instructor}/release", follow_redirects=False,
                               data={"release": "1", "csrf": csrf_token(key, "release", instructor)})
        assert released.status_code == 303
        shown = client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": v["answer"]}).json()
        assert shown["correct"] is True and shown["attempt"] == 2
        spent = client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": v["answer"]})
        assert spent.status_code == 409
        limited = client.post(f"/s/{token}/answer", json={"exercise": vid, "answer": v["answer"]})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


@pytest.mark.parametrize("args,message", [
    (["--manifest", "{tmp}/none.json"], "none.json: cannot read the file"),
    (["--manifest", "{roster}"], "line 1, column 1"),
    (["--manifest", "{manifest}", "--roster", "{manifest}"], "expected a header with the columns id and name"),
    (["--manifest", "{manifest}", "--database", "mysql://x"], "expected a PostgreSQL URL"),
    (["--manifest", "{manifest}", "--database", "postgresql://x@127.0.0.1:1/x"], "--db and --database: give one"),
    (["--manifest", "{manifest}", "--attempts", "0"], "--attempts: expected at least 1"),
    (["--manifest", "{manifest}", "--workers", "0"], "--workers: expected at least 1"),
    (["--manifest", "{manifest}", "--mode", "quiz"], "'quiz' is not one of 'practice', 'exam'"),
    (["--manifest", "{manifest}", "--port", "99999"], "--port 99999: cannot listen there"),
])
def test_serve_refuses_bad_input_in_one_line_before_writing(course: tuple, tmp_path: Path, args: list[str],
                                                            message: str) -> None:
    manifest, roster = course
    values = {"tmp": tmp_path, "manifest": manifest, "roster": roster}
    result = CliRunner().invoke(main, ["serve", *(a.format(**values) for a in args), "--db", f"{tmp_path}/db/x.db"])
    assert result.exit_code == 1 and message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "db").exists()


def test_serve_without_katex_says_what_to_install(course: tuple, tmp_path: Path, monkeypatch) -> None:
    """KaTeX is Debian's libjs-katex (or MCGEN_KATEX): without it, one line naming the package, nothing written."""
    monkeypatch.setenv("MCGEN_KATEX", str(tmp_path / "no-katex"))
    result = CliRunner().invoke(main, ["serve", "--manifest", str(course[0]), "--db", f"{tmp_path}/db/x.db"])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "no-katex: KaTeX is not there; install Debian's libjs-katex" in result.output
    assert not (tmp_path / "db").exists()
