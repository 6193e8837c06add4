"""The command line through click's CliRunner: slides, table and derive, and one-line refusals."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from generator import derive, load
from generator.cli import main
from generator.render.escape import tex_escape

from conftest import BAD, DATA

ROOT = DATA.parent.parent
WX = str(ROOT / "problems" / "lecture-1-wx.toml")
XTW = str(ROOT / "problems" / "lecture-2-xtw.toml")
BILINEAR = ["y = a^T X b", "--wrt", "X", "--shape", "a=m,1", "--shape", "X=m,n", "--shape", "b=n,1"]


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_slides_writes_tex_and_pdf(tmp_path):
    result = run("slides", WX, XTW, str(DATA / "delta.toml"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["slides.pdf", "slides.tex"]
    assert (tmp_path / "out" / "slides.pdf").read_bytes().startswith(b"%PDF")
    tex = (tmp_path / "out" / "slides.tex").read_text()
    for problem in (WX, XTW):
        assert tex_escape(load(problem).title) in tex


@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_slides_layout_override_and_no_pdf(tmp_path, layout):
    result = run("slides", WX, "-o", str(tmp_path), "--layout", layout, "--no-pdf")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slides.tex"]
    d = derive("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, layout)
    tex = (tmp_path / "slides.tex").read_text()
    assert rf"\boxed{{\frac{{\partial \mathbf{{z}}}}{{\partial \mathbf{{x}}}} = {d.latex}}}" in tex
    assert f"in {layout} layout" in tex


def test_same_inputs_give_byte_identical_tex(tmp_path):
    for out in ("a", "b"):
        assert run("slides", WX, str(DATA / "network.toml"), "-o", str(tmp_path / out), "--no-pdf").exit_code == 0
    assert (tmp_path / "a" / "slides.tex").read_bytes() == (tmp_path / "b" / "slides.tex").read_bytes()


def test_table_shows_both_layouts_side_by_side(tmp_path):
    rows = [str(ROOT / "problems" / f) for f in ("table-03-ax.toml", "table-04-xta.toml")]
    files = [*rows, str(DATA / "bilinear.toml"), str(DATA / "delta.toml")]  # delta has no table key
    result = run("table", *files, "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["identities.pdf", "identities.tex"]
    tex = (tmp_path / "identities.tex").read_text()
    for expr, wrt, shapes in [("z = A x", "x", {"A": ("m", "n"), "x": ("n", 1)}),
                              ("z = x^T A", "x", {"x": ("n", 1), "A": ("n", "m")})]:
        num, den = (derive(expr, wrt, shapes, layout).latex for layout in ("numerator", "denominator"))
        assert f"\\mccell{{{num}}}\n  & \\mccell{{{den}}}" in tex
    assert "(70)" in tex and "vector-by-vector" in tex


@pytest.mark.parametrize("extra, lines", [
    ([], ["a b^T", "gradient in denominator layout, m×n; finite differences agree to"]),
    (["--layout", "numerator"], ["b a^T", "gradient in numerator layout, n×m;"]),
    (["--format", "latex"], [r"\frac{\partial y}{\partial X} = \mathbf{a} \mathbf{b}^{\top}"]),
])
def test_derive_text_and_latex(extra, lines):
    result = run("derive", *BILINEAR, *extra)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert len(out) == len(lines)
    assert all(got.startswith(want) for got, want in zip(out, lines))


@pytest.mark.parametrize("args, answer, shape", [
    (BILINEAR, "a b^T", ["m", "n"]),
    (["f = W^T a; y = g(f)", "--wrt", "W", "--shape", "W=n,m", "--shape", "a=n,1",
      "--function", "g=scalar:delta"], "a delta^T", ["n", "m"]),
    (["y = x^T A x", "--wrt", "x", "--shape", "x=n,1", "--shape", "A=n,n", "--assume", "A=symmetric"],
     "2 A x", ["n", 1]),
    (["y = x^T A x", "--wrt", "x", "--shape", "x=n,1", "--shape", "A=n,n", "--hessian"], "A + A^T", ["n", "n"]),
    (["z = h(x)", "--wrt", "x", "--shape", "x=n,1", "--function", "h=elementwise"], "diag(h'(x))", ["n", "n"]),
    (["z = u(x)", "--wrt", "x", "--shape", "x=n,1", "--function", "u=vector:r,1"], "\\frac{\\partial u}{\\partial x}", ["n", "r"]),
    ([str(DATA / "quadratic.toml")], "2 A x", ["n", 1]),
])
def test_derive_json(args, answer, shape):
    result = run("derive", *args, "--format", "json", "--steps")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == sorted(data)
    assert (data["answer"], data["shape"]) == (answer, shape)
    assert data["residual"] < 1e-6 and data["steps"] and data["steps"][-1]["latex"]


def test_derive_json_is_stable():
    assert run("derive", *BILINEAR, "--format", "json").stdout == run("derive", *BILINEAR, "--format", "json").stdout


def test_derive_steps_in_text():
    result = run("derive", *BILINEAR, "--steps")
    assert result.exit_code == 0 and "\n1. " in result.stdout


@pytest.mark.parametrize("args, message", [
    (["derive", "y = a^T X +", "--wrt", "X", "--shape", "a=m,1", "--shape", "X=m,n"], "column 11: expected"),
    (["derive", "y = W x", "--wrt", "q", "--shape", "W=n,m", "--shape", "x=m,1"], "'q' is not declared"),
    (["derive", "y = W x", "--wrt", "x", "--shape", "W=n,m", "--shape", "x=k,1"],
     "cannot multiply W (n×m) by x (k×1)"),
    (["derive", "y = W x", "--wrt", "x", "--shape", "W=n"], "--shape 'W=n': expected two sizes"),
    (["derive", "y = W x", "--wrt", "x", "--shape", "W"], "--shape 'W': expected NAME=ROWS,COLS"),
    (["derive", "y = W x", "--shape", "W=n,m"], "--wrt is missing"),
    (["derive", "y = W x", "--wrt", "x"], "--shape is missing"),
    (["derive", "y = W x", "--wrt", "x", "--shape", "W=n,m", "--shape", "x=m,1", "--layout", "sideways"],
     "Invalid value for '--layout'"),
    (["derive", "y = g(x)", "--wrt", "x", "--shape", "x=n,1", "--function", "g=weird"], "expected kind = one of"),
    (["derive", "y = x^T A x", "--wrt", "x", "--shape", "x=n,1", "--shape", "A=n,n", "--assume", "A=round"],
     "expected one of symmetric, spd, probability"),
    (["derive", str(BAD / "missing.toml")], "missing.toml: cannot read the file"),
    (["derive", str(DATA / "bilinear.toml"), "--wrt", "a"], "come from the problem file"),
    (["derive", "y = W x", "--bogus"], "No such option"),
])
def test_derive_refusals_are_one_line(args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mcgen: ")
    assert message in result.stderr


@pytest.mark.parametrize("command, files, message", [
    ("slides", ["syntax.toml"], "syntax.toml: expr: column 9: expected"),
    ("slides", ["undeclared-wrt.toml"], "undeclared-wrt.toml: wrt: 'q' is not declared"),
    ("slides", ["shape-mismatch.toml"], "cannot multiply W (n×m) by x (k×1)"),
    ("slides", ["toml-error.toml"], "toml-error.toml: line 1, column"),
    ("slides", ["missing.toml"], "missing.toml: cannot read the file"),
    ("slides", [], "no problem files given"),
    ("table", ["bad-row.toml"], "bad-row.toml: 'row' should be a whole number"),
    ("table", ["table-shape.toml"], "table-shape.toml: expr: column 9: cannot multiply x^T (1×m) by W (k×n)"),
])
def test_bad_files_write_nothing(tmp_path, command, files, message):
    out = tmp_path / "out"
    result = run(command, WX, *(str(BAD / f) for f in files), "-o", str(out)) if files else run(command, "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("mcgen: ")
    assert message in result.stderr
    assert not out.exists()


def test_table_without_table_rows_is_refused(tmp_path):
    result = run("table", str(DATA / "delta.toml"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1 and "none of the problem files has a 'table' key" in result.stderr
    assert not (tmp_path / "out").exists()


def test_output_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "taken").write_text("x")
    result = run("slides", WX, "-o", str(tmp_path / "taken"))
    assert result.exit_code == 1 and "is not a directory" in result.stderr
    assert (tmp_path / "taken").read_text() == "x"


def test_existing_output_is_untouched_when_a_build_fails(tmp_path):
    assert run("slides", WX, "-o", str(tmp_path), "--no-pdf").exit_code == 0
    before = (tmp_path / "slides.tex").read_bytes()
    result = run("slides", XTW, str(BAD / "syntax.toml"), "-o", str(tmp_path), "--no-pdf")
    assert result.exit_code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slides.tex"]
    assert (tmp_path / "slides.tex").read_bytes() == before


MANIFEST = ROOT / "tests" / "fixtures" / "manifest.json"


def test_grade_writes_grades_and_a_summary(tmp_path):
    subs = tmp_path / "submissions.csv"
    subs.write_text("student,variant,answer\nada,wx-1,W^T\nbob,wx-1,W\ncy,nope,W^T\n", encoding="utf-8")
    out = tmp_path / "grades.csv"
    result = run("grade", str(subs), "--manifest", str(MANIFEST), "-o", str(out), "--credit", "layout=0.25")
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4  # header + every submission, the bad row kept
    assert "layout" in rows[2] and "0.25" in rows[2]
    assert "unknown variant" in result.output and (tmp_path / "grades-summary.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["grade", "missing.csv", "--manifest", str(MANIFEST)], "missing.csv"),
    (["grade", str(MANIFEST), "--manifest", "nowhere.json"], "nowhere.json"),
    (["grade", str(MANIFEST), "--manifest", str(MANIFEST), "--credit", "layout=lots"], "between 0 and 1"),
])
def test_grade_refuses_bad_input_in_one_line(tmp_path, args, message):
    result = run(*args, "-o", str(tmp_path / "g.csv")) if "-o" not in args else run(*args)
    assert result.exit_code == 1
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "g.csv").exists()


def test_output_does_not_depend_on_the_process(tmp_path):
    """Python salts str hashes per process; nothing in the output may depend on set order."""
    import os
    import subprocess
    import sys

    files = [str(p) for p in sorted((ROOT / "problems").glob("*-?-*.toml"))[:4]] + [
        str(ROOT / "problems" / "model-two-layer-w1.toml"), str(ROOT / "problems" / "cookbook-119-trace-residual.toml")]
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        code = "from generator.cli import main; main()"
        subprocess.run([sys.executable, "-c", code, "slides", *files, "-o", str(out), "--no-pdf"], check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True)
        outputs.append((out / "slides.tex").read_bytes())
    assert outputs[0] == outputs[1]


def test_an_unforeseen_recursion_is_one_line_too(monkeypatch, tmp_path):
    def deep(path):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("generator.cli.load", deep)
    result = run("slides", str(tmp_path / "p.toml"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "mcgen: the input is too deeply nested or too large to work with; split it into named steps"]
