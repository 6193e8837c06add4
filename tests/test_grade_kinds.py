"""Every kind of exercise graded through grade_variant: numeric values, shapes, fill-in steps; echoes, hints, exactness."""
from __future__ import annotations

from fractions import Fraction
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import GeneratorError, derive, grade
from generator.grading.grade import credit_table
from generator.grading.index import read_index
from generator.grading.index_echo import index_latex
from generator.grading.kinds import grade_variant, ungraded
from generator.grading.numeric import read_literal
from generator.grading.policy import counted, foreign_owner
from generator.grading.reading import echo
from generator.grading.verdict import MISTAKES
from generator.sheets.views import split_equation

WEIGHTS = credit_table(None)


@cache
def trace():
    return derive("y = tr(A X)", "X", {"A": (2, 3), "X": (3, 2)}, "denominator")  # key Aᵀ, 3×2


NUMERIC = {"kind": "numeric", "value": [["1", "-2"], ["1/2", "0"], ["3", "4"]]}  # the key's exact value, 3×2


@pytest.mark.parametrize("answer, mistake, wrong", [
    ("[[1, -2], [1/2, 0], [3, 4]]", None, ()),
    ("[1 -2; 0.5 0; 3 4]", None, ()),
    (r"\begin{bmatrix} 1 & -2 \\ \frac{1}{2} & 0 \\ 3 & 4 \end{bmatrix}", None, ()),
    (r"\begin{pmatrix} 1 & −2 \\ \tfrac{1}{2} & 0 \\ 3 & 4 \end{pmatrix}", None, ()),  # a Unicode minus
    (r"$\left[\begin{array}{cc} 1 & -2 \\ 1/2 & 0 \\ 3 & 4 \end{array}\right]$", None, ()),
    ("dy/dX = [[1, -2], [1/2, 0], [3, 4]]", None, ()),
    ("[[1, 1/2, 3], [-2, 0, 4]]", "layout", ()),  # the transpose
    ("[[-1, 2], [-1/2, 0], [-3, -4]]", "sign", ((1, 1), (1, 2), (2, 1), (3, 1), (3, 2))),
    ("[[2, -4], [1, 0], [6, 8]]", "scale", ((1, 1), (1, 2), (2, 1), (3, 1), (3, 2))),
    ("[[1, -2], [1/3, 0], [3, 5]]", "other", ((2, 1), (3, 2))),
    ("[[1, -2], [0.5000001, 0], [3, 4]]", "other", ((2, 1),)),  # exact: no tolerance for a rational key
    ("[[1, -2, 0], [1/2, 0, 0], [3, 4, 0]]", "shape", ()),
    ("[[1, -2], [1/2, 0], [3]]", "parse", ()),
    ("W^T", "parse", ()),
    ("", "parse", ()),
])
def test_numeric_answers_are_compared_exactly_entry_by_entry(answer, mistake, wrong):
    v = grade_variant(answer, trace(), NUMERIC, WEIGHTS)
    assert (v.mistake, v.wrong) == (mistake, wrong), v.feedback
    assert v.score == (1.0 if mistake is None else WEIGHTS.get(mistake, 0.0))
    if wrong and mistake == "other":
        assert f"({wrong[0][0]}, {wrong[0][1]})" in v.feedback  # the wrong entries are named
    if mistake != "parse":
        assert v.echo.startswith(r"\begin{bmatrix}")


@pytest.mark.parametrize("answer, value, flat", [
    ("3/7", ((Fraction(3, 7),),), False),
    (r"-\frac{3}{7}", ((Fraction(-3, 7),),), False),
    (r"\frac{-3}{7}", ((Fraction(-3, 7),),), False),
    ("–2", ((Fraction(-2),),), False),  # an en dash
    ("[1, 2, 3]", ((1, 2, 3),), True),  # a bare list: a vector either way
    ("[1; 2; 3]", ((1,), (2,), (3,)), False),
    ("[[1], [2], [3]]", ((1,), (2,), (3,)), False),
])
def test_number_spellings(answer, value, flat):
    literal = read_literal(answer)
    assert (literal.rows, literal.flat) == (value, flat)


def test_a_bare_list_takes_the_vector_keys_orientation():
    d = derive("y = a^T x", "x", {"a": (3, 1), "x": (3, 1)})
    variant = {"kind": "numeric", "value": [["1"], ["2"], ["3"]]}
    assert grade_variant("[1, 2, 3]", d, variant, WEIGHTS).correct
    assert grade_variant("[[1, 2, 3]]", d, variant, WEIGHTS).mistake == "layout"  # explicitly a row


def test_rounded_decimals_are_named():
    v = grade_variant("[[1, -2], [0.33, 0], [3, 4]]", trace(), {"kind": "numeric", "value": [["1", "-2"], ["1/3", "0"],
                                                                                         ["3", "4"]]}, WEIGHTS)
    assert v.mistake == "other" and "exact values" in v.feedback


@cache
def least_squares():
    return derive("y = norm(A x - b)^2", "x", {"A": ("m", "n"), "x": ("n", 1), "b": ("m", 1)})


def fill_variant(d, kind):
    number = next(k for k, s in enumerate(d.steps, 1) if s.kind == kind)
    return {"kind": "fill-step", "blank": {"step": number, "kind": kind,
                                           "latex": split_equation(d.steps[number - 1].latex)[1]}}


@pytest.mark.parametrize("answer, mistake", [
    (r"\sum_{k=1}^{m} \left(-b_{k} + \sum_{l=1}^{n} A_{kl} x_{l}\right)^{2}", None),
    (r"\sum_{p=1}^{m} \left(\sum_{q=1}^{n} A_{pq} x_{q} - b_{p}\right)^{2}", None),  # summed indices renamed
    (r"\sum_{k=1}^{m} \left(b_k - \sum_{l=1}^{n} A_{kl} x_l\right)^2", None),  # (−u)² = u²
    (r"\sum_{k=1}^{m} \left(\sum_{l=1}^{n} A_{kl} x_{l}\right)^{2} - 2 \sum_{k=1}^{m} b_{k} \sum_{l=1}^{n} A_{kl} x_{l}"
     r" + \sum_{k=1}^{m} b_{k}^{2}", None),  # expanded
    (r"2 \sum_{k=1}^{m} \left(-b_{k} + \sum_{l=1}^{n} A_{kl} x_{l}\right)^{2}", "scale"),
    (r"-\sum_{k=1}^{m} \left(-b_{k} + \sum_{l=1}^{n} A_{kl} x_{l}\right)^{2}", "sign"),
    (r"\sum_{k=1}^{m} \left(-b_{k} + \sum_{l=1}^{n} A_{lk} x_{l}\right)^{2}", "shape"),  # A's index runs too far
    (r"\sum_{k=1}^{m} \left(-b_{k} + \sum_{l=1}^{n} A_{kl} x_{l}\right)", "other"),
    (r"\sum_{k=1}^{m} \left(-c_{k} + \sum_{l=1}^{n} A_{kl} x_{l}\right)^{2}", "unknown-symbol"),
    (r"\sum_{k=1}^{m} \left(-b_{k} + ", "parse"),
])
def test_fill_step_index_sums(answer, mistake):
    d = least_squares()
    v = grade_variant(answer, d, fill_variant(d, "index"), WEIGHTS)
    assert v.mistake == mistake, v.feedback
    if mistake is None:
        read_index(v.echo)  # the echo is LaTeX the index grammar reads back


@pytest.mark.parametrize("answer, mistake", [
    (r"a_{i} b_{j}", None),  # ∂y/∂X_ij, the same in either layout
    (r"b_j a_i", None),
    (r"\mathbf{b}_{j} \cdot \mathbf{a}_{i}", None),
    (r"a_{j} b_{i}", "layout"),  # i and j swapped: the transpose, in index form
    (r"-a_{i} b_{j}", "sign"),
    (r"\sum_{k=1}^{m} a_{k} b_{i}", "other"),
    (r"a_{p} b_{i}", "other"),  # p is neither summed nor on the left
])
def test_fill_step_with_free_indices(answer, mistake):
    d = derive("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "m"), "b": ("m", 1)}, "numerator")
    v = grade_variant(answer, d, fill_variant(d, "reduce"), WEIGHTS)
    assert v.mistake == mistake, v.feedback


def test_a_stale_blank_is_not_graded_and_says_why():
    d = least_squares()
    variant = fill_variant(d, "index")
    variant["blank"]["latex"] = "x_{i}"
    assert grade_variant("x_i", d, variant, WEIGHTS) is None
    assert "stale" in ungraded(d, variant)


@pytest.mark.parametrize("variant, reason", [
    ({"kind": "essay"}, "not graded automatically"),
    ({"kind": "numeric"}, "no exact \"value\""),
    ({"kind": "numeric", "value": [["x"]]}, "rows of exact numbers"),
    ({"kind": "fill-step"}, "no \"blank\""),
])
def test_kinds_that_cannot_be_graded_say_why(variant, reason):
    assert grade_variant("1", trace(), variant, WEIGHTS) is None
    assert reason in ungraded(trace(), variant)


@cache
def ridge():
    return derive("y = norm(A w - t)^2 + lambda w^T w", "w", {"A": ("m", "n"), "w": ("n", 1), "t": ("m", 1),
                                                              "lambda": (1, 1)})


@pytest.mark.parametrize("answer, mistake, hint", [
    ("2 A^T (A w - t) + 2 lambda", "other", "adds the scalar $2 \\lambda$ to every entry of a vector"),
    ("2 A^T (A w - t) + 2 lambda w", None, "Correct"),
    ("2 A^T (A w - t) + 2 w", "other", "right shape"),  # no broadcast: the usual feedback
    ("2 A^T (A w - t) + 2 lambda 1", "other", "adds the scalar"),
])
def test_a_scalar_broadcast_onto_a_vector_gets_its_own_hint(answer, mistake, hint):
    v = grade(answer, ridge())
    assert v.mistake == mistake and hint in v.feedback


@pytest.mark.parametrize("answer", [
    "2.0000001 (lambda w + A^T (A w - t))",
    "2 A^T (A w - t) + 2 lambda w + 0.000000001 w",
    "1.99999999 A^T (A w - t) + 2 lambda w",
])
def test_a_tiny_perturbation_of_a_rational_key_is_wrong(answer):
    v = grade(answer, ridge())
    assert not v.correct and v.score == 0.0


def test_functions_keep_a_stated_float_tolerance():
    d = derive("z = sigma(x)", "x", {"x": ("n", 1)})
    assert grade("diag(sigma(x) .* (1 - sigma(x)))", d).correct


@pytest.mark.parametrize("answer, latex", [
    ("W^T", "W^{\\top}"),
    (r"\mathbf{W}^\top", "W^{\\top}"),
    ("V", ""),  # not read: no echo
])
def test_verdicts_echo_the_answer_as_read(answer, latex):
    d = derive("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)})
    assert grade(answer, d).echo == latex == (echo(answer, d).latex if echo(answer, d).ok else "")


@pytest.mark.parametrize("scores, policy, index", [
    ([0.5, 1, 0], "last", 2), ([0.5, 1, 0], "first", 0), ([0.5, 1, 0], "best", 1), ([1, 0.5, 1], "best", 0),
    ([0.0], "best", 0),
])
def test_the_policy_picks_one_attempt(scores, policy, index):
    assert counted(scores, policy) == index


def test_an_unknown_policy_is_refused():
    with pytest.raises(GeneratorError, match="last, best, first"):
        counted([1.0], "average")


@pytest.mark.parametrize("student, variant, owners, owner", [
    ("s1", {"id": "q-1", "student": "s1"}, None, None),
    ("s1", {"id": "q-1", "student": "s2"}, None, "s2"),
    ("s1", {"id": "q-1"}, {"q-1": ("s3",)}, "s3"),
    ("s1", {"id": "q-1"}, {"q-1": ("s3", "s1")}, None),  # more students than sheets: a sheet has several owners
    ("s2", {"id": "q-1"}, {"q-1": ("s3", "s1")}, "s3, s1"),
    ("s1", {"id": "q-1"}, None, None),  # nobody owns it: anyone may answer
])
def test_owners(student, variant, owners, owner):
    assert foreign_owner(student, variant, owners) == owner


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_numeric_and_index_answers_never_raise(text):
    for variant in (NUMERIC, fill_variant(least_squares(), "index")):
        d = trace() if variant is NUMERIC else least_squares()
        v = grade_variant(text, d, variant, WEIGHTS)
        assert v.mistake in (None, *MISTAKES) and v.feedback


@pytest.mark.parametrize("answer, mistake", [
    (r"\sum_{k=1}^{m} \frac{\partial f_{k}}{\partial W_{ij}}\,\frac{\partial y}{\partial f_{k}}", None),
    (r"\sum_{p=1}^{m} \frac{\partial y}{\partial f_p} \frac{\partial f_p}{\partial W_{ij}}", None),
    (r"\underbrace{\frac{\partial \mathbf{f}}{\partial W_{ij}}}_{1\times m}\underbrace{\frac{\partial y}{\partial "
     r"\mathbf{f}}}_{m\times 1} = \sum_{k=1}^{m} \frac{\partial f_{k}}{\partial W_{ij}}\frac{\partial y}{\partial f_{k}}",
     None),  # the whole right-hand side, shapes and all: its index form is graded
    (r"\sum_{k=1}^{m} \frac{\partial f_{k}}{\partial W_{ji}}\frac{\partial y}{\partial f_{k}}", "layout"),  # W is n×m
    (r"\frac{\partial f_{k}}{\partial W_{ij}}\frac{\partial y}{\partial f_{k}}", "other"),  # k is not summed
    (r"\sum_{k=1}^{m} \frac{\partial f_{k}}{\partial W_{ij}}", "other"),
])
def test_a_chain_rule_for_one_entry(answer, mistake):
    d = derive("f = W^T a; y = g(f)", "W", {"W": ("n", "m"), "a": ("n", 1)},
               functions={"g": {"kind": "scalar", "gradient": "delta"}})
    v = grade_variant(answer, d, fill_variant(d, "chain"), WEIGHTS)
    assert v.mistake == mistake, v.feedback


def index_expressions() -> st.SearchStrategy[str]:
    """Index expressions as students write them: entries, δ, sums with and without limits, functions, fractions."""
    leaves = st.sampled_from(["A_{ij}", "x_i", "x_{k}", r"\delta_{ik}", "b_j", "2", r"\mathbf{x}_{l}", "A_{kl}",
                              r"\frac{\partial f_k}{\partial W_{ij}}", "0.5", r"\mathbb{I}_{i=k}", r"\mathbb{I}[j = 2]"])
    return st.recursive(leaves, lambda e: st.one_of(
        st.tuples(e, e).map(lambda p: f"{p[0]} + {p[1]}"),
        st.tuples(e, e).map(lambda p: f"{p[0]} - {p[1]}"),
        st.tuples(e, e).map(lambda p: f"{p[0]} {p[1]}"),
        st.tuples(e, e).map(lambda p: rf"\frac{{{p[0]}}}{{{p[1]}}}"),
        e.map(lambda a: rf"\sum_{{k=1}}^{{n}} {a}"), e.map(lambda a: rf"\sum_l {a}"), e.map(lambda a: f"-{a}"),
        e.map(lambda a: rf"\left({a}\right)^{{2}}"), e.map(lambda a: rf"\sigma'\left({a}\right)"),
        e.map(lambda a: rf"\tanh{{\left({a}\right)}}"), e.map(lambda a: f"({a})"),
    ), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(index_expressions())
def test_the_index_echo_is_latex_that_reads_back_the_same(text):
    tree = read_index(text)
    again = read_index(index_latex(tree))
    assert index_latex(again) == index_latex(tree)


def test_a_graded_indicator_answer_echoes_the_indicator():
    d = fill_case("bilinear")
    v = grade_variant(r"\sum_{k} u_k d_j \mathbb{I}_{i=k}", d, blank(d, 4), WEIGHTS)
    assert v.correct and v.echo == r"\sum_{k} u_{k} d_{j} \mathbb{I}_{i = k}"


@pytest.mark.parametrize("answer, mistake", [
    ("-2.0000001 (lambda w + A^T (A w - t))", "scale"),  # not exactly −1: a constant factor
    ("-2 (lambda w + A^T (A w - t))", "sign"),
    ("2 (w^T lambda + (A w - t)^T A)", "layout"),
    ("2.0000001 (w^T lambda + (A w - t)^T A)", "other"),  # the transpose, nearly: not the layout mistake
])
def test_near_misses_are_not_the_mistake_they_resemble(answer, mistake):
    assert grade(answer, ridge()).mistake == mistake


# ------------------------------------------------------------ fill-step answers found wrong by the audit
FILL_CASES = {  # the sheets' fill-step variants (problems/sheets, --seed 2024), re-derived here
    "quadratic": ("y = v^T A v", "v", {"A": ("n", "n"), "v": ("n", 1)}, "numerator"),
    "trace": ("y = tr(C^T X)", "X", {"C": ("n", "m"), "X": ("n", "m")}, "denominator"),
    "least-squares": ("y = norm(A v - c)^2", "v", {"A": ("p", "n"), "c": ("p", 1), "v": ("n", 1)}, "denominator"),
    "bilinear": ("y = u^T A d", "A", {"A": (3, 4), "d": (4, 1), "u": (3, 1)}, "numerator"),
    "bilinear-q": ("y = b^T A^T c", "A", {"A": (3, "q"), "b": ("q", 1), "c": (3, 1)}, "denominator"),
    "square": ("y = u^T A d", "A", {"A": ("n", "n"), "d": ("n", 1), "u": ("n", 1)}, "numerator"),
    "activation": ("y = c^T tanh(A u)", "A", {"A": ("p", "q"), "c": ("p", 1), "u": ("q", 1)}, "numerator"),
    "network": ("f = M^T a; y = g(f)", "M", {"M": ("p", "r"), "a": ("p", 1)}, "numerator"),
    "lsq-4": ("y = (A u - c)^T (A u - c)", "u", {"A": (4, "q"), "c": (4, 1), "u": ("q", 1)}, "denominator"),
}


@cache
def fill_case(name):
    expr, wrt, shapes, layout = FILL_CASES[name]
    functions = {"g": {"kind": "scalar", "gradient": "delta"}} if name == "network" else None
    return derive(expr, wrt, shapes, layout, functions=functions)


def blank(d, number):
    step = d.steps[number - 1]
    return {"kind": "fill-step", "blank": {"step": number, "kind": step.kind, "latex": split_equation(step.latex)[1]}}


def same_sum(term, times):
    return " + ".join([term] * times)


@pytest.mark.parametrize("case, step, answer, mistake", [
    # the key Σ_k Σ_l A_kl v_k v_l: the same sum in another order, or nested as written, is right
    ("quadratic", 2, r"\sum_{l=1}^{n} \sum_{k=1}^{n} A_{kl} v_k v_l", None),
    ("quadratic", 2, r"\sum_{k} v_k \sum_{l} A_{kl} v_l", None),
    ("quadratic", 2, r"\sum_{l} v_l \sum_{k} v_k A_{kl}", None),
    ("quadratic", 2, r"-\sum_{k} v_k \sum_{l} A_{kl} v_l", "sign"),
    ("quadratic", 2, r"3 \sum_{k} v_k \sum_{l} A_{kl} v_l", "scale"),
    ("quadratic", 2, r"1.0000001 \sum_{k} v_k \sum_{l} A_{kl} v_l", "scale"),  # exact at the integer point
    ("quadratic", 2, r"\sum_{k} v_k \sum_{l} A_{kl} v_l + 0.0000000001", "other"),
    # the key C_ij, written as an equal sum of terms
    ("trace", 4, r"3 C_{ij} - 2 C_{ij}", None),
    ("trace", 4, r"\frac{1}{3}(C_{ij}+C_{ij}+C_{ij})", None),
    *[("trace", 4, rf"\frac{{1}}{{{n}}}({same_sum('C_{ij}', n)})", None) for n in (3, 5, 6, 7)],
    ("trace", 4, r"\frac{1}{3}(C_{ij}+C_{ij})", "scale"),
    # the key Σ_k (−2 A_ki c_k) + Σ_k 2 A_ki Σ_l A_kl v_l, factored
    ("least-squares", 4, r"2 \sum_{k} A_{ki} (\sum_{l} A_{kl} v_l - c_k)", None),
    ("least-squares", 4, r"\sum_{k=1}^{p} 2 A_{ki} \left(\sum_{l=1}^{n} A_{kl} v_{l} - c_{k}\right)", None),
    ("least-squares", 4, r"-2 \sum_{k} A_{ki} (\sum_{l} A_{kl} v_l - c_k)", "sign"),
    ("least-squares", 4, r"\sum_{k} A_{ki} (\sum_{l} A_{kl} v_l - c_k)", "scale"),
    ("lsq-4", 4, r"2 \sum_{k=1}^{4} A_{ki} (\sum_{l} A_{kl} u_l - c_k)", None),
    # u_i d_j summed over five unused indices: 3⁵ u_i d_j, off by a constant factor
    ("bilinear", 4, r"\sum_{a=1}^{3}\sum_{b=1}^{3}\sum_{c=1}^{3}\sum_{e=1}^{3}\sum_{f=1}^{3} u_i d_j", "scale"),
    ("bilinear", 4, r"\frac{1}{243}\sum_{a=1}^{3}\sum_{b=1}^{3}\sum_{c=1}^{3}\sum_{e=1}^{3}\sum_{f=1}^{3} u_i d_j", None),
])
def test_fill_step_equivalent_forms_are_compared_with_a_tolerance_at_random_points(case, step, answer, mistake):
    d = fill_case(case)
    v = grade_variant(answer, d, blank(d, step), WEIGHTS)
    assert v.mistake == mistake, v.feedback
    assert v.score == (1.0 if mistake is None else WEIGHTS.get(mistake, 0.0))


@pytest.mark.parametrize("case, step, answer", [
    ("bilinear", 4, r"u_j d_i"),  # u has 3 entries, d 4: i and j run over different ranges
    ("bilinear", 4, r"d_i u_j"),
    ("bilinear-q", 4, r"b_i c_j"),  # the key b_j c_i
    ("trace", 4, r"C_{ji}"),  # C is n×m
    ("trace", 4, r"3 C_{ji} - 2 C_{ji}"),
    ("square", 4, r"u_j d_i"),  # the same range: the transpose
    ("network", 2, r"\sum_{k} \frac{\partial f_{k}}{\partial M_{ji}} \frac{\partial y}{\partial f_{k}}"),
    ("network", 7, r"a_{j} \delta_{i}"),
])
def test_fill_step_free_indices_swapped_is_layout_whatever_their_ranges(case, step, answer):
    d = fill_case(case)
    v = grade_variant(answer, d, blank(d, step), WEIGHTS)
    assert (v.mistake, v.score) == ("layout", WEIGHTS["layout"]), v.feedback
    assert v.feedback == "The indices i and j are swapped." and v.echo


@pytest.mark.parametrize("case, step, answer, mistake, named", [
    ("lsq-4", 4, r"\sum_{k=1}^{4} A_{ik} c_k", "shape", "1..q, but A has 4 rows"),  # q is sampled; 4 is the question's
    ("least-squares", 2, r"\sum_{k=1}^{p} \left(-c_{k} + \sum_{l=1}^{n} A_{lk} v_{l}\right)^{2}", "shape",
     "1..n, but A has p rows"),
    ("bilinear-q", 4, r"b_j c_j", "shape", "1..q, but c has 3 entries"),
    ("trace", 4, r"C_{i5}", "parse", "position 5 is outside 1..m"),
])
def test_fill_step_feedback_names_the_questions_sizes_not_the_samples(case, step, answer, mistake, named):
    d = fill_case(case)
    v = grade_variant(answer, d, blank(d, step), WEIGHTS)
    assert v.mistake == mistake and named in v.feedback, v.feedback


@pytest.mark.parametrize("case, step, answer, mistake", [
    ("quadratic", 2, r"\sum_{k,l} A_{kl} v_k v_l", None),  # a double sum
    ("quadratic", 2, r"\sum_{k, l=1}^{n} A_{kl} v_k v_l", None),
    ("quadratic", 2, r"-\sum_{k,l} A_{lk} v_k v_l", "sign"),
    ("trace", 4, r"C_ij", None),  # two one-letter indices without braces: C takes two
    ("trace", 4, r"C_ji", "layout"),
    ("trace", 4, r"2C_ij", "scale"),
    ("bilinear", 4, r"u_id_j", None),  # u takes one index: u_i d_j, as before
    ("bilinear", 3, r"\sum_{k,l} u_k d_l \delta_ik \delta_jl", None),
    ("network", 6, r"delta_k", None),  # a Greek letter typed as a word
    ("network", 7, r"a_i delta_j", None),
    ("activation", 4, r"(1 - \tanh^2(\sum_{l} A_{il} u_l)) c_i u_j", None),
    ("activation", 4, r"c_i u_j - \tanh^{2}{\left(\sum_{l=1}^{q} A_{il} u_{l}\right)} c_i u_j", None),
    ("activation", 4, r"(1 - \tanh^3(\sum_{l} A_{il} u_l)) c_i u_j", "other"),
])
def test_fill_step_spellings(case, step, answer, mistake):
    d = fill_case(case)
    v = grade_variant(answer, d, blank(d, step), WEIGHTS)
    assert v.mistake == mistake, v.feedback
    assert read_index(v.echo)  # the echo reads back


@pytest.mark.parametrize("answer, latex", [
    (r"\sum_{k,l} A_{kl}", r"\sum_{k} \sum_{l} A_{kl}"),
    (r"\sum_{k,l=1}^{n} A_{kl}", r"\sum_{k=1}^{n} \sum_{l=1}^{n} A_{kl}"),
    (r"delta_k + alpha", r"\delta_{k} + \alpha"),
    (r"\tanh^2(x_i)", r"\left(\tanh\left(x_{i}\right)\right)^{2}"),
    (r"\sum_{k} u_k d_j \mathbb{I}_{i=k}", r"\sum_{k} u_{k} d_{j} \mathbb{I}_{i = k}"),
    (r"\mathbb{I}[i = j]", r"\mathbb{I}_{i = j}"),
    (r"𝕀_{j=2} a_i", r"\mathbb{I}_{j = 2} a_{i}"),
    (r"\sum_{l=1}^{n} a_{l} \mathbb{I}_{i = l} \mathbb{I}_{j = k}", r"\sum_{l=1}^{n} a_{l} \mathbb{I}_{i = l} \mathbb{I}_{j = k}"),
])
def test_index_spellings_read_as_their_usual_form(answer, latex):
    """Each spelling echoes in its usual form, and the echo reads back to the same (the indicator included)."""
    tree = read_index(answer)
    assert index_latex(tree) == latex
    assert index_latex(read_index(latex)) == latex


# ---------------------------------------------------------------- shape answers: how a shape may be written

@pytest.mark.parametrize("answer, mistake, echoed", [
    ("m x p", None, r"m \times p"),
    ("m×p", None, r"m \times p"),
    ("(m, p)", None, r"m \times p"),
    ("m by p", None, r"m \times p"),
    (r"\mathbb{R}^{m \times p}", None, r"m \times p"),
    (r"$\mathbb R^{m\times p}$", None, r"m \times p"),
    ("R^{m x p}", None, r"m \times p"),
    ("ℝ^{m×p}", None, r"m \times p"),
    ("R^{p x m}", "layout", r"p \times m"),
    ("m x p x 1", "shape", r"m \times p \times 1"),  # three axes are read, and are not this matrix's shape
    ("R^{m}", "parse", ""),
    ("m", "parse", ""),
])
def test_a_matrix_shape_answer(answer, mistake, echoed):
    d = derive("z = W x", "x", {"W": ("m", "p"), "x": ("p", 1)}, "numerator")
    v = grade_variant(answer, d, {"kind": "shape"}, WEIGHTS)
    assert (v.mistake, v.echo) == (mistake, echoed)


@pytest.mark.parametrize("answer, mistake", [
    ("m x n x r x s", None), (r"\mathbb{R}^{m \times n \times r \times s}", None), ("R^{m x n x r x s}", None),
    ("r x s x m x n", "layout"), ("m x n x r", "shape"),
])
def test_a_tensor_shape_answer_with_plain_x(answer, mistake):
    d = derive("Y = A X B", "X", {"A": ("r", "m"), "X": ("m", "n"), "B": ("n", "s")})
    assert grade_variant(answer, d, {"kind": "shape"}, WEIGHTS).mistake == mistake
