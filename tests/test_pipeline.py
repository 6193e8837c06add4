"""The public derive(): API shapes, the cache of canonical forms, refusals that name the user's symbols."""
from __future__ import annotations

import numpy as np
import pytest

from generator import derive
from generator.pipeline import run as pipeline
from generator.errors import GeneratorError, NotDerivable
from generator.tree.scope import Scope
from generator.parse import parse

G = {"g": {"kind": "scalar", "gradient": "delta"}}
RENAMED = [  # the same structure under other names and sizes: the cached proof must read as a fresh one
    ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, None),
    ("u = A v", "v", {"A": ("p", "q"), "v": ("q", 1)}, None),
    ("y = W1 x1", "x1", {"W1": ("h", "d"), "x1": ("d", 1)}, None),
    ("f = M^T b; y = g(f)", "M", {"M": ("p", "r"), "b": ("p", 1)}, G),
    ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, None),
    ("y = norm(sigma(V2 sigma(V1 u)) - t)^2", "V1", {"V1": ("h", "d"), "V2": (2, "h"), "u": ("d", 1), "t": (2, 1)}, None),
]


@pytest.mark.parametrize("expr, wrt, shapes, functions", RENAMED)
@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_cached_derivation_equals_a_fresh_one(expr, wrt, shapes, functions, layout):
    d = derive(expr, wrt, shapes, layout, functions=functions)
    scope = Scope.build(shapes, None, d.scope.functions)
    fresh = pipeline._fresh(parse(expr, scope), scope.symbols[wrt], scope, layout, False)
    assert d.closed_form == fresh.closed_form
    assert d.latex == fresh.latex
    assert [s.latex for s in d.steps] == [s.latex for s in fresh.steps]
    assert [s.reason for s in d.steps] == [s.reason for s in fresh.steps]
    assert d.residual < 1e-6


def test_concrete_sizes_keep_the_index_proof():
    """Sizes 3 and 4 are proved like n and m (sympy would expand the sums), limits show the numbers."""
    d = derive("u = A v", "v", {"A": (3, 4), "v": (4, 1)})
    assert d.steps[1].latex == r"u_{i} = \sum_{k=1}^{4} A_{ik} v_{k}"
    assert d.shape == (4, 3)


@pytest.mark.parametrize("expr, wrt, shapes, expected", [
    ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, ("m", "n")),
    ("z = x^T W", "x", {"x": ("m", 1), "W": ("m", "n")}, ("m", "n")),
    ("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}, ("m", "n")),
])
def test_numeric_has_the_documented_shape(expr, wrt, shapes, expected):
    sizes = {"n": 2, "m": 3}
    values = {name: np.arange(1, 1 + sizes.get(r, r) * sizes.get(c, c), dtype=float).reshape(
        sizes.get(r, r), sizes.get(c, c)) for name, (r, c) in shapes.items()}
    for layout, shape in (("denominator", expected), ("numerator", expected[::-1])):
        d = derive(expr, wrt, shapes, layout)
        assert d.shape == shape
        assert d.numeric(values).shape == tuple(sizes[s] for s in shape)


def test_refusals_name_the_users_symbols():
    with pytest.raises(NotDerivable, match=r"the abstract function u takes a vector, not W"):
        derive("z = u(W)", "W", {"W": ("n", "m")}, functions={"u": {"kind": "vector", "shape": ["r", 1]}})


@pytest.mark.parametrize("kwargs, message", [
    (dict(expr="z = W x", wrt="q", shapes={"W": ("n", "m"), "x": ("m", 1)}), "'q' is not declared"),
    (dict(expr="z = W x", wrt="x", shapes={"W": ("n", "m"), "x": ("m", 1)}, layout="sideways"),
     "expected 'denominator' or 'numerator'"),
    (dict(expr="z = W x", wrt="x", shapes={"W": ("n",), "x": ("m", 1)}), "expected two dimensions"),
    (dict(expr="y = x^T A x", wrt="x", shapes={"x": ("n", 1), "A": ("n", "m")}, assume={"A": "symmetric"}),
     "must be square"),
])
def test_bad_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(GeneratorError) as err:
        derive(**kwargs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_names_share_one_canonical_proof_unless_they_clash_with_its_letters(monkeypatch):
    """Renamed variants reuse the canonical proof; a variant whose names are letters that proof shows
    (a size called k, where the proof sums over k) gets a proof written around them."""
    made = []
    fresh = pipeline._fresh
    monkeypatch.setattr(pipeline, "_fresh", lambda *a, **k: made.append(a[5:]) or fresh(*a, **k))
    pipeline._cache.clear()
    shapes = {"A": ("n", "m"), "v": ("m", 1)}
    first = derive("u = A v", "v", shapes)
    sum_letter = next(n for n in sorted(pipeline.renamed.names_shown(first)) if n in "klpq")
    derive("u = B w", "w", {"B": ("r", "s"), "w": ("s", 1)})
    assert len(made) == 1
    clashing = derive("u = B w", "w", {"B": ("r", sum_letter), "w": (sum_letter, 1)})
    assert len(made) == 2
    letters = {n for s in clashing.steps for n in pipeline.renamed._names(s.data.shows) if len(n) == 1}
    assert sum_letter in letters  # as the size, in the limits of the sum
    step = next(s for s in clashing.steps if r"\sum" in s.latex)
    assert rf"\sum_{{{sum_letter}=1}}" not in step.latex
