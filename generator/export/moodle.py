"""Moodle XML: a category, then one question per variant — multiple choice, cloze, short answer or essay by kind."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from ..grading.kinds import grade_shape
from ..latex.names import shape_latex
from ..render.formulas import derivative_latex
from ..tree.nodes import Dim
from .distractors import options
from .html import ROUNDING, asked, data_html, display, inline, key_html, number_text, proof_html, setting, tolerance
from .items import Item, Source

PENALTY = "0.3333333"  # Moodle's default penalty per wrong try in interactive mode
SHAPE_SPELLINGS = ("{0}×{1}", "{0} x {1}", "{0}x{1}", "{0},{1}", "({0},{1})", "{0} by {1}")  # no *: a Moodle wildcard


def moodle_xml(source: Source) -> bytes:
    """The whole quiz: one category named after the source, one question per item, in order."""
    quiz = ET.Element("quiz")
    category = _question(quiz, "category")
    _text(ET.SubElement(category, "category"), f"$course$/top/{source.name}")
    _text(ET.SubElement(category, "info", format="html"), "")
    for item in source.items:
        QUESTIONS[item.kind](quiz, item)
    ET.indent(quiz)
    return ET.tostring(quiz, encoding="UTF-8", xml_declaration=True) + b"\n"


def _question(parent: ET.Element, kind: str) -> ET.Element:
    return ET.SubElement(parent, "question", type=kind)


def _text(parent: ET.Element, text: str) -> ET.Element:
    ET.SubElement(parent, "text").text = text
    return parent


def _html(parent: ET.Element, tag: str, text: str) -> ET.Element:
    return _text(ET.SubElement(parent, tag, format="html"), text)


def _common(quiz: ET.Element, kind: str, item: Item, text: str, feedback: str) -> ET.Element:
    q = _question(quiz, kind)
    _text(ET.SubElement(q, "name"), f"{item.id}: {item.view.title}")
    _html(q, "questiontext", text)
    _html(q, "generalfeedback", feedback)
    for tag, value in (("defaultgrade", "1"), ("penalty", PENALTY), ("hidden", "0"), ("idnumber", item.id)):
        ET.SubElement(q, tag).text = value
    return q


def _answer(q: ET.Element, fraction: float, text: str, feedback: str, fmt: str = "html") -> None:
    a = ET.SubElement(q, "answer", fraction=f"{fraction:g}", format=fmt)
    _text(a, text)
    _html(a, "feedback", feedback)


def closed_form(quiz: ET.Element, item: Item) -> None:
    """Multiple choice: the key among the mistakes mcgen diagnoses, each with mcgen's feedback on it."""
    text = f"{setting(item.view)}<p>Which of these is {asked(item)}?</p>"
    q = _common(quiz, "multichoice", item, text, key_html(item.view))
    for tag, value in (("single", "true"), ("shuffleanswers", "false"), ("answernumbering", "abc")):
        ET.SubElement(q, tag).text = value  # the options are already shuffled by the variant's seed
    for tag, words in (("correctfeedback", "Correct."), ("partiallycorrectfeedback", ""),
                       ("incorrectfeedback", "Not quite; the worked proof is below.")):
        _html(q, tag, words)
    for option in options(item.exercise.derivation, item.exercise.variant.seed):
        _answer(q, 100 if option.correct else 0, inline(option.latex), option.feedback)


def numeric(quiz: ET.Element, item: Item) -> None:
    """Cloze: one NUMERICAL gap per entry of the exact value, laid out as the matrix."""
    rows = "".join("<tr>" + "".join(f"<td>{_gap(x)}</td>" for x in row) + "</tr>" for row in item.exercise.value)
    table = f'<table class="mcgen-matrix">{rows}</table>'
    text = (f"{setting(item.view)}<p>Compute {asked(item)} exactly at</p>{data_html(item.view)}"
            f"<p>{ROUNDING}</p><p>{inline(derivative_latex(item.exercise.derivation))} =</p>{table}")
    _common(quiz, "cloze", item, text, key_html(item.view) + f"<p>{display(item.view.value)}</p>")


def _gap(x) -> str:
    """{1:NUMERICAL:=value:tolerance}: exact for an integer, the rounding margin otherwise."""
    return f"{{1:NUMERICAL:={number_text(x)}:{float(tolerance(x)):g}}}"


def shape(quiz: ET.Element, item: Item) -> None:
    """Short answer: the shape in the usual spellings; the other layout's shape with mcgen's feedback on it."""
    d = item.exercise.derivation
    text = (f"{setting(item.view)}<p>What is the shape of {asked(item)}? "
            f"Answer as rows×columns, for example m×n.</p>")
    q = _common(quiz, "shortanswer", item, text, key_html(item.view) + f"<p>{display(shape_latex(d.shape))}</p>")
    ET.SubElement(q, "usecase").text = "0"
    flipped = tuple(d.shape)[::-1]
    for dims in dict.fromkeys([tuple(d.shape), flipped]):
        verdict = grade_shape(f"{dims[0]}×{dims[1]}", d, {})
        for spelling in _spellings(dims):
            _answer(q, 100 if verdict.correct else 0, spelling, verdict.feedback, "moodle_auto_format")


def _spellings(dims: tuple[Dim, ...]) -> list[str]:
    return list(dict.fromkeys(s.format(*dims) for s in SHAPE_SPELLINGS))


def fill_step(quiz: ET.Element, item: Item) -> None:
    """Essay, graded by hand: the proof with one step blanked; the missing step is the grader's information."""
    blank = item.exercise.blank
    assert blank is not None, "a fill-step exercise has a blanked step"
    text = (f"{setting(item.view)}<p>The proof below finds {asked(item)}. "
            f"Fill in the missing right-hand side of step {blank + 1}.</p>{proof_html(item.view, blank=True)}")
    q = _common(quiz, "essay", item, text, key_html(item.view))
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "5"),
                       ("attachments", "0"), ("attachmentsrequired", "0")):
        ET.SubElement(q, tag).text = value
    _html(q, "graderinfo", f"<p>Step {blank + 1}:</p>{display(item.view.steps[blank].latex)}")
    _html(q, "responsetemplate", "")


QUESTIONS = {"closed-form": closed_form, "numeric": numeric, "shape": shape, "fill-step": fill_step}

