"""PrairieLearn question folders (info.json, question.html, server.py, variant.json) graded by mcgen's own grader."""
from __future__ import annotations

import html
import json
import uuid
from typing import Any

from ..errors import GeneratorError
from ..grading.grade import DEFAULT_CREDIT
from ..grading.kinds import grade_variant, ungraded
from ..render.formulas import derivative_latex
from ..sheets.views import split_equation
from .html import asked, data_html, display, inline, key_html, proof_html, setting
from .items import Item, Source
from .qti import NAMESPACE

TOPIC = "Matrix calculus"
INPUT = ('<pl-string-input answers-name="answer" label="{label}" size="{size}" remove-spaces="false" '
         'placeholder="{hint}" show-help-text="false"></pl-string-input>')
HINTS = {"closed-form": ("60", "e.g. A^T x, or LaTeX"), "shape": ("12", "rows×columns"),
         "numeric": ("60", "e.g. [[1, -2], [3/4, 0]]"), "fill-step": ("60", "LaTeX, e.g. \\sum_{k} W_{ik} x_{k}")}
TASKS = {
    "closed-form": "Find {asked}. Type it as text (A^T x, x .* y, tr(X)) or as LaTeX.",
    "shape": "What is the shape of {asked}? Answer as rows×columns, for example m×n.",
    "numeric": "Compute {asked} exactly at the values below, as a matrix of integers and fractions.",
    "fill-step": "The proof below finds {asked}. Write the missing right-hand side of step {step}.",
}

# The page: every piece of maths comes from params (triple braces: no HTML escaping, and LaTeX braces never meet
# mustache), so this template holds no mathematics of its own.
QUESTION_HTML = """<pl-question-panel>
{{{params.question}}}
</pl-question-panel>

{{{params.input}}}

<pl-submission-panel>
{{#feedback.message}}<p>{{feedback.message}}</p>{{/feedback.message}}
{{#feedback.mistake}}<p><small>mcgen: {{feedback.mistake}}</small></p>{{/feedback.mistake}}
</pl-submission-panel>

<pl-answer-panel>
{{{params.key}}}
</pl-answer-panel>
"""

SERVER_PY = '''"""{id}: graded by mcgen (pip install mcgen in the course's Python), with its mistake tags."""
import json
import pathlib

from generator import derive
from generator.grading.kinds import grade_variant

VARIANT = json.loads((pathlib.Path(__file__).parent / "variant.json").read_text(encoding="utf-8"))
CREDIT = {credit}
_derived = []


def derivation():
    """The variant derived once per process, exactly as `mcgen grade` derives it from the manifest."""
    if not _derived:
        v = VARIANT["variant"]
        _derived.append(derive(v["expr"], v["wrt"], v["shapes"], v.get("layout", "denominator"),
                               v.get("assume") or None, v.get("functions") or None,
                               hessian=bool(v.get("hessian", False))))
    return _derived[0]


def generate(data):
    data["params"].update(VARIANT["params"])
    data["correct_answers"]["answer"] = VARIANT["correct_answer"]


def grade(data):
    """mcgen's verdict replaces the element's own score (a variant mcgen cannot grade is graded by hand)."""
    answer = data["submitted_answers"].get("answer")
    verdict = grade_variant("" if answer is None else str(answer), derivation(), VARIANT["variant"], CREDIT)
    if verdict is None:
        return
    data["partial_scores"]["answer"] = {{"score": verdict.score, "weight": 1, "feedback": verdict.feedback}}
    data["score"] = verdict.score
    data["feedback"]["message"] = verdict.feedback
    data["feedback"]["mistake"] = verdict.mistake or ""
'''


def question_uuid(source: Source, item: Item) -> str:
    """A uuid that stays the same for the same sheet seed and variant (PrairieLearn keys questions by it)."""
    return str(uuid.uuid5(NAMESPACE, f"prairielearn\0{source.seed}\0{item.id}"))


def question_files(source: Source, item: Item) -> dict[str, bytes]:
    """The four files of one question folder, by name."""
    info: dict[str, Any] = {"uuid": question_uuid(source, item), "title": f"{item.id}: {item.view.title}",
                            "topic": TOPIC, "tags": ["mcgen", item.kind, item.exercise.variant.problem],
                            "type": "v3", "singleVariant": True}
    d, correct = item.exercise.derivation, _correct(item)
    if ungraded(d, item.entry) is not None:
        info["gradingMethod"] = "Manual"
    else:
        verdict = grade_variant(correct, d, item.entry, DEFAULT_CREDIT)
        if verdict is None or not verdict.correct:  # the key PrairieLearn shows must be what mcgen grades right
            raise GeneratorError(f"{item.id}: mcgen does not grade the exported key {correct!r} as correct")
    variant = {"variant": dict(item.entry), "params": _params(item), "correct_answer": correct}
    return {"info.json": _json(info), "question.html": QUESTION_HTML.encode("utf-8"),
            "server.py": SERVER_PY.format(id=item.id, credit=json.dumps(DEFAULT_CREDIT, sort_keys=True)).encode(),
            "variant.json": _json(variant)}


def prairielearn_files(source: Source) -> dict[str, bytes]:
    """Every question folder under questions/, by path."""
    return {f"questions/{item.id}/{name}": data for item in source.items
            for name, data in question_files(source, item).items()}


def _json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _params(item: Item) -> dict[str, str]:
    view = item.view
    step = "" if item.exercise.blank is None else str(item.exercise.blank + 1)
    task = f"<p>{TASKS[item.kind].format(asked=asked(item), step=step)}</p>"
    extra = data_html(view) if item.kind == "numeric" else proof_html(view, blank=True) if item.kind == "fill-step" else ""
    asked_for = derivative_latex(item.exercise.derivation)
    if item.exercise.blank is not None:  # the blanked step's left-hand side
        asked_for = split_equation(view.steps[item.exercise.blank].latex)[0] or asked_for
    label = html.escape(inline(asked_for + " ="), quote=True)
    key = key_html(view) + (f"<p>{display(view.value)}</p>" if view.value else "")
    size, hint = HINTS[item.kind]
    return {"question": setting(view) + task + extra, "key": key,
            "input": INPUT.format(label=label, size=size, hint=html.escape(hint, quote=True))}


def _correct(item: Item) -> Any:
    d = item.exercise.derivation
    if item.kind == "numeric":
        return "[" + ", ".join("[" + ", ".join(str(x) for x in row) + "]" for row in item.exercise.value) + "]"
    if item.kind == "shape":
        return f"{d.shape[0]}×{d.shape[1]}"
    if item.kind == "fill-step":
        return item.entry.get("blank", {}).get("latex", "")
    return d.answer
