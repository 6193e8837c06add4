"""What an export holds: every variant of a manifest or of problem files, derived afresh and its key checked."""
from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import GeneratorError
from ..files import read_text
from ..grading.grade import grade
from ..grading.manifest import Manifest
from ..parse import problem_file as pf
from ..sheets import plan as sheet_plan
from ..sheets.data import Choice, Exercise, Fraction2D, Variant
from ..sheets.exercise import check_key, exact_value, exercise
from ..sheets.manifest import manifest_entry
from ..sheets.views import ExerciseView, exercise_view, split_equation


@dataclass(frozen=True)
class Item:
    """One exported question: the exercise (key checked), what sheets show of it, and its manifest entry."""

    exercise: Exercise
    view: ExerciseView
    entry: Mapping[str, Any]

    @property
    def id(self) -> str:
        """The variant's id, e.g. bilinear-3."""
        return self.exercise.variant.id

    @property
    def kind(self) -> str:
        """closed-form, numeric, shape or fill-step."""
        return self.exercise.variant.kind


@dataclass(frozen=True)
class Source:
    """The items of one export and the seed of the sheet they come from."""

    items: tuple[Item, ...]
    seed: int
    name: str  # the category / quiz title: the manifest's or the sheet's


def from_problems(files: Sequence[Path], count: int | None, seed: int) -> Source:
    """Variants of problem files exactly as `mcgen sheet` makes them, every key checked."""
    if not files:
        raise GeneratorError("no problem files given; e.g. mcgen export problems/sheets/*.toml --format moodle -o out/")
    manifests = [path for path in files if Path(path).suffix == ".json"]
    if manifests:  # one manifest alone is read by from_manifest; here it would be parsed as a problem file
        raise GeneratorError(f"{manifests[0]}: a manifest cannot be combined with problem files or another manifest; "
                             "export it alone, or give only problem files")
    plan = sheet_plan.plan([pf.load(path) for path in files], count, seed)
    items = []
    for ex in (check_key(exercise(v)) for v in plan.variants):
        _exported(ex, f"{ex.variant.id} ({ex.variant.source})")
        view = exercise_view(ex)
        items.append(Item(ex, view, manifest_entry(plan, ex, view)))
    return Source(tuple(items), seed, f"mcgen seed {seed}")


def from_manifest(path: Path) -> Source:
    """The variants of a sheet's manifest, each re-derived, its stored key compared and checked afresh."""
    manifest = Manifest(path)
    items = []
    for vid, entry in manifest.variants.items():
        where = f"{path}: line {manifest.lines[vid]}: variant {vid}"
        ex = check_key(_exercise(entry, manifest, vid, where))
        _exported(ex, where)
        items.append(Item(ex, exercise_view(ex), entry))
    seed = _seed(manifest, path)
    return Source(tuple(items), seed, f"mcgen seed {seed}")


def _exported(ex: Exercise, where: str) -> None:
    """Refuse, in one line, the exercises of tensor derivatives the formats do not carry yet: slices, and a tensor's
    shape (its axes; the formats' shape questions are rows×columns)."""
    kind = ex.variant.kind
    if kind == "slice" or kind == "shape" and ex.derivation.tensor:
        raise GeneratorError(f"{where}: a {kind} exercise of a tensor derivative is not exported; "
                             "leave it out of the problem's [variation] kinds")


def _seed(manifest: Manifest, path: Path) -> int:
    """The sheet's seed, from the manifest's top level (Manifest keeps only the variants)."""
    seed = json.loads(read_text(path)).get("seed", 0)
    return seed if isinstance(seed, int) else 0


def _exercise(v: Mapping[str, Any], manifest: Manifest, vid: str, where: str) -> Exercise:
    """The stored variant as an Exercise; what it stores beyond the expression must agree with its derivation."""
    d = manifest.derivation(vid)
    try:
        shapes = pf.shapes_from(v["shapes"], f"{where}: shapes")
        variant = Variant(
            id=vid, problem=str(v.get("problem", vid)), number=int(v.get("number", 1)), seed=int(v.get("seed", 0)),
            kind=str(v.get("kind", "closed-form")), title=str(v.get("title", vid)), expr=v["expr"], wrt=v["wrt"],
            shapes=shapes, layout=d.layout, assume=pf.assumptions_from(v.get("assume") or None, shapes, where),
            functions=pf.functions_from(v.get("functions") or None, f"{where}: functions"),
            hessian=bool(v.get("hessian", False)),
            # A manifest does not record how the variant was chosen, and nothing downstream reads it.
            choice=Choice((), (), (), 0, d.layout, str(v.get("kind", "closed-form"))),
            source=str(manifest.path))
    except (TypeError, ValueError) as err:
        raise GeneratorError(f"{where}: malformed ({err})") from None
    if variant.kind not in ("closed-form", "numeric", "shape", "fill-step", "slice"):
        raise GeneratorError(f"{where}: unknown kind {variant.kind!r}")
    if isinstance(v.get("answer"), str) and not grade(v["answer"], d).correct:
        raise GeneratorError(f"{where}: the stored answer {v['answer']!r} disagrees with the derivation")
    if variant.kind == "numeric":
        data = {name: _fractions(rows, f"{where}: values.{name}") for name, rows in dict(v.get("values") or {}).items()}
        value = _fractions(v.get("value"), f"{where}: value")
        if not data or exact_value(d.closed_form, data) != value:
            raise GeneratorError(f"{where}: the stored value disagrees with the derivative at the stored values")
        return Exercise(variant, d, data=data, value=value)
    if variant.kind == "fill-step":
        blank = v.get("blank") or {}
        k = int(blank.get("step", 0)) - 1 if isinstance(blank, Mapping) else -1
        if not 0 <= k < len(d.steps) or d.steps[k].kind != blank.get("kind") or \
                split_equation(d.steps[k].latex)[1] != blank.get("latex"):
            raise GeneratorError(f"{where}: the blanked step does not match the derivation's proof")
        return Exercise(variant, d, blank=k)
    return Exercise(variant, d)


def _fractions(rows: Any, where: str) -> Fraction2D:
    """Rows of strings such as "-3/7" as exact numbers."""
    try:
        out = tuple(tuple(Fraction(str(x)) for x in row) for row in rows)
    except (TypeError, ValueError, ZeroDivisionError):
        raise GeneratorError(f"{where}: expected rows of numbers such as [\"1\", \"-3/7\"]") from None
    if not out or len({len(r) for r in out}) != 1:
        raise GeneratorError(f"{where}: expected rows of equal length")
    return out
