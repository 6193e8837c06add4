"""Exercise sheets: every kind, keys refused when wrong, reproducible outputs, rosters, a real compile, bad input."""
from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator.tree.text import to_text
from generator.tree import algebra as alg
from generator import derive, load
from generator.cli import main
from generator.errors import GeneratorError, VerificationError
from generator.sheets.data import Student
from generator.tree.scope import Scope
from generator.latex.names import shape_latex
from generator.latex.printer import latex
from generator.sheets.space import FILL_STEPS
from generator.sheets.exercise import check_key, exercise
from generator.sheets.manifest import manifest
from generator.sheets.views import BLANK, exercise_view
from generator.sheets.plan import plan, read_roster
from generator.sheets.publish import publish
from generator.sheets.views import BLANK, exercise_view, split_equation
from generator.check.verify import gap_at

ROOT = Path(__file__).parent.parent
SHEETS = ROOT / "problems" / "sheets"
SHEET_PROBLEMS = sorted(SHEETS.glob("*.toml"))
KINDS = ("closed-form", "numeric", "shape", "fill-step")
MANIFEST_KEYS = {"id", "problem", "number", "seed", "kind", "title", "question", "expr", "wrt", "shapes",
                 "layout", "assume", "functions", "answer", "answer_latex", "shape", "residual"}


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def independent(v):
    """The variant derived afresh from its manifest fields, as a grader would."""
    return derive(v.expr, v.wrt, v.shapes, v.layout, v.assume, v.functions, hessian=v.hessian)


@pytest.fixture(scope="module")
def sheet():
    """Four variants of every shipped sheet problem, derived and checked."""
    p = plan([load(path) for path in SHEET_PROBLEMS], 4, 5)
    return p, [check_key(exercise(v)) for v in p.variants]


def of_kind(sheet, kind):
    return [ex for ex in sheet[1] if ex.variant.kind == kind]


# ---------------------------------------------------------------- every kind

def test_every_shipped_problem_gives_every_kind_it_offers(sheet):
    p, exercises = sheet
    assert len(exercises) == 4 * len(SHEET_PROBLEMS)
    assert {ex.variant.kind for ex in exercises} == set(KINDS)
    for ex in exercises:
        assert ex.residual <= 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_answers_agree_with_an_independent_derivation(sheet, kind):
    for ex in of_kind(sheet, kind):
        d = independent(ex.variant)
        assert to_text(ex.derivation.closed_form) == to_text(d.closed_form)
        if kind == "slice":  # the key is the slice ∂y_k/∂X or ∂Y/∂X_ij, in unit vectors
            assert to_text(ex.derivation.slice.expr) == to_text(d.slice.expr)
            assert exercise_view(ex).result == f"{d.slice.label} = {latex(d.slice.expr)}"
        else:
            assert exercise_view(ex).result.endswith(f"= {d.latex}")


def test_closed_form_keys_carry_the_whole_proof(sheet):
    for ex in of_kind(sheet, "closed-form"):
        view = exercise_view(ex)
        assert [s.latex for s in view.steps] == [s.latex for s in ex.derivation.steps]
        assert ex.derivation.steps[-1].kind == "result" and len(view.steps) >= 3
        assert "prove it" in view.task


def test_numeric_answers_are_exact_and_match_finite_differences(sheet):
    exercises = of_kind(sheet, "numeric")
    assert exercises
    for ex in exercises:
        v, d = ex.variant, independent(ex.variant)
        assert all(isinstance(x, Fraction) for row in ex.value for x in row)
        assert all(isinstance(s, int) for shape in v.shapes.values() for s in shape)
        values = {n: np.array(rows, dtype=float) for n, rows in ex.data.items()}
        assert np.allclose(np.array(ex.value, dtype=float), d.numeric(values), rtol=0, atol=1e-9)
        scope = Scope.build(v.shapes, v.assume, v.functions)
        gap = gap_at(d.statement.expr, d.wrt, d.closed_form, v.layout, scope, d.kind, values, {})
        assert gap < 1e-6
        view = exercise_view(ex)
        assert len(view.data) == len(v.shapes) and view.value.startswith(view.result.split(" = ")[0])


def test_shape_answers_follow_the_layout(sheet):
    for ex in of_kind(sheet, "shape"):
        v, d = ex.variant, ex.derivation
        wrt = v.shapes[v.wrt]
        if d.statement.expr.is_scalar:  # scalar by anything: the variable's shape, or its transpose
            assert d.shape == (wrt if v.layout == "denominator" else wrt[::-1])
        assert exercise_view(ex).shape == shape_latex(independent(v).shape)
        assert "What is the shape" in exercise_view(ex).task


def test_fill_step_blanks_one_step_of_the_proof(sheet):
    exercises = of_kind(sheet, "fill-step")
    assert exercises
    for ex in exercises:
        view = exercise_view(ex)
        step = ex.derivation.steps[ex.blank]
        assert step.kind in FILL_STEPS
        lhs, rhs = step.sides
        assert step.latex == f"{lhs} = {rhs}"
        blanked = [s for s in view.steps if s.blank]
        assert len(blanked) == 1 and blanked[0].sheet == f"{lhs} = {BLANK}" and blanked[0].latex == step.latex
        assert f"missing step {ex.blank + 1}" in view.task and BLANK in view.question


@pytest.mark.parametrize("text, parts", [
    (r"y = \sum_{k=1}^{n} a_{k}", ("y", r"\sum_{k=1}^{n} a_{k}")),
    (r"\frac{\partial y}{\partial x_{i}} = 2 x_{i} = y", (r"\frac{\partial y}{\partial x_{i}}", "2 x_{i} = y")),
    (r"x_{k=1}", ("", r"x_{k=1}")),
])
def test_split_equation(text, parts):
    assert split_equation(text) == parts


# ---------------------------------------------------------------- wrong keys are refused

def _transpose(ex):
    return dataclasses.replace(ex, derivation=dataclasses.replace(
        ex.derivation, closed_form=alg.transpose(ex.derivation.closed_form)))


def _scale(factor):
    def wrong(ex):
        closed = alg.mul(alg.const(factor), ex.derivation.closed_form)
        return dataclasses.replace(ex, derivation=dataclasses.replace(ex.derivation, closed_form=closed))
    return wrong


def _off_by_one(ex):
    rows = [list(row) for row in ex.value]
    rows[0][0] += 1
    return dataclasses.replace(ex, value=tuple(map(tuple, rows)))


@pytest.mark.parametrize("kind, tamper", [
    ("closed-form", _transpose), ("shape", _transpose), ("fill-step", _scale(2)), ("closed-form", _scale(-1)),
    ("numeric", _off_by_one), ("numeric", _transpose),
])
def test_a_wrong_key_is_refused_and_nothing_is_written(sheet, tmp_path, kind, tamper):
    p, exercises = sheet
    victim = next(k for k, ex in enumerate(exercises) if ex.variant.kind == kind)
    wrong = [tamper(ex) if k == victim else ex for k, ex in enumerate(exercises)]
    out = tmp_path / "out"
    with pytest.raises(VerificationError) as err:
        publish(p, wrong, out, pdf=False)
    message = str(err.value)
    assert message.startswith(f"{exercises[victim].variant.id} (") and "\n" not in message
    assert not out.exists()


def test_a_refused_key_leaves_earlier_output_untouched(sheet, tmp_path):
    p, exercises = sheet
    publish(p, exercises, tmp_path, pdf=False)
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
    with pytest.raises(VerificationError):
        publish(p, [_scale(3)(exercises[0]), *exercises[1:]], tmp_path, pdf=False)
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == before


# ---------------------------------------------------------------- the manifest

def test_manifest_holds_what_a_grader_needs(sheet):
    p, exercises = sheet
    text = manifest(p, exercises, [exercise_view(ex) for ex in exercises])
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert (data["version"], data["seed"], data["problems"]) == (1, 5, [path.stem for path in SHEET_PROBLEMS])
    for entry, ex in zip(data["variants"], exercises):
        assert MANIFEST_KEYS <= set(entry) and "student" not in entry
        assert entry["id"] == f"{entry['problem']}-{entry['number']}" == ex.variant.id
        d = derive(entry["expr"], entry["wrt"], entry["shapes"], entry["layout"], entry["assume"] or None,
                   entry["functions"] or None)
        if entry["kind"] == "slice":
            assert entry["answer"] == to_text(d.slice.expr) and set(entry["slice"]["units"]) == {
                u.name for u in d.slice.units}
        else:
            assert entry["answer"] == to_text(d.closed_form) and entry["answer_latex"] == d.latex
        assert ("vec_shape" in entry) == d.tensor
        assert entry["shape"] == list(d.shape) and 0 <= entry["residual"] <= 1e-6
        assert ("values" in entry) == (entry["kind"] == "numeric") and ("blank" in entry) == (entry["kind"] == "fill-step")


# ---------------------------------------------------------------- the command, end to end

FILES = [str(SHEETS / "bilinear.toml"), str(SHEETS / "delta.toml")]


def test_same_seed_gives_byte_identical_outputs_and_another_seed_does_not(tmp_path):
    for out, seed in (("a", "9"), ("b", "9"), ("c", "10")):
        result = run("sheet", *FILES, "--variants", "3", "--seed", seed, "-o", str(tmp_path / out), "--no-pdf")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""  # no bar off a terminal, no warning
    names = ["key.tex", "manifest.json", "sheet.tex"]
    assert sorted(f.name for f in (tmp_path / "a").iterdir()) == names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()


def test_real_compile_with_a_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns-001,Ada Lovelace\ns-002,\"Noether, Emmy\"\ns-003,José Ñúñez & Co_1\n")
    files = [str(SHEETS / "least-squares.toml"), str(SHEETS / "activation.toml")]
    builds = []
    for out in ("a", "b"):
        result = run("sheet", *files, "--roster", str(roster), "--seed", "4", "-o", str(tmp_path / out))
        assert result.exit_code == 0, result.output
        assert "overfull" not in result.stderr
        builds.append({f.name: f.read_bytes() for f in (tmp_path / out).iterdir()})
    assert sorted(builds[0]) == ["key.pdf", "key.tex", "manifest.json", "sheet.pdf", "sheet.tex"]
    assert builds[0] == builds[1]  # PDFs too
    assert builds[0]["sheet.pdf"].startswith(b"%PDF") and builds[0]["key.pdf"].startswith(b"%PDF")
    sheet_tex = builds[0]["sheet.tex"].decode()
    assert sheet_tex.count(r"\clearpage") == 2
    assert "Noether, Emmy" in sheet_tex and r"José Ñúñez \& Co\_1" in sheet_tex and "s-002" in sheet_tex
    data = json.loads(builds[0]["manifest.json"])
    assert [(v["student"], v["number"]) for v in data["variants"]] == [
        (s, n) for n, s in enumerate(["s-001", "s-002", "s-003"], 1) for _ in files]


@pytest.mark.parametrize("text, message", [
    ("id,name\ns1,Ann\ns1,Bob\n", "roster.csv: line 3: the student id 's1' is already on line 2"),
    ("id,name\ns1,Ann\n,Bob\n", "roster.csv: line 3: the student id is missing"),
    ("who,name\ns1,Ann\n", "roster.csv: line 1: expected a header with the columns id and name"),
    ("id,name\n", "roster.csv: the roster lists no students"),
    ("", "roster.csv: line 1: expected a header"),
])
def test_bad_rosters_are_refused(tmp_path, text, message):
    (tmp_path / "roster.csv").write_text(text)
    with pytest.raises(GeneratorError, match=message):
        read_roster(tmp_path / "roster.csv")
    result = run("sheet", FILES[0], "--roster", str(tmp_path / "roster.csv"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("header", ["id,name", "Student ID,Name", "name,student"])
def test_roster_headers_and_one_variant_per_student(tmp_path, header):
    (tmp_path / "r.csv").write_text(f"{header}\n" + ("a1,Ann\nb2,Bob\n" if header != "name,student" else "Ann,a1\nBob,b2\n"))
    students = read_roster(tmp_path / "r.csv")
    assert students == (Student("a1", "Ann"), Student("b2", "Bob"))
    p = plan([load(FILES[0])], None, 0, students)
    assert [(v.number, p.student(v.number).id) for v in p.variants] == [(1, "a1"), (2, "b2")]


def test_variants_must_match_the_roster(tmp_path):
    (tmp_path / "r.csv").write_text("id,name\na,A\nb,B\n")
    result = run("sheet", FILES[0], "--roster", str(tmp_path / "r.csv"), "--variants", "3", "-o", str(tmp_path / "o"))
    assert result.exit_code == 1 and "--variants 3 disagrees with the roster's 2 students" in result.stderr


def _problem_file(tmp_path, variation: str) -> str:
    path = tmp_path / "x.toml"
    path.write_text('expr = "y = a^T X b"\nwrt = "X"\n[shapes]\na = ["m", 1]\nX = ["m", "n"]\nb = ["n", 1]\n'
                    f"[variation]\n{variation}\n")
    return str(path)


@pytest.mark.parametrize("variation, message", [
    ('dims = { m = [3], n = [3] }', "x.toml: variation.dims: no choice gives m, n different values"),
    ('structures = ["y = a^T X^T b"]', "x.toml: variation.structures[0]: column 9: cannot multiply"),
    ('names = { X = ["X", "k"] }', "x.toml: variation.names.X[1]: 'k' collides with an index letter"),
    ('names = { a = ["a", "X"] }', "x.toml: variation.names.a[1]: 'X' collides with the symbol X"),
    ('kinds = ["numeric"]\nstructures = ["y = a^T exp(X) b"]', "x.toml: variation.kinds: no variant fits"),
    ('layouts = "numerator"', "x.toml: variation.layouts: expected a non-empty list"),
])
def test_bad_problems_are_one_line_and_write_nothing(tmp_path, variation, message):
    result = run("sheet", _problem_file(tmp_path, variation), "--variants", "2", "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert result.stderr.startswith("mcgen: ") and result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    ([FILES[0], "--variants", "0"], "--variants: expected at least 1, found 0"),
    ([FILES[0], "--seed", "x"], "Invalid value for '--seed'"),
    ([FILES[0], FILES[0]], "has the same name as"),  # variant ids would clash
    ([], "no problem files given"),
])
def test_command_line_refusals(tmp_path, args, message):
    result = run("sheet", *args, "-o", str(tmp_path / "out"), "--no-pdf")
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    result = run("sheet", FILES[0], "-o", str(tmp_path / "taken" / "out"), "--no-pdf")
    assert result.exit_code == 1 and "is not a directory" in result.stderr
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = run("sheet", FILES[0], "-o", str(locked / "out"), "--no-pdf")
    if result.exit_code == 0:  # root may write anywhere: then at least the files are complete
        assert (locked / "out" / "manifest.json").exists()
    else:
        assert "is not writable" in result.stderr and not (locked / "out").exists()


def test_repeats_are_announced_on_stderr_and_still_produced(tmp_path):
    path = _problem_file(tmp_path, 'names = { X = ["X", "W"] }')
    result = run("sheet", path, "--variants", "3", "-o", str(tmp_path / "out"), "--no-pdf")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"mcgen: warning: {path}: only 2 distinct variants; some repeat\n"
    assert len(json.loads((tmp_path / "out" / "manifest.json").read_text())["variants"]) == 3


def test_a_blanked_step_is_not_given_away_by_the_lines_after_it():
    """Later lines that restate the missing expression show the gap instead; after a blanked reduction, the matrix
    collected from the reduced entries is shown without its corners."""
    p = plan([load(path) for path in SHEET_PROBLEMS], 12, 2024)
    blanked = [exercise(v) for v in p.variants if v.kind == "fill-step"]
    assert any(ex.derivation.steps[ex.blank].kind == "reduce" for ex in blanked)
    for ex in blanked:
        view = exercise_view(ex)
        missing = ex.derivation.steps[ex.blank].sides[1]
        after = [line.sheet for line in view.steps[ex.blank + 1:]]
        assert all(missing not in line for line in after), ex.variant.id
        if ex.derivation.steps[ex.blank].kind == "reduce":
            assert all("&" not in line for line in after), ex.variant.id  # no matrix entries
        assert view.steps[ex.blank].sheet.endswith(BLANK)
