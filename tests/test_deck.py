"""The deck as an instructor uses it: a handout with one page per frame, results numbered, and a proof that cites
an identity pointing to the frame where the deck proved it — checked in the PDF latexmk writes."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import derive_problem, load
from generator.cli import main
from generator.render.slides import Citation, cited, view

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
DECK = ("cookbook-069-linear", "cookbook-131-squared-norm", "course-ridge", "course-attention-score")


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> tuple[str, list[str]]:
    out = tmp_path_factory.mktemp("handout")
    result = CliRunner().invoke(main, ["slides", *(str(PROBLEMS / f"{n}.toml") for n in DECK), "-o", str(out),
                                       "--handout"])
    assert result.exit_code == 0, result.output
    return (out / "handout.tex").read_text(encoding="utf-8"), _pages(out / "handout.pdf")


def test_a_handout_has_one_page_per_frame_and_no_overlays(handout):
    tex, pages = handout
    assert "handout]{beamer}" in tex  # beamer's handout mode: overlays collapse, one page per frame
    assert len(pages) == tex.count(r"\begin{frame}")
    for number, page in enumerate(pages, 1):  # the footline's frame number is the page number
        assert page.split()[-1] == str(number)


def test_a_cited_identity_points_to_the_frame_that_proved_it(handout):
    tex, pages = handout
    citations = re.findall(r"proved as \\hyperlink\{mcresult(\d+)\}\{\((\d+)\) on frame~(\d+)\}", tex)
    assert {c[0] for c in citations} == {"1", "2"}  # aᵀx proves the linear form, ‖x‖² the squared norm
    for label, number, frame in citations:
        assert label == number
        shown = pages[int(frame) - 1]
        assert ": result" in shown and f"({number})" in shown
    ridge = next(p for p in pages if "Ridge regression" in p and "constant factor" in p)
    assert re.search(r"proved as \(2\) on\s+frame 10", ridge)  # ‖w‖², from ‖x‖²'s result (2) on frame 10
    assert "Derivative of the squared norm" in pages[9]


def test_only_an_earlier_result_is_cited():
    names = ("course-ridge", "cookbook-131-squared-norm")
    ds = [derive_problem(load(PROBLEMS / f"{n}.toml"), "denominator") for n in names]
    views = cited([view(d) for d in ds], ds, frames_before=2)
    ridge_steps = [s for page in views[0].pages for s in page]
    assert any(s.identities == ("squared-norm",) for s in ridge_steps)
    assert all(s.cites is None for s in ridge_steps)  # ‖x‖² comes later in this deck
    assert [v.number for v in views] == [1, 2]


def test_a_general_instance_is_cited_before_a_bare_one():
    """tr(XᵀX) and tr(XᵀBX) both prove the trace of a quadratic form; the one that names more than the variable
    is cited, though it comes second."""
    names = ("cookbook-115-trace-xtx", "cookbook-108-trace-xtbx", "cookbook-119-trace-residual")
    ds = [derive_problem(load(PROBLEMS / f"{n}.toml"), "denominator") for n in names]
    views = cited([view(d) for d in ds], ds, frames_before=2)
    second_result = 2 + (2 + len(views[0].pages)) + (2 + len(views[1].pages))
    cites = [s.cites for page in views[2].pages for s in page if "trace-quadratic" in s.identities]
    assert cites == [Citation(2, second_result)]
