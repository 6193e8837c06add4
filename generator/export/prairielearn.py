"""PrairieLearn question folders (info.json, question.html, server.py, variant.json) graded by mcgen's own grader."""
from __future__ import annotations

import html
import json
import uuid
from typing import Any

from ..grading.grade import DEFAULT_CREDIT
from ..render.formulas import derivative_latex
from .html import ROUNDING, asked, data_html, display, inline, key_html, proof_html, setting
from .items import Item, Source
from .qti import NAMESPACE

TOPIC = "Matrix calculus"
INPUTS = {
    "closed-form": '<pl-string-input answers-name="answer" label="{label}" size="60" remove-spaces="false" '
                   'placeholder="e.g. A^T x, or LaTeX" show-help-text="false"></pl-string-input>',
    "shape": '<pl-string-input answers-name="answer" label="{label}" size="12" placeholder="rows×columns" '
             'show-help-text="false"></pl-string-input>',
    "numeric": '<pl-matrix-component-input answers-name="answer" label="{label}" comparison="decdig" '
               'digits="4"></pl-matrix-component-input>',
    "fill-step": '<pl-rich-text-editor file-name="step.html"></pl-rich-text-editor>',
}
TASKS = {
    "closed-form": "Find {asked}. Type it as text (A^T x, x .* y, tr(X)) or as LaTeX.",
    "shape": "What is the shape of {asked}? Answer as rows×columns, for example m×n.",
    "numeric": "Compute {asked} exactly at the values below. " + ROUNDING,
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
    """mcgen's verdict replaces the element's own score; a kind mcgen does not grade keeps PrairieLearn's."""
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
    if item.kind == "fill-step":
        info["gradingMethod"] = "Manual"
    variant = {"variant": dict(item.entry), "params": _params(item), "correct_answer": _correct(item)}
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
    label = html.escape(inline(derivative_latex(item.exercise.derivation) + " ="), quote=True)
    key = key_html(view) + (f"<p>{display(view.value)}</p>" if view.value else "")
    return {"question": setting(view) + task + extra, "input": INPUTS[item.kind].format(label=label),
            "key": key}


def _correct(item: Item) -> Any:
    d = item.exercise.derivation
    if item.kind == "numeric":
        return [[float(x) for x in row] for row in item.exercise.value]
    if item.kind == "shape":
        return f"{d.shape[0]}×{d.shape[1]}"
    if item.kind == "fill-step":
        return item.entry.get("blank", {}).get("latex", "")
    return d.answer
