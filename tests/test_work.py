"""Long products are built, tidied and graded in work proportional to their length: counted, never timed."""
from __future__ import annotations

import gc
from functools import cache, reduce
from typing import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import derive, grade
from generator.calculus.simplify import normalize, tidy
from generator.grading.budget import measure
from generator.latex import printer
from generator.parse import syntax
from generator.tree import algebra as alg
from generator.tree.nodes import Expr, Identity, Mul, Ones, Sym
from generator.tree.text import to_text

PER_CHAR = 150  # Python calls per character of an answer (about 15 to 100 today)
GROWTH = 2.5  # work at twice the length: 2 when linear, 4 when quadratic


def python_calls(run: Callable[[], object]) -> int:
    """How many Python functions `run` enters: the grader's deterministic work counter, no clock.

    Measured from the same start whatever ran before: no parse tree or printed LaTeX of an earlier test kept
    (a text read or echoed before would cost less), no garbage waiting to be collected (a collection is counted when a callback is
    installed, and hypothesis installs one).
    """
    syntax.forget_trees()
    printer.forget_printed()
    gc.collect()
    return measure(run)[1]


@cache
def quadratic_form():
    d = derive("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")})
    grade("x", d)  # sample points and grammar made before anything is counted
    return d


LONG_ANSWERS = [  # (repeated piece, tail): the answer is the piece as often as fits in the length, then the tail
    ("A ", ""), ("A ", "x"), ("A^T ", "x"), (r"\mathbf{A} ", r"\mathbf{x}"), ("-A ", "x"), ("2 ", "A x"),
    ("(x^T A x) ", "x"), ("x^T ", "A x"), ("A^{-1} A ", "x"), ("(A A)^{-1} A A ", "x"), ("diag(x) ", "x"),
    ("A A^T A^{-1} (A + A^T) ", "x"), (r"\frac{1}{2} A ", "x"), ("A x + ", "x"), ("x .* ", "x"),
    ("I ", "A x"), ("I ", "x"), ("(I + I) ", "x"), ("I^T ", "x"),  # unsized I: a chain of them, built flat
]


def answer(piece: str, tail: str, length: int) -> str:
    return piece * ((length - len(tail)) // len(piece)) + tail


@pytest.mark.parametrize("piece,tail", LONG_ANSWERS, ids=[p.strip() + "…" + t for p, t in LONG_ANSWERS])
def test_long_answer_is_graded_in_linear_work(piece, tail):
    d = quadratic_form()
    short, long = answer(piece, tail, 1000), answer(piece, tail, 2000)
    work = {text: python_calls(lambda text=text: grade(text, d)) for text in (short, long)}
    assert work[long] <= PER_CHAR * len(long), f"{work[long]} calls for {len(long)} characters"
    assert work[long] <= GROWTH * work[short], f"{work[short]} calls, then {work[long]} at twice the length"


def test_a_thousand_factors_get_a_verdict_within_the_budget():
    text = "A " * 999
    assert python_calls(lambda: grade(text, quadratic_form())) <= PER_CHAR * len(text)
    assert grade(text, quadratic_form()).mistake == "shape"


A, B, C = (Sym(name, ("n", "n")) for name in "ABC")
x = Sym("x", ("n", 1))
AB_INVERSE = alg.inverse(alg.mul(A, B))
PIECES = {  # a chain's repeated piece: plain, cancelling, merging, with numbers and transposes
    "A": (A,), "A B": (A, B), "A (AB)⁻¹": (A, AB_INVERSE), "(AB)⁻¹ A B C": (AB_INVERSE, A, B, C),
    "A B (AB)⁻¹ C": (A, B, AB_INVERSE, C), "A diag(x)": (A, alg.diag(x)), "2 Aᵀ": (alg.const(2), alg.transpose(A)),
    "A⁻¹ C A": (alg.inverse(A), C, A),
}
BUILDS: dict[str, Callable[[tuple[Expr, ...]], Expr]] = {
    "at once": lambda fs: alg.mul(*fs),
    "left to right": lambda fs: reduce(lambda a, b: alg.mul(a, b), fs),  # as the parser reads a product
    "then normalized": lambda fs: normalize(alg.mul(*fs)),
    "then tidied": lambda fs: tidy(alg.mul(*fs)),
}


@pytest.mark.parametrize("build", BUILDS)
@pytest.mark.parametrize("piece", PIECES)
def test_product_is_built_in_linear_work(piece, build):
    def work(copies: int) -> int:
        factors = PIECES[piece] * copies
        return python_calls(lambda: BUILDS[build](factors))
    assert work(400) <= GROWTH * work(200)


POOL = [A, B, C, Sym("S", ("n", "n"), frozenset({"symmetric"})), Identity("n"), alg.transpose(A), alg.inverse(A),
        AB_INVERSE, alg.inverse(alg.mul(B, A)), alg.transpose(AB_INVERSE), alg.inverse(alg.mul(A, B, C)),
        alg.inverse(alg.mul(alg.transpose(A), B)), alg.mul(A, B), alg.diag(x), alg.const(3),
        alg.mul(alg.transpose(x), A, x), Sym("s", (1, 1))]
EXPANDS = {AB_INVERSE: (A, B), POOL[8]: (B, A), POOL[10]: (A, B, C)}  # an inverse next to the chain it undoes
ENDS = [x, Ones(("n", 1)), alg.transpose(x), Ones((1, "n"))]


def fresh(e: Expr) -> Expr:
    """The same product built anew, so that nothing tidied before is reused."""
    return Mul(e.factors) if isinstance(e, Mul) else e


@st.composite
def chains(draw: st.DrawFn) -> list[Expr]:
    factors: list[Expr] = []
    for f in draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=30)):
        undone = EXPANDS.get(f, ())
        side = draw(st.sampled_from(["alone", "before", "after"])) if undone else "alone"
        factors += [*undone, f] if side == "before" else [f, *undone] if side == "after" else [f]
    head = draw(st.sampled_from([[], [ENDS[2]], [ENDS[3]]]))
    tail = draw(st.sampled_from([[], [ENDS[0]], [ENDS[1]]]))
    return head + factors + tail


def anew(factors: list[Expr]) -> Expr:
    """The product read left to right, each step tidying everything again."""
    return reduce(lambda a, b: alg.mul(fresh(a), b), factors)


@settings(max_examples=400, deadline=None)
@given(chains(), st.integers(min_value=0))
def test_products_continued_are_the_products_built_anew(factors, cut):
    """Multiplying on the right continues the left product's tidied chain: the same result as tidying it all again."""
    assert reduce(alg.mul, factors) == anew(factors)
    cut = cut % len(factors) + 1
    left, right = factors[:cut], factors[cut:] or [alg.ONE]
    continued = alg.mul(reduce(alg.mul, left), reduce(alg.mul, right))
    again = alg.mul(fresh(anew(left)), anew(right))
    assert continued == again and to_text(continued) == to_text(again)


@pytest.mark.parametrize("left,right,product", [
    ((AB_INVERSE, A), (B,), Identity("n")),  # the inverse index is used by the first and rebuilt for the second
    ((A, B), (AB_INVERSE,), Identity("n")),
    ((A, B), (C,), alg.mul(A, B, C)),
])
def test_a_product_continued_twice_gives_the_same_both_times(left, right, product):
    start = alg.mul(*left)
    assert alg.mul(start, *right) == alg.mul(start, *right) == product


def test_a_long_chain_of_unsized_identities_is_read_not_refused():
    """I I … I Wᵀ (600 of them, no size written) is Wᵀ: built flat, never past Python's recursion limit."""
    d = derive("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)})
    assert grade("I " * 600 + "W^T", d).correct
    assert grade("(I + I) " * 200 + "W^T", d).mistake == "scale"
