"""`mcgen export` to Moodle XML and QTI for Canvas: structure, keys equal to mcgen's, distractors, byte-identical files."""
from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction

import pytest

from export_support import ROOT, SHEET_ARGS, manifest, run, source
from generator import derive, grade
from generator.export.distractors import options, same, sample_points, values_at
from generator.export.write import FORMATS

QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
MOODLE_TYPES = {"closed-form": "multichoice", "numeric": "cloze", "shape": "shortanswer", "fill-step": "essay"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """Every format exported twice from make sheets' manifest, into two directories: {format: {path: bytes}}."""
    out = {}
    for fmt in FORMATS:
        runs = []
        for k in range(2):
            target = tmp_path_factory.mktemp(f"{fmt}{k}")
            made = run("export", manifest(), "--format", fmt, "-o", target)
            assert made.exit_code == 0, made.output
            runs.append({str(p.relative_to(target)): p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file()})
        assert runs[0] == runs[1], f"{fmt}: two exports of one manifest differ"
        out[fmt] = runs[0]
    return out


def test_every_format_writes_every_variant_of_make_sheets(exported):
    ids = [item.id for item in source().items]
    assert len(ids) == 42
    moodle = ET.fromstring(exported["moodle"]["moodle.xml"])
    assert [q.findtext("idnumber") for q in moodle.findall("question")[1:]] == ids
    questions = {p.split("/")[2] for p in exported["prairielearn"] if p.startswith("prairielearn/questions/")}
    assert questions == set(ids)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_problem_files_export_the_sheets_variants_reproducibly(fmt, exported, tmp_path):
    """From problem files with --variants/--seed: the variants of the sheet's manifest, byte-identical run to run."""
    runs = []
    for k in range(2):
        made = run("export", *SHEET_ARGS, "--format", fmt, "-o", tmp_path / str(k))
        assert made.exit_code == 0, made.output
        runs.append({str(p.relative_to(tmp_path / str(k))): p.read_bytes()
                     for p in sorted((tmp_path / str(k)).rglob("*")) if p.is_file()})
    assert runs[0] == runs[1]
    assert set(runs[0]) == set(exported[fmt])
    if fmt == "moodle":
        mine, theirs = (ET.fromstring(r["moodle.xml"]) for r in (runs[0], exported[fmt]))
        assert [q.findtext("idnumber") for q in mine] == [q.findtext("idnumber") for q in theirs]
        assert [a.findtext("text") for a in mine.iter("answer") if a.get("fraction") == "100"] == \
            [a.findtext("text") for a in theirs.iter("answer") if a.get("fraction") == "100"]


def _moodle_questions(exported) -> dict[str, ET.Element]:
    root = ET.fromstring(exported["moodle"]["moodle.xml"])
    assert root.tag == "quiz" and root[0].get("type") == "category"
    assert root[0].findtext("category/text").startswith("$course$/top/")
    return {q.findtext("idnumber"): q for q in root.findall("question")[1:]}


def test_moodle_question_types_follow_the_kinds(exported):
    questions = _moodle_questions(exported)
    for item in source().items:
        q = questions[item.id]
        assert q.get("type") == MOODLE_TYPES[item.kind]
        text = q.findtext("questiontext/text")
        assert "$" not in text and r"\(" in text, "maths in \\( … \\), never $ … $"
        feedback = q.findtext("generalfeedback/text")
        for step in item.exercise.derivation.steps:  # the worked proof, step by step
            assert re.sub(r"\s+", " ", step.latex.replace("&", "&amp;").replace("<", "&lt;"))[:40] in \
                re.sub(r"\s+", " ", feedback.replace("&", "&amp;").replace("<", "&lt;")).replace("&amp;amp;", "&amp;")


def test_moodle_multiple_choice_has_the_key_once_and_graded_distractors(exported):
    questions = _moodle_questions(exported)
    for item in (i for i in source().items if i.kind == "closed-form"):
        answers = questions[item.id].findall("answer")
        right = [a for a in answers if a.get("fraction") == "100"]
        assert len(right) == 1 and len(answers) >= 4
        assert right[0].findtext("text") == rf"\({item.view.answer}\)"
        for wrong in (a for a in answers if a.get("fraction") == "0"):
            assert wrong.findtext("feedback/text") not in ("", "Correct.")


@pytest.mark.parametrize("item", [i for i in source().items if i.kind == "closed-form"], ids=lambda i: i.id)
def test_distractors_differ_from_the_key_and_each_other_numerically(item):
    d = item.exercise.derivation
    choices = options(d, item.exercise.variant.seed)
    assert sum(o.correct for o in choices) == 1 and len(choices) >= 4
    points = sample_points(d, 99)  # other points than the ones the options were chosen at
    values = [values_at(o.expr, d, points) for o in choices]
    for a in range(len(values)):
        for b in range(a):
            assert not same(values[a], values[b]), (choices[a].text, choices[b].text)
    for o in choices:  # the tags are mcgen's grader's, on the option's own text
        verdict = grade(o.text, d)
        assert (verdict.correct, verdict.mistake) == (o.correct, o.mistake)
    assert "layout" in {o.mistake for o in choices} or d.closed_form.is_scalar


def test_options_are_shuffled_by_the_variant_seed():
    item = next(i for i in source().items if i.kind == "closed-form")
    d = item.exercise.derivation
    orders = {tuple(o.text for o in options(d, seed)) for seed in range(8)}
    assert len(orders) > 1 and options(d, 5) == options(d, 5)


def test_moodle_cloze_has_one_exact_gap_per_entry(exported):
    questions = _moodle_questions(exported)
    for item in (i for i in source().items if i.kind == "numeric"):
        gaps = re.findall(r"\{1:NUMERICAL:=([^:}]+):([^}]+)\}", questions[item.id].findtext("questiontext/text"))
        value = [x for row in item.exercise.value for x in row]
        assert len(gaps) == len(value)
        for (given, margin), x in zip(gaps, value):
            assert Fraction(given) == x if x.denominator == 1 else abs(Fraction(given) - x) < Fraction(1, 10 ** 9)
            assert float(margin) == (0 if x.denominator == 1 else 5e-5)


def test_moodle_short_answer_accepts_the_shape_and_names_the_other_layout(exported):
    questions = _moodle_questions(exported)
    for item in (i for i in source().items if i.kind == "shape"):
        answers = {a.findtext("text"): a for a in questions[item.id].findall("answer")}
        rows, cols = item.exercise.derivation.shape
        assert answers[f"{rows}×{cols}"].get("fraction") == "100"
        assert answers[f"{cols}×{rows}"].get("fraction") == "0"
        assert "layout" in answers[f"{cols}×{rows}"].findtext("feedback/text")


def test_moodle_fill_step_is_an_essay_with_the_missing_step_for_the_grader(exported):
    questions = _moodle_questions(exported)
    for item in (i for i in source().items if i.kind == "fill-step"):
        q = questions[item.id]
        step = item.exercise.derivation.steps[item.exercise.blank]
        assert step.latex.replace("&", "&amp;")[:30] in q.findtext("graderinfo/text").replace("&", "&amp;")
        assert r"\boxed" in q.findtext("questiontext/text")


def _qti(exported) -> tuple[ET.Element, ET.Element]:
    archive = zipfile.ZipFile(io.BytesIO(exported["qti"]["qti.zip"]))
    names = archive.namelist()
    assert names == sorted(names) and "imsmanifest.xml" in names
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    manifest_xml = ET.fromstring(archive.read("imsmanifest.xml"))
    resources = manifest_xml.findall(f"{CP}resources/{CP}resource")
    assert len(resources) == 1 and resources[0].get("type") == "imsqti_xmlv1p2"
    href = resources[0].find(f"{CP}file").get("href")
    assert href in names and href == f"{resources[0].get('identifier')}/{resources[0].get('identifier')}.xml"
    return manifest_xml, ET.fromstring(archive.read(href))


CANVAS_TYPES = {"closed-form": "multiple_choice_question", "numeric": "numerical_question",
                "shape": "short_answer_question", "fill-step": "essay_question"}


def test_qti_has_the_structure_canvas_imports(exported):
    """questestinterop > assessment > section > item, each item with its Canvas question_type, a presentation and
    response processing whose SCORE outcome is set where the key is met."""
    _, root = _qti(exported)
    assert root.tag == f"{QTI}questestinterop"
    assessment = root.find(f"{QTI}assessment")
    items = assessment.findall(f"{QTI}section/{QTI}item")
    idents = [i.get("ident") for i in items]
    assert len(set(idents)) == len(idents) and all(re.fullmatch(r"g[0-9a-f]{32}", x) for x in idents)
    by_title: dict[str, list[ET.Element]] = {}
    for element in items:
        by_title.setdefault(element.get("title").split(":")[0], []).append(element)
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
                  for f in element.findall(f"{QTI}itemmetadata/{QTI}qtimetadata/{QTI}qtimetadatafield")}
        assert fields["question_type"] in CANVAS_TYPES.values()
        assert element.find(f"{QTI}presentation/{QTI}material/{QTI}mattext").get("texttype") == "text/html"
        decvar = element.find(f"{QTI}resprocessing/{QTI}outcomes/{QTI}decvar")
        assert decvar.get("varname") == "SCORE" and decvar.get("maxvalue") == "100"
    for item in source().items:
        found = by_title[item.id]
        kinds = {f.findtext(f"{QTI}fieldentry") for e in found for f in e.iter(f"{QTI}qtimetadatafield")
                 if f.findtext(f"{QTI}fieldlabel") == "question_type"}
        assert kinds == {CANVAS_TYPES[item.kind]}
        if item.kind == "numeric":  # one numerical question per entry
            assert len(found) == sum(len(row) for row in item.exercise.value)


def test_qti_keys_are_mcgens(exported):
    _, root = _qti(exported)
    items = {}
    for element in root.iter(f"{QTI}item"):
        items.setdefault(element.get("title").split(":")[0], []).append(element)
    for item in source().items:
        if item.kind == "closed-form":
            element = items[item.id][0]
            scored = [c for c in element.iter(f"{QTI}respcondition") if c.find(f"{QTI}setvar") is not None]
            right = scored[0].findtext(f"{QTI}conditionvar/{QTI}varequal")
            label = next(l for l in element.iter(f"{QTI}response_label") if l.get("ident") == right)
            assert label.findtext(f"{QTI}material/{QTI}mattext") == rf"\({item.view.answer}\)"
        if item.kind == "numeric":
            for element, x in zip(items[item.id], [x for row in item.exercise.value for x in row]):
                condition = element.find(f"{QTI}resprocessing/{QTI}respcondition[@continue='No']/{QTI}conditionvar")
                if x.denominator == 1:
                    assert Fraction(condition.findtext(f"{QTI}varequal")) == x
                else:
                    low = float(condition.findtext(f".//{QTI}vargte"))
                    high = float(condition.findtext(f".//{QTI}varlte"))
                    assert low < float(x) < high and high - low == pytest.approx(1e-4)


@pytest.mark.parametrize("args, message", [
    (["{tmp}/missing.json"], "cannot read"),
    (["{manifest}", "--seed", "3"], "--variants and --seed come from the manifest"),
    (["{tampered}"], "disagrees"),
    (["{manifest}", "{problem}"], "a manifest cannot be combined with problem files"),
    (["{problem}", "{manifest}"], "a manifest cannot be combined with problem files"),
])
def test_bad_input_is_one_line_and_writes_nothing(args, message, tmp_path):
    data = json.loads(manifest().read_text(encoding="utf-8"))
    data["variants"][5]["answer"] = "2 " + data["variants"][5]["answer"]
    (tmp_path / "tampered.json").write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    given = [a.format(tmp=tmp_path, manifest=manifest(), tampered=tmp_path / "tampered.json",
                      problem=ROOT / "problems" / "sheets" / "trace.toml") for a in args]
    made = run("export", *given, "--format", "moodle", "-o", out)
    assert made.exit_code == 1 and message in made.stderr
    assert len(made.stderr.strip().splitlines()) == 1 and "Traceback" not in made.stderr
    assert not out.exists() or not any(out.iterdir())


def test_a_tampered_numeric_value_is_refused(tmp_path):
    data = json.loads(manifest().read_text(encoding="utf-8"))
    numeric = next(v for v in data["variants"] if v["kind"] == "numeric")
    numeric["value"][0][0] = str(Fraction(numeric["value"][0][0]) + 1)
    (tmp_path / "m.json").write_text(json.dumps(data), encoding="utf-8")
    made = run("export", tmp_path / "m.json", "--format", "qti", "-o", tmp_path / "out")
    assert made.exit_code == 1 and "stored value disagrees" in made.stderr
    assert not (tmp_path / "out").exists()


def test_a_kronecker_key_offers_its_factors_swapped():
    """The mistake the lecture warns of for vec(A X B): Bᵀ ⊗ A written A ⊗ Bᵀ (the row-major vec)."""
    d = derive("Y = A X B", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")}, "numerator")
    swapped = [o for o in options(d, 3) if o.text == "kron(A, B^T)"]
    assert [(o.correct, o.mistake) for o in swapped] == [(False, "kron-order")]
