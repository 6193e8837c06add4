"""A class at once: a CSV of submissions and a sheet's manifest → graded CSV and a summary of the mistakes."""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import GeneratorError
from ..render.latexmk import write_all
from .grade import credit_table
from .kinds import GRADERS, grade_variant
from .manifest import Manifest, read_text
from .verdict import MISTAKES

STUDENT_COLUMNS = ("student", "student_id", "name", "email")
VARIANT_COLUMNS = ("variant", "variant_id", "question", "question_id", "id")
OUTPUT_COLUMNS = ("line", "student", "variant", "question", "answer", "score", "mistake", "feedback", "error")


@dataclass(frozen=True)
class GradeSummary:
    """A batch run: totals, mistakes per tag and per question, the rows it could not grade, the files written."""

    submissions: int
    mean_score: float
    by_tag: Mapping[str, int]  # "correct", each mistake, and "ungraded"
    by_question: Mapping[str, Mapping[str, int]]
    problems: tuple[str, ...]  # "submissions.csv: line 7: unknown variant 'v9'", one per bad row
    output: str
    summary: str

    def text(self) -> str:
        """A few lines for a terminal: where the grades went, the outcomes, and the rows that need a look."""
        outcomes = ", ".join(f"{tag} {self.by_tag[tag]}" for tag in ("correct", *MISTAKES, "ungraded")
                             if self.by_tag.get(tag))
        lines = [f"graded {self.submissions} submission(s) into {self.output} (mean score {self.mean_score:.3f})",
                 f"outcomes: {outcomes or 'none'}; per question: {self.summary}"]
        if self.problems:
            lines.append(f"{len(self.problems)} row(s) need a look:")
            lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)


def grade_file(submissions_csv: str | Path, manifest_json: str | Path, output_csv: str | Path,
               credit: Mapping[str, float] | None = None) -> GradeSummary:
    """Grade a CSV of (student, variant or question id, answer) against a sheet's manifest.

    Writes one row per submission to `output_csv` and the mistakes per question to
    `<output stem>-summary.csv` beside it, both atomically; bad rows are kept and reported.
    """
    weights = credit_table(credit)
    variants = Manifest(Path(manifest_json))
    submissions = Path(submissions_csv)
    rows, problems = [], []
    for line, record in _read_submissions(submissions):
        row, problem = _grade_row(line, record, variants, weights)
        rows.append(row)
        if problem:
            problems.append(f"{submissions}: line {line}: {problem}")
    output = Path(output_csv)
    summary_path = output.with_name(f"{output.stem}-summary.csv")
    tables = _summarise(rows)
    grades = _csv_text(OUTPUT_COLUMNS, [[row[c] for c in OUTPUT_COLUMNS] for row in rows])
    write_all(output.parent, {output.name: grades.encode("utf-8"),
                              summary_path.name: _csv_text(*_summary_table(tables)).encode("utf-8")})
    counts, n, total = tables.get("all", (Counter(), 0, 0.0))
    return GradeSummary(n, total / n if n else 0.0, dict(counts),
                        {q: dict(t[0]) for q, t in tables.items() if q != "all"}, tuple(problems),
                        str(output), str(summary_path))


def _grade_row(line: int, record: dict[str, Any], manifest: Manifest,
               weights: Mapping[str, float]) -> tuple[dict[str, str], str | None]:
    """One output row, and what was wrong with the submission (None when nothing was)."""
    student, given, answer = (record.get(k) for k in ("student", "variant", "answer"))
    row = {"line": str(line), "student": student or "", "variant": given or "", "question": "",
           "answer": answer or "", "score": "0", "mistake": "", "feedback": "", "error": "", "outcome": "ungraded"}
    missing = [k for k in ("student", "variant", "answer") if record.get(k) is None]
    vid = manifest.find(given) if given else None
    variant = manifest.variants.get(vid or "", {})
    kind = variant.get("kind", "closed-form")
    row["question"] = str(variant.get("problem", vid)) if vid else ""
    if record["extra"]:  # an unquoted comma split the answer: grading a piece of it would mislead
        fatal = f"{len(record['extra'])} more field(s) than the header; quote answers that contain commas"
    elif missing:
        fatal = f"missing column(s): {', '.join(missing)}"
    elif vid is None:
        fatal = f"unknown variant {given!r}"
    elif kind not in GRADERS:
        fatal = f"a {kind!r} question is not graded automatically"
    else:
        fatal = None
    if fatal:
        row["error"] = row["feedback"] = fatal
        return row, fatal
    d = manifest.derivation(vid)
    verdict = grade_variant(answer, d, variant, weights)
    assert verdict is not None  # the kind was checked above
    row.update(score=f"{verdict.score:g}", mistake=verdict.mistake or "", feedback=verdict.feedback,
               outcome=verdict.mistake or "correct")
    warning = "empty answer" if not answer.strip() else "no student id" if not student else None
    row["error"] = warning or ""
    return row, warning


def _read_submissions(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, {student, variant, answer, extra}) per non-blank row; a broken file is a GeneratorError."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise GeneratorError(f"{path}: line 1: the file is empty; expected the header student,variant,answer")
        names = [h.strip().lower() for h in header]
        columns = {key: next((c for c in options if c in names), None) for key, options in
                   (("student", STUDENT_COLUMNS), ("variant", VARIANT_COLUMNS), ("answer", ("answer",)))}
        missing = [key for key, column in columns.items() if column is None]
        if missing:
            raise GeneratorError(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected a header "
                                 "such as student,variant,answer")
        index = {key: names.index(str(column)) for key, column in columns.items()}
        rows = []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            record: dict[str, Any] = {k: (fields[i].strip() if i < len(fields) else None) for k, i in index.items()}
            record["extra"] = fields[len(names):]
            rows.append((reader.line_num, record))
    except csv.Error as err:
        raise GeneratorError(f"{path}: line {reader.line_num}: {err}") from None
    return rows


def _summarise(rows: list[dict[str, str]]) -> dict[str, tuple[Counter, int, float]]:
    """Per question (and "all"): the count of each outcome, the submissions and the total score."""
    tables: dict[str, tuple[Counter, int, float]] = {}
    for row in rows:
        tag = row["outcome"]
        for q in ("all", row["question"] or row["variant"] or "?"):
            counts, n, total = tables.get(q, (Counter(), 0, 0.0))
            counts[tag] += 1
            tables[q] = (counts, n + 1, total + float(row["score"]))
    return tables


def _summary_table(tables: dict[str, tuple[Counter, int, float]]) -> tuple[tuple[str, ...], list[list[str]]]:
    tags = ("correct", *MISTAKES, "ungraded")
    columns = ("question", "submissions", *tags, "mean_score")
    order = sorted(q for q in tables if q != "all") + ["all"] * ("all" in tables)
    body = [[q, str(tables[q][1]), *(str(tables[q][0][t]) for t in tags), f"{tables[q][2] / tables[q][1]:.3f}"]
            for q in order]
    return columns, body


def _csv_text(columns: tuple[str, ...], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([[_inert(cell) for cell in row] for row in rows])
    return out.getvalue()


def _inert(cell: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, @, or a DDE call such as -2+cmd|…) gets a leading '."""
    risky = cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and "|" in cell)
    return "'" + cell if risky else cell

