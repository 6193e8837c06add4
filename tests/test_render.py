"""Rendering: the Jinja environment, the views the templates read, and the deck's LaTeX."""
from __future__ import annotations

import dataclasses

import jinja2
import pytest

from generator import derive
from generator.errors import GeneratorError
from generator.latex.printer import latex
from generator import Step
from generator.latex.names import space_latex
from generator.render.env import environment, render
from generator.render.escape import tex_escape
from generator.render.formulas import residual_latex
from generator.render.slides import StepView, paginate, render_slides, view
from generator.render.table import render_table, row_view, table_entry


@pytest.mark.parametrize("text, escaped", [
    ("plain words", "plain words"),
    ("a_b", r"a\_b"),
    ("100% & #1 $5", r"100\% \& \#1 \$5"),
    ("{x} ~ ^", r"\{x\} \textasciitilde{} \^{}"),
    (r"back\slash", r"back\textbackslash{}slash"),
    ("a < b > c | d", r"a \textless{} b \textgreater{} c \textbar{} d"),
    ("n×m", r"n\ensuremath{\times}m"),
    ("Wᵀa, δ = ∂g/∂f", r"W\ensuremath{^{\top}}a, \ensuremath{\delta} = \ensuremath{\partial}g/\ensuremath{\partial}f"),
    ("σ′(x)", r"\ensuremath{\sigma}\ensuremath{'}(x)"),
    ("δₖⱼ", r"\ensuremath{\delta}\ensuremath{_{\mathrm{k}}}\ensuremath{_{\mathrm{j}}}"),
    ("x² Λ", r"x\ensuremath{^{\mathrm{2}}} \ensuremath{\Lambda}"),
    ("café", "café"),
])
def test_tex_escape(text, escaped):
    assert tex_escape(text) == escaped


@pytest.mark.parametrize("value, text", [
    (7.439898814162855e-11, r"7.4\times 10^{-11}"),
    (3.2e-9, r"3.2\times 10^{-9}"),
    (0.0, "0"),
    (1.0, r"1.0\times 10^{0}"),
])
def test_residual_latex(value, text):
    assert residual_latex(value) == text


@pytest.mark.parametrize("shape, text", [
    ((1, 1), r"\mathbb{R}"),
    (("n", "m"), r"\mathbb{R}^{n \times m}"),
    (("m", 1), r"\mathbb{R}^{m \times 1}"),
    ((3, "n1"), r"\mathbb{R}^{3 \times n_{1}}"),
])
def test_space_latex(shape, text):
    assert space_latex(shape) == text


def test_strict_undefined_catches_a_missing_variable():
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string(r"\VAR{missing}").render()
    with pytest.raises(GeneratorError, match=r"slides\.tex: 'handout' is undefined"):
        render("slides.tex", title="t", derivations=())


@pytest.mark.parametrize("template, context, out", [
    (r"\VAR{x}", {"x": "y"}, "y"),
    (r"\BLOCK{for i in xs}\VAR{i}\BLOCK{endfor}", {"xs": [1, 2]}, "12"),
    (r"\#{a comment}kept", {}, "kept"),
    ("a\n  \\#{ a comment on its own line }\nkept", {}, "a\nkept"),
    (r"\VAR{t|tex_escape}", {"t": "50%"}, r"50\%"),
    (r"\frac{a}{b}", {}, r"\frac{a}{b}"),  # TeX braces pass through untouched
])
def test_latex_friendly_delimiters(template, context, out):
    assert environment().from_string(template).render(**context) == out


def _steps(n: int, tall: bool = False) -> tuple[StepView, ...]:
    return tuple(StepView(rf"\frac{{a}}{{{k}}}" if tall else f"a_{{{k}}}", f"step {k}", "index")
                 for k in range(n))


@pytest.mark.parametrize("count, tall, sizes", [
    (0, False, []),
    (1, False, [1]),
    (5, False, [5]),
    (6, False, [3, 3]),
    (7, False, [4, 3]),
    (11, False, [4, 4, 3]),
    (4, True, [4]),
    (5, True, [3, 2]),
    (9, True, [3, 3, 3]),
])
def test_paginate_balances_frames(count, tall, sizes):
    pages = paginate(_steps(count, tall))
    assert [len(p) for p in pages] == sizes
    assert [s for p in pages for s in p] == list(_steps(count, tall))


def test_a_reason_of_two_lines_with_fractions_takes_its_room():
    """Four tall steps fit a frame; when one reason runs over a line and shows fractions, they do not."""
    long = ("differentiate by $X_{ij}$: " + " and ".join(
        rf"$\frac{{\partial X_{{p{k}}}}}{{\partial X_{{ij}}}} = \mathbb{{I}}_{{i = p}}$" for k in range(3))
        + " (1 for the same entry, 0 for any other)")
    steps = list(_steps(4, tall=True))
    assert [len(p) for p in paginate(steps)] == [4]
    steps[2] = StepView(steps[2].latex, long, "differentiate")
    assert [len(p) for p in paginate(steps)] == [2, 2]


def _leaves(value):
    if isinstance(value, tuple):
        for item in value:
            yield from _leaves(item)
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _leaves(getattr(value, field.name))
    else:
        yield value


@pytest.mark.parametrize("name", ["bilinear", "delta", "network", "quadratic"])
def test_views_hold_only_strings_and_numbers(examples, name):
    """Nothing of the engine reaches a template but its printed LaTeX and words (and the deck's counts)."""
    problem, d = examples[name]
    leaves = list(_leaves(view(d, problem)))
    assert leaves and all(isinstance(leaf, (str, int)) or leaf is None for leaf in leaves)
    assert any(isinstance(leaf, str) and leaf for leaf in leaves)


def test_view_of_named_intermediate_and_abstract_gradient(examples):
    problem, d = examples["delta"]
    v = view(d, problem)
    f_def = d.statement.definitions[0][1]
    assert v.statement == (rf"\mathbf{{f}} = {latex(f_def.arg)}", rf"y = {latex(d.statement.expr)}")
    assert v.shapes == (r"W \in \mathbb{R}^{n \times m}", r"\mathbf{a} \in \mathbb{R}^{n \times 1}",
                        r"\mathbf{f} \in \mathbb{R}^{m \times 1}")
    assert rf"{latex(d.statement.bindings['delta'])} = \frac{{\partial g}}{{\partial \mathbf{{f}}}}" in v.givens
    assert v.result == rf"\frac{{\partial y}}{{\partial W}} = {d.latex}"
    assert (v.kind_name, v.layout, v.shape) == ("gradient", "denominator", r"n \times m")


@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_deck_holds_the_engines_result_and_steps_in_order(examples, layout):
    problem, d = examples["bilinear"]
    d = derive(problem.expr, problem.wrt, problem.shapes, layout)
    # a longer proof whose lines are the engine's own LaTeX, to see order and frame splitting
    lines = [latex(e) for e in (d.statement.expr, d.closed_form)] * 4
    steps = tuple(Step(f"{k} + {text}", f"reason number {k}", "index") for k, text in enumerate(lines))
    long = dataclasses.replace(d, steps=steps)
    tex = render_slides([long], title="Deck", problems=[problem])
    assert rf"\boxed{{\frac{{\partial y}}{{\partial X}} = {d.latex}}}" in tex
    positions = [tex.index(rf"\mcformula[0.22]{{{s.latex}}}") for s in steps]
    assert positions == sorted(positions)
    reasons = [tex.index(f"reason number {k}") for k in range(len(steps))]
    assert reasons == sorted(reasons)
    pages = view(long).pages
    assert len(pages) > 1 and tex.count(r"\pause") == len(steps) - len(pages)  # each frame starts anew
    assert f"in {layout} layout" in tex
    assert tex_escape(problem.title) in tex and tex_escape(problem.notes) in tex
    assert r"\pdftrailerid{}" in tex


def test_identical_inputs_give_identical_tex(examples):
    problem, _ = examples["network"]
    texts = {render_slides([derive(problem.expr, problem.wrt, problem.shapes)], title="T", problems=[problem])
             for _ in range(2)}
    assert len(texts) == 1


def test_table_rows_use_both_layouts_of_the_engine(examples):
    rows = []
    for name in ("bilinear", "quadratic", "network"):
        problem, _ = examples[name]
        num = derive(problem.expr, problem.wrt, problem.shapes, "numerator", problem.assume)
        den = derive(problem.expr, problem.wrt, problem.shapes, "denominator", problem.assume)
        rows.append((table_entry(problem), num, den))
    tex = render_table(rows, title="Identities")
    for entry, num, den in rows:
        row = row_view(entry, num, den)
        assert (row.numerator, row.denominator) == (num.latex, den.latex)
        assert rf"\mccell{{{num.latex}}}" in tex and rf"\mccell{{{den.latex}}}" in tex
        assert tex_escape(entry.condition) in tex
    assert tex.index("Scalar-by-matrix") < tex.index("Scalar-by-vector") < tex.index("Model gradients")


@pytest.mark.parametrize("extra, message", [
    ({"table": 3}, "'table' should be a non-empty string"),
    ({"table": " "}, "'table' should be a non-empty string"),
    ({"table": "T", "row": "first"}, "'row' should be a whole number"),
    ({"table": "T", "condition": 1}, "'condition' should be a non-empty string"),
])
def test_table_entry_refuses_bad_keys(examples, extra, message):
    problem, _ = examples["bilinear"]
    with pytest.raises(GeneratorError, match=message):
        table_entry(dataclasses.replace(problem, extra=extra))


def test_problem_without_table_key_is_no_row(examples):
    problem, _ = examples["delta"]
    assert table_entry(problem) is None
