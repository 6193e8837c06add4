"""Grading answers: right in any equivalent form, wrong with the usual mistake named, never a crash."""
from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.tree.text import to_text
from generator import GeneratorError, Verdict, derive, grade
from generator.grading.verdict import MISTAKES

PROBLEMS = {  # the lecture's examples and a few others: (expr, wrt, shapes, assume, functions)
    "Wx": ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, None, None),
    "xTW": ("z = x^T W", "x", {"x": ("m", 1), "W": ("m", "n")}, None, None),
    "sigma": ("z = sigma(x)", "x", {"x": ("n", 1)}, None, None),
    "net": ("f = W^T a; y = g(f)", "W", {"W": ("n", "m"), "a": ("n", 1)}, None,
            {"g": {"kind": "scalar", "gradient": "delta"}}),
    "quad": ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, None, None),
    "quad-sym": ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, {"A": "symmetric"}, None),
    "bilinear": ("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}, None, None),
    "logdet": ("y = log(det(X))", "X", {"X": ("n", "n")}, None, None),
    "lsq": ("y = norm(A x - b)^2", "x", {"A": ("m", "n"), "x": ("n", 1), "b": ("m", 1)}, None, None),
    "softmax": ("y = -t^T log(softmax(W x))", "W", {"W": ("k", "n"), "x": ("n", 1), "t": ("k", 1)},
                {"t": "probability"}, None),
    "sym-quad": ("y = a^T X a", "X", {"a": ("n", 1), "X": ("n", "n")}, {"X": "symmetric"}, None),
    "spd-logdet": ("y = log(det(X))", "X", {"X": ("n", "n")}, {"X": "spd"}, None),
    "huge": ("y = 1000000 a^T x", "x", {"a": ("n", 1), "x": ("n", 1)}, None, None),
    "tiny": ("y = (a^T x) / 1000000", "x", {"a": ("n", 1), "x": ("n", 1)}, None, None),
    "cubic": ("y = sum(x.^3)", "x", {"x": ("n", 1)}, None, None),
    "sum": ("y = sum(W x)", "x", {"W": ("n", "m"), "x": ("m", 1)}, None, None),
    "sum-all": ("y = sum(X)", "X", {"X": ("n", "m")}, None, None),
    "identity": ("z = x", "x", {"x": ("n", 1)}, None, None),
    "constant": ("z = W a", "x", {"W": ("n", "m"), "a": ("m", 1), "x": ("m", 1)}, None, None),
}


@cache
def problem(name: str, layout: str = "denominator"):
    expr, wrt, shapes, assume, functions = PROBLEMS[name]
    return derive(expr, wrt, shapes, layout, assume, functions)


ANSWERS = [  # (problem, layout, answer, mistake): text and LaTeX, right and wrong
    ("Wx", "denominator", "W^T", None),
    ("Wx", "denominator", r"\mathbf{W}^\top", None),
    ("Wx", "denominator", "W'", None),
    ("Wx", "denominator", "W", "layout"),
    ("Wx", "denominator", r"\mathbf{W}", "layout"),
    ("Wx", "denominator", "-W^T", "sign"),
    ("Wx", "denominator", r"-\mathbf{W}^{T}", "sign"),
    ("Wx", "denominator", "2 W^T", "scale"),
    ("Wx", "denominator", r"\frac{1}{2}W^\top", "scale"),
    ("Wx", "denominator", "W^T W", "shape"),
    ("Wx", "denominator", "x", "shape"),
    ("Wx", "denominator", "W^T x", "shape"),
    ("Wx", "denominator", "(1 + x^T x) W^T", "other"),
    ("Wx", "denominator", "V^T", "unknown-symbol"),
    ("Wx", "denominator", r"\mathbf{V}^\top", "unknown-symbol"),
    ("Wx", "denominator", "W^T +", "parse"),
    ("Wx", "denominator", r"\mathbf{W}^{\top", "parse"),
    ("Wx", "denominator", "dz/dx = W^T", None),  # a left-hand side is read past
    ("Wx", "denominator", r"\frac{\partial \mathbf{z}}{\partial \mathbf{x}} = \mathbf{W}^\top", None),
    ("Wx", "denominator", "z = W^T", None),
    ("Wx", "denominator", "dz/dx = W", "layout"),
    ("Wx", "denominator", "dz/dx = V", "unknown-symbol"),
    ("Wx", "denominator", "dz/dx = W^T +", "parse"),
    ("Wx", "denominator", "dz/dx =", "parse"),
    ("Wx", "numerator", "W", None),
    ("Wx", "numerator", r"\mathbf{W}", None),
    ("Wx", "numerator", "W^T", "layout"),
    ("xTW", "denominator", "W", None),
    ("xTW", "denominator", r"\mathbf{W}", None),
    ("xTW", "denominator", "W^T", "layout"),
    ("xTW", "denominator", "-W", "sign"),
    ("xTW", "denominator", "W^T W", "shape"),
    ("xTW", "denominator", r"\mathbf{W}^\top", "layout"),
    ("xTW", "denominator", r"-\mathbf{W}", "sign"),
    ("xTW", "numerator", r"\mathbf{W}^{\mathsf{T}}", None),
    ("sigma", "denominator", "diag(sigma'(x))", None),
    ("sigma", "denominator", r"\operatorname{diag}(\sigma'(\mathbf{x}))", None),
    ("sigma", "denominator", "diag(sigma(x) .* (1 - sigma(x)))", None),
    ("sigma", "denominator", r"\mathrm{diag}\left(\sigma(\mathbf{x})\odot(1-\sigma(\mathbf{x}))\right)", None),
    ("sigma", "denominator", r"\text{diag}(\mathbf{z} \odot (1 - \mathbf{z}))", None),
    ("sigma", "denominator", "sigma'(x)", "shape"),
    ("sigma", "denominator", r"\sigma'(\mathbf{x})", "shape"),
    ("sigma", "denominator", "diag(sigma(x))", "other"),
    ("sigma", "denominator", "-diag(sigma'(x))", "sign"),
    ("sigma", "denominator", "I", "other"),
    ("sigma", "numerator", r"\operatorname{diag}\left(\sigma'(\mathbf{x})\right)", None),
    ("net", "denominator", "a delta^T", None),
    ("net", "denominator", r"\mathbf{a}\boldsymbol{\delta}^\top", None),
    ("net", "denominator", r"\mathbf{a}\,\delta^{T}", None),
    ("net", "denominator", "delta a^T", "layout"),
    ("net", "denominator", r"\boldsymbol{\delta}\mathbf{a}^{T}", "layout"),
    ("net", "denominator", "-a delta^T", "sign"),
    ("net", "denominator", "a delta", "shape"),
    ("net", "denominator", "a f^T", "other"),
    ("net", "denominator", r"\mathbf{a}\boldsymbol{\epsilon}^\top", "unknown-symbol"),
    ("net", "numerator", "delta a^T", None),
    ("net", "numerator", r"\boldsymbol{\delta}\mathbf{a}^\top", None),
    ("quad", "denominator", "(A + A^T) x", None),
    ("quad", "denominator", "A x + A^T x", None),
    ("quad", "denominator", r"\left(\mathbf{A}+\mathbf{A}^\top\right)\mathbf{x}", None),
    ("quad", "denominator", r"\mathbf{A}\mathbf{x}+\mathbf{A}^{\mathsf{T}}\mathbf{x}", None),
    ("quad", "denominator", "x^T (A + A^T)", "layout"),
    ("quad", "denominator", r"\mathbf{x}^\top(\mathbf{A}+\mathbf{A}^\top)", "layout"),
    ("quad", "denominator", "2 A x", "transpose"),  # (A + A)x: the transpose forgotten
    ("quad", "denominator", r"2\mathbf{A}\mathbf{x}", "transpose"),
    ("quad", "denominator", "-(A + A^T) x", "sign"),
    ("quad", "denominator", "2 (A + A^T) x", "scale"),
    ("quad", "denominator", r"\frac{1}{2}(A+A^T)x", "scale"),
    ("quad", "denominator", "A", "shape"),
    ("quad", "denominator", "x^T A x", "shape"),
    ("quad", "numerator", r"\mathbf{x}^\top\left(\mathbf{A} + \mathbf{A}^\top\right)", None),
    ("quad-sym", "denominator", "2 A x", None),
    ("quad-sym", "denominator", r"2\mathbf{A}\mathbf{x}", None),
    ("quad-sym", "denominator", "(A + A^T) x", None),
    ("quad-sym", "denominator", "A x", "scale"),
    ("bilinear", "denominator", "a b^T", None),
    ("bilinear", "denominator", r"\mathbf{a}\mathbf{b}^\top", None),
    ("bilinear", "denominator", "b a^T", "layout"),
    ("bilinear", "denominator", "a^T b", "shape"),
    ("bilinear", "denominator", "-a b^T", "sign"),
    ("bilinear", "denominator", "3 a b^T", "scale"),
    ("bilinear", "denominator", r"\mathbf{b}\mathbf{a}^\top", "layout"),
    ("bilinear", "denominator", r"\mathbf{a}^\top\mathbf{b}", "shape"),
    ("bilinear", "denominator", r"\mathbf{a}\mathbf{c}^\top", "unknown-symbol"),
    ("bilinear", "numerator", r"\mathbf{b}\mathbf{a}^{T}", None),
    ("logdet", "denominator", "X^-T", None),
    ("logdet", "denominator", "inv(X)^T", None),
    ("logdet", "denominator", r"\mathbf{X}^{-\top}", None),
    ("logdet", "denominator", r"\left(\mathbf{X}^{-1}\right)^\top", None),
    ("logdet", "denominator", "X^-1", "layout"),
    ("logdet", "denominator", r"X^{-1}", "layout"),
    ("logdet", "denominator", "-X^-T", "sign"),
    ("logdet", "denominator", "det(X) X^-T", "other"),
    ("logdet", "denominator", r"-\mathbf{X}^{-T}", "sign"),
    ("logdet", "denominator", r"\det(\mathbf{X})\,\mathbf{X}^{-\top}", "other"),
    ("logdet", "denominator", r"\mathbf{Y}^{-\top}", "unknown-symbol"),
    ("logdet", "numerator", r"\mathbf{X}^{-1}", None),
    ("lsq", "denominator", "2 A^T (A x - b)", None),
    ("lsq", "denominator", "2 A^T A x - 2 A^T b", None),
    ("lsq", "denominator", r"2\mathbf{A}^\top(\mathbf{A}\mathbf{x}-\mathbf{b})", None),
    ("lsq", "denominator", "A^T (A x - b)", "scale"),
    ("lsq", "denominator", "2 (A x - b)^T A", "layout"),
    ("lsq", "denominator", r"2\left(\mathbf{A}\mathbf{x}-\mathbf{b}\right)^\top\mathbf{A}", "layout"),
    ("lsq", "denominator", "2 A^T (b - A x)", "sign"),
    ("lsq", "denominator", "2 A (A x - b)", "shape"),
    ("lsq", "denominator", r"\mathbf{A}^\top(\mathbf{A}\mathbf{x}-\mathbf{b})", "scale"),
    ("lsq", "denominator", r"2\mathbf{A}^\top(\mathbf{b}-\mathbf{A}\mathbf{x})", "sign"),
    ("lsq", "numerator", r"2(\mathbf{A}\mathbf{x}-\mathbf{b})^\top\mathbf{A}", None),
    ("softmax", "denominator", "(softmax(W x) - t) x^T", None),
    ("softmax", "denominator", r"\left(\operatorname{softmax}(\mathbf{W}\mathbf{x})-\mathbf{t}\right)\mathbf{x}^\top",
     None),
    ("softmax", "denominator", "softmax(W x) x^T - t x^T", None),
    ("softmax", "denominator", "x (softmax(W x) - t)^T", "layout"),
    ("softmax", "denominator", "(t - softmax(W x)) x^T", "sign"),
    ("softmax", "denominator", "softmax(W x) x^T", "other"),
    ("softmax", "denominator", r"\mathbf{x}\left(\operatorname{softmax}(\mathbf{W}\mathbf{x})-\mathbf{t}\right)^\top",
     "layout"),
    ("softmax", "denominator", r"\left(\mathbf{t}-\mathrm{softmax}(W\mathbf{x})\right)\mathbf{x}^{T}", "sign"),
    ("softmax", "denominator", r"\operatorname{softmax}(\mathbf{W}\mathbf{x})\mathbf{x}^\top", "other"),
    ("softmax", "denominator", r"\left(\operatorname{softmax}(\mathbf{W}\mathbf{x})-\mathbf{t}\right)\mathbf{x}",
     "shape"),
    ("softmax", "denominator", r"\left(\operatorname{softmax}(\mathbf{W}\mathbf{x}) - \mathbf{t}\right \mathbf{x}^\top",
     "parse"),
    ("sym-quad", "denominator", "a a^T", None),
    ("sym-quad", "denominator", r"\mathbf{a}\mathbf{a}^\top", None),
    ("sym-quad", "denominator", "2 a a^T - diag(diag(a a^T))", None),  # the symmetric-gradient convention
    ("sym-quad", "denominator", "2 a a^T", "scale"),
    ("sym-quad", "denominator", "a^T a", "shape"),
    ("spd-logdet", "denominator", "X^-1", None),
    ("spd-logdet", "denominator", r"\mathbf{X}^{-\top}", None),
    ("spd-logdet", "denominator", "2 X^-1 - diag(diag(X^-1))", None),
    ("spd-logdet", "denominator", "-X^-1", "sign"),
    ("spd-logdet", "denominator", "X", "other"),
    ("huge", "denominator", "1000000 a", None),  # tolerances are relative: the size of the numbers is no matter
    ("huge", "denominator", r"10^{6}\,\mathbf{a}", None),
    ("huge", "denominator", "1000001 a", "scale"),
    ("huge", "denominator", "-1000000 a", "sign"),
    ("tiny", "denominator", "a / 1000000", None),
    ("tiny", "denominator", r"\frac{\mathbf{a}}{1000000}", None),
    ("tiny", "denominator", "a / 1000", "scale"),
    ("tiny", "denominator", "0", "other"),
    ("cubic", "denominator", "3 x.^2", None),
    ("cubic", "denominator", r"3\mathbf{x}^{\circ 2}", None),
    ("cubic", "denominator", r"3\,\mathbf{x}\odot\mathbf{x}", None),
    ("cubic", "denominator", "x .* x", "scale"),
    ("cubic", "denominator", "3 x^T x", "shape"),
    ("cubic", "numerator", r"3\left(\mathbf{x}^{\circ 2}\right)^\top", None),
    ("sum", "denominator", r"W^\top\mathbf{1}", None),
    ("sum", "denominator", r"\mathbf{1}^\top W", "layout"),
    ("sum", "denominator", "W^T", "shape"),
    ("sum", "numerator", r"\mathbf{1}^\top\mathbf{W}", None),
    ("sum-all", "denominator", r"\mathbf{1}", None),
    ("sum-all", "denominator", r"2\,\mathbf{1}", "scale"),
    ("sum-all", "denominator", "1", "shape"),
    ("identity", "denominator", "I", None),
    ("identity", "denominator", r"\mathbf{I}", None),
    ("identity", "denominator", "I_n", None),
    ("identity", "denominator", "2 I", "scale"),
    ("identity", "denominator", "x - x", "shape"),
    ("constant", "denominator", "0", None),
    ("constant", "denominator", r"\mathbf{0}", None),
    ("constant", "denominator", "W^T", "other"),
]


@pytest.mark.parametrize("name, layout, answer, mistake", ANSWERS)
def test_answers_are_diagnosed(name, layout, answer, mistake):
    d = problem(name, layout)
    v = grade(answer, d)
    assert (v.mistake, v.correct) == (mistake, mistake is None), v.feedback
    assert v.score == (1.0 if mistake is None else {"layout": 0.5, "transpose": 0.5, "sign": 0.5, "scale": 0.5}.get(mistake, 0.0))
    assert v.feedback and v.feedback.count(".") <= 3
    key = to_text(d.closed_form)
    if mistake is not None and key not in answer:  # a hint, not the answer (quoting the student is fine)
        assert d.latex not in v.feedback
        assert len(key) < 3 or key not in v.feedback


@pytest.mark.parametrize("name, layout", [(n, layout) for n in PROBLEMS for layout in ("denominator", "numerator")])
def test_the_key_and_its_usual_corruptions(name, layout):
    """For every problem: the engine's own answer is right; negated, scaled and transposed it is not."""
    d = problem(name, layout)
    key = to_text(d.closed_form) if "sum" not in name else d.latex  # text.py writes the ones vector as a bare 1
    assert grade(key, d).correct
    if key == "0":
        return
    assert grade(f"-({key})", d).mistake == "sign"
    assert grade(f"3 ({key})", d).mistake == "scale"
    assert grade(f"({key})/2", d).mistake == "scale"
    flipped = grade(f"({key})^T", d)
    if d.shape[0] != d.shape[1]:
        assert flipped.mistake == "layout"
        assert f"the question asks for the {layout} layout" in flipped.feedback


@pytest.mark.parametrize("name, layout", [(n, layout) for n in PROBLEMS for layout in ("denominator", "numerator")])
def test_the_keys_own_latex_reads_back_as_right(name, layout):
    d = problem(name, layout)
    assert grade(d.latex, d).correct, d.latex


@pytest.mark.parametrize("answer, feedback", [
    ("W", "This is the numerator layout; the question asks for the denominator layout."),
    ("-W^T", "Check the sign"),
    ("2 W^T", "off by a constant factor"),
    ("W^T W", "Your answer is m×m, but the derivative is m×n."),
    ("x", "Your answer is m×1, but the derivative is m×n."),
    ("V^T", "unknown name 'V'"),
    ("W^T +", "Column 5: expected"),
    ("dz/dx = V^T", "Column 9: unknown name 'V'"),
    ("dz/dx = W^T +", "Column 13: expected"),
    ("x W", "do not fit: column 3: cannot multiply x (m×1) by W (n×m)"),
])
def test_feedback_says_what_is_wrong(answer, feedback):
    assert feedback in grade(answer, problem("Wx")).feedback


@pytest.mark.parametrize("credit, answer, score", [
    ({"layout": 0.25}, "W", 0.25),
    ({"layout": 0.25}, "W^T", 1.0),
    ({"sign": 0}, "-W^T", 0.0),
    ({"parse": 0.1}, "W^T +", 0.1),
    (None, "V", 0.0),
    ({}, "2 W^T", 0.5),
])
def test_partial_credit_is_configurable(credit, answer, score):
    assert grade(answer, problem("Wx"), credit=credit).score == score


@pytest.mark.parametrize("credit", [{"typo": 0.5}, {"layout": 2}, {"sign": -0.1}, {"scale": "half"}])
def test_bad_credit_tables_are_refused(credit):
    with pytest.raises(GeneratorError, match="credit"):
        grade("W^T", problem("Wx"), credit=credit)


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "eval(\"__import__('os').system('touch {marker}')\")",
    "exec('import os; os.system(\"touch {marker}\")')",
    "os.system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: open('{marker}', 'w')",
    "W^T; import os",
    "\\input{{{marker}}}",
    "\\immediate\\write18{{touch {marker}}}",
    "{{{{7*7}}}} ${{7*7}}",
    "W^T\x00",
    "\\mathbf{{W}}^{{\\top}}' + __import__('os')",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_nothing_typed_is_executed(template, tmp_path):
    marker = tmp_path / "pwned"
    v = grade(template.format(marker=marker), problem("Wx"))
    assert not marker.exists()
    assert v.mistake in ("parse", "unknown-symbol", "shape") and v.score == 0.0  # {{7*7}} is 49·49: 1×1


def assert_verdict(v: Verdict) -> None:
    assert isinstance(v, Verdict)
    assert v.mistake in (None, *MISTAKES)
    assert v.correct == (v.mistake is None)
    assert 0.0 <= v.score <= 1.0 and v.feedback


PIECES = ["x", "A", "W", "a", "b", "I", "2", "0.5", "x^T", "A^T", "W^{-1}", r"\mathbf{x}", r"\mathbf{A}^\top",
          r"\sigma(", r"\exp(", "tr(", "diag(", r"\operatorname{diag}(", r"\frac{", "}{", "}", "{", "(", ")",
          r"\left(", r"\right)", "+", "-", "*", ".*", r"\odot", r"\cdot", "^2", "^{-1}", "'", r"\|", "||", "_1",
          r"\,", " ", ";", "=", "\\", "$", "ᵀ", "δ", r"\delta", "norm(", "softmax(", "log(", "sqrt(", "X^99999"]


@settings(max_examples=300, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_strings_never_raise(text):
    assert_verdict(grade(text, problem("quad")))


@settings(max_examples=300, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_random_token_soup_never_raises(text):
    assert_verdict(grade(text, problem("lsq")))


def expressions() -> st.SearchStrategy[str]:
    """Well-formed expressions over the lsq problem's names, in text and LaTeX, of any shape."""
    leaves = st.sampled_from(["x", "A", "b", "A^T", "x^T", "I", "2", r"\mathbf{x}", r"\mathbf{A}^\top", "b^T"])
    return st.recursive(leaves, lambda e: st.one_of(
        st.tuples(e, e).map(lambda p: f"({p[0]} + {p[1]})"),
        st.tuples(e, e).map(lambda p: f"{p[0]} {p[1]}"),
        st.tuples(e, e).map(lambda p: rf"\left({p[0]} - {p[1]}\right)"),
        st.tuples(e, e).map(lambda p: rf"{p[0]} \odot {p[1]}"),
        e.map(lambda a: f"-{a}"), e.map(lambda a: f"({a})^T"), e.map(lambda a: rf"\left({a}\right)^\top"),
        e.map(lambda a: rf"\sigma({a})"), e.map(lambda a: f"tr({a})"), e.map(lambda a: f"inv({a})"),
        e.map(lambda a: rf"\frac{{{a}}}{{2}}"), e.map(lambda a: f"({a})^2"), e.map(lambda a: rf"\|{a}\|^2"),
        e.map(lambda a: f"diag({a})"), e.map(lambda a: rf"\exp\left({a}\right)"),
    ), max_leaves=25)


@settings(max_examples=150, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_random_expressions_never_raise(text):
    assert_verdict(grade(text, problem("lsq")))


U = {"u": {"kind": "vector", "shape": ["r", 1]}, "v": {"kind": "scalar"}}


@pytest.mark.parametrize("layout, answer, mistake", [
    # the lecture's identity ∂(v u)/∂x, with the derivatives of abstract functions written as fractions
    ("denominator", r"v(x) \frac{\partial u}{\partial x} + \frac{\partial v}{\partial x} u(x)^T", None),
    ("denominator", r"v(\mathbf{x})\frac{\partial \mathbf{u}}{\partial \mathbf{x}} + "
                    r"\frac{\partial v}{\partial \mathbf{x}}\mathbf{u}(\mathbf{x})^\top", None),
    ("numerator", r"v(x) \frac{\partial u}{\partial x} + u(x) \frac{\partial v}{\partial x}", None),
    ("denominator", r"v(x) \frac{\partial u}{\partial x}", "other"),
    ("denominator", r"\frac{\partial q}{\partial x}", "parse"),
])
def test_derivatives_of_abstract_functions_are_read_in_the_answers_layout(layout, answer, mistake):
    d = derive("z = v(x) u(x)", "x", {"x": ("n", 1)}, layout, functions=U)
    verdict = grade(answer, d)
    assert verdict.mistake == mistake, verdict.feedback
    assert grade(d.answer, d).correct  # the key's own text reads back


def test_numerator_answer_to_a_denominator_question_is_a_layout_mistake():
    d = derive("z = v(x) u(x)", "x", {"x": ("n", 1)}, "denominator", functions=U)
    numerator = derive("z = v(x) u(x)", "x", {"x": ("n", 1)}, "numerator", functions=U)
    assert grade(numerator.answer, d).mistake in ("layout", "shape")


@pytest.mark.parametrize("expr, wrt, shapes, answer, feedback", [
    ("y = u^T (M + M^T) x", "x", {"u": ("n", 1), "M": ("n", "n"), "x": ("n", 1)}, "(M + M) u",
     "One transpose is missing: check where you wrote $M$."),
    ("y = u^T (M + M^T) x", "x", {"u": ("n", 1), "M": ("n", "n"), "x": ("n", 1)}, "(M^T + M^T) u",
     "One transpose is extra: check where you wrote $M^{\\top}$."),
    ("f = tr(A X B)", "X", {"A": ("n", "n"), "X": ("n", "n"), "B": ("n", "n")}, "A^T B",
     "One transpose is missing: check where you wrote $B$."),
    ("f = a^T inv(X) b", "X", {"a": ("n", 1), "X": ("n", "n"), "b": ("n", 1)}, "-X^-1 a b^T X^-T",
     "One transpose is missing: check where you wrote $X$."),
])
def test_a_missing_or_extra_transpose_is_named(expr, wrt, shapes, answer, feedback):
    v = grade(answer, derive(expr, wrt, shapes))
    assert (v.mistake, v.score, v.feedback) == ("transpose", 0.5, feedback)


def test_a_transpose_of_a_symmetric_matrix_is_no_slip():
    d = derive("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, assume={"A": "symmetric"})
    assert grade("2 A^T x", d).correct and grade("A x", d).mistake == "scale"
