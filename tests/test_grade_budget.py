"""Every answer gets a verdict within a work budget: adversarial tables and fuzzing, counted by measure(), not a clock."""
from __future__ import annotations

import gc
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import derive, grade
from generator.grading import budget
from generator.grading.adversarial import ADVERSARIAL, WORK_LIMIT
from generator.grading.budget import OverBudget, measure
from generator.grading.grade import credit_table
from generator.grading.kinds import grade_variant
from generator.grading.verdict import MISTAKES
from generator.parse.syntax import _parser
from generator.tree.nodes import Add, Mul, Sym

from ambiguity import exponentially_ambiguous

WEIGHTS = credit_table(None)


@cache
def quad():
    d = derive("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")})
    grade("x", d)  # sample points are built once per derivation, not per answer
    return d


def within_budget(text: str) -> None:
    verdict, work = measure(grade, text, quad())
    assert verdict.mistake in (None, *MISTAKES) and verdict.feedback and len(verdict.feedback) < 400
    assert work <= WORK_LIMIT, f"{work:,} calls"


def _marks(case):
    if case.hangs:
        return [pytest.mark.xfail(strict=True, run=False, reason=f"{case.waiting} (too slow to run before then)")]
    return [pytest.mark.xfail(strict=True, reason=case.waiting)] if case.waiting else []


@pytest.mark.parametrize("text", [pytest.param(c.text, id=c.name, marks=_marks(c)) for c in ADVERSARIAL])
def test_adversarial_answers_get_a_verdict_within_the_work_budget(text):
    within_budget(text)


def test_a_plain_answer_is_far_below_the_budget():
    _, work = measure(grade, "(A + A^T) x ", quad())
    assert work < WORK_LIMIT / 50


def test_the_work_counter_is_deterministic():
    counts = set()
    for k in range(1, 4):  # fresh text each time
        gc.collect()  # a collection is counted when a callback is installed (hypothesis installs one): start level
        counts.add(measure(grade, "x^T (A + A^T) + 3 x" + " " * k, quad())[1])
    assert len(counts) == 1


@pytest.mark.parametrize("piece, tail", [("1 x^T ", "A"), ("x^T 1 ", "x"), ("(I - 1 x^T) ", "x"), ("1 ", "x"),
                                         ("1e-9 ", "x"), ("A 1 ", "x")])
def test_bare_ones_are_read_in_linear_work(piece, tail):
    """A bare 1 may be built again as the vector of ones: a few builds, each linear, never one per 1."""
    texts = [piece * ((length - len(tail)) // len(piece)) + tail for length in (1000, 2000)]
    short, long = (measure(grade, text, quad())[1] for text in texts)
    assert long <= 2.5 * short and long <= 150 * len(texts[1]), (short, long)
    within_budget(texts[1])


PIECES = ["x", "A", "x^T", "A^T", "(", ")", "{", "}", r"\left(", r"\right)", "^", "^T", "'", r"^{\prime}", " ",
          r"\sigma", r"\log", r"\sqrt", "+", "-", r"\odot", ".*", "^{-1}", r"\|", "|", "2", "0.5", "_1", r"\mathbf{"]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["", "x", r"\sigma", "A x", "(", r"\operatorname{tanh}"]), st.lists(st.sampled_from(PIECES),
       min_size=1, max_size=3).map("".join), st.integers(1, 1000))
def test_repeated_suffixes(prefix, suffix, copies):
    """Up to a thousand copies, cut at the length limit: products of any length are built in linear time."""
    within_budget((prefix + suffix * copies)[:2000])


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([("(", ")"), ("{", "}"), (r"\left(", r"\right)"), ("exp(", ")"), (r"\sigma(", ")"),
                        ("tr(", ")"), (r"\mathbf{", "}"), (r"\|", r"\|")]), st.integers(1, 60),
       st.sampled_from(["x", "A x", "x^T A x", ""]))
def test_deep_nesting(pair, depth, core):
    within_budget(pair[0] * depth + core + pair[1] * depth)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["A", "A^T", "(A + A^T)", r"\mathbf{A}", "A^{-1}", "x^T A x", "2"]),
                min_size=1, max_size=60), st.sampled_from([" ", r"\,", " * ", r" \cdot "]))
def test_long_products(factors, joint):
    within_budget(joint.join(factors) + " x")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["x^{%s}", "x.^%s", "A^{%s} x", "(x^T x)^{%s} x", "%s x", "x^{-%s}", "2^{%s} x",
                        r"\frac{%s}{7} x", "A^{%s/3} x"]), st.integers(0, 10 ** 40))
def test_huge_exponents_and_numbers(template, n):
    within_budget(template % n)


@pytest.mark.parametrize("size, factors, over", [
    (3, 10, False),
    (9, 400, False),  # 400 products of 9×9 matrices: within the budget
    (19, 1400, True),  # 1,400 products of 19×19 matrices: refused before a number is computed
])
def test_the_evaluation_budget_counts_products_from_the_shapes(size, factors, over):
    chain = Mul(tuple(Sym(f"B{k}", ("n", "n")) for k in range(factors)))  # built raw: no simplification
    if over:
        with pytest.raises(OverBudget, match="operations"):
            budget.check(chain, {"n": size})
    else:
        leaves = factors * size ** 2
        assert budget.check(chain, {"n": size}).work == (factors - 1) * size ** 3 + size + leaves


def test_a_shared_subtree_counts_each_time_it_is_met():
    e = Mul((Sym("A", ("n", "n")), Sym("B", ("n", "n"))))
    for _ in range(30):  # built raw: 2^30 products when evaluated as a tree, 32 distinct nodes
        e = Add((e, e))
    found = budget.cost(e, {"n": 3})
    assert found.nodes <= 40 and found.work > budget.MAX_WORK


@pytest.mark.parametrize("pattern, exponential", [
    (r"(x\s*\s*)*y", True),  # two \s* side by side inside a loop: "x  " pumped splits its spaces 3 ways
    (r"(a+)+b", True),
    (r"(a*)*b", True),
    (r"(\^\s*\{?\s*\\prime)*\(", True),  # the shape of the lexer's primes before issue 9
    (r"a*b", False),
    (r"(ab)*c", False),
    (r"\s*x\s*", False),
    (r"(\s*x)*", False),
    (r"[a-z]+[0-9]*", False),
    (r"x(?:y|z)*", False),
])
def test_the_ambiguity_check_itself(pattern, exponential):
    assert exponentially_ambiguous(pattern) == exponential


def _terminals():
    return sorted(_parser().terminals, key=lambda t: t.name)


@pytest.mark.parametrize("terminal", [pytest.param(t, id=t.name) for t in _terminals()])
def test_no_lexer_pattern_backtracks_exponentially(terminal):
    """The lexer's regexes run in C, where measure() cannot see: their worst case is decided statically."""
    assert not exponentially_ambiguous(terminal.pattern.to_regexp())


@cache
def sheet_variants():
    """A numeric, a shape and a fill-step variant of least squares, as a manifest holds them."""
    d = derive("y = norm(A x - b)^2", "x", {"A": (3, 2), "x": (2, 1), "b": (3, 1)})
    step = next(k for k, s in enumerate(d.steps, 1) if s.kind == "index")
    blank = {"step": step, "kind": "index", "latex": d.steps[step - 1].latex.split("=", 1)[1].strip()}
    return d, [{"kind": "numeric", "value": [["1"], ["2"]]}, {"kind": "shape"}, {"kind": "fill-step", "blank": blank}]


@pytest.mark.parametrize("text", ["=" * 100_000, "[" * 50_000, "[1, " * 20_000, r"\frac{" * 10_000, "9" * 100_000,
                                  r"\sum_{k=1}^{n}" * 2_000 + "x_k", "(" * 5_000 + "x_1" + ")" * 5_000, "m x " * 30_000,
                                  r"\begin{bmatrix}" + "1 & " * 20_000 + r"\end{bmatrix}", "x_{" + "i" * 50_000 + "}"],
                         ids=lambda t: t[:12])
def test_every_kind_refuses_huge_answers_within_the_budget(text):
    d, variants = sheet_variants()
    for variant in variants:
        verdict, work = measure(grade_variant, text, d, variant, WEIGHTS)
        assert verdict.mistake in MISTAKES and work <= WORK_LIMIT, (variant["kind"], work)
