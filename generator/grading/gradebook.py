"""A class at once: a CSV of submissions and a sheet's manifest → grades, a summary per question and totals per student."""
from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import GeneratorError
from ..render.latexmk import write_all
from ..sheets.plan import read_roster
from .grade import credit_table
from .kinds import grade_variant, ungraded
from .manifest import Manifest
from .policy import NOT_OWNED, check_policy, counted, foreign_owner
from .report import report_pdf
from .submissions import Submission, read_submissions
from .summary import OUTCOMES, GradeSummary

OUTPUT_COLUMNS = ("line", "student", "variant", "question", "answer", "score", "mistake", "feedback", "error",
                  "counted", "flag", "echo")
STUDENT_COLUMNS = ("student", "exercises", "score", "mean_score", "flagged", "not_counted")


def grade_file(submissions_csv: str | Path, manifest_json: str | Path, output_csv: str | Path,
               credit: Mapping[str, float] | None = None, *, policy: str = "last", roster: str | Path | None = None,
               not_owned: str = "zero", report: str | Path | None = None) -> GradeSummary:
    """Grade a CSV of (student, variant or question id, answer) against a sheet's manifest.

    Writes one row per submission to `output_csv`, the outcomes per question to
    `<stem>-summary.csv` and the totals per student to `<stem>-students.csv`, all atomically.
    Of one student's several answers to one exercise only one counts (`policy`: last, best or
    first). An answer to a variant the roster or the manifest gives to another student is
    flagged and, with not_owned="zero", scores 0. Malformed rows, unknown variants and kinds
    that cannot be graded are reported with their line and left out of every mean.
    `report` names a class report (PDF) to write as well.
    """
    weights = credit_table(credit)
    check_policy(policy)
    if not_owned not in NOT_OWNED:
        raise GeneratorError(f"not_owned {not_owned!r}: expected one of {', '.join(NOT_OWNED)}")
    output = Path(output_csv)
    summary_path = output.with_name(f"{output.stem}-summary.csv")
    students_path = output.with_name(f"{output.stem}-students.csv")
    for target in (output, summary_path, students_path, *([Path(report)] if report else [])):
        if target.is_dir():  # else the rename into place fails naming only the folder it is in
            hint = f"; name the grades CSV file, such as {output / 'grades.csv'}" if target == output else ""
            raise GeneratorError(f"{target}: cannot write output (it is a directory){hint}")
    variants = Manifest(Path(manifest_json))
    students = tuple(s.id for s in read_roster(roster)) if roster else ()
    owners = variants.owners(students)
    known = set(students) or {str(v["student"]) for v in variants.variants.values() if v.get("student")}
    submissions = Path(submissions_csv)
    rows = [_grade_row(s, variants, weights, owners, known, not_owned) for s in read_submissions(submissions)]
    _apply_policy(rows, policy)
    problems = tuple(f"{submissions}: line {row['line']}: {row['problem']}" for row in rows if row["problem"])
    tables = _summarise(rows)
    files = {output.name: csv_text(OUTPUT_COLUMNS, [[row[c] for c in OUTPUT_COLUMNS] for row in rows]),
             summary_path.name: csv_text(*_summary_table(tables)),
             students_path.name: csv_text(STUDENT_COLUMNS, _student_table(rows, students))}
    counts, n, total = tables.get("all", (Counter(), 0, 0.0))
    summary = GradeSummary(n, total / n if n else 0.0, dict(counts),
                           {q: dict(t[0]) for q, t in tables.items() if q != "all"}, problems, str(output),
                           str(summary_path), str(students_path), sum(1 for r in rows if r["flag"]),
                           str(report) if report else "", tuple(rows))
    outputs: dict[Path, dict[str, bytes]] = {output.parent: {n: t.encode("utf-8") for n, t in files.items()}}
    if report:
        pdf = report_pdf(summary, variants)  # built before anything is written: no half-written output
        outputs.setdefault(Path(report).parent, {})[Path(report).name] = pdf
    for directory, contents in outputs.items():
        write_all(directory, contents)
    return summary


def _grade_row(s: Submission, manifest: Manifest, weights: Mapping[str, float], owners: Mapping[str, tuple[str, ...]],
               roster: set[str], not_owned: str) -> dict[str, Any]:
    """One output row; `problem` says what needs a look, `outcome` what the summary counts it as."""
    row: dict[str, Any] = {"line": str(s.line), "student": s.student or "", "variant": s.variant or "",
                           "question": "", "answer": s.answer or "", "score": "0", "mistake": "", "feedback": "",
                           "error": "", "counted": "no", "flag": "", "echo": "", "outcome": None, "problem": None,
                           "value": 0.0}
    vid = manifest.find(s.variant) if s.variant and not s.malformed else None
    variant = manifest.variants.get(vid or "", {})
    if s.malformed:
        fatal = s.malformed
    elif vid is None:
        fatal = f"unknown variant {s.variant!r}"
    else:
        row["question"] = str(variant.get("problem", vid))
        fatal = ungraded(manifest.derivation(vid), variant)
        row["outcome"] = "ungraded" if fatal else None
    if fatal:
        row.update(error=fatal, feedback=fatal, problem=fatal, score="")
        return row
    assert vid is not None and s.answer is not None and s.student is not None
    verdict = grade_variant(s.answer, manifest.derivation(vid), variant, weights)
    assert verdict is not None  # ungraded() said it can be
    row.update(score=f"{verdict.score:g}", mistake=verdict.mistake or "", feedback=verdict.feedback,
               outcome=verdict.mistake or "correct", counted="yes", echo=verdict.echo, value=verdict.score,
               vid=vid)
    owner = foreign_owner(s.student, {**variant, "id": vid}, owners) if s.student else None
    stranger = bool(roster and s.student and s.student not in roster)
    if owner is not None or stranger:
        row["flag"] = _not_owned(vid, s.student, owner, roster) if stranger else f"variant {vid} belongs to {owner}"
        if not_owned == "zero":
            row.update(score="0", value=0.0, credited=False)
        row["problem"] = row["flag"] + (", scored 0" if not_owned == "zero" else "")
    elif not s.answer.strip():
        row["error"] = row["problem"] = "empty answer"
    elif not s.student:
        row["error"] = row["problem"] = "no student id"
    return row


def _not_owned(vid: str, student: str, owner: str | None, roster: set[str]) -> str:
    """The flag of an answer by a student id the roster does not list (ids are case-sensitive: a near match is named)."""
    flag = f"variant {vid} is answered by {student!r}, who is not on the roster"
    near = sorted(sid for sid in roster if sid.casefold() == student.casefold())
    if near:
        flag += f": ids are case-sensitive and the roster has {near[0]!r}"
    return flag + (f" (the variant belongs to {owner})" if owner else "")


def _apply_policy(rows: list[dict[str, Any]], policy: str) -> None:
    """Of each student's graded answers to one exercise only the one `policy` picks counts."""
    attempts: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        if row["counted"] == "yes" and row["student"]:
            attempts.setdefault((row["student"], row["vid"]), []).append(row)
    for group in attempts.values():
        if len(group) < 2:
            continue
        keep = counted([r["value"] for r in group], policy)
        for k, row in enumerate(group):
            if k != keep:
                row["counted"] = "no"
                note = f"superseded by line {group[keep]['line']} (policy {policy})"
                row["error"] = f"{row['error']}; {note}" if row["error"] else note


def _summarise(rows: list[dict[str, Any]]) -> dict[str, tuple[Counter, int, float]]:
    """Per question (and "all"): the outcomes, and the number and total score of the answers that count.

    `correct` counts credited answers only: a right answer to another student's variant, scored 0, counts
    in the number and the mean but not as correct."""
    tables: dict[str, tuple[Counter, int, float]] = {}
    for row in rows:
        tag = row["outcome"]
        if tag is None or (row["counted"] != "yes" and tag != "ungraded"):
            continue  # malformed or unknown rows never become questions; superseded attempts do not count
        for q in ("all", row["question"]):
            counts, n, total = tables.get(q, (Counter(), 0, 0.0))
            if tag != "correct" or row.get("credited", True):  # a copied answer scored 0 is not counted correct
                counts[tag] += 1
            if row["counted"] == "yes":
                n, total = n + 1, total + row["value"]
            tables[q] = (counts, n, total)
    return tables


def _summary_table(tables: dict[str, tuple[Counter, int, float]]) -> tuple[tuple[str, ...], list[list[str]]]:
    columns = ("question", "submissions", *OUTCOMES, "mean_score")
    order = sorted(q for q in tables if q != "all") + ["all"] * ("all" in tables)
    body = [[q, str(tables[q][1]), *(str(tables[q][0][t]) for t in OUTCOMES),
             f"{tables[q][2] / tables[q][1]:.3f}" if tables[q][1] else ""] for q in order]
    return columns, body


def _student_table(rows: Sequence[Mapping[str, Any]], roster: Sequence[str]) -> list[list[str]]:
    """Per student: exercises that count, their total and mean score, flagged answers, answers not counted."""
    table: dict[str, list[float]] = {sid: [0, 0.0, 0, 0] for sid in roster}
    for row in rows:
        if not row["student"] or row["outcome"] is None:
            continue
        entry = table.setdefault(row["student"], [0, 0.0, 0, 0])
        if row["counted"] == "yes":
            entry[0] += 1
            entry[1] += row["value"]
        else:
            entry[3] += 1
        entry[2] += bool(row["flag"])
    return [[sid, str(int(e[0])), f"{e[1]:g}", f"{e[1] / e[0]:.3f}" if e[0] else "", str(int(e[2])), str(int(e[3]))]
            for sid, e in sorted(table.items())]


def csv_text(columns: tuple[str, ...], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_inert(cell) for cell in row] for row in rows])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, @, or a DDE call such as -2+cmd|…) gets a leading '."""
    risky = cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and "|" in cell)
    return "'" + cell if risky else cell
