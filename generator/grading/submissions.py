"""The submissions CSV read: its encoding and delimiter, the columns by name, and every row kept with its line.

Format: a header row naming a student column (student, student_id, name or email), a variant
column (variant, variant_id, question, question_id or id) and an answer column, in any order,
other columns ignored. The delimiter is the one of `,` `;` or a tab that splits the header into
those columns; a column it needs named twice is refused. Fields follow RFC 4180 quoting (a field
holding the delimiter, a quote or a line break is quoted, quotes doubled); an answer is one
expression, so a line break inside it reads as a space. UTF-8 with or without a byte-order mark,
or UTF-16 with one.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import GeneratorError
from ..files import read_text

STUDENT_COLUMNS = ("student", "student_id", "name", "email")
VARIANT_COLUMNS = ("variant", "variant_id", "question", "question_id", "id")
DELIMITERS = (",", ";", "\t")
LINE_BREAK = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines() breaks at
FORMAT = ("a header naming the columns student, variant and answer (others are ignored); "
          "delimiter ',', ';' or tab, found from the header; answers holding the delimiter in double quotes; "
          "UTF-8 (a byte-order mark is fine) or UTF-16 with a byte-order mark")


@dataclass(frozen=True)
class Submission:
    """One row: its line, its fields (None when the row is too short), and what is wrong with its form."""

    line: int
    student: str | None
    variant: str | None
    answer: str | None
    malformed: str | None = None  # why the row cannot be graded at all: it never becomes a question


def _columns(names: list[str]) -> dict[str, int | None]:
    found = {}
    for key, options in (("student", STUDENT_COLUMNS), ("variant", VARIANT_COLUMNS), ("answer", ("answer",))):
        column = next((c for c in options if c in names), None)
        found[key] = None if column is None else names.index(column)
    return found


def _delimiter(path: Path, text: str) -> tuple[str, dict[str, int | None], int]:
    """The delimiter that splits the header into the three columns, the columns' positions, and the header's width."""
    first = text.split("\n", 1)[0]
    best: tuple[str, dict[str, int | None], int] | None = None
    for delimiter in DELIMITERS:
        header = next(csv.reader([first], delimiter=delimiter), [])
        names = [h.strip().lower() for h in header]
        columns = _columns(names)
        if all(v is not None for v in columns.values()):
            twice = next((names[i] for i in columns.values() if i is not None and names.count(names[i]) > 1), None)
            if twice is not None:
                raise GeneratorError(f"{path}: line 1: the column {twice!r} appears twice in the header")
            return delimiter, columns, len(names)
        if best is None or sum(v is not None for v in columns.values()) > sum(v is not None for v in best[1].values()):
            best = delimiter, columns, len(names)
    if not first.strip():
        raise GeneratorError(f"{path}: line 1: the file is empty; expected the header student,variant,answer")
    assert best is not None
    missing = [key for key, column in best[1].items() if column is None]
    raise GeneratorError(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected a header "
                         "such as student,variant,answer")


def read_submissions(path: str | Path) -> list[Submission]:
    """Every non-blank row after the header, in order; a file that is not CSV at all is a GeneratorError."""
    path = Path(path)
    text = read_text(path, utf16=True, hint=" (save it as CSV UTF-8)")
    delimiter, columns, width = _delimiter(path, text)
    others = [d for d in DELIMITERS if d != delimiter]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Submission] = []
    try:
        next(reader)
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            cells = {k: (fields[i].strip() if i is not None and i < len(fields) else None) for k, i in columns.items()}
            if cells["answer"] is not None:  # an answer is one expression: a line break in its cell is a space
                cells["answer"] = LINE_BREAK.sub(" ", cells["answer"])
            rows.append(Submission(reader.line_num, cells["student"], cells["variant"], cells["answer"],
                                   _malformed(fields, width, delimiter, others, cells)))
    except csv.Error as err:
        raise GeneratorError(f"{path}: line {reader.line_num}: {err}") from None
    return rows


def _malformed(fields: list[str], width: int, delimiter: str, others: list[str],
               cells: dict[str, str | None]) -> str | None:
    """Why a row's form is wrong: another delimiter than the header's, too many or too few fields."""
    shown = "tab" if delimiter == "\t" else repr(delimiter)
    first = fields[0] if fields else ""
    for other in others:
        if first.count(other) >= 2 or (len(fields) < width and other in first):
            name = "tab" if other == "\t" else repr(other)
            return f"the row is separated by {name}, the header by {shown}"
    if len(fields) > width:
        return (f"{len(fields) - width} more field(s) than the header; quote answers that contain {shown}")
    missing = [k for k, v in cells.items() if v is None]
    if missing:
        return f"missing column(s): {', '.join(missing)}"
    return None
