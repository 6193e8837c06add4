"""The engine through the public API: every operation of the language, both layouts, textbook form,
independent finite differences, the cases SymPy gets wrong, Hessians, and loud refusals."""
from __future__ import annotations

import numpy as np
import pytest
from differences import differences, vec_differences

from generator import GeneratorError, derive, grade, hessian
from generator.check.verify import RESIDUAL_LIMIT, check, residual
from generator.errors import NotDerivable, VerificationError
from generator.parse import parse, parse_expression
from generator.tree.scope import Scope
from generator.tree.text import to_text

V = {"x": ("n", 1), "a": ("n", 1), "b": ("n", 1), "A": ("n", "n"), "B": ("m", "n")}
M = {"X": ("m", "n"), "a": ("m", 1), "b": ("n", 1), "A": ("p", "m"), "B": ("n", "p"), "C": ("p", "p")}
S = {"X": ("n", "n"), "a": ("n", 1), "b": ("n", 1), "A": ("n", "n"), "B": ("n", "n")}
NET = {"W1": ("h", "n"), "W2": ("k", "h"), "x": ("n", 1), "y": ("k", 1)}
SM = {"W": ("k", "n"), "x": ("n", 1), "y": ("k", 1), "c": ("k", 1)}

# (expression, variable, shapes, assumptions, denominator layout, numerator layout)
COVERAGE = [
    ("L = a^T x + b^T x", "x", V, None, 'a + b', '(a + b)^T'),
    ("z = A x + B^T b2", "x", {**V, "b2": ("m",1)}, None, 'A^T', 'A'),
    ("z = 3 x - 2 A x", "x", V, None, '3 I - 2 A^T', '3 I - 2 A'),
    ("L = a^T X b", "X", M, None, 'a b^T', 'b a^T'),
    ("L = b^T X^T a", "X", M, None, 'a b^T', 'b a^T'),
    ("L = (X b)^T a", "X", M, None, 'a b^T', 'b a^T'),
    ("L = tr(A X B)", "X", M, None, 'A^T B^T', 'B A'),
    ("L = tr(B^T X^T A^T)", "X", M, None, 'A^T B^T', 'B A'),
    ("L = a^T X^-1 b", "X", S, None, '-X^-T a b^T X^-T', '-X^-1 b a^T X^-1'),
    ("L = tr(A X^-1 B)", "X", S, None, '-X^-T A^T B^T X^-T', '-X^-1 B A X^-1'),
    ("L = tr(X^-1)", "X", S, None, '-X^-T X^-T', '-X^-1 X^-1'),
    ("L = tr((A X B + C)(A X B + C)^T)", "X", M, None, '2 A^T (A X B + C) B^T', '2 B (A X B + C)^T A'),
    ("L = det(X)", "X", S, None, 'det(X) X^-T', 'det(X) X^-1'),
    ("L = logdet(X)", "X", S, None, 'X^-T', 'X^-1'),
    ("L = log(det(X))", "X", S, None, 'X^-T', 'X^-1'),
    ("L = exp(tr(X))", "X", S, None, 'exp(tr(X)) I', 'exp(tr(X)) I'),
    ("L = x^T A x", "x", V, None, '(A + A^T) x', 'x^T (A + A^T)'),
    ("L = x^T A x", "x", V, {"A": "symmetric"}, '2 A x', '2 x^T A'),
    ("L = x^T A x", "A", V, None, 'x x^T', 'x x^T'),
    ("L = a^T A b", "A", V, None, 'a b^T', 'b a^T'),
    ("L = norm(x)", "x", V, None, 'x / norm(x)', 'x^T / norm(x)'),
    ("L = norm(x)^2", "x", V, None, '2 x', '2 x^T'),
    ("L = norm(X)", "X", M, None, 'X / norm(X)', 'X^T / norm(X)'),
    ("L = norm(X)^2", "X", M, None, '2 X', '2 X^T'),
    ("L = norm(A X B)^2", "X", M, None, '2 A^T A X B B^T', '2 B B^T X^T A^T A'),
    ("L = sqrt(x^T A x)", "x", V, None, '(A + A^T) x / (2 sqrt(x^T A x))', 'x^T (A + A^T) / (2 sqrt(x^T A x))'),
    ("L = sqrt(a^T x) + sum(sqrt(x))", "x", V, None, '(sqrt(x).^-1 + a / sqrt(a^T x)) / 2', '((sqrt(x).^-1)^T + a^T / sqrt(a^T x)) / 2'),
    ("L = c^T tanh(W^T a)", "W", {"W": ("m", "n"), "a": ("m", 1), "c": ("n", 1)}, None, "a (c .* tanh'(W^T a))^T", "(c .* tanh'(W^T a)) a^T"),
    ("L = a^T sin(A X B) b", "X", {"X": ("m", "n"), "A": ("p", "m"), "B": ("n", "q"), "a": ("p", 1), "b": ("q", 1)}, None, 'A^T ((a b^T) .* cos(A X B)) B^T', 'B ((a b^T) .* cos(A X B))^T A'),
    ("z = exp(A x)", "x", V, None, 'A^T diag(exp(A x))', 'diag(exp(A x)) A'),
    ("L = sum(X .* A)", "X", {"X": ("m","n"), "A": ("m","n")}, None, 'A', 'A^T'),
    ("L = a^T (x .* x)", "x", V, None, '2 (a .* x)', '2 (a .* x)^T'),
    ("z = x .* (A x)", "x", V, None, 'diag(A x) + A^T diag(x)', 'diag(A x) + diag(x) A'),
    ("z = exp(x) .* sin(x)", "x", V, None, 'diag(exp(x) .* (sin(x) + cos(x)))', 'diag(exp(x) .* (sin(x) + cos(x)))'),
    ("z = softmax(W x)", "x", SM, None, 'W^T (diag(softmax(W x)) - softmax(W x) softmax(W x)^T)', '(diag(softmax(W x)) - softmax(W x) softmax(W x)^T) W'),
    ("L = c^T softmax(W x)", "W", SM, None, '(diag(softmax(W x)) - softmax(W x) softmax(W x)^T) c x^T', 'x c^T (diag(softmax(W x)) - softmax(W x) softmax(W x)^T)'),
    ("L = logsumexp(W x)", "W", SM, None, 'softmax(W x) x^T', 'x softmax(W x)^T'),
    ("L = log(sum(exp(W x)))", "W", SM, None, 'softmax(W x) x^T', 'x softmax(W x)^T'),  # written out: still softmax
    ("L = sum(log1p(exp(W x)))", "W", SM, None, 'sigma(W x) x^T', 'x sigma(W x)^T'),  # log1p(eᵘ) is softplus too
    ("L = -y^T log(softmax(W x))", "W", SM, {"y": "probability"}, '(softmax(W x) - y) x^T', 'x (softmax(W x) - y)^T'),
    ("L = -y^T log(softmax(W x))", "W", SM, None, '(sum(y) softmax(W x) - y) x^T', 'x (sum(y) softmax(W x) - y)^T'),
    ("L = (x^T A x) / (x^T x)", "x", V, None, '(A + A^T) x / (x^T x) - 2 (x^T A x) x / (x^T x)^2', 'x^T (A + A^T) / (x^T x) - 2 (x^T A x) x^T / (x^T x)^2'),
    ("L = (x^T A x) / (x^T x)", "x", V, {"A": "symmetric"}, '2 (A x / (x^T x) - (x^T A x) x / (x^T x)^2)', '2 (x^T A / (x^T x) - (x^T A x) x^T / (x^T x)^2)'),
    ("z = (a^T x) (A x)", "x", V, None, '(a^T x) A^T + a x^T A^T', '(a^T x) A + A x a^T'),
    ("z = x / norm(x)", "x", V, None, 'I / norm(x) - x x^T / norm(x)^3', 'I / norm(x) - x x^T / norm(x)^3'),
    ("L = norm(sigma(W2 sigma(W1 x)) - y)^2", "W1", NET, None, "2 ((W2^T ((sigma(W2 sigma(W1 x)) - y) .* sigma'(W2 sigma(W1 x)))) .* sigma'(W1 x)) x^T", "2 x ((W2^T ((sigma(W2 sigma(W1 x)) - y) .* sigma'(W2 sigma(W1 x)))) .* sigma'(W1 x))^T"),
    ("L = norm(sigma(W2 sigma(W1 x)) - y)^2", "W2", NET, None, "2 ((sigma(W2 sigma(W1 x)) - y) .* sigma'(W2 sigma(W1 x))) sigma(W1 x)^T", "2 sigma(W1 x) ((sigma(W2 sigma(W1 x)) - y) .* sigma'(W2 sigma(W1 x)))^T"),
    ("L = log(sigma(a^T x))", "x", V, None, '(1 - sigma(a^T x)) a', '(1 - sigma(a^T x)) a^T'),
    ("L = sum(log(1 - sigma(x)))", "x", V, None, '-sigma(x)', '-sigma(x)^T'),
    ("L = logdet(X)", "X", S, {"X": "spd"}, 'X^-1', 'X^-1'),
    ("L = tr(A X)", "X", S, {"X": "symmetric"}, 'A^T', 'A'),
    ("L = a^T diag(x) b", "x", V, None, 'b .* a', '(b .* a)^T'),
    ("z = diag(x) A x", "x", V, None, 'diag(A x) + A^T diag(x)', 'diag(A x) + diag(x) A'),
    ("L = x^T x", "x", V, None, '2 x', '2 x^T'),
    ("L = det(A X B)", "X", S, None, 'det(A X B) X^-T', 'det(A X B) X^-1'),
    ("L = tr(X^3)", "X", S, None, '3 X^T X^T', '3 X X'),
    ("L = sum(X)", "X", M, None, r'\mathbf{1}', r'\mathbf{1}'),
    ("L = tr(exp(X))", "X", S, None, 'I .* exp(X)', '(I .* exp(X))^T'),
    ("z = norm(A x) x", "x", V, None, 'norm(A x) I + A^T A x x^T / norm(A x)', 'norm(A x) I + x x^T A^T A / norm(A x)'),
    ("z = tr(x a^T) b", "x", V, None, 'a b^T', 'b a^T'),
    ("L = det(2 A X^-1)", "X", S, None, '-det(2 A X^-1) X^-T', '-det(2 A X^-1) X^-1'),  # the 2 must not cancel
    ("L = logdet(A X^-1)", "X", S, None, '-X^-T', '-X^-1'),
    ("L = a^T (2 A X)^-1 A X b", "X", S, None, '0', '0'),
]


@pytest.mark.parametrize("expr, wrt, shapes, assume, denominator, numerator", COVERAGE)
def test_closed_form_in_both_layouts(expr, wrt, shapes, assume, denominator, numerator):
    den = derive(expr, wrt, shapes, "denominator", assume)
    num = derive(expr, wrt, shapes, "numerator", assume)
    assert (den.answer, num.answer) == (denominator, numerator)
    assert den.residual <= RESIDUAL_LIMIT[den.kind] and num.residual <= RESIDUAL_LIMIT[num.kind]
    assert num.shape == (den.shape[1], den.shape[0])


@pytest.mark.parametrize("expr, wrt, shapes, assume", [
    (e, w, s, a) for e, w, s, a, den, _ in COVERAGE if den != "0"  # a 0 answer is a number: no zero-matrix syntax
])
def test_closed_form_text_parses_back_to_the_same_tree(expr, wrt, shapes, assume):
    for layout in ("denominator", "numerator"):
        d = derive(expr, wrt, shapes, layout, assume)
        assert parse(d.answer, d.scope, expect=d.shape, layout=d.layout).expr == d.closed_form


# ---------------------------------------------------------------- independent finite differences

RNG = np.random.default_rng(7)
SIZES = {"n": 4, "m": 3, "k": 3, "h": 5, "p": 2}


def _value(shape, kind=None):
    rows, cols = (SIZES.get(d, d) for d in shape)
    if kind == "probability":
        return RNG.dirichlet(np.ones(rows)).reshape(rows, cols)
    if kind == "invertible":
        return np.eye(rows) + 0.3 * RNG.standard_normal((rows, cols))
    return RNG.standard_normal((rows, cols))


def _sigma(z):
    return 1 / (1 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()



# (expression, variable, shapes, assumptions, special values, the function written with numpy)
NUMPY = [
    ("L = a^T X^-1 b", "X", S, None, {"X": "invertible"},
     lambda v, X: (v["a"].T @ np.linalg.inv(X) @ v["b"]).item()),
    ("L = log(det(X))", "X", S, None, {"X": "invertible"}, lambda v, X: np.log(np.linalg.det(X))),
    ("L = exp(tr(X))", "X", S, None, {}, lambda v, X: np.exp(np.trace(X))),
    ("L = tr((A X B + C)(A X B + C)^T)", "X", M, None, {},
     lambda v, X: np.trace((v["A"] @ X @ v["B"] + v["C"]) @ (v["A"] @ X @ v["B"] + v["C"]).T)),
    ("L = -y^T log(softmax(W x))", "W", SM, {"y": "probability"}, {"y": "probability"},
     lambda v, W: -(v["y"].T @ np.log(_softmax(W @ v["x"]))).item()),
    ("L = norm(sigma(W2 sigma(W1 x)) - y)^2", "W1", NET, None, {},
     lambda v, W1: np.sum((_sigma(v["W2"] @ _sigma(W1 @ v["x"])) - v["y"]) ** 2)),
    ("L = (x^T A x) / (x^T x)", "x", V, None, {}, lambda v, x: (x.T @ v["A"] @ x).item() / (x.T @ x).item()),
    ("z = softmax(W x)", "x", SM, None, {}, lambda v, x: _softmax(v["W"] @ x)),
    ("z = (a^T x) (A x)", "x", V, None, {}, lambda v, x: (v["a"].T @ x).item() * (v["A"] @ x)),
    ("L = c^T tanh(W^T a)", "W", {"W": ("m", "n"), "a": ("m", 1), "c": ("n", 1)}, None, {},
     lambda v, W: (v["c"].T @ np.tanh(W.T @ v["a"])).item()),
]


@pytest.mark.parametrize("expr, wrt, shapes, assume, special, f", NUMPY)
def test_numeric_agrees_with_independent_differences(expr, wrt, shapes, assume, special, f):
    values = {name: _value(shape, special.get(name)) for name, shape in shapes.items()}
    expected = differences(lambda w: f(values, w), values[wrt])
    den = derive(expr, wrt, shapes, "denominator", assume)
    num = derive(expr, wrt, shapes, "numerator", assume)
    assert np.allclose(den.numeric(values), expected, atol=1e-6, rtol=1e-5)
    assert np.allclose(num.numeric(values), expected.T, atol=1e-6, rtol=1e-5)


# ---------------------------------------------------------------- what SymPy's MatrixExpr.diff gets wrong

@pytest.mark.parametrize("expr, wrt, shapes, expected", [
    ("L = log(det(X))", "X", S, "X^-T"),            # SymPy: 0
    ("L = exp(tr(X))", "X", S, "exp(tr(X)) I"),     # SymPy: 0
    ("L = a^T W c", "W", {"a": ("m", 1), "W": ("m", "n"), "c": ("n", 1)}, "a c^T"),  # SymPy: a rank-4 array
])
def test_sympy_failures_come_out_right(expr, wrt, shapes, expected):
    d = derive(expr, wrt, shapes)
    assert to_text(d.closed_form) == expected
    assert d.shape == shapes[wrt]  # a matrix of the variable's shape, not a 4-index array
    assert len(d.result.shape) == 2
    values = {name: _value(shape, "invertible" if name == "X" else None) for name, shape in shapes.items()}
    assert np.abs(d.numeric(values)).max() > 1e-3  # not the zero SymPy returns


# ---------------------------------------------------------------- Hessians

@pytest.mark.parametrize("expr, shapes, assume, functions, expected", [
    ("f = x^T A x", V, None, None, "A + A^T"),
    ("f = x^T A x", V, {"A": "symmetric"}, None, "2 A"),
    ("f = x^T A x + b^T x", V, None, None, "A + A^T"),
    ("f = logsumexp(x)", V, None, None, "diag(softmax(x)) - softmax(x) softmax(x)^T"),
    ("f = norm(x)^2", V, None, None, "2 I"),
    ("f = sum(exp(x))", V, None, None, "diag(exp(x))"),
    ("f = a^T x", V, None, None, "0"),
    ("f = norm(A x - b)^2", V, None, None, "2 A^T A"),
    ("f = sum(g(x))", V, None, {"g": "elementwise"}, "diag(g''(x))"),
])
def test_hessian_api(expr, shapes, assume, functions, expected):
    d = hessian(expr, "x", shapes, assume, functions)
    assert to_text(d.closed_form) == expected
    assert d.kind == "hessian" and d.shape == ("n", "n")
    assert d.residual <= RESIDUAL_LIMIT["hessian"]


def test_hessian_of_logsumexp_agrees_with_independent_differences():
    x = _value(("n", 1))
    d = hessian("f = logsumexp(x)", "x", {"x": ("n", 1)})

    def gradient(z):
        return _softmax(z)  # the gradient of logsumexp, differentiated once more below

    assert np.allclose(d.numeric({"x": x}), differences(gradient, x), atol=1e-6)
    p = _softmax(x)
    assert np.allclose(d.numeric({"x": x}), np.diag(p.ravel()) - p @ p.T, atol=1e-12)


# ---------------------------------------------------------------- assumptions

def test_numeric_check_honours_assumptions():
    shapes = {"x": ("n", 1), "A": ("n", "n")}
    symmetric = Scope.build(shapes, {"A": "symmetric"})
    general = Scope.build(shapes)
    expr, answer = "x^T A x", "2 A x"
    ok = residual(parse_expression(expr, symmetric), symmetric.symbols["x"], parse_expression(answer, symmetric),
                  "denominator", symmetric, "gradient")
    wrong = residual(parse_expression(expr, general), general.symbols["x"], parse_expression(answer, general),
                     "denominator", general, "gradient")
    assert ok < 1e-6 < wrong


@pytest.mark.parametrize("expr, wrong", [
    ("x^T A x", "A x"),            # off by the transpose term
    ("x^T A x", "2 A x"),          # right only for symmetric A
    ("norm(x)^2", "x"),            # off by a factor of 2
])
def test_a_wrong_closed_form_is_refused(expr, wrong):
    scope = Scope.build({"x": ("n", 1), "A": ("n", "n")})
    with pytest.raises(VerificationError, match="disagrees with finite differences"):
        check(parse_expression(expr, scope), scope.symbols["x"], parse_expression(wrong, scope), "denominator", scope,
              "gradient", "d(" + expr + ")/dx")


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("expr, wrt, shapes, functions, as_hessian, error, fragment", [
    ("f = g(x)", "x", V, {"g": {"kind": "scalar", "gradient": "delta"}}, True, NotDerivable,
     "second derivative of the abstract function g needs a name for its Hessian"),
    ("z = A x", "x", V, None, True, NotDerivable, "needs a scalar expression, but A x is n×1"),
    ("f = sum(u(x))", "x", V, {"u": {"kind": "vector", "shape": ["r", 1]}}, True, NotDerivable,
     "second derivative of the vector function u is a third-order tensor"),
    ("Y = x x^T", "x", V, {"g": {"kind": "scalar", "hessian": "H"}}, True, NotDerivable,
     "needs a scalar expression, but x x^T is n×n"),
    ("y = tr(kron(X, X))", "X", S, None, False, NotDerivable, "goes through vec or kron"),
    ("Z = H", "x", V, None, False, GeneratorError, "unknown name 'H'"),
    ("f = sum(u(X))", "X", S, {"u": {"kind": "vector", "shape": ["r", 1]}}, False, NotDerivable,
     "u takes a vector, not X"),
    ("f = sum(sigma''(x))", "x", V, None, True, NotDerivable, "derivatives of sigma beyond order 3"),
    ("f = x^T x", "q", V, None, False, GeneratorError, "'q' is not declared"),
    ("f = det(x x^T)", "x", V, None, False, GeneratorError,
     "no values at which (x x^T)^-1 is defined: at every sample it was singular"),
])
def test_unsupported_input_is_refused_by_name(expr, wrt, shapes, functions, as_hessian, error, fragment):
    with pytest.raises(error) as caught:
        derive(expr, wrt, shapes, functions=functions, hessian=as_hessian)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


# ---------------------------------------------------------------- tensors: the vec–Kronecker engine

T = {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q"), "a": ("n", 1), "x": ("n", 1), "b": ("n", 1),
     "s": (1, 1), "C": ("m", "n")}
SQ = {"X": ("n", "n"), "A": ("n", "n"), "a": ("n", 1)}

# (expression, variable, shapes, assumptions, denominator, numerator, axes in the denominator layout)
TENSORS = [
    ("Y = A X B", "X", T, None, "kron(B, A^T)", "kron(B^T, A)", ("m", "n", "p", "q")),
    ("y = X a", "X", T, None, "kron(a, I_m)", "kron(a^T, I_m)", ("m", "n", "m")),
    ("y = X^T c", "X", {**T, "c": ("m", 1)}, None, "kron(I_n, c)", "kron(I_n, c^T)", ("m", "n", "n")),
    ("Y = X^T", "X", T, None, "commutation(n, m)", "commutation(m, n)", ("m", "n", "n", "m")),
    ("Y = X^-1", "X", SQ, None, "-kron(X^-1, X^-T)", "-kron(X^-T, X^-1)", ("n", "n", "n", "n")),
    ("Y = X^-1", "X", SQ, {"X": "symmetric"}, "-kron(X^-1, X^-1)", "-kron(X^-1, X^-1)", ("n", "n", "n", "n")),
    ("Y = x x^T", "x", T, None, "kron(x^T, I_n) + kron(I_n, x^T)", "kron(x, I_n) + kron(I_n, x)", ("n", "n", "n")),
    ("Y = X^2", "X", SQ, None, "kron(X, I_n) + kron(I_n, X^T)", "kron(I_n, X) + kron(X^T, I_n)", ("n",) * 4),
    ("Y = X .* C", "X", T, None, "diag(vec(C))", "diag(vec(C))", ("m", "n", "m", "n")),
    ("Y = exp(X)", "X", T, None, "diag(vec(exp(X)))", "diag(vec(exp(X)))", ("m", "n", "m", "n")),
    ("Y = tr(X) X", "X", SQ, None, "tr(X) I + vec(I_n) vec(X)^T", "tr(X) I + vec(X) vec(I_n)^T", ("n",) * 4),
    ("Y = s A", "s", T, None, "A", "A", ("p", "m")),
    ("Y = (A + s B)^-1", "s", SQ | {"B": ("n", "n"), "s": (1, 1)}, None, "-(A + s B)^-1 B (A + s B)^-1",
     "-(A + s B)^-1 B (A + s B)^-1", ("n", "n")),
    ("Y = x a^T", "x", {**T, "a": ("m", 1)}, None, "kron(a^T, I_n)", "kron(a, I_n)", ("n", "n", "m")),
    ("y = softmax(X a)", "X", T, None, "kron(a, diag(softmax(X a)) - softmax(X a) softmax(X a)^T)",
     "kron(a^T, diag(softmax(X a)) - softmax(X a) softmax(X a)^T)", ("m", "n", "m")),
    ("z = (I + x x^T)^-1 a", "x", T, None,
     "-((a^T (I + x x^T)^-1 x) (I + x x^T)^-1 + (I + x x^T)^-1 a x^T (I + x x^T)^-1)",
     "-((a^T (I + x x^T)^-1 x) (I + x x^T)^-1 + (I + x x^T)^-1 x a^T (I + x x^T)^-1)", ("n", "n")),
    ("z = (A + x a^T) b", "x", {**V, "a": ("n", 1)}, None, "(b^T a) I", "(b^T a) I", ("n", "n")),
]


@pytest.mark.parametrize("expr, wrt, shapes, assume, denominator, numerator, axes", TENSORS)
def test_tensor_closed_form_in_both_layouts(expr, wrt, shapes, assume, denominator, numerator, axes):
    den = derive(expr, wrt, shapes, "denominator", assume)
    num = derive(expr, wrt, shapes, "numerator", assume)
    assert (den.answer, num.answer) == (denominator, numerator)
    assert den.shape == axes
    assert den.residual <= RESIDUAL_LIMIT[den.kind] and num.residual <= RESIDUAL_LIMIT[num.kind]
    for d in (den, num):
        back = parse(d.answer, d.scope, expect=d.closed_form.shape, layout=d.layout).expr
        assert back == d.closed_form


# (expression, variable, shapes, the function written with numpy): d.vec_jacobian against central differences
NUMPY_TENSORS = [
    ("Y = A X B", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "k")}, lambda v, X: v["A"] @ X @ v["B"]),
    ("Y = X^-1", "X", {"X": ("n", "n")}, lambda v, X: np.linalg.inv(X)),
    ("Y = X^T X", "X", {"X": ("m", "n")}, lambda v, X: X.T @ X),
    ("z = (W x + b)", "W", {"W": ("h", "n"), "x": ("n", 1), "b": ("h", 1)}, lambda v, W: W @ v["x"] + v["b"]),
    ("Y = tanh(X) B", "X", {"X": ("m", "n"), "B": ("n", "k")}, lambda v, X: np.tanh(X) @ v["B"]),
    ("z = (I + x x^T)^-1 a", "x", {"x": ("n", 1), "a": ("n", 1)},
     lambda v, x: np.linalg.solve(np.eye(len(x)) + x @ x.T, v["a"])),
]



@pytest.mark.parametrize("expr, wrt, shapes, f", NUMPY_TENSORS)
def test_vec_jacobian_agrees_with_independent_differences(expr, wrt, shapes, f):
    values = {name: _value(shape, "invertible" if name == "X" and shape[0] == shape[1] else None)
              for name, shape in shapes.items()}
    expected = vec_differences(lambda w: f(values, w), values[wrt])
    for layout in ("denominator", "numerator"):
        d = derive(expr, wrt, shapes, layout)
        assert np.allclose(d.vec_jacobian(values), expected, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("expr, wrt, shapes, functions, expected, axes", [
    ("f = tr(W^T S W)", "W", {"W": ("m", "n"), "S": ("m", "m")}, None, "kron(I_n, S + S^T)", ("m", "n", "m", "n")),
    ("f = norm(X)^2", "X", {"X": ("m", "n")}, None, "2 I", ("m", "n", "m", "n")),
    ("f = logdet(X)", "X", {"X": ("n", "n")}, None, "-kron(X^-1, X^-T) commutation(n, n)", ("n",) * 4),
    ("f = g(W x)", "x", {"W": ("m", "n"), "x": ("n", 1)}, {"g": {"kind": "scalar", "gradient": "delta",
                                                                "hessian": "H"}}, "W^T H W", ("n", "n")),
    ("f = c^T tanh(W x)", "x", {"W": ("m", "n"), "x": ("n", 1), "c": ("m", 1)}, None,
     "W^T diag(c .* tanh''(W x)) W", ("n", "n")),
    # by a matrix, in the vector case's textbook form: σ′ recognised, Kronecker terms merged, vec outer products
    ("f = sum(log1p(exp(W x + b)))", "W", {"W": ("m", "n"), "x": ("n", 1), "b": ("m", 1)}, None,
     "kron(x x^T, diag(sigma'(W x + b)))", ("m", "n", "m", "n")),
    ("f = sum(sin(W x) .* cos(W x))", "W", {"W": ("m", "n"), "x": ("n", 1)}, None,
     "-4 kron(x x^T, diag(cos(W x) .* sin(W x)))", ("m", "n", "m", "n")),
    ("f = (a^T X b)^2", "X", {"X": ("m", "n"), "a": ("m", 1), "b": ("n", 1)}, None,
     "2 vec(a b^T) vec(a b^T)^T", ("m", "n", "m", "n")),
    ("f = (a^T X b) (c^T X d)", "X", {"X": ("m", "n"), "a": ("m", 1), "b": ("n", 1), "c": ("m", 1), "d": ("n", 1)},
     None, "vec(a b^T) vec(c d^T)^T + vec(c d^T) vec(a b^T)^T", ("m", "n", "m", "n")),
    ("f = tr(A X)^2", "X", {"X": ("m", "n"), "A": ("n", "m")}, None, "2 vec(A^T) vec(A^T)^T", ("m", "n", "m", "n")),
])
def test_hessians_by_a_matrix_and_through_an_abstract_hessian(expr, wrt, shapes, functions, expected, axes):
    d = hessian(expr, wrt, shapes, functions=functions)
    assert to_text(d.closed_form) == expected
    assert d.kind == "hessian" and d.shape == axes
    assert d.residual <= RESIDUAL_LIMIT["hessian"]


@pytest.mark.parametrize("expr, wrt, latex", [
    ("f = 1/2 x^T A x", "x", r"\frac{1}{2} \left(A + A^{\top}\right) \mathbf{x}"),  # ½ before a matrix
    ("f = x^T A x / 2 + 1/3 norm(x)^2", "x",
     r"\frac{1}{2} \left(A + A^{\top}\right) \mathbf{x} + \frac{2}{3} \mathbf{x}"),
    ("f = log(x^T A x) / 2", "x", r"\frac{\left(A + A^{\top}\right) \mathbf{x}}{2 \mathbf{x}^{\top} A \mathbf{x}}"),
])
def test_a_number_divides_a_matrix_in_front_of_it(expr, wrt, latex):
    assert derive(expr, wrt, {"x": ("n", 1), "A": ("n", "n")}).latex == latex


@pytest.mark.parametrize("expr, wrt, shapes, layout, latex", [
    ("y = \\mathbf{1}^T X a", "X", {"X": ("m", "n"), "a": ("n", 1)}, "numerator", r"\mathbf{a} \mathbf{1}^{\top}"),
    ("y = X^T \\mathbf{1}", "X", {"X": ("m", "n")}, "numerator", r"I_{n} \otimes \mathbf{1}^{\top}"),
    ("Y = diag(x)", "x", {"x": ("n", 1)}, "denominator",
     r"\left(\mathbf{1}^{\top} \otimes I_{n}\right) \operatorname{diag}\left(\operatorname{vec}\left(I_{n}\right)\right)"),
    ("Y = kron(A, X)", "X", {"X": ("m", "n"), "A": ("p", "q")}, "denominator",
     r"\left(\operatorname{vec}\left(A\right)^{\top} \otimes I_{mn}\right) \left(I_{q} \otimes K_{p,n} \otimes I_{m}\right)"),
])
def test_the_latex_of_a_result_has_its_shapes_and_reads_back(expr, wrt, shapes, layout, latex):
    """A row of ones is 1ᵀ, an I nothing else sizes carries its size (a product of sizes as I_{mn}), and the
    result's own LaTeX grades as right."""
    d = derive(expr, wrt, shapes, layout)
    assert d.latex == latex
    assert grade(latex, d).score == 1.0


def test_sizes_made_equal_when_only_equal_sizes_define_the_expression():
    """logdet(XᵀX) + logdet(X Xᵀ) is defined only for a square X: the check makes N = d rather than refuse."""
    d = derive("y = logdet(X^T X) + logdet(X X^T)", "X", {"X": ("N", "d")})
    assert d.answer == "2 X (X^T X)^-1 + 2 (X X^T)^-1 X" and d.residual < 1e-6
