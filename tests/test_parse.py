"""The expression language: what it accepts, what it builds, and how it refuses."""
from __future__ import annotations

import pytest

from generator.tree.text import to_text
from generator.errors import ParseError
from generator.tree.scope import FunctionSpec, Scope
from generator.parse import parse, parse_expression

SCOPE = Scope.build(
    {"W": ("n", "m"), "x": ("m", 1), "a": ("n", 1), "A": ("m", "m"), "B": ("n", "m"), "S": ("m", "m"),
     "X": ("m", "m"), "b": ("m", 1), "W1": ("h", "m"), "W2": ("n", "h"), "y": ("n", 1), "s": (1, 1),
     "W_2": ("m", "m")},
    {"S": "symmetric"},
    {"g": FunctionSpec("g", "scalar", gradient="delta"), "h": FunctionSpec("h", "elementwise")},
)


@pytest.mark.parametrize("text, canonical, shape", [
    ("W x", "W x", ("n", 1)),
    ("W*x", "W x", ("n", 1)),
    ("x^T W^T", "x^T W^T", (1, "n")),
    ("x'", "x^T", (1, "m")),
    ("(W x)^T", "x^T W^T", (1, "n")),
    ("a^T W x", "a^T W x", (1, 1)),
    ("(b^T x) * (B x)", "(b^T x) B x", ("n", 1)),
    ("(b^T x) B x", "(b^T x) B x", ("n", 1)),
    ("1 - tanh(x).^2", "1 - tanh(x).^2", ("m", 1)),
    ("x .* b", "x .* b", ("m", 1)),
    ("x.^(1/2)", "x.^(1/2)", ("m", 1)),
    ("X^-1", "X^-1", ("m", "m")),
    ("inv(X)", "X^-1", ("m", "m")),
    ("X^-T", "X^-T", ("m", "m")),
    ("(X^T)^-1", "X^-T", ("m", "m")),
    ("S^T", "S", ("m", "m")),
    ("X^2", "X X", ("m", "m")),
    ("x / s", "x / s", ("m", 1)),
    ("(x^T A x)/(x^T x)", "(x^T A x) / (x^T x)", (1, 1)),
    ("- -x", "x", ("m", 1)),
    ("-x + x", "0", ("m", 1)),
    ("x + x", "2 x", ("m", 1)),
    ("2 I + X", "2 I + X", ("m", "m")),
    ("I x", "x", ("m", 1)),
    ("W (x + b)", "W (x + b)", ("n", 1)),
    ("W(x + b)", "W (x + b)", ("n", 1)),
    ("W_2 x", "W_2 x", ("m", 1)),
    ("sigma'(x)", "sigma'(x)", ("m", 1)),
    ("h(W1 x)", "h(W1 x)", ("h", 1)),
    ("tr(X) + det(X) + logdet(X) + sum(x) + norm(x) + logsumexp(x)",
     "tr(X) + det(X) + logdet(X) + sum(x) + norm(x) + logsumexp(x)", (1, 1)),
    ("norm(W)", "norm(W)", (1, 1)),
    ("diag(x)", "diag(x)", ("m", "m")),
    ("diag(X)", "diag(X)", ("m", 1)),
    ("softmax(W x)", "softmax(W x)", ("n", 1)),
    ("norm(sigma(W2 sigma(W1 x)) - y)^2", "norm(sigma(W2 sigma(W1 x)) - y)^2", (1, 1)),
    ("f = W^T a; g(f)", "g(f)", (1, 1)),
    ("x^T b + 3", "x^T b + 3", (1, 1)),
    ("0.5 x", "x / 2", ("m", 1)),
])
def test_parses_to_canonical_text(text, canonical, shape):
    expr = parse_expression(text, SCOPE)
    assert to_text(expr) == canonical
    assert expr.shape == shape


@pytest.mark.parametrize("text", [
    "W x", "a^T W x", "(b^T x) B x", "1 - tanh(x).^2", "X^-T", "(x^T A x)/(x^T x)", "x.^(1/2)",
    "norm(sigma(W2 sigma(W1 x)) - y)^2", "diag(x) b", "-(a^T W x)", "0.5 x", "softmax(W x) - y",
])
def test_text_form_parses_back_to_the_same_tree(text):
    expr = parse_expression(text, SCOPE)
    assert parse_expression(to_text(expr), SCOPE) == expr


def test_statement_names_output_and_intermediates():
    st = parse("f = W^T a\ny = g(f)", Scope.build({"W": ("n", "m"), "a": ("n", 1)}, None,
                                                  {"g": FunctionSpec("g", "scalar", gradient="delta")}))
    assert st.output == "y"
    assert [name for name, _ in st.definitions] == ["f"]
    assert set(st.bindings) == {"f", "delta"}


@pytest.mark.parametrize("text, message", [
    ("W x +", "column 5: expected"),
    ("W * * x", "column 5: expected"),
    ("W b x", "cannot multiply W b (n×1) by x (m×1)"),
    ("W a", "cannot multiply W (n×m) by a (n×1): inner dimensions m and n differ"),
    ("q + x", "unknown name 'q'"),
    ("foo(x)", "unknown function 'foo'"),
    ("x / x", "can only divide by a scalar"),
    ("x^2", "use .^"),
    ("x + a", "cannot add x (m×1) and a (n×1)"),
    ("tr(W)", "needs a square matrix"),
    ("softmax(X)", "softmax needs a vector"),
    ("inv(W)", "not square"),
    ("I", "cannot tell the size of I"),
    ("exp", "exp is a function"),
    ("x = W x", "x is already defined"),
    ("", "expected an expression"),
    ("(" * 40 + "x" + ")" * 40, "nested deeper"),
    ("x" + " + x" * 600, "limit is 2000"),
    ("1e999 x", "column 1: powers of ten in a number are limited to ±64"),
    ("3e x", "unknown name 'e'"),  # a number is digits, e, digits: 3e alone is 3 times a name e
    ("norm(x) + \\|W\\|^2_2", "column 16: the 2-norm of a matrix"),
])
def test_refuses_with_position_and_reason(text, message):
    with pytest.raises(ParseError) as err:
        parse(text, SCOPE, source="answer")
    assert str(err.value).startswith("answer: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- Kronecker products, vec, commutation matrices

KRON_SCOPE = Scope.build({"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q"), "x": ("n", 1), "K": ("n", "n")})


@pytest.mark.parametrize("text, canonical", [
    ("kron(B^T, A)", "kron(B^T, A)"),
    ("B^T ⊗ A", "kron(B^T, A)"),
    (r"\mathbf{B}^\top \otimes A", "kron(B^T, A)"),
    ("A X ⊗ B", "kron(A X, B)"),  # ⊗ binds looser than the matrix product
    ("-A ⊗ B", "-kron(A, B)"),
    ("2 (A ⊗ B) + A ⊗ B", "3 kron(A, B)"),
    ("kron(x, I_n) + kron(I_n, x)", "kron(x, I_n) + kron(I_n, x)"),
    ("kron(A, B, X)", "kron(A, B, X)"),
    ("kron(x, x^T)", "x x^T"),  # a column and a row multiply
    ("kron(I_m, I_n)", "I"),
    ("vec(X)", "vec(X)"),
    ("vec(x)", "x"),
    (r"\operatorname{vec}\left(2 X\right)", "2 vec(X)"),
    ("commutation(m, n)", "commutation(m, n)"),
    ("K_{m,n}", "commutation(m, n)"),
    ("commutation(m*n, p)", "commutation(m*n, p)"),
    ("commutation(m, 1)", "I"),
    ("K x", "K x"),  # a declared K is a matrix like any other
])
def test_kronecker_syntax(text, canonical):
    expr = parse_expression(text, KRON_SCOPE)
    assert to_text(expr) == canonical
    assert parse(to_text(expr), KRON_SCOPE, expect=expr.shape).expr == expr  # I is sized by the answer's shape


def test_an_unsized_identity_in_a_kronecker_product_takes_the_size_the_answer_leaves():
    expected = parse_expression("kron(x, I_n) + kron(I_n, x)", KRON_SCOPE)
    read = parse(r"\mathbf{x} \otimes I + I \otimes \mathbf{x}", KRON_SCOPE, expect=expected.shape).expr
    assert read == expected


@pytest.mark.parametrize("text, message", [
    ("kron(A)", "kron(A, B) takes two or more factors"),
    ("exp(A, B)", "exp(…) takes one argument"),
    ("commutation(m)", "commutation(m, n) takes two sizes"),
    ("commutation(m, z)", "expected a size such as n or 3"),
    ("x ⊗ I", "cannot tell the size of I or 1 in a Kronecker product"),
    ("A ⊗", "expected a term, found the end"),
    ("kron(A, ", "expected a term"),
])
def test_kronecker_syntax_refusals(text, message):
    with pytest.raises(ParseError) as err:
        parse(text, KRON_SCOPE, source="answer")
    assert message in str(err.value) and "\n" not in str(err.value)
