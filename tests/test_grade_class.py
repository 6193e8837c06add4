"""End to end, as an instructor runs it: `mcgen sheet` with a roster, then `mcgen grade` on a class's CSV with answers of
all four kinds, a copied exercise id, duplicates and malformed rows: the right scores, flags, totals and report."""
from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

SHEETS = sorted(str(p) for p in (Path(__file__).parent.parent / "problems" / "sheets").glob("*.toml"))
STUDENTS = [f"s{k}" for k in range(1, 7)]


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """The demo sheets (as `make sheets` makes them, here with a roster and without PDFs) and their manifest."""
    out = tmp_path_factory.mktemp("sheet")
    roster = out / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{s},Student {s}\n" for s in STUDENTS), encoding="utf-8")
    run("sheet", *SHEETS, "--roster", str(roster), "--seed", "2024", "-o", str(out), "--no-pdf")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out, roster, {v["id"]: v for v in manifest["variants"]}


def right(v) -> str:
    """The right answer to a variant, written as a student would."""
    if v["kind"] == "closed-form":
        return v["answer_latex"]
    if v["kind"] == "shape":
        return f"{v['shape'][0]} x {v['shape'][1]}"
    if v["kind"] == "numeric":
        return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(row) for row in v["value"]) + r"\end{bmatrix}"
    return v["blank"]["latex"]


def wrong(v) -> str:
    """A sign mistake in each kind's own notation."""
    if v["kind"] == "shape":
        return "7 x 7"
    if v["kind"] == "numeric":
        return "[" + "; ".join(" ".join(str(-Fraction(x)) for x in row) for row in v["value"]) + "]"
    return f"-\\left({right(v)}\\right)"


def first(variants, student, kind):
    return next(v for v in variants.values() if v["student"] == student and v["kind"] == kind)


@pytest.fixture(scope="module")
def graded(sheet):
    out, roster, variants = sheet
    kinds = ("closed-form", "numeric", "shape", "fill-step")
    owner = {k: next(v["student"] for v in variants.values() if v["kind"] == k) for k in kinds}
    rows = [(owner[k], first(variants, owner[k], k)["id"], right(first(variants, owner[k], k))) for k in kinds]
    rows += [(owner[k], first(variants, owner[k], k)["id"], wrong(first(variants, owner[k], k))) for k in kinds]
    mine = first(variants, owner["closed-form"], "closed-form")
    thief = next(s for s in STUDENTS if s != mine["student"])
    rows.append((thief, mine["id"], right(mine)))  # a copied exercise id: another student's variant
    rows.append((mine["student"], mine["id"], right(mine)))  # the owner answers again: the last counts
    text = "student,variant,answer\n" + "".join(f"{s},{i},\"{a}\"\n" for s, i, a in rows)
    text += "s1005;ridge-5;[42,118,-24]\n" + f"{thief},{mine['id']},A x, b\n"
    submissions = out / "submissions.csv"
    submissions.write_text(text, encoding="utf-8")
    report_dir = out / "graded"
    output = run("grade", str(submissions), "--manifest", str(out / "manifest.json"), "-o", str(report_dir / "g.csv"),
                 "--report")
    with (report_dir / "g.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    return output, table, report_dir, rows, thief, mine, owner


def test_every_kind_is_graded_right_and_wrong(graded):
    _, table, _, rows, *_ = graded
    kinds = ("closed-form", "numeric", "shape", "fill-step")
    assert [(r["score"], r["mistake"]) for r in table[:4]] == [("1", "")] * 4
    assert [r["mistake"] for r in table[4:8]] == ["sign", "sign", "shape", "sign"]
    assert [r["score"] for r in table[4:8]] == ["0.5", "0.5", "0", "0.5"]
    assert all(r["echo"] for r in table[:8]), "every answer that reads is echoed"
    assert len(kinds) == 4 and len(rows) == 10


def test_a_copied_id_is_flagged_and_scores_zero(graded):
    output, table, _, _, thief, mine, _ = graded
    row = table[8]
    assert (row["student"], row["variant"], row["score"], row["counted"]) == (thief, mine["id"], "0", "yes")
    assert row["flag"] == f"variant {mine['id']} belongs to {mine['student']}"
    assert "1 answer(s) to another student's variant flagged" in output


def test_duplicates_follow_the_last_attempt(graded):
    _, table, _, _, _, mine, owner = graded
    attempts = [r for r in table if r["variant"] == mine["id"] and r["student"] == mine["student"]]
    assert [(r["score"], r["counted"]) for r in attempts] == [("1", "no"), ("0.5", "no"), ("1", "yes")]
    assert "superseded by line 11 (policy last)" in attempts[0]["error"]


def test_malformed_rows_are_reported_and_never_become_questions(graded, sheet):
    output, table, report_dir, *_ = graded
    assert [(r["line"], r["counted"]) for r in table[-2:]] == [("12", "no"), ("13", "no")]
    assert "line 12: the row is separated by ';', the header by ','" in output
    assert "line 13: 1 more field(s) than the header" in output
    with (report_dir / "g-summary.csv").open(newline="", encoding="utf-8") as handle:
        questions = [r["question"] for r in csv.DictReader(handle)]
    assert "118" not in questions and questions[-1] == "all"
    assert set(questions[:-1]) <= {v["problem"] for v in sheet[2].values()}


def test_per_student_totals_list_the_whole_roster(graded, sheet):
    _, _, report_dir, _, thief, mine, owner = graded
    with (report_dir / "g-students.csv").open(newline="", encoding="utf-8") as handle:
        totals = {r["student"]: r for r in csv.DictReader(handle)}
    assert set(totals) >= set(owner.values()) | {thief}
    assert totals[thief]["flagged"] == "1"


def test_the_report_is_a_reproducible_pdf(graded, sheet):
    _, _, report_dir, *_ = graded
    pdf = (report_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    out = sheet[0]
    run("grade", str(out / "submissions.csv"), "--manifest", str(out / "manifest.json"),
        "-o", str(out / "again" / "g.csv"), "--report")
    assert (out / "again" / "report.pdf").read_bytes() == pdf


@pytest.mark.parametrize("policy, counted", [("last", "11"), ("first", "2"), ("best", "2")])  # right, wrong, right
def test_the_policy_option(graded, sheet, policy, counted):
    out = sheet[0]
    run("grade", str(out / "submissions.csv"), "--manifest", str(out / "manifest.json"), "-o",
        str(out / policy / "g.csv"), "--policy", policy)
    with (out / policy / "g.csv").open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    mine = graded[5]
    kept = [r["line"] for r in table if r["variant"] == mine["id"] and r["student"] == mine["student"]
            and r["counted"] == "yes"]
    assert kept == [counted]
