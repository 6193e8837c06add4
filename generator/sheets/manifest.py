"""manifest.json: what a grader needs to re-derive and grade each variant, byte-stable for a seed."""
from __future__ import annotations

import json
from typing import Any, Sequence

from ..tree.nodes import Dim
from ..tree.scope import FunctionSpec
from ..tree.text import to_text
from .data import Exercise, Fraction2D
from .plan import Plan
from .views import ExerciseView

VERSION = 1


def _function_spec(spec: FunctionSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind}
    if spec.shape:
        out["shape"] = list(spec.shape)
    if spec.gradient:
        out["gradient"] = spec.gradient
    if spec.hessian:
        out["hessian"] = spec.hessian
    return out


def _dim(d: Dim) -> int | str:
    """A size for JSON: a number, a name, or a product written mn."""
    return d if isinstance(d, (int, str)) else str(d)


def _cells(rows: Fraction2D) -> list[list[str]]:
    return [[str(x) for x in row] for row in rows]


def manifest_entry(p: Plan, ex: Exercise, view: ExerciseView) -> dict[str, Any]:
    """What a grader needs to re-derive and grade one variant."""
    v, d = ex.variant, ex.derivation
    entry: dict[str, Any] = {
        "id": v.id, "problem": v.problem, "number": v.number, "seed": v.seed, "kind": v.kind,
        "title": v.title, "question": view.question, "expr": v.expr, "wrt": v.wrt,
        "shapes": {n: list(s) for n, s in v.shapes.items()}, "layout": v.layout, "assume": dict(v.assume),
        "functions": {n: _function_spec(f) for n, f in v.functions.items()},
        "answer": d.answer, "answer_latex": view.answer, "shape": [_dim(x) for x in d.shape],
        "residual": float(f"{ex.residual:.3g}"),
    }
    if d.tensor:  # the axes above; the closed form (answer) is the vec–Jacobian of this shape
        entry["vec_shape"] = [_dim(x) for x in d.closed_form.shape]
    if v.kind == "slice":  # the slice asked for: its answer and the unit vectors it is written with
        piece = d.slice
        entry["answer"] = to_text(piece.expr)
        entry["slice"] = {"label": piece.label, "units": {u.name: [_dim(x) for x in u.shape] for u in piece.units}}
    if v.hessian:
        entry["hessian"] = True
    student = p.student(v.number)
    if student:
        entry["student"] = student.id
    if ex.data:
        entry["values"] = {n: _cells(rows) for n, rows in ex.data.items()}
        entry["value"] = _cells(ex.value)
    if ex.blank is not None:
        step = d.steps[ex.blank]
        entry["blank"] = {"step": ex.blank + 1, "kind": step.kind, "latex": step.sides[1]}
    return entry


def manifest(p: Plan, exercises: Sequence[Exercise], views: Sequence[ExerciseView]) -> str:
    """manifest.json: sorted keys, two-space indent, one trailing newline (byte-stable for a seed)."""
    data = {"version": VERSION, "seed": p.seed, "problems": [q.name for q in p.problems],
            "variants": [manifest_entry(p, ex, view) for ex, view in zip(exercises, views)]}
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
