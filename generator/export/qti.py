"""QTI 1.2 as Canvas imports it: a zip of imsmanifest.xml and one assessment of multiple-choice, numerical,
short-answer and essay items."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from fractions import Fraction

from ..grading.kinds import grade_shape
from ..latex.names import shape_latex
from ..render.formulas import derivative_latex
from .archive import deterministic_zip
from .distractors import options
from .html import ROUNDING, asked, layout_words, data_html, display, inline, key_html, number_text, proof_html, setting, tolerance
from .items import Item, Source
from .moodle import SHAPE_SPELLINGS

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NAMESPACE = uuid.UUID("6f1c5a52-9d1e-4c57-9f35-7f0a8c1e2b10")  # mcgen's: identifiers are uuid5 of the content


def ident(*parts: object) -> str:
    """A stable identifier (QTI idents start with a letter): 'g' and the hex of a uuid5 of the parts."""
    return "g" + uuid.uuid5(NAMESPACE, "\0".join(map(str, parts))).hex


def qti_zip(source: Source) -> bytes:
    """The zip Canvas imports: imsmanifest.xml and <assessment>/<assessment>.xml."""
    assessment = ident("assessment", source.name, *(i.id for i in source.items))
    path = f"{assessment}/{assessment}.xml"
    return deterministic_zip({"imsmanifest.xml": _manifest(assessment, path, source.name),
                              path: qti_assessment(source, assessment)})


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _manifest(assessment: str, path: str, title: str) -> bytes:
    ET.register_namespace("", CP)
    root = ET.Element(f"{{{CP}}}manifest", {"identifier": ident("manifest", assessment),
                                              f"{{{XSI}}}schemaLocation": f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"})
    metadata = ET.SubElement(root, f"{{{CP}}}metadata")
    ET.SubElement(metadata, f"{{{CP}}}schema").text = "IMS Content"
    ET.SubElement(metadata, f"{{{CP}}}schemaversion").text = "1.1.3"
    ET.SubElement(root, f"{{{CP}}}organizations")
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    resource = ET.SubElement(resources, f"{{{CP}}}resource", identifier=assessment, type="imsqti_xmlv1p2")
    ET.SubElement(resource, f"{{{CP}}}file", href=path)
    return _xml(root)


def qti_assessment(source: Source, assessment: str) -> bytes:
    """One assessment with a section of items, in the order of the source."""
    ET.register_namespace("", QTI)
    root = ET.Element(f"{{{QTI}}}questestinterop",
                      {f"{{{XSI}}}schemaLocation": f"{QTI} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    test = ET.SubElement(root, f"{{{QTI}}}assessment", ident=assessment, title=source.name)
    _metadata(test, {"cc_maxattempts": "1"})
    section = ET.SubElement(test, f"{{{QTI}}}section", ident="root_section")
    for item in source.items:
        ITEMS[item.kind](section, item)
    return _xml(root)


def _e(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{QTI}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _metadata(parent: ET.Element, fields: dict[str, str]) -> None:
    meta = _e(parent, "qtimetadata")
    for label, entry in fields.items():
        field = _e(meta, "qtimetadatafield")
        _e(field, "fieldlabel", label)
        _e(field, "fieldentry", entry)


def _material(parent: ET.Element, html_text: str) -> None:
    _e(_e(parent, "material"), "mattext", html_text, texttype="text/html")


def _item(section: ET.Element, item: Item, kind: str, text: str, title: str = "", suffix: str = "") -> ET.Element:
    element = _e(section, "item", ident=ident(item.id, suffix), title=title or f"{item.id}: {item.view.title}")
    _metadata(_e(element, "itemmetadata"), {"question_type": kind, "points_possible": "1",
                                             "original_answer_ids": "", "assessment_question_identifierref": ""})
    _material(_e(element, "presentation"), text)
    return element


def _outcomes(element: ET.Element) -> ET.Element:
    processing = _e(element, "resprocessing")
    _e(_e(processing, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    return processing


def _general_feedback(element: ET.Element, processing: ET.Element, item: Item, html_text: str) -> None:
    """Canvas shows the itemfeedback named general_fb after every answer: the worked proof."""
    condition = _e(processing, "respcondition", **{"continue": "Yes"})
    _e(_e(condition, "conditionvar"), "other")
    _e(condition, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    feedback = _e(element, "itemfeedback", ident="general_fb")
    _material(_e(feedback, "flow_mat"), html_text)


def closed_form(section: ET.Element, item: Item) -> None:
    """multiple_choice_question: the key and mcgen's distractors in the seeded order, each with its feedback."""
    element = _item(section, item, "multiple_choice_question",
                    f"{setting(item.view)}<p>Which of these is {asked(item)}?</p>")
    choices = options(item.exercise.derivation, item.exercise.variant.seed)
    response = _e(element.find(f"{{{QTI}}}presentation"), "response_lid", ident="response1", rcardinality="Single")
    render = _e(response, "render_choice")
    for k, option in enumerate(choices):
        _material(_e(render, "response_label", ident=f"answer{k + 1}"), inline(option.latex))
    processing = _outcomes(element)
    _general_feedback(element, processing, item, key_html(item.view))
    for k, option in enumerate(choices):
        condition = _e(processing, "respcondition", **{"continue": "Yes"})
        _e(_e(condition, "conditionvar"), "varequal", f"answer{k + 1}", respident="response1")
        _e(condition, "displayfeedback", feedbacktype="Response", linkrefid=f"answer{k + 1}_fb")
        _material(_e(_e(element, "itemfeedback", ident=f"answer{k + 1}_fb"), "flow_mat"), option.feedback)
    right = next(k for k, o in enumerate(choices) if o.correct)
    condition = _e(processing, "respcondition", **{"continue": "No"})
    _e(_e(condition, "conditionvar"), "varequal", f"answer{right + 1}", respident="response1")
    _e(condition, "setvar", "100", action="Set", varname="SCORE")


def numeric(section: ET.Element, item: Item) -> None:
    """numerical_question, one per entry (a Canvas numerical question holds one number): exact for integers,
    the rounding margin otherwise."""
    d = item.exercise.derivation
    base = f"{setting(item.view)}<p>Let {inline('G = ' + derivative_latex(d))}{layout_words(item)}, at</p>"
    for i, row in enumerate(item.exercise.value, 1):
        for j, x in enumerate(row, 1):
            text = f"{base}{data_html(item.view)}<p>What is {inline(f'G_{{{i}{j}}}')}? {ROUNDING}</p>"
            element = _item(section, item, "numerical_question", text, f"{item.id}: entry ({i}, {j})", f"{i},{j}")
            _e(_e(_e(element.find(f"{{{QTI}}}presentation"), "response_str", ident="response1",
                     rcardinality="Single"), "render_fib", fibtype="Decimal"), "response_label", ident="answer1")
            processing = _outcomes(element)
            _general_feedback(element, processing, item, key_html(item.view) + f"<p>{display(item.view.value)}</p>")
            condition = _e(processing, "respcondition", **{"continue": "No"})
            _number_condition(_e(condition, "conditionvar"), x)
            _e(condition, "setvar", "100", action="Set", varname="SCORE")


def _number_condition(parent: ET.Element, x: Fraction) -> None:
    margin = tolerance(x)
    if not margin:
        _e(parent, "varequal", number_text(x), respident="response1")
        return
    both = _e(_e(parent, "or"), "and")
    _e(both, "vargte", f"{float(x - margin):.12g}", respident="response1")
    _e(both, "varlte", f"{float(x + margin):.12g}", respident="response1")


def shape(section: ET.Element, item: Item) -> None:
    """short_answer_question: the shape in the usual spellings."""
    d = item.exercise.derivation
    element = _item(section, item, "short_answer_question", f"{setting(item.view)}<p>What is the shape of "
                    f"{asked(item)}? Answer as rows×columns, for example m×n.</p>")
    _e(_e(_e(element.find(f"{{{QTI}}}presentation"), "response_str", ident="response1", rcardinality="Single"),
          "render_fib"), "response_label", ident="answer1", rshuffle="No")
    processing = _outcomes(element)
    _general_feedback(element, processing, item, key_html(item.view) + f"<p>{display(shape_latex(d.shape))}</p>")
    condition = _e(processing, "respcondition", **{"continue": "No"})
    accepted = _e(condition, "conditionvar")
    right = tuple(d.shape)
    assert grade_shape(f"{right[0]}×{right[1]}", d, {}).correct, "the shape key grades as correct"
    for spelling in dict.fromkeys(s.format(*right) for s in SHAPE_SPELLINGS):
        _e(accepted, "varequal", spelling, respident="response1")
    _e(condition, "setvar", "100", action="Set", varname="SCORE")


def fill_step(section: ET.Element, item: Item) -> None:
    """essay_question, graded by hand: the proof with one step blanked."""
    blank = item.exercise.blank
    assert blank is not None, "a fill-step exercise has a blanked step"
    text = (f"{setting(item.view)}<p>The proof below finds {asked(item)}. Fill in the missing right-hand side "
            f"of step {blank + 1}.</p>{proof_html(item.view, blank=True)}")
    element = _item(section, item, "essay_question", text)
    _e(_e(_e(element.find(f"{{{QTI}}}presentation"), "response_str", ident="response1", rcardinality="Single"),
          "render_fib"), "response_label", ident="answer1", rshuffle="No")
    processing = _outcomes(element)
    _general_feedback(element, processing, item, key_html(item.view))


ITEMS = {"closed-form": closed_form, "numeric": numeric, "shape": shape, "fill-step": fill_step}
