"""Grading by kind of exercise: one answer to one manifest variant → Verdict."""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ..errors import GeneratorError
from ..pipeline.derivation import Derivation
from ..vocabulary import other_layout
from .fill import FillKey
from .grade import grade
from .numeric import grade_numeric, key_rows
from .tensor import grade_tensor_shape, shape_axes, shape_echo
from .verdict import Verdict


def grade_shape(answer: str, d: Derivation, weights: Mapping[str, float]) -> Verdict:
    """A 'name the shape' answer such as m×n, m x n, (m, n) or \\mathbb{R}^{m \\times n}."""
    given = shape_axes(answer)
    if given is None:
        tag, feedback = "parse", "Write a shape such as m×n."
    else:
        if given == tuple(d.shape):
            tag, feedback = None, "Correct."
        elif given == tuple(d.shape)[::-1]:
            other = other_layout(d.layout)
            tag, feedback = "layout", (f"This is the shape in the {other} layout; "
                                       f"the question asks for the {d.layout} layout.")
        else:
            tag, feedback = "shape", "That is not the shape of the derivative."
    echo = "" if tag == "parse" else shape_echo(given)
    return Verdict(tag is None, tag, feedback, 1.0 if tag is None else weights.get(tag, 0.0), answer, echo)


def _closed_form(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade(answer, d, weights)


def _shape(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade_tensor_shape(answer, d, weights) if d.tensor else grade_shape(answer, d, weights)


def _slice(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade(answer, d.slice.derivation, weights)


def _numeric(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    return grade_numeric(answer, key_rows(variant["value"]), d.layout, weights)


_FILL_KEYS: dict[tuple[int, str], tuple[Derivation, FillKey | str]] = {}


def fill_key(d: Derivation, variant: Mapping[str, Any]) -> FillKey | str:
    """The blanked step of a fill-step variant, read once per derivation; or why it cannot be graded."""
    blank = variant.get("blank")
    if not isinstance(blank, Mapping):
        return "the variant has no \"blank\" step"
    cache_key = (id(d), repr(sorted(blank.items())))
    cached = _FILL_KEYS.get(cache_key)
    if cached is None or cached[0] is not d:
        try:
            key: FillKey | str = FillKey(d, blank)
        except GeneratorError as err:
            key = str(err)
        except Exception as err:  # noqa: BLE001 - a step this module cannot read is reported, never a crash
            key = f"the blanked step could not be read ({type(err).__name__})"
        if len(_FILL_KEYS) > 256:
            _FILL_KEYS.clear()
        cached = _FILL_KEYS[cache_key] = (d, key)
    return cached[1]


def _fill_step(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict:
    key = fill_key(d, variant)
    assert isinstance(key, FillKey)  # ungraded() said so before
    return key.grade(answer, weights)


Grader = Callable[[str, Derivation, Mapping[str, Any], Mapping[str, float]], Verdict]
GRADERS: dict[str, Grader] = {"closed-form": _closed_form, "shape": _shape, "numeric": _numeric,
                              "fill-step": _fill_step, "slice": _slice}


def ungraded(d: Derivation, variant: Mapping[str, Any]) -> str | None:
    """Why answers to this variant cannot be graded automatically, or None when they can."""
    kind = str(variant.get("kind", "closed-form"))
    if kind not in GRADERS:
        return f"a {kind!r} question is not graded automatically"
    if kind == "numeric":
        if "value" not in variant:
            return "the numeric variant has no exact \"value\" in the manifest"
        try:
            key_rows(variant["value"])
        except GeneratorError as err:
            return str(err)
    if kind == "fill-step":
        key = fill_key(d, variant)
        return key if isinstance(key, str) else None
    if kind == "slice" and not d.tensor:
        return "a slice is asked of a tensor derivative only"
    return None


def grade_variant(answer: str, d: Derivation, variant: Mapping[str, Any], weights: Mapping[str, float]) -> Verdict | None:
    """The verdict on an answer to one manifest variant (its `kind` decides how); None when it cannot be graded.

    closed-form: an expression (text or LaTeX); shape: rows×columns; numeric: the exact value as a
    number or matrix; fill-step: the blanked step's right-hand side in index notation.
    `ungraded(d, variant)` says why a variant gives None.
    """
    if ungraded(d, variant) is not None:
        return None
    return GRADERS[str(variant.get("kind", "closed-form"))](answer, d, variant, weights)
