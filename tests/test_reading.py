"""What students type, read right: spellings, precedence, juxtaposed letters, sizes of I and 1, and a lexer
that takes time linear in the input whatever it is given."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():  # the regex parser is the standard library's own, deprecated in name only
    warnings.simplefilter("ignore", DeprecationWarning)
    from sre_parse import MAX_REPEAT, MIN_REPEAT, SubPattern
    from sre_parse import parse as regex_tree

import pytest

from generator import derive, grade
from generator.parse import ShapeMismatch, parse
from generator.parse.syntax import _parser, tree_of
from generator.tree.scope import FunctionSpec, Scope
from generator.tree.text import to_text

SHAPES = {"W": ("n", "m"), "x": ("m", 1), "y": ("n", 1), "a": ("n", 1), "b": ("n", 1), "B": ("n", "n"),
          "c": ("n", 1), "p": ("n", 1), "s": (1, 1), "A": ("n", "n")}
SCOPE = Scope.build(SHAPES, functions={"g": FunctionSpec("g", "elementwise")})


def read(text: str, expect=None) -> str:
    return to_text(parse(text, SCOPE, "answer", expect).expr)


@pytest.mark.parametrize("typed, meant", [
    ("sigmoid(W x)", "sigma(W x)"),
    (r"\operatorname{sigmoid}(W x)", "sigma(W x)"),
    (r"e^{W x}", "exp(W x)"),
    (r"e^{-s}", "exp(-s)"),
    (r"e^s", "exp(s)"),
    (r"\mathrm{e}^{W x}", "exp(W x)"),
    (r"\mathrm{e}^{-s}", "exp(-s)"),
    (r"\text{e}^{s}", "exp(s)"),
    (r"x/\|x\|_2", "x / norm(x)"),
    (r"x/\|x\|^2_2", "x / norm(x)^2"),
    (r"x/\|x\|^{2}_{2}", "x / norm(x)^2"),
    ("x/‖x‖₂", "x / norm(x)"),
    ("1e-9 s", "s / 1000000000"),
    ("2.5E3 s", "2500 s"),
    ("1.5e+2 s", "150 s"),
    ("2e^{s}", "2 exp(s)"),
    (r"\( W^T y \)", "W^T y"),
    (r"\[ W^\top \mathbf{y} \]", "W^T y"),
    ("$W^T y$", "W^T y"),
    ("W @ x", "W x"),
    ("a − b", "a - b"),
    ("a – b", "a - b"),
    ("a \u2010 b", "a - b"),  # hyphen
    ("a \u2011 b", "a - b"),  # non-breaking hyphen
    ("a \u2012 b", "a - b"),  # figure dash
    ("\u2010a + b", "-a + b"),
    ("s^{\u2212 1}", "s^-1"),
    ("a\u00a0+\u00a0b", "a + b"),
    (r"W^{\text{T}} y", "W^T y"),
    (r"W^{\!\top} y", "W^T y"),
    (r"W^{\mathrm{T}} y", "W^T y"),
    ("W⊤ y", "W^T y"),
    ("a b^⊤", "a b^T"),
    ("a b^{⊤}", "a b^T"),
    ("a b^ᵀ", "a b^T"),
    ("B^{−T} c", "B^-T c"),
    ("|y|", "norm(y)"),
    ("|s|", "abs(s)"),
    (r"\left| s \right|", "abs(s)"),
    (r"B^{-\frac{1}{2}}", "B.^(-1/2)"),  # a matrix power that is not an integer is element-wise: refused below
    (r"s^{-\frac{1}{2}}", "s^(-1/2)"),
    (r"\sinh(s)", "sinh(s)"),
    (r"\sigma^{\prime\prime}(s)", "sigma''(s)"),
    (r"\operatorname{tanh}^\prime \left(s\right)", "tanh'(s)"),
    (r"\log\det B", "log(det(B))"),
])
def test_spellings_read(typed, meant):
    if meant == "B.^(-1/2)":
        with pytest.raises(ShapeMismatch, match=r"use \.\^"):
            read(typed)
        return
    assert read(typed) == meant


@pytest.mark.parametrize("typed, meant", [
    ("e^T a", "e^T a"),
    ("2e", "2 e"),
    ("2 e^T a", "2 (e^T a)"),
    ("1e-3 e", "e / 1000"),
    (r"\mathrm{e}^T a", "e^T a"),
])
def test_a_declared_e_is_a_name_and_only_digits_e_digits_a_number(typed, meant):
    scope = Scope.build({**SHAPES, "e": ("n", 1)})
    assert to_text(parse(typed, scope, "answer").expr) == meant


@pytest.mark.parametrize("typed, meant", [
    ("ab^T", "a b^T"),  # single letters written together: the postfix binds to the last one
    (r"\mathbf{a}\mathbf{b}^\top", "a b^T"),
    ("ab'", "a b^T"),
    ("a .* B c", "a .* (B c)"),  # ⊙ binds looser than the matrix product
    (r"a \odot B c", "a .* (B c)"),
    (r"B c \odot a", "(B c) .* a"),
    ("-a .* b", "-a .* b"),
    ("2 a .* b + c", "2 (a .* b) + c"),
])
def test_precedence_and_juxtaposition(typed, meant):
    assert read(typed) == meant
    assert read(meant) == read(typed)


@pytest.mark.parametrize("typed, expect, meant", [
    (r"\operatorname{diag}(p)(I - \mathbf{1} p^\top)", None, "diag(p) (I - \\mathbf{1} p^T)"),
    (r"(I - \mathbf{1} p^\top) B", None, "(I - \\mathbf{1} p^T) B"),
    (r"B (I - \mathbf{1} \mathbf{1}^\top)", None, "B (I - \\mathbf{1} \\mathbf{1}^T)"),
    (r"W^\top \mathbf{1}", None, "W^T \\mathbf{1}"),
    (r"(\mathbf{1}^\top y) a", None, "sum(y) a"),
    ("2 I + B", None, "2 I + B"),
    ("I", ("n", "n"), "I"),
])
def test_sizes_of_i_and_ones_come_from_either_side(typed, expect, meant):
    assert read(typed, expect) == meant


@pytest.mark.parametrize("typed, expect, meant", [
    ("diag(p)(I - 1 p^T)", None, "diag(p) (I - \\mathbf{1} p^T)"),  # I minus a row cannot be: the 1 is the vector
    ("(I - p 1^T) B", None, "(I - p \\mathbf{1}^T) B"),
    ("a b^T + 1 p^T", None, "a b^T + \\mathbf{1} p^T"),
    ("1^T y", (1, 1), "sum(y)"),  # the number would leave y where a scalar is expected
    ("y^T 1", (1, 1), "sum(y)"),
    ("2 y", None, "2 y"),  # the number fits: read as it always was
    ("1 y", None, "y"),
    ("1 y", (1, 1), "y"),  # an untransposed 1 in front stays the number even where a scalar was expected
    ("1 p^T", None, "p^T"),
    ("y + 1", None, "y + 1"),
    ("1 - tanh(y).^2", None, "1 - tanh(y).^2"),
    ("1/2 y", None, "y / 2"),
])
def test_a_bare_1_is_the_vector_of_ones_only_where_the_number_cannot_fit(typed, expect, meant):
    assert read(typed, expect) == meant


def test_a_bare_1_that_fits_neither_way_keeps_the_first_error():
    with pytest.raises(ShapeMismatch, match="cannot add W"):
        read("W + 1 p^T")


def test_plain_ones_grade_like_the_latex():
    d = derive("z = (diag(p) - p p^T) x", "x", {"p": ("n", 1), "x": ("n", 1)}, layout="numerator")
    for typed in ("diag(p)(I - 1 p^T)", "(I - p 1^T) diag(p)", r"\operatorname{diag}(p)(I - \mathbf{1} p^\top)"):
        assert grade(typed, d).correct, typed


def test_the_key_with_i_and_ones_grades_right():
    d = derive("y = a^T softmax(B c)", "c", {"a": ("n", 1), "B": ("n", "n"), "c": ("n", 1)})
    p = r"\operatorname{softmax}(B c)"
    typed = rf"B^\top (\operatorname{{diag}}({p}) - {p} {p}^\top) \mathbf{{a}}"
    assert grade(typed, d).correct


# ---------------------------------------------------------------- a lexer without backtracking blow-ups

def _nested_repeat(tree: SubPattern, inside: bool = False) -> bool:
    for op, arg in tree:
        if op in (MAX_REPEAT, MIN_REPEAT):
            low, high, body = arg
            if inside and high > 1:
                return True
            if _nested_repeat(body, inside or high > 1):
                return True
        elif isinstance(arg, SubPattern):
            if _nested_repeat(arg, inside):
                return True
        elif isinstance(arg, (tuple, list)):
            for item in arg:
                if isinstance(item, SubPattern) and _nested_repeat(item, inside):
                    return True
                if isinstance(item, (tuple, list)):
                    if any(isinstance(sub, SubPattern) and _nested_repeat(sub, inside) for sub in item):
                        return True
    return False


@pytest.mark.parametrize("terminal", sorted(_parser().terminals, key=lambda t: t.name), ids=lambda t: t.name)
def test_no_terminal_repeats_inside_a_repeat(terminal):
    """A repetition inside a repetition is what makes a regex backtrack exponentially; the grammar has none."""
    assert not _nested_repeat(regex_tree(terminal.pattern.to_regexp())), terminal.pattern.to_regexp()


@pytest.mark.parametrize("text", [
    r"\sigma" + r"^  \prime" * 40 + "(s)",
    r"\operatorname{tanh}" + r"^ \prime" * 40 + "(s)",
    "^" + " " * 1500 + "T",
    r"W_{" + "a" * 1500,
    "x" + "'" * 1500,
    "|" * 1500,
    r"\left(" * 30 + "s" + r"\right)" * 30,
])
def test_adversarial_text_is_read_or_refused(text):
    """Each is lexed in one pass; the outcome is a tree or a one-line ParseError, never a hang."""
    try:
        tree_of(text, "answer")
    except Exception as err:  # noqa: BLE001 - the type is what is checked
        assert type(err).__name__ == "ParseError" and "\n" not in str(err)


@pytest.mark.parametrize("regex, nested", [
    (r"(\\sigma)\s*('|\^\s*\{?\s*\\prime\s*\}?)*\s*\(", True),  # the old call token: exponential
    (r"(a+)+b", True),
    (r"\^(?:\s|\\!)*T", False),
    (r"[A-Za-z](?:[A-Za-z0-9]|_(?=[A-Za-z0-9]))*", False),
])
def test_the_checker_sees_nested_repeats(regex, nested):
    assert _nested_repeat(regex_tree(regex)) == nested
