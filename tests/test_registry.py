"""The registry, walked systematically: every function and reduction is checked by one set of tests.

Adding a function to ops/ is one entry there plus, where its name is new to students, a row in
SPELLED below; these tests then check its derivatives against finite differences of the order
below, its sympy form against its numpy value, its text and LaTeX round trips, and that the
engine, the proofs and the grader take it.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import numpy as np
import pytest
import sympy as sp

import generator
from generator import GeneratorError, derive, grade
from generator.calculus.simplify import normalize
from generator.check.numeric import evaluate
from generator.latex.printer import latex
from generator.ops import OPS, Function
from generator.parse import parse_expression
from generator.proof.entries import apply_entry
from generator.tree import algebra as alg
from generator.tree.nodes import Sym
from generator.tree.scope import FunctionSpec, Scope
from generator.tree.text import to_text
from generator.tree.visitor import Visitor

FUNCTIONS = sorted(OPS.functions)
REDUCTIONS = sorted(OPS.reductions)
X = Sym("x", ("n", 1))
SCOPE = Scope.build({"x": ("n", 1), "X": ("n", "n")})


def _points(name: str) -> np.ndarray:
    """Sample points in the function's domain, away from its kinks."""
    entry = OPS.functions[name]
    points = np.array([[0.37], [0.81], [1.3], [-0.62], [-1.1]])
    return np.abs(points) + 0.2 if entry.positive else points


def _value(name: str, order: int, x: np.ndarray) -> np.ndarray:
    return evaluate(alg.apply(name, X, order), {"x": x}, SCOPE)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_derivative_matches_finite_differences_of_the_order_below(name):
    x, h = _points(name), 1e-5
    for order in range(1, len(OPS.functions[name].derivatives) + 1):
        approx = (_value(name, order - 1, x + h) - _value(name, order - 1, x - h)) / (2 * h)
        assert np.allclose(_value(name, order, x), approx, rtol=1e-6, atol=1e-7), f"{name} order {order}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_sympy_form_agrees_with_numpy(name):
    t = sp.Symbol("t", real=True)
    for x in _points(name).ravel():
        for order in range(len(OPS.functions[name].derivatives) + 1):
            exact = float(apply_entry(name, order, t).subs(t, sp.Float(x)).evalf())
            assert exact == pytest.approx(float(_value(name, order, np.array([[x]]))[0, 0]), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_text_and_latex_read_back(name):
    expr = alg.apply(name, X)
    assert parse_expression(to_text(expr), SCOPE) == expr
    assert parse_expression(latex(expr), SCOPE) == expr


@pytest.mark.parametrize("name", FUNCTIONS)
def test_engine_proof_and_grader_take_it(name):
    d = derive(f"y = sum({name}(W x))", "W", {"W": ("n", "m"), "x": ("m", 1)})
    assert d.residual < 1e-6 and d.steps[-1].kind == "result"
    assert grade(d.answer, d).correct
    assert grade(latex(d.closed_form), d).correct


SPELLED = [  # (what a student types, the function it means)
    ("sigmoid(x)", "sigma"), (r"\operatorname{sigmoid}(x)", "sigma"), (r"\sigma(x)", "sigma"),
    ("ln(x)", "log"), (r"\ln x", "log"), (r"\log(x)", "log"), ("sgn(x)", "sign"), (r"\sinh x", "sinh"),
    (r"\operatorname{softplus}\left(x\right)", "softplus"), (r"\mathrm{relu}(x)", "relu"), ("|x|", None),
]


@pytest.mark.parametrize("typed, name", SPELLED)
def test_spellings_read_as_the_function(typed, name):
    scope = Scope.build({"x": (1, 1)})
    expected = alg.apply(name or "abs", Sym("x", (1, 1)))
    assert parse_expression(typed, scope) == expected


@pytest.mark.parametrize("name", REDUCTIONS)
def test_each_reduction_derives_and_reads_back(name):
    shapes = {"X": ("n", "n")} if OPS.reductions[name].square else {"X": ("n", "m")}
    d = derive(f"y = {name}(X)", "X", shapes, assume={"X": "spd"} if name == "logdet" else None)
    assert d.residual < 1e-6
    expr = parse_expression(f"{name}(X)", Scope.build(shapes))
    assert normalize(parse_expression(latex(expr), Scope.build(shapes))) == expr  # \log\det X reads as log(det X)


@pytest.mark.parametrize("name", [r for r in REDUCTIONS if OPS.reductions[r].exact is not None])
def test_exact_values_agree_with_numpy(name):
    m = sp.Matrix([[2, -1, 0], [1, 3, 1], [0, 2, 2]])
    assert float(OPS.reductions[name].exact(m)) == pytest.approx(OPS.reductions[name].numpy(np.array(m, float)))


@pytest.mark.parametrize("name", [r for r in REDUCTIONS if OPS.reductions[r].index is not None])
def test_index_forms_agree_with_numpy(name):
    m = sp.Matrix([[0.5, -1.0, 0.25], [1.0, 0.3, 1.5], [0.2, 2.0, 0.7]])
    form = OPS.reductions[name].index(lambda i, j: sp.Indexed(sp.IndexedBase("A"), i, j), sp.Integer(3),
                                      sp.Integer(3))
    value = form.doit().replace(lambda e: isinstance(e, sp.Indexed), lambda e: m[int(e.indices[0]), int(e.indices[1])])
    assert float(value) == pytest.approx(OPS.reductions[name].numpy(np.array(m, float)))


def test_a_new_function_is_one_registry_entry(monkeypatch):
    """softsign(u) = u/(1 + |u|), registered at run time and nowhere else: parsed, derived, proved, checked,
    printed and graded."""
    softsign = Function("softsign", lambda x: x / (1 + np.abs(x)),
                        (lambda u, k: k.power(k.add(k.const(1), k.apply("abs", u)), -2),), kinks=(0.0,),
                        code="({0}) / (1 + np.abs({0}))", maxima="({0})/(1+abs({0}))")
    monkeypatch.setitem(OPS.functions, "softsign", softsign)
    d = derive("y = sum(softsign(W x))", "W", {"W": ("n", "m"), "x": ("m", 1)})
    assert d.residual < 1e-6 and r"\operatorname{softsign}" in d.steps[1].latex
    assert grade(r"\left(\mathbf{1} + \operatorname{abs}(W\mathbf{x})\right)^{\circ -2} \mathbf{x}^\top", d).correct
    assert grade("softsign'(W x) x^T", d).correct and grade("x softsign'(W x)^T", d).mistake == "layout"


def test_an_unregistered_function_cannot_be_evaluated():
    """A name nobody registered or declared is never evaluated with a stand-in (it would check itself)."""
    with pytest.raises(GeneratorError, match="neither a known function nor declared"):
        evaluate(alg.apply("softsign", X), {"x": np.ones((3, 1))}, SCOPE)
    declared = Scope.build({"x": ("n", 1)}, functions={"g": FunctionSpec("g", "elementwise")})
    assert evaluate(alg.apply("g", X), {"x": np.ones((3, 1))}, declared).shape == (3, 1)


def _visitors() -> list[type]:
    for module in pkgutil.walk_packages(generator.__path__, "generator."):
        importlib.import_module(module.name)
    found, stack = [], list(Visitor.__subclasses__())
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__qualname__)


@pytest.mark.parametrize("visitor", _visitors(), ids=lambda c: c.__qualname__)
def test_every_visitor_handles_every_class_of_its_family(visitor):
    if visitor.__subclasses__() and not visitor.family:
        return  # a base that shares methods among visitors; its subclasses name the family
    assert visitor.family, f"{visitor.__qualname__} names no family of classes"
    assert visitor.missing() == []


@pytest.mark.parametrize("name", sorted(OPS.functions))
def test_the_numpy_code_exporters_write_is_the_function(name, tmp_path):
    """A generated NumPy module writes f by its entry's code: imported, it gives the entry's values (and f′ that the
    module's own finite-difference check accepts)."""
    f = OPS.functions[name]
    path = tmp_path / f"{name}_module.py"
    path.write_text(derive(f"y = sum({name}(x))", "x", {"x": ("n", 1)}).to_numpy(), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x = (np.linspace(0.1, 2.0, 7) if f.positive else np.linspace(-2.0, 2.0, 8) + 0.05).reshape(-1, 1)
    value, _ = module.value_and_derivative(x)
    assert np.isclose(value, float(np.sum(f.numpy(x))))
    assert module.check_derivative({"x": x}) < 1e-5


@pytest.mark.parametrize("missing, message", [
    ({"maxima": "cube({})"}, r"numpy has no np\.cube; give its numpy code"),
    ({"code": "({})**3"}, r"Maxima has no cube\(\); give its Maxima code"),
])
def test_an_entry_an_exporter_could_not_write_is_refused_when_registered(missing, message):
    with pytest.raises(ValueError, match=message):
        Function("cube", lambda x: x ** 3, (lambda u, k: k.mul(k.const(3), k.power(u, 2)),), **missing)
