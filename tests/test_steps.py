"""The proofs: every step that claims something is checked numerically, and the lecture's proofs read as in class."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from generator import derive, derive_problem, load
from sympy.utilities.lambdify import implemented_function

from generator.ops.functions import FUNCTIONS
from generator.tree.nodes import Apply, Grad, Sym
from generator import Derivation
from generator.proof.steps import Claim
from generator.tree.scope import Scope
from generator.check.numeric import _stand_in, evaluate
from generator.check.sampling import sample_for
from generator.proof.symbolic import dim
from generator.check.verify import gap_at, tensor_gap

G = {"g": {"kind": "scalar", "gradient": "delta"}}
CASES = [  # (expr, wrt, shapes, assume, functions)
    ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, None, None),
    ("z = x^T W", "x", {"x": ("m", 1), "W": ("m", "n")}, None, None),
    ("z = sigma(x)", "x", {"x": ("m", 1)}, None, None),
    ("z = tanh(x)", "x", {"x": ("m", 1)}, None, None),
    ("z = g(x)", "x", {"x": ("m", 1)}, None, {"g": "elementwise"}),
    ("f = W^T a; y = g(f)", "W", {"W": ("m", "n"), "a": ("m", 1)}, None, G),
    ("y = g(W^T a)", "W", {"W": ("m", "n"), "a": ("m", 1)}, None, G),
    ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, None, None),
    ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, {"A": "symmetric"}, None),
    ("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}, None, None),
    ("y = logsumexp(x)", "x", {"x": ("n", 1)}, None, None),
    ("y = logdet(X)", "X", {"X": ("n", "n")}, None, None),
    ("y = tr((A X C + D) (A X C + D)^T)", "X", {s: ("m", "m") for s in "AXCD"}, None, None),
    ("y = -t^T log(softmax(W x))", "W", {"W": ("n", "m"), "x": ("m", 1), "t": ("n", 1)}, {"t": "probability"}, None),
    ("y = norm(sigma(W2 sigma(W1 x)) - t)^2", "W1",
     {"W1": ("h", "m"), "W2": ("n", "h"), "x": ("m", 1), "t": ("n", 1)}, None, None),
    ("z1 = W1 x; h = sigma(z1); z2 = W2 h; y = norm(sigma(z2) - t)^2", "W2",
     {"W1": ("h", "m"), "W2": ("n", "h"), "x": ("m", 1), "t": ("n", 1)}, None, None),
    ("z = softmax(W x)", "x", {"W": ("n", "m"), "x": ("m", 1)}, None, None),
    ("z = (a^T x) (B x)", "x", {"a": ("m", 1), "x": ("m", 1), "B": ("n", "m")}, None, None),
    ("y = (x^T A x) / (x^T x)", "x", {"x": ("n", 1), "A": ("n", "n")}, None, None),
]
IDS = [f"{c[0]} by {c[1]}" + (f" {c[3]}" if c[3] else "") for c in CASES]


@pytest.fixture(scope="module", params=["denominator", "numerator"])
def layout(request):
    return request.param


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_claim_holds(case, layout):
    expr, wrt, shapes, assume, functions = case
    d = derive(expr, wrt, shapes, layout, assume, functions)
    claims = [s.claim for s in d.steps if s.claim is not None]
    assert d.steps[0].kind == "layout" and d.steps[-1].kind == "result"
    assert len(d.steps) >= 3, "a proof has at least one step between layout and result"
    assert claims, "some step must be checkable"
    for claim in claims:
        check(claim, d)


def check(claim: Claim, d: Derivation) -> None:
    if claim.kind == "entry":
        _check_entry(claim, d)
        return
    if claim.kind == "tensor-entry":
        _check_tensor_entry(claim, d)
        return
    scope = d.scope
    if claim.var is not None and claim.var.name not in scope.symbols:
        scope = Scope({**scope.symbols, claim.var.name: claim.var}, scope.functions)
    fresh = scope is not d.scope  # the claim's variable is a cut-out intermediate
    exprs = [e for e in (None if fresh else claim.lhs, claim.rhs, claim.at) if e is not None]
    # unit vectors e_i and the differential dX of tensor proofs are drawn at random: the claims are linear in them
    extra = {s.name: s for e in exprs for s in e.walk() if isinstance(s, Sym) and s.name not in scope.symbols}
    sampled = Scope({**d.scope.symbols, **extra}, d.scope.functions)
    scope = Scope({**scope.symbols, **extra}, scope.functions)
    values, sizes = sample_for([e for e in exprs if not fresh or claim.var not in set(e.walk())], sampled, seed=7)
    if claim.kind == "equal":
        assert np.allclose(evaluate(claim.lhs, values, scope, sizes), evaluate(claim.rhs, values, scope, sizes))
        return
    if claim.kind == "directional":  # rhs is lhs's derivative along the direction `at`
        direction = evaluate(claim.at, values, scope, sizes)
        base = values[claim.var.name]

        def along(t):
            return evaluate(claim.lhs, {**values, claim.var.name: base + (t[0, 0] - 1) * direction}, scope, sizes)

        want = evaluate(claim.rhs, values, scope, sizes)
        assert tensor_gap(along, np.ones((1, 1)), want, Sym("_t", (1, 1)), "numerator") < 1e-5
        return
    if claim.at is not None:
        values[claim.var.name] = evaluate(claim.at, values, d.scope, sizes)
    if claim.kind == "vec":  # rhs is ∂vec(lhs)/∂vec(var)ᵀ
        x0 = values[claim.var.name]

        def f(x):
            return evaluate(claim.lhs, {**values, claim.var.name: x}, scope, sizes)

        assert tensor_gap(f, x0, evaluate(claim.rhs, values, scope, sizes), claim.var, "numerator") < 1e-5
        return
    kind = "gradient" if claim.lhs.is_scalar else "jacobian"
    lhs = claim.lhs if kind == "gradient" or claim.lhs.is_column else _column(claim.lhs)
    assert gap_at(lhs, claim.var, claim.rhs, "denominator", scope, kind, values, sizes) < 1e-5


def _column(e):
    from generator.tree import algebra

    return algebra.transpose(e)


def _check_entry(claim: Claim, d: Derivation) -> None:
    """A sympy index expression against the entries of the tree it claims to be, at small sizes."""
    values, sizes = sample_for([claim.rhs], d.scope, seed=3)
    expected = evaluate(claim.rhs, values, d.scope, sizes)
    subs = _substitutions(d, values, sizes)
    for g in {n for n in claim.rhs.walk() if isinstance(n, Grad) and n.name}:
        subs[sp.MatrixSymbol(g.name, dim(g.rows), dim(g.cols))] = sp.ImmutableMatrix(
            evaluate(g, values, d.scope, sizes))
    expr = _concrete_functions(claim.lhs)
    free = [i for i in claim.indices if isinstance(i, sp.Symbol)]
    ranges = [range(n) for n in _extent(claim.indices, expected.shape)]
    points = list(itertools.product(*ranges))
    for point in points[::max(1, len(points) // 5)]:  # a spread of entries is enough; sympy is slow
        at = dict(zip(free, point))
        value = expr.xreplace(at).xreplace(subs).doit()
        value = complex(value.doit().evalf()).real
        row, col = (at.get(i, i) for i in claim.indices)
        assert value == pytest.approx(expected[int(row), int(col)], rel=1e-6, abs=1e-9)


def _check_tensor_entry(claim: Claim, d: Derivation) -> None:
    """An index expression in (out row, out col, var row, var col) against the vec–Jacobian's entry
    J[r + R c, p + M q] (column-major vec of the output `at` and of the variable)."""
    out, var = claim.at, claim.var
    extra = {s.name: s for s in claim.rhs.walk() if isinstance(s, Sym) and s.name not in d.scope.symbols}
    scope = Scope({**d.scope.symbols, **extra}, d.scope.functions)
    values, sizes = sample_for([claim.rhs, out], scope, seed=3)
    jacobian = evaluate(claim.rhs, values, scope, sizes)
    subs = _substitutions(d, values, sizes)
    rows = sizes.get(out.rows, out.rows)
    var_rows = sizes.get(var.rows, var.rows)
    extents = {}
    for k, i in enumerate(claim.indices):
        if isinstance(i, sp.Symbol):
            dims = (out.rows, out.cols, var.rows, var.cols)[k]
            extents[i] = sizes.get(dims, dims)
    free = list(extents)
    points = list(itertools.product(*(range(extents[i]) for i in free)))
    expr = _concrete_functions(claim.lhs)
    for point in points[::max(1, len(points) // 6)]:
        at = dict(zip(free, point))
        value = complex(expr.xreplace(at).xreplace(subs).doit().doit().evalf()).real
        r, c, p, q = (int(at.get(i, i)) for i in claim.indices)
        assert value == pytest.approx(jacobian[r + rows * c, p + var_rows * q], rel=1e-6, abs=1e-9)


def _substitutions(d: Derivation, values: dict, sizes: dict) -> dict:
    """The sympy symbols of sizes, symbols, intermediates and named gradients → their values at one point."""
    subs: dict = {dim(k): v for k, v in sizes.items()}
    for name, sym in d.scope.symbols.items():
        r, c = sym.shape
        key = sp.Symbol(name, real=True) if sym.is_scalar else sp.MatrixSymbol(name, dim(r), dim(c))
        subs[key] = sp.ImmutableMatrix(values[name]) if not sym.is_scalar else float(values[name][0, 0])
    for name, named in d.statement.definitions:
        subs[sp.MatrixSymbol(name, dim(named.rows), dim(named.cols))] = sp.ImmutableMatrix(
            evaluate(named, values, d.scope, sizes))
    for g in _grads(d):
        subs[sp.MatrixSymbol(g.name, dim(g.rows), dim(g.cols))] = sp.ImmutableMatrix(
            evaluate(g, values, d.scope, sizes))
    return subs


def _grads(d: Derivation) -> set:
    return {n for n in d.statement.expr.walk() if isinstance(n, Grad) and n.name} | {
        g for g in d.statement.bindings.values() if isinstance(g, Grad)}


def _extent(indices, shape) -> list[int]:
    return [shape[k] for k, i in enumerate(indices) if isinstance(i, sp.Symbol)]


def _concrete_functions(e: sp.Expr) -> sp.Expr:
    """A registered function shown by name (σ, softplus, relu, …) replaced by its own values, as the engine
    computes them; an abstract g (and its primes) by the numeric stand-in the engine uses."""
    t = sp.Symbol("t")

    def stand_in(f: sp.Function) -> sp.Expr:
        fn, order = type(f).mcgen_fn, type(f).mcgen_order
        if fn in REGISTERED:
            x = Sym("t", (1, 1))
            node, scope = Apply(fn, x, order), Scope({"t": x}, {})
            own = implemented_function(f"{fn}_{order}", lambda x: float(
                evaluate(node, {"t": np.array([[float(x)]])}, scope, {})[0, 0]))
            return own(f.args[0])
        w = _stand_in(fn)
        return sp.diff(sp.sin(w * t) + sp.Rational(2, 5) * t ** 2, t, order).subs(t, f.args[0])

    return e.replace(lambda n: hasattr(type(n), "mcgen_fn"), stand_in)


REGISTERED = {f.name for f in FUNCTIONS}
LIBRARY = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.toml"))


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_proof_checks_out(path, layout):
    problem = load(path)
    d = derive_problem(problem, layout if not problem.hessian else None)
    assert d.steps[-1].kind == "result" and len(d.steps) >= 3
    for step in d.steps:
        if step.claim is not None:
            check(step.claim, d)


TENSORS = [  # (expr, wrt, shapes, assume, functions, hessian)
    ("Y = A X B", "X", {"A": ("r", "m"), "X": ("m", "n"), "B": ("n", "s")}, None, None, False),
    ("y = X a", "X", {"X": ("m", "n"), "a": ("n", 1)}, None, None, False),
    ("Y = X^-1", "X", {"X": ("n", "n")}, None, None, False),
    ("Y = X^T", "X", {"X": ("m", "n")}, None, None, False),
    ("Y = x x^T", "x", {"x": ("n", 1)}, None, None, False),
    ("Y = sigma(A X B)", "X", {"A": ("r", "m"), "X": ("m", "n"), "B": ("n", "s")}, None, None, False),
    ("Y = s A + s^2 B", "s", {"s": (1, 1), "A": ("m", "n"), "B": ("m", "n")}, None, None, False),
    ("Y = det(X) X^-1", "X", {"X": ("n", "n")}, None, None, False),
    ("Y = X^T A X", "X", {"X": ("m", "n"), "A": ("m", "m")}, None, None, False),
    ("y = softmax(W x)", "W", {"W": ("m", "n"), "x": ("n", 1)}, None, None, False),
    ("Y = tanh(X^-1 A)", "X", {"X": ("n", "n"), "A": ("n", "n")}, None, None, False),
    ("f = tr(W^T S W)", "W", {"W": ("m", "n"), "S": ("m", "m")}, None, None, True),
    ("f = g(W x)", "W", {"W": ("m", "n"), "x": ("n", 1)}, None,
     {"g": {"kind": "scalar", "gradient": "delta", "hessian": "H"}}, True),
]


@pytest.mark.parametrize("case", TENSORS, ids=[f"{c[0]} by {c[1]}" for c in TENSORS])
def test_every_tensor_claim_holds(case, layout):
    expr, wrt, shapes, assume, functions, as_hessian = case
    d = derive(expr, wrt, shapes, layout, assume, functions, hessian=as_hessian)
    assert d.steps[0].kind in ("layout", "gradient") and d.steps[-1].kind == "result"
    claims = [s.claim for s in d.steps if s.claim is not None]
    assert len(claims) >= 2
    for claim in claims:
        check(claim, d)
