"""Proof steps as data: every formula part prints, every visitor handles every part, renaming renames the data."""
from __future__ import annotations

import pytest
import sympy as sp

from generator import Step, derive
from generator.latex.formula import FormulaLatex, formula_latex, reason_latex
from generator.ops import OPS
from generator.pipeline import rename, renamed
from generator.pipeline.run import _cache, _fresh
from generator.proof.formula import (
    PARTS, Bracketed, Corners, Differential, Entry, EntryOf, Formulas, Implies, InDifferential, Index, Marked,
    Member, Name, Partial, Plus, Product, Rule, Size, Space, SumOver, Transposed, Tree, Underbrace, VecPartial, Where,
    equation, reason,
)
from generator.proof.index import index_symbol
from generator.proof.steps import ProofStep
from generator.proof.symbolic import to_sympy
from generator.tree.nodes import Mul, Sym, Transpose
from generator.tree.visitor import Visitor

i, j, k = (index_symbol(c) for c in "ijk")
y, x, W = Name("y"), Name("x", ("n", 1)), Name("W", ("n", "m"))
dy_dx = Partial(y, x)
DY_DX = r"\frac{\partial y}{\partial \mathbf{x}}"
X = sp.MatrixSymbol("x", sp.Symbol("n", integer=True, positive=True), 1)

RENDERED = [  # (part, its LaTeX): every class of PARTS at least once
    (Tree(Sym("W", ("n", "m"))), "W"),
    (Tree(Transpose(Sym("x", ("n", 1)))), r"\mathbf{x}^{\top}"),
    (Index(sp.KroneckerDelta(k, j, evaluate=False)), r"\mathbb{I}_{k = j}"),
    (Index(sp.Sum(X[k, 0], (k, 1, X.shape[0]))), r"\sum_{k=1}^{n} x_{k}"),
    (Index(k), "k"),
    (y, "y"),
    (x, r"\mathbf{x}"),
    (Name("W1", ("n", "m")), "W_{1}"),
    (Name("delta", (1, "n")), r"\boldsymbol{\delta}"),
    (Entry("W", (i, j)), "W_{ij}"),
    (Entry("W1", (i, j)), "(W_{1})_{ij}"),
    (Entry("g", (i,), braced=False), "g_i"),
    (Space((1, 1)), r"\mathbb{R}"),
    (Space(("n", "m")), r"\mathbb{R}^{n\times m}"),
    (Size((1, "n")), r"1\times n"),
    (Size(("n1", 3)), r"n_{1}\times 3"),
    (dy_dx, DY_DX),
    (Partial(Entry("x", (i,)), Entry("W", (i, j))), r"\frac{\partial x_{i}}{\partial W_{ij}}"),
    (Partial(y, x, order=2), r"\frac{\partial^2 y}{\partial \mathbf{x}\,\partial \mathbf{x}^\top}"),
    (Partial(Name("g", ("n", 1)), x, transposed=True), r"\frac{\partial \mathbf{g}}{\partial \mathbf{x}^\top}"),
    (EntryOf(Partial(y, W), (i, j)), r"\left(\frac{\partial y}{\partial W}\right)_{ij}"),
    (Transposed(Tree(Sym("A", ("n", "m")))), r"\left(A\right)^{\top}"),
    (Marked(Mul((Transpose(Sym("zm", ("n", 1))), Sym("A", ("n", "n")), Sym("x", ("n", 1)))), "zm", x),
     r"\underline{\mathbf{x}}^{\top} A \mathbf{x}"),
    (Underbrace(dy_dx, ("n", 1)), rf"\underbrace{{{DY_DX}}}_{{n\times 1}}"),
    (Product((W, x)), r"W \mathbf{x}"),
    (Product((W, x), gap="none"), r"W\mathbf{x}"),
    (Product((W, x), gap="thin"), r"W\,\mathbf{x}"),
    (Plus((dy_dx, Partial(Bracketed(Tree(Sym("A", ("n", "n")))), x))),
     rf"{DY_DX} + \frac{{\partial \left(A\right)}}{{\partial \mathbf{{x}}}}"),
    (SumOver(k, "n", Entry("x", (k,))), r"\sum_{k=1}^{n} x_{k}"),
    (Corners(((Name("a"), Name("b")), (Name("c"), Name("d")))),
     r"\begin{bmatrix} a & \cdots & b \\ \vdots & \ddots & \vdots \\ c & \cdots & d \end{bmatrix}"),
    (Corners(((Name("a"),), (Name("b"),))), r"\begin{bmatrix} a \\ \vdots \\ b \end{bmatrix}"),
    (Corners(((Name("a"), Name("b")),)), r"\begin{bmatrix} a & \cdots & b \end{bmatrix}"),
    (equation(y, Name("a"), Name("b")), "y = a = b"),
    (Member(dy_dx, Space(("n", 1))), rf"{DY_DX} \in \mathbb{{R}}^{{n\times 1}}"),
    (Where(equation(y, Name("u")), (equation(Name("u"), Name("a")), equation(Name("v"), Name("b")))),
     r"y = u,\quad u = a, v = b"),
    (Formulas((equation(Name("u"), Name("a")), equation(Name("v"), Name("b")))), r"u = a,\quad v = b"),
    (Implies(equation(y, Name("a")), equation(y, Name("b"))), r"y = a\;\Rightarrow\; y = b"),
    (Partial(y, W, order=2, by_matrix=True), r"\frac{\partial^{2} y}{\partial W\, \partial W}"),
    (VecPartial(Name("Y", ("p", "q")), W, "numerator"),
     r"\frac{\partial \operatorname{vec} Y}{\partial \left(\operatorname{vec} W\right)^{\top}}"),
    (VecPartial(x, W, "denominator"), r"\frac{\partial \mathbf{x}^{\top}}{\partial \operatorname{vec} W}"),
    (Differential(W), r"\mathrm{d}W"),
    (InDifferential(Mul((Sym("A", ("p", "n")), Sym("dzzd", ("n", "m")))), "dzzd", W), r"A \mathrm{d}W"),
    (Bracketed(Tree(Sym("A", ("n", "m")))), r"\left(A\right)"),
    (Space(("m", "n", "r")), r"\mathbb{R}^{m\times n\times r}"),
]


@pytest.mark.parametrize("part, text", RENDERED, ids=[f"{type(p).__name__}-{n}" for n, (p, _) in enumerate(RENDERED)])
def test_every_part_prints(part, text):
    assert formula_latex(part) == text


def test_the_table_covers_every_part_class():
    assert {type(p) for p, _ in RENDERED} == set(PARTS)


@pytest.mark.parametrize("visitor", [FormulaLatex, renamed.StepRenamer])
def test_every_visitor_of_parts_handles_every_part_class(visitor):
    assert issubclass(visitor, Visitor) and visitor.family == PARTS
    assert visitor.missing() == []


@pytest.mark.parametrize("pieces, text", [
    (("simplify",), "simplify"),
    (("write one entry of ", Name("f", ("n", 1)), " as an index sum"),
     r"write one entry of $\mathbf{f}$ as an index sum"),
    (("sum over ", Index(k)), "sum over $k$"),
    ((Rule("tr", reduction=True), "; ", Rule("linear")), OPS.reductions["tr"].rule + "; linear map"),
])
def test_reasons_print_words_rules_and_inline_maths(pieces, text):
    assert reason_latex(reason(*pieces)) == text


@pytest.mark.parametrize("shows, latex, sides", [
    (equation(y, Name("a")), "y = a", ("y", "a")),
    (equation(dy_dx, Name("a"), Name("b")), f"{DY_DX} = a = b", (DY_DX, "a = b")),
    (Where(equation(y, Name("u")), (equation(Name("u"), Name("a")),)), r"y = u,\quad u = a",
     ("", r"y = u,\quad u = a")),
])
def test_a_step_prints_its_formula_and_its_sides(shows, latex, sides):
    step = Step.of(ProofStep(shows, reason("because"), kind="index"))
    assert (step.latex, step.reason, step.sides, step.kind) == (latex, "because", sides, "index")
    assert step == Step(latex, "because", "index")


def test_a_step_from_text_keeps_its_text():
    step = Step(r"\frac{a}{b} = c", "reason", "index")
    assert (step.latex, step.reason, step.kind, step.claim, step.data) == (r"\frac{a}{b} = c", "reason", "index",
                                                                          None, None)
    assert step.sides == ("", r"\frac{a}{b} = c")


RENAMED = [  # structures proved by every strategy: element-wise, through a named g(f), chain rule, product rule,
    # the sum rule term by term
    ("y = a^T W1 b1", "W1", {"a": ("p", 1), "W1": ("p", "q1"), "b1": ("q1", 1)}, None),
    ("f = M^T b; y = g(f)", "M", {"M": ("p", "r"), "b": ("p", 1)}, {"g": {"kind": "scalar", "gradient": "delta"}}),
    ("y = norm(sigma(V2 sigma(V1 u)) - t)^2", "V1",
     {"V1": ("h", "d"), "V2": (2, "h"), "u": ("d", 1), "t": (2, 1)}, None),
    ("y = x^T A x", "x", {"x": (3, 1), "A": (3, 3)}, None),
    ("y = sum(exp(X w))", "w", {"X": ("N", "d"), "w": ("d", 1)}, None),
    ("y = (B x + b)^T C (D x + d)", "x", {"B": ("m", "n"), "x": ("n", 1), "b": ("m", 1), "C": ("m", "r"),
                                          "D": ("r", "n"), "d": ("r", 1)}, None),
    ("y = norm(X w - t)^2 + lam norm(w)^2", "w", {"X": ("N", "d"), "w": ("d", 1), "t": ("N", 1), "lam": (1, 1)},
     None),
]


@pytest.mark.parametrize("expr, wrt, shapes, functions", RENAMED)
@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_renaming_a_derivation_renames_every_step(expr, wrt, shapes, functions, layout):
    d = derive(expr, wrt, shapes, layout, functions=functions)
    canon = rename.canonical(d.statement, d.scope)
    c_scope = rename.scope(d.scope, canon)
    proof = _fresh(rename.statement(d.statement, canon), c_scope.symbols[canon.names[wrt]], c_scope, layout, False)
    assert len(d.steps) == len(proof.steps) >= 3
    # Other placeholders show that each one is renamed to its own image, and back to the same data.
    shift = rename.Renaming({c: c[:3] + str(int(c[3:]) + 50) for c in canon.names.values()},
                            {c: c[:3] + str(int(c[3:]) + 50) for c in canon.dims.values()})
    for step, own in zip(d.steps, proof.steps):
        held = renamed._tokens((own.data.shows, own.data.reason))
        assert held and renamed._tokens((step.data.shows, step.data.reason)) == set()  # no placeholder left
        assert "Qz" not in step.latex + step.reason
        there = renamed.StepRenamer(shift).step(own.data)
        assert renamed._tokens((there.shows, there.reason)) == {c[:3] + str(int(c[3:]) + 50) for c in held}
        assert renamed.StepRenamer(shift.inverse()).step(there) == own.data
    names = {p.name for s in d.steps for p in _parts(s.data.shows) if isinstance(p, (Name, Entry))}
    assert wrt in names


def _parts(part):
    """A part and every part inside it."""
    yield part
    for value in vars(part).values():
        for v in value if isinstance(value, tuple) else (value,):
            for w in v if isinstance(v, tuple) else (v,):
                if isinstance(w, PARTS):
                    yield from _parts(w)


def test_the_sympy_result_is_built_when_read():
    _cache.clear()
    shapes = {"W": ("n", "m"), "x": ("m", 1), "a": ("n", 1)}
    derive("y = a^T W x", "W", shapes)
    d = derive("y = b^T A u", "A", {"A": ("p", "q"), "u": ("q", 1), "b": ("p", 1)})  # a cache hit
    assert "result" not in vars(d) and "latex" not in vars(d)
    assert d.result == to_sympy(d.closed_form) and d.latex == r"\mathbf{b} \mathbf{u}^{\top}"
