"""A class at once: a CSV of submissions and a sheet's manifest → graded CSV and a summary of the mistakes."""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import GeneratorError
from ..pipeline.derivation import Derivation
from ..pipeline.run import derive
from ..render.latexmk import write_all
from .grade import credit_table, grade
from .verdict import MISTAKES, Verdict

STUDENT_COLUMNS = ("student", "student_id", "name", "email")
VARIANT_COLUMNS = ("variant", "variant_id", "question", "question_id", "id")
OUTPUT_COLUMNS = ("line", "student", "variant", "question", "answer", "score", "mistake", "feedback", "error")
GRADED_KINDS = ("closed-form", "shape")
SHAPE_ANSWER = re.compile(r"\s*[(\[]?\s*(\w+?)\s*(?:×|\\times|\*|,|\bby\b|x)\s*(\w+)\s*[)\]]?\s*")


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
    variants = _Manifest(Path(manifest_json))
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


class _Manifest:
    """The variants of a sheet's manifest.json by id; each derived once, when first needed."""

    def __init__(self, path: Path):
        self.path = path
        text = _read_text(path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise GeneratorError(f"{path}: line {err.lineno}, column {err.colno}: {err.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("variants"), list):
            raise GeneratorError(f"{path}: line 1: expected an object with a list of \"variants\"")
        if data.get("version", 1) != 1:
            raise GeneratorError(f"{path}: line 1: manifest version {data.get('version')!r} is not supported (1 is)")
        self.variants: dict[str, dict[str, Any]] = {}
        self.lines: dict[str, int] = {}
        for k, variant in enumerate(data["variants"]):
            vid = variant.get("id") if isinstance(variant, dict) else None
            line = _line_of(text, vid)
            where = f"{path}: line {line}: variants[{k}]"
            if not isinstance(vid, str) or not vid:
                raise GeneratorError(f"{where}: expected an object with a string \"id\"")
            missing = [key for key in ("expr", "wrt", "shapes") if key not in variant]
            if missing:
                raise GeneratorError(f"{where} ({vid}): missing {', '.join(missing)}")
            if vid in self.variants:
                raise GeneratorError(f"{where}: the id {vid!r} is used twice")
            self.variants[vid], self.lines[vid] = variant, line
        self.problems: dict[str, list[str]] = {}
        for vid, variant in self.variants.items():
            self.problems.setdefault(str(variant.get("problem", vid)), []).append(vid)
        self.derived: dict[str, Derivation] = {}

    def find(self, given: str) -> str | None:
        """A variant id; a question id names its variant when the question has only one."""
        if given in self.variants:
            return given
        ids = self.problems.get(given, [])
        return ids[0] if len(ids) == 1 else None

    def derivation(self, vid: str) -> Derivation:
        if vid not in self.derived:
            v, where = self.variants[vid], f"{self.path}: line {self.lines[vid]}: variant {vid}"
            try:
                d = derive(v["expr"], v["wrt"], v["shapes"], v.get("layout", "denominator"), v.get("assume") or None,
                           v.get("functions") or None, hessian=bool(v.get("hessian", False)))
            except GeneratorError as err:
                raise GeneratorError(f"{where}: {err}") from None
            except (TypeError, AttributeError, ValueError):
                raise GeneratorError(f"{where}: expr, wrt, shapes, layout, assume or functions is malformed") from None
            if isinstance(v.get("answer"), str) and v.get("kind", "closed-form") == "closed-form":
                check = grade(v["answer"], d)
                if not check.correct:  # a key that disagrees with its own derivation must not grade anyone
                    raise GeneratorError(f"{where}: the stored answer {v['answer']!r} disagrees with the "
                                         f"derivation ({check.feedback})")
            self.derived[vid] = d
        return self.derived[vid]


def _grade_row(line: int, record: dict[str, Any], manifest: _Manifest,
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
    elif kind not in GRADED_KINDS:
        fatal = f"a {kind!r} question is not graded automatically"
    else:
        fatal = None
    if fatal:
        row["error"] = row["feedback"] = fatal
        return row, fatal
    d = manifest.derivation(vid)
    verdict = _grade_shape(answer, d, weights) if kind == "shape" else grade(answer, d, weights)
    row.update(score=f"{verdict.score:g}", mistake=verdict.mistake or "", feedback=verdict.feedback,
               outcome=verdict.mistake or "correct")
    warning = "empty answer" if not answer.strip() else "no student id" if not student else None
    row["error"] = warning or ""
    return row, warning


def _grade_shape(answer: str, d: Derivation, weights: Mapping[str, float]) -> Verdict:
    """A 'name the shape' answer such as m×n, m x n or (m, n)."""
    match = SHAPE_ANSWER.fullmatch(answer.replace("$", ""))
    if not match:
        tag, feedback = "parse", "Write a shape such as m×n."
    else:
        given = tuple(int(g) if g.isdigit() else g for g in match.groups())
        if given == tuple(d.shape):
            tag, feedback = None, "Correct."
        elif given == tuple(d.shape)[::-1]:
            other = "numerator" if d.layout == "denominator" else "denominator"
            tag, feedback = "layout", (f"This is the shape in the {other} layout; "
                                       f"the question asks for the {d.layout} layout.")
        else:
            tag, feedback = "shape", "That is not the shape of the derivative."
    return Verdict(tag is None, tag, feedback, 1.0 if tag is None else weights.get(tag, 0.0), answer)


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise GeneratorError(f"{path}: cannot read the file ({err.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise GeneratorError(f"{path}: line {line}: the file is not UTF-8 text") from None


def _read_submissions(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, {student, variant, answer, extra}) per non-blank row; a broken file is a GeneratorError."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
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


def _line_of(text: str, vid: Any) -> int:
    """The line of a variant's id in the manifest text (1 when it cannot be found)."""
    if not isinstance(vid, str):
        return 1
    match = re.search(r'"id"\s*:\s*' + re.escape(json.dumps(vid)), text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


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

