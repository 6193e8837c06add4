"""Building: real latexmk runs, the log lines a failure shows, reproducible PDFs and atomic output."""
from __future__ import annotations

import pytest

from generator.render.latexmk import build, check_writable, compile_tex, overfull_boxes, relevant_lines, write_all
from generator.errors import BuildError, GeneratorError
from generator.render.escape import TEXT_ESCAPES, tex_escape
from generator.render.slides import render_slides
from generator.render.table import render_table, table_entry
from generator import derive_problem

MINIMAL = "\\documentclass{article}\n\\pdftrailerid{}\n\\begin{document}\n%s\n\\end{document}\n"


@pytest.fixture(scope="module")
def deck(examples):
    """The deck of every example problem (short, long and wide formulas), compiled once."""
    problems = [p for p, _ in examples.values()]
    tex = render_slides([d for _, d in examples.values()], title="Test deck", problems=problems)
    return tex, compile_tex(tex, "slides")


def test_deck_compiles_without_overfull_boxes(deck):
    tex, compiled = deck
    assert compiled.pdf.startswith(b"%PDF")
    assert "Output written on slides.pdf" in compiled.log
    assert compiled.overfull == ()
    assert tex.count(r"\begin{frame}") >= 1 + 3 * 4  # title, then statement, proof, result each


def test_identity_table_compiles_without_overfull_boxes(examples):
    rows = [(table_entry(p), derive_problem(p, "numerator"), derive_problem(p, "denominator"))
            for p, _ in examples.values() if table_entry(p)]
    compiled = compile_tex(render_table(rows, title="Identities"), "identities")
    assert compiled.pdf.startswith(b"%PDF") and compiled.overfull == ()


def test_escaped_text_compiles():
    text = " ".join(TEXT_ESCAPES) + " δₖⱼ = ∂zᵢ/∂xⱼ, Wᵀa ∈ ℝⁿ, λ² Ω café"
    compiled = compile_tex("\\documentclass{article}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb}\n"
                           f"\\begin{{document}}\n{tex_escape(text)}\n\\end{{document}}\n", "escaped")
    assert compiled.pdf.startswith(b"%PDF")


def test_same_source_gives_byte_identical_pdf():
    source = MINIMAL % r"Reproducible: \today."
    assert compile_tex(source, "a").pdf == compile_tex(source, "a").pdf


@pytest.mark.parametrize("body, line, fragments", [
    (r"\undefinedmacro", 4, ["Undefined control sequence", r"l.4 \undefinedmacro"]),
    (r"$x^$", 4, ["Missing"]),
    (r"\begin{itemize}", 5, ["\\begin{itemize}"]),
])
def test_broken_latex_raises_one_line_with_the_relevant_log_lines(tmp_path, body, line, fragments):
    out = tmp_path / "out"
    with pytest.raises(BuildError) as caught:
        build({"broken": MINIMAL % body}, out)
    message = str(caught.value)
    assert message.startswith("broken.tex: LaTeX failed: ")
    assert f"broken.tex:{line}:" in message
    assert all(f in message for f in fragments)
    assert "\n" not in message and len(message) < 600
    assert not out.exists()  # nothing written, not even the .tex


def test_build_writes_all_files_and_nothing_else(tmp_path):
    built = build({"one": MINIMAL % "One.", "two": MINIMAL % "Two."}, tmp_path / "o")
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == ["one.pdf", "one.tex", "two.pdf", "two.tex"]
    assert [p.name for p in built.files] == ["one.tex", "one.pdf", "two.tex", "two.pdf"]
    assert built.overfull == {"one": (), "two": ()}


def test_tex_only_build_starts_no_latexmk(tmp_path):
    built = build({"broken": MINIMAL % r"\undefinedmacro"}, tmp_path, pdf=False)
    assert [p.name for p in built.files] == ["broken.tex"]


def test_overfull_line_is_reported(tmp_path):
    compiled = compile_tex(MINIMAL % r"\noindent\hbox to 2\textwidth{wide}", "wide")
    assert len(compiled.overfull) == 1 and compiled.overfull[0].startswith("Overfull \\hbox")


@pytest.mark.parametrize("log, found", [
    ("This is pdfTeX\nOverfull \\hbox (12.0pt too wide) in paragraph at lines 3--4\n[]\\OT1/cmr/m/n/10 x\n",
     ("Overfull \\hbox (12.0pt too wide) in paragraph at lines 3--4",)),
    ("Overfull \\vbox (326.9pt too high) detected at line 97\nUnderfull \\hbox (badness 10000)\n",
     ("Overfull \\vbox (326.9pt too high) detected at line 97",)),
    ("Underfull \\hbox (badness 10000) in paragraph\n", ()),
])
def test_overfull_boxes(log, found):
    assert overfull_boxes(log) == found


@pytest.mark.parametrize("log, lines", [
    ("(./x.tex\n./x.tex:12: Undefined control sequence.\nl.12 \\foo\n  \n? \n",
     ["x.tex:12: Undefined control sequence.", "l.12 \\foo"]),
    ("! Emergency stop.\n<*> x.tex\n*** (job aborted, no legal \\end found)\n", ["! Emergency stop."]),
    ("/usr/share/texlive/texmf-dist/tex/latex/base/article.cls:12: LaTeX Error: boom\n",
     ["/usr/share/texlive/texmf-dist/tex/latex/base/article.cls:12: LaTeX Error: boom"]),
    ("nothing wrong here\n", []),
])
def test_relevant_lines(log, lines):
    assert relevant_lines(log) == lines


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "file").write_text("x") and d / "file", "is not a directory"),
    (lambda d: (d / "file").write_text("x") and d / "file" / "sub" / "dir", "is not a directory"),
])
def test_unwritable_output_dir_is_refused(tmp_path, make, message):
    with pytest.raises(GeneratorError, match=message):
        check_writable(make(tmp_path))


def test_write_all_leaves_no_staging_files(tmp_path):
    write_all(tmp_path, {"a.tex": b"A", "b.pdf": b"B"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tex", "b.pdf"]
    assert (tmp_path / "a.tex").read_bytes() == b"A"
