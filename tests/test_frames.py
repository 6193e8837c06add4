"""Every shipped proof, as the slides show it: no symbol means two things on a frame, reasons match formulas.

The proofs are paginated as the deck paginates them (render/slides.py), in both layouts, and read as a
student reads them (tests/frames.py): letters that name things, letters that are indices.
"""
from __future__ import annotations

import re
from dataclasses import fields
from functools import cache
from pathlib import Path

import pytest

from generator import derive_problem, load
from generator.render.slides import paginate, view

from generator.latex.formula import formula_latex, reason_latex
from generator.proof.formula import PARTS, InDifferential, Index, Marked, Reason, Tree

from frames import Reading, read

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.toml"))
MATH = re.compile(r"\$([^$]*)\$")
CASES = [(p, layout) for p in PROBLEMS for layout in ("denominator", "numerator")]


@cache
def _frames(path: Path, layout: str):
    problem = load(path)
    d = derive_problem(problem, layout if not problem.hessian else None)
    return problem, d, view(d, problem), paginate(d.steps)  # the deck's pages, of the steps themselves


def _union(readings: list[Reading]) -> Reading:
    out = Reading()
    for r in readings:
        out.names |= r.names
        out.indices |= r.indices
        out.deltas += r.deltas
    return out


def _reason(step) -> Reading:
    """The maths of a step's reason, read part by part: the letters of an index expression that are index
    symbols (p = i; column i + n(j − 1)) are indices, whatever they look like."""
    out = Reading()
    for piece in step.data.reason.pieces:
        if isinstance(piece, PARTS):
            _part(piece, out)
            continue
        text = piece if isinstance(piece, str) else reason_latex(Reason((piece,)))  # a rule: its sentence
        for maths in MATH.findall(text):
            shown = read(maths)
            out.names |= shown.names
            out.indices |= shown.indices
            out.deltas += shown.deltas
    return out


def _part(part, out: Reading) -> None:
    if isinstance(part, Index):
        shown = read(formula_latex(part))
        indices = {str(s) for s in part.expr.free_symbols if s.is_integer and not s.is_positive}
        out.names |= shown.names - indices
        out.indices |= shown.indices | (shown.names & indices)
        out.deltas += shown.deltas
        return
    children = [getattr(part, f.name) for f in fields(part)]
    nested = [c for c in children for c in (c if isinstance(c, tuple) else (c,)) if isinstance(c, PARTS)]
    if not nested or isinstance(part, (Tree, InDifferential, Marked)):
        shown = read(formula_latex(part))
        out.names |= shown.names
        out.indices |= shown.indices
        out.deltas += shown.deltas
        return
    for child in nested:
        _part(child, out)


def _given(v) -> Reading:
    """What the statement frame names: symbols, sizes, intermediates, the output, functions and their gradients."""
    return _union([read(line) for line in (*v.statement, *v.shapes, *v.givens, v.asked, v.shape)])


def _sides(latex: str) -> list[str]:
    """A formula split at its top-level '=' (not inside braces: 𝕀_{i = k} stays whole)."""
    sides, depth, last = [], 0, 0
    for k, c in enumerate(latex):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "=" and depth == 0:
            sides.append(latex[last:k].strip())
            last = k + 1
    return sides + [latex[last:].strip()]


@pytest.mark.parametrize("path, layout", CASES, ids=[f"{p.stem}-{layout[:3]}" for p, layout in CASES])
def test_no_symbol_means_two_things_on_a_frame(path, layout):
    problem, d, v, pages = _frames(path, layout)
    given = _given(v)
    for number, page in enumerate(pages, 1):
        formulas = _union([read(s.latex) for s in page])
        reasons = _union([_reason(s) for s in page])
        names = given.bases() | formulas.bases() | reasons.bases()
        clash = (formulas.indices | reasons.indices) & names
        assert not clash, f"frame {number}: {sorted(clash)} name something and index something else"


@pytest.mark.parametrize("path, layout", CASES, ids=[f"{p.stem}-{layout[:3]}" for p, layout in CASES])
def test_a_reason_names_only_what_the_proof_names(path, layout):
    """Every letter in a reason's maths is one the problem or the proof defines, or a fresh one whose letter
    nothing else on the frame uses (a rule's P when no P is around): never u beside u₁, z beside z₁."""
    problem, d, v, pages = _frames(path, layout)
    known = _union([_given(v), *(read(s.latex) for page in pages for s in page)])
    for number, page in enumerate(pages, 1):
        frame = _union([known, *(_reason(s) for s in page)])
        for step in page:
            for name in _reason(step).names - known.names:
                base = re.sub(r"\d+$|_.*$", "", name)
                assert base not in {re.sub(r"\d+$|_.*$", "", n) for n in frame.names - {name}}, (
                    f"frame {number}: the reason '{step.reason}' uses {name}, which the frame writes otherwise")


@pytest.mark.parametrize("path, layout", CASES, ids=[f"{p.stem}-{layout[:3]}" for p, layout in CASES])
def test_reasons_match_their_formulas(path, layout):
    """A Kronecker delta a reason mentions is in the formula; the gradient δ is the problem's only δ; no step
    repeats the one before it, and no equation says a = a."""
    problem, d, v, pages = _frames(path, layout)
    steps = [s for page in pages for s in page]
    gradients = {spec.gradient for spec in d.scope.functions.values()} | {
        spec.hessian for spec in d.scope.functions.values()}
    for step in steps:
        for delta in _reason(step).deltas:
            assert delta in step.latex, f"'{step.reason}' mentions {delta}, which its formula does not show"
        if "delta" not in gradients:
            assert r"\delta" not in step.latex + step.reason, "δ is the lecture's gradient: a Kronecker delta is 𝕀"
        sides = _sides(step.latex)
        assert all(a != b for a, b in zip(sides, sides[1:])), f"a side repeats in {step.latex}"
        assert step.reason.strip(), "every step says why"
    for before, after in zip(steps, steps[1:]):
        assert before.latex != after.latex, f"two steps in a row show {after.latex}"
