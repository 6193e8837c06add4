"""Answers as students type them: the LaTeX subset reads to the same tree as the text language."""
from __future__ import annotations

import pytest

from generator.tree.text import to_text
from generator.errors import ParseError
from generator.tree.scope import FunctionSpec, Scope
from generator.parse import ShapeMismatch, UnknownName, parse, parse_expression

SCOPE = Scope.build(
    {"W": ("n", "m"), "x": ("m", 1), "a": ("n", 1), "A": ("m", "m"), "X": ("m", "m"), "b": ("m", 1),
     "W1": ("h", "m"), "y0": ("m", 1), "s": (1, 1), "W_2": ("m", "m"), "W2": ("n", "h")},
    None,
    {"g": FunctionSpec("g", "scalar", gradient="delta"), "h": FunctionSpec("h", "elementwise")},
)
NETWORK = parse("f = W^T a; g(f)", SCOPE)  # binds f and delta, as Derivation.statement.bindings does


def read(text: str, expect=None):
    return parse(text, SCOPE, "answer", expect, NETWORK.bindings).expr


@pytest.mark.parametrize("latex, text", [
    # fonts: a name is the same symbol in any font
    (r"\mathbf{W}\mathbf{x}", "W x"),
    (r"\boldsymbol{x}", "x"),
    (r"\bm{x} + \bm b", "x + b"),
    (r"\mathit{W} \mathsf{x}", "W x"),
    (r"\vec{x}", "x"),
    (r"\mathbf{Ax}", "A x"),
    ("Ax + A^Tx", "A x + A^T x"),
    # transposes, inverses
    (r"\mathbf{x}^\top", "x^T"),
    (r"x^{\top}", "x^T"),
    (r"x^{T}", "x^T"),
    (r"x^T", "x^T"),
    (r"x^\mathsf{T}", "x^T"),
    (r"x^{\mathsf{T}}", "x^T"),
    (r"x^\intercal", "x^T"),
    ("xᵀ", "x^T"),
    (r"X^{-1}", "X^-1"),
    (r"X^{-T}", "X^-T"),
    (r"X^{-\top}", "X^-T"),
    (r"\left(X^{-1}\right)^\top", "X^-T"),
    ("X⁻¹", "X^-1"),
    (r"\mathbf{x}^{\circ 2}", "x.^2"),
    (r"x^{\odot -1}", "x.^-1"),
    (r"x^{\circ 1/2}", "x.^(1/2)"),
    # brackets and operators
    (r"\left( W x \right)^\top", "(W x)^T"),
    (r"\left[ W x \right]", "W x"),
    (r"\bigl( x + b \bigr)", "x + b"),
    (r"x^T \cdot b", "x^T b"),
    (r"A \times X", "A X"),
    (r"x \odot b", "x .* b"),
    (r"x \circ b", "x .* b"),
    ("x ⊙ b", "x .* b"),
    ("A·x", "A x"),
    ("x − b", "x - b"),
    (r"x^T\,A\;x\!", "x^T A x"),
    (r"x^\top \quad A x", "x^T A x"),
    ("$x^T A x$", "x^T A x"),
    # fractions
    (r"\frac{x}{s}", "x / s"),
    (r"\frac{1}{2} x", "x / 2"),
    (r"\frac12 x", "x / 2"),
    (r"\tfrac{1}{2}\mathbf{x}", "x / 2"),
    (r"\frac{A x}{x^T x}", "(A x) / (x^T x)"),
    # functions
    (r"\sigma(\mathbf{x})", "sigma(x)"),
    (r"\sigma\left(x\right)", "sigma(x)"),
    (r"\sigma \mathbf{x}", "sigma(x)"),
    (r"\sigma'(x)", "sigma'(x)"),
    (r"\sigma^{\prime}(x)", "sigma'(x)"),
    ("σ(x)", "sigma(x)"),
    (r"\exp(x)", "exp(x)"),
    (r"\exp\left(W^\top \mathbf{a}\right)^\top", "exp(W^T a)^T"),
    (r"\log(x)", "log(x)"),
    (r"\ln x", "log(x)"),
    (r"\tanh(x)", "tanh(x)"),
    (r"\sin x + \cos(x)", "sin(x) + cos(x)"),
    (r"\sqrt{x^T x}", "sqrt(x^T x)"),
    (r"\det X", "det(X)"),
    (r"\det(X)^2", "det(X)^2"),
    (r"\log\det X", "log(det(X))"),
    (r"\operatorname{tr}(X)", "tr(X)"),
    (r"\operatorname{tr}\left(A X\right)", "tr(A X)"),
    (r"\mathrm{tr}(X)", "tr(X)"),
    (r"\text{tr}\,X", "tr(X)"),
    (r"\mathrm{Tr}\left[X\right]", "tr(X)"),
    (r"\operatorname{diag}(x)", "diag(x)"),
    (r"\mathrm{diag}(x)", "diag(x)"),
    (r"\text{diag}(\sigma'(\mathbf{x}))", "diag(sigma'(x))"),
    (r"\operatorname{softmax}(W x)", "softmax(W x)"),
    (r"h(W_1 x)", "h(W1 x)"),
    (r"g\left(f\right)", "g(f)"),
    # norms
    (r"\|x\|", "norm(x)"),
    (r"\lVert x \rVert", "norm(x)"),
    (r"\lVert x \rVert^2", "norm(x)^2"),
    (r"\|A x - b\|_2^2", "norm(A x - b)^2"),
    (r"\left\| x \right\|", "norm(x)"),
    ("||x||", "norm(x)"),
    (r"\|W\|_F", "norm(W)"),
    (r"\|x\| \|b\|", "norm(x) norm(b)"),
    # names: subscripts, Greek letters, the problem's intermediates
    (r"W_1 x", "W1 x"),
    (r"W_{1} x", "W1 x"),
    (r"\mathbf{W}_{1}\mathbf{x}", "W1 x"),
    (r"\mathbf{y}_0", "y0"),
    (r"y_{0}^\top x", "y0^T x"),
    (r"W_{2} x", "W_2 x"),
    (r"\boldsymbol{\delta}", "delta"),
    (r"\mathbf{a}\boldsymbol{\delta}^\top", "a delta^T"),
    ("a δ^T", "a delta^T"),
    (r"\mathbf{f}", "f"),
    (r"\mathbf{0} + x", "x"),
])
def test_latex_reads_as_text(latex, text):
    assert read(latex) == read(text)


@pytest.mark.parametrize("latex, expect, shape", [
    (r"\mathbf{I}", ("m", "m"), ("m", "m")),
    (r"W^\top \mathbf{1}", None, ("m", 1)),  # \mathbf{1} is the all-ones vector, sized by its neighbour
    (r"\mathbf{1}^\top W", None, (1, "m")),
    (r"\mathbf{1} W", None, (1, "m")),  # as the engine's own LaTeX prints 1ᵀW
    (r"\mathbf 1 - x", None, ("m", 1)),
    (r"\mathbf{1}", ("n", 1), ("n", 1)),
    (r"2\,\mathbf{1}", ("n", "m"), ("n", "m")),
    (r"\mathbf{1}^\top", (1, "n"), (1, "n")),
    ("I_m + A", None, ("m", "m")),
    ("I_{n}", None, ("n", "n")),
    (r"2\,\mathbf{I} + \mathbf{A}", None, ("m", "m")),
])
def test_identity_takes_its_size(latex, expect, shape):
    assert read(latex, expect).shape == shape


@pytest.mark.parametrize("declared, typed, meant", [
    ({"W1": ("n", "m")}, "W_1", "W1"),
    ({"W1": ("n", "m")}, "W_{1}", "W1"),
    ({"W_1": ("n", "m")}, "W1", "W_1"),
    ({"W_1": ("n", "m")}, r"\mathbf{W}_{1}", "W_1"),
    ({"W_1": ("n", "m"), "W1": ("m", "n")}, "W1", "W1"),  # both declared: exact names only
    ({"W_1": ("n", "m"), "W1": ("m", "n")}, "W_{1}", "W_1"),
    ({"x_hat": ("n", 1)}, r"x_{\text{hat}}", "x_hat"),
])
def test_subscripts_find_the_declared_name(declared, typed, meant):
    assert to_text(parse_expression(typed, Scope.build(declared))) == meant


@pytest.mark.parametrize("latex, kind, message", [
    (r"\partial y", ParseError, r"column 1: expected"),
    (r"\partial y", ParseError, r"'\\partial' (not a command mcgen reads outside"),
    (r"\mathbf{x", ParseError, "column 9: expected '}', found the end"),
    (r"W x + \left( x", ParseError, "column 14: expected ')', found the end"),
    (r"x^T \cdot", ParseError, "column 5: expected"),
    (r"\sigma", ParseError, "sigma is a function"),
    (r"\mathbf{q} x", UnknownName, "column 9: unknown name 'q'"),
    (r"\operatorname{foo}(x)", UnknownName, "unknown function 'foo'"),
    (r"\frac{x}{W}", ShapeMismatch, "can only divide by a scalar"),
    (r"\mathbf{x}\mathbf{W}", ShapeMismatch, "cannot multiply"),
    (r"x \odot a", ShapeMismatch, "cannot multiply element-wise"),
    (r"\|X\|_2", ParseError, "spectral norm"),
    (r"\mathbf{W}^{99}", ParseError, "exponents are limited to ±64"),
    (r"X^{20}", ParseError, "matrix powers are limited to ±16"),
    (r"X^{99999}", ParseError, "exponents are limited"),
    (r"((((3^{64})^{64})^{64})^{64})", ParseError, "too large"),
    ("x^(1/0)", ParseError, "not a usable number"),
    ("1" * 30 + " x", ParseError, "numbers are limited"),
    (r"\log" * 250 + " s", ParseError, "nested too deeply"),
    (r"\left(" * 33 + "x" + r"\right)" * 33, ParseError, "nested deeper than 32"),
    ("a1 = X X; a2 = a1 a1; a3 = a2 a2; a4 = a3 a3; a5 = a4 a4; a6 = a5 a5; a7 = a6 a6; "
     "a8 = a7 a7; a9 = a8 a8; a10 = a9 a9; a11 = a10 a10; a12 = a11 a11; a12", ParseError, "expands to more than"),
    ("f = x", ParseError, "f is already defined"),
    (r"\mathbf{1} x^\top", ShapeMismatch, "cannot tell the size of I or 1"),
    (r"\sigma(\mathbf{1})", ShapeMismatch, "cannot tell the size of 1"),
    ("I / I", ShapeMismatch, "cannot tell the size of I or 1"),
])
def test_latex_refusals_name_the_position(latex, kind, message):
    with pytest.raises(kind) as err:
        read(latex)
    assert str(err.value).startswith("answer: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)
