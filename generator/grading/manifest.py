"""A sheet's manifest.json read back: its variants by id, each derived once and its stored key checked."""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence

from ..errors import GeneratorError
from ..files import read_text
from ..pipeline.derivation import Derivation
from ..pipeline.run import derive
from ..sheets.exercise import exact_value
from .grade import grade


class Manifest:
    """The variants of a sheet's manifest.json by id; each derived once, when first needed."""

    def __init__(self, path: Path):
        self.path = path
        text = read_text(path)
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
            line = _line_of(text, vid, 1 if vid in self.variants else 0)  # a repeated id: the repeat's line
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
            if v.get("kind") == "numeric" and "value" in v:
                _check_value(v, d, where)
            self.derived[vid] = d
        return self.derived[vid]

    def owners(self, students: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
        """Who owns each variant: the manifest's `student` fields, else the roster's students take the sheet
        numbers in turn, wrapping round when there are more students than sheets (as `mcgen serve` hands
        them out), so a sheet may have several owners."""
        out = {vid: (str(v["student"]),) for vid, v in self.variants.items() if v.get("student")}
        if out or not students:
            return out
        numbers = sorted({v["number"] for v in self.variants.values() if isinstance(v.get("number"), int)})
        if not numbers:
            return {}
        sheet = {}
        for k, student in enumerate(students):
            sheet.setdefault(numbers[k % len(numbers)], []).append(student)
        return {vid: tuple(sheet[v["number"]]) for vid, v in self.variants.items() if v.get("number") in sheet}


def _check_value(v: dict[str, Any], d: Derivation, where: str) -> None:
    """A numeric variant's stored value must be the closed form at its stored data, exactly."""
    try:
        data = {name: tuple(tuple(Fraction(str(x)) for x in row) for row in rows) for name, rows in v["values"].items()}
        stored = tuple(tuple(Fraction(str(x)) for x in row) for row in v["value"])
    except (KeyError, AttributeError, TypeError, ValueError, ZeroDivisionError):
        raise GeneratorError(f"{where}: \"values\" and \"value\" must be rows of exact numbers") from None
    if exact_value(d.closed_form, data) != stored:
        raise GeneratorError(f"{where}: the stored value disagrees with the derivation at the stored values")


def _line_of(text: str, vid: Any, before: int = 0) -> int:
    """The line of a variant's id in the manifest text, after `before` earlier ones (1 when it cannot be found)."""
    if not isinstance(vid, str):
        return 1
    found = list(re.finditer(r'"id"\s*:\s*' + re.escape(json.dumps(vid)), text))
    return text.count("\n", 0, found[before].start()) + 1 if before < len(found) else 1
