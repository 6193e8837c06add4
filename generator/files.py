"""Reading the text files people hand mcgen (problem files, rosters, manifests, submissions), with one-line errors."""
from __future__ import annotations

from pathlib import Path

from .errors import GeneratorError


def read_text(path: Path, what: str = "the file", *, utf16: bool = False, hint: str = "") -> str:
    """The file's text: UTF-8 with or without a byte-order mark (as Excel's "CSV UTF-8" writes it) and, with
    `utf16`, UTF-16 with a byte-order mark; a GeneratorError naming the file (and the line) otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise GeneratorError(f"{path}: cannot read {what} ({err.strerror})") from None
    if utf16 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise GeneratorError(f"{path}: line 1: {what} starts like UTF-16 but is not") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise GeneratorError(f"{path}: line {line}: {what} is not UTF-8 text{hint}") from None
