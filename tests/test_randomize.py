"""Variants: the [variation] table's checks, renaming through the tree, distinct and reproducible sampling."""
from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from generator.tree.text import to_text
from generator import load
from generator.errors import GeneratorError
from generator.tree.scope import Scope
from generator.parse import parse
from generator.parse.problem_file import from_mapping
from generator.sheets.space import (
    FILL_STEPS, Space, concrete, is_rational, numeric_data, permute, renamed_text, schedule, variant_seed, variants,
)
from generator.sheets.variation import variation_from

ROOT = Path(__file__).parent.parent
SHEET_PROBLEMS = sorted((ROOT / "problems" / "sheets").glob("*.toml"))
BILINEAR = {"title": "t", "expr": "y = a^T X b", "wrt": "X",
            "shapes": {"a": ["m", 1], "X": ["m", "n"], "b": ["n", 1]}}


def problem(variation: dict | None = None, **changes) -> object:
    data = {**BILINEAR, **changes}
    if variation is not None:
        data["variation"] = variation
    return from_mapping(data, "p.toml", name="p")


def signature(v) -> tuple:
    """What a student sees of a variant: its text, sizes, layout and kind."""
    return (v.expr, tuple(sorted((n, tuple(map(str, s))) for n, s in v.shapes.items())), v.layout, v.kind)


# ---------------------------------------------------------------- the keyed permutation

@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 16, 17, 100, 1000])
@pytest.mark.parametrize("key", [0, 1, 2**63 + 5])
def test_permute_is_a_permutation(size, key):
    assert sorted(permute(i, size, key) for i in range(size)) == list(range(size))


def test_permute_depends_on_the_key():
    assert [permute(i, 50, 1) for i in range(50)] != [permute(i, 50, 2) for i in range(50)]


@pytest.mark.parametrize("a, b", [(("p", 1, 1), ("p", 1, 2)), (("p", 1, 1), ("p", 2, 1)), (("p", 1, 1), ("q", 1, 1))])
def test_variant_seeds_differ_and_are_stable(a, b):
    assert variant_seed(*a) != variant_seed(*b)
    assert variant_seed(*a) == variant_seed(*a) < 2**48


# ---------------------------------------------------------------- renaming through the tree

@pytest.mark.parametrize("expr, shapes, names, dims, functions, text", [
    ("y = a^T X b", BILINEAR["shapes"], {"a": "u", "X": "W"}, {}, {}, "y = u^T W b"),
    ("y = a^T X^T b", {"a": ["n", 1], "X": ["m", "n"], "b": ["m", 1]}, {"X": "M", "b": "v"}, {}, {},
     "y = a^T M^T v"),
    # a symbol whose name starts another's: only the tree knows x from x1
    ("y = x^T A x1", {"x": ["n", 1], "A": ["n", "n"], "x1": ["n", 1]}, {"x": "u"}, {}, {}, "y = u^T A x1"),
    ("z = sigma(W x)", {"W": ["n", "m"], "x": ["m", 1]}, {}, {}, {"sigma": "tanh"}, "z = tanh(W x)"),
    ("f = W^T a; y = g(f)", {"W": ["n", "m"], "a": ["n", 1]}, {"W": "A", "a": "c"}, {"n": "p"}, {},
     "f = A^T c; y = g(f)"),
    ("y = tr(A X) + sum(X)", {"A": ["n", "m"], "X": ["m", "n"]}, {"X": "W"}, {"n": 3}, {}, "y = tr(A W) + sum(W)"),
])
def test_rename_goes_through_the_tree(expr, shapes, names, dims, functions, text):
    fns = {"g": {"kind": "scalar", "gradient": "delta"}} if "g(" in expr else None
    p = from_mapping({"expr": expr, "wrt": next(iter(shapes)), "shapes": shapes, "functions": fns}, "p.toml")
    scope = Scope.build(p.shapes, p.assume, p.functions)
    assert renamed_text(parse(expr, scope), names, dims, functions) == text
    # the renamed text parses back under the renamed shapes
    renamed = {names.get(n, n): tuple(dims.get(d, d) for d in s) for n, s in p.shapes.items()}
    assert to_text(parse(text, Scope.build(renamed, {}, p.functions)).expr) == text.rsplit("= ", 1)[1]


# ---------------------------------------------------------------- the [variation] table

@pytest.mark.parametrize("variation, message", [
    ({"colours": ["red"]}, "p.toml: variation.colours: unknown key"),
    ({"names": {"X": ["X", "i"]}}, "variation.names.X[1]: 'i' collides with an index letter"),
    ({"names": {"a": ["a", "n"]}}, "variation.names.a[1]: 'n' collides with the dimension n"),
    ({"names": {"a": ["a", "b"]}}, "variation.names.a[1]: 'b' collides with the symbol b"),
    ({"names": {"a": ["a", "tr"]}}, "variation.names.a[1]: 'tr' collides with a built-in name"),
    ({"names": {"a": ["a", "y"]}}, "variation.names.a[1]: 'y' collides with the output y"),
    ({"names": {"q": ["q"]}}, "variation.names.q: q is not declared under shapes"),
    ({"names": {"a": ["a", "a"]}}, "variation.names.a[1]: 'a' is listed twice"),
    ({"names": {"a": []}}, "variation.names.a: expected a non-empty list"),
    ({"names": {"a": ["2x"]}}, "variation.names.a[0]: expected a name"),
    ({"names": {"a": ["u"], "b": ["u"]}}, "variation.names: no choice gives a, b different names"),
    ({"dims": {"m": [3], "n": [3]}}, "variation.dims: no choice gives m, n different values"),
    ({"dims": {"m": ["b"]}}, "variation.dims.m[0]: 'b' collides with the symbol b"),
    ({"dims": {"m": ["j"]}}, "variation.dims.m[0]: 'j' collides with an index letter"),
    ({"dims": {"m": [1, 2]}}, "variation.dims.m[0]: a size of 1 would turn a matrix into a vector"),
    ({"dims": {"m": [0]}}, "variation.dims.m[0]: a size must be at least 1"),
    ({"dims": {"k": ["k"]}}, "variation.dims.k: k is not a dimension of any shape"),
    ({"names": {"a": ["a", "p"]}, "dims": {"m": ["m", "p"]}}, "variation.dims.m[1]: 'p' collides with a name in the pool of a"),
    ({"structures": ["y = a^T X^T b"]}, "variation.structures[0]: column 9: cannot multiply a^T (1×m) by X^T (n×m)"),
    ({"structures": ["y = a^T a"]}, "variation.structures[0]: the expression does not depend on X"),
    ({"structures": "y = a^T X b"}, "variation.structures: expected a non-empty list of expressions"),
    ({"structures": []}, "variation.structures: expected a non-empty list of expressions"),
    ({"functions": {"tanh": ["sigma"]}}, "variation.functions.tanh: the expression applies no element-wise function tanh"),
    ({"layouts": ["sideways"]}, "variation.layouts[0]: expected one of denominator, numerator, found 'sideways'"),
    ({"kinds": ["essay"]}, "variation.kinds[0]: expected one of closed-form, numeric, shape, fill-step"),
    ({"kinds": ["numeric"], "structures": ["y = a^T sigma(X) b"]}, "variation.kinds: no variant fits"),
    (3, "p.toml: variation: expected a table"),
])
def test_bad_variation_is_one_line_naming_file_and_key(variation, message):
    with pytest.raises(GeneratorError) as err:
        Space(problem(variation))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_function_pools_take_only_elementwise_functions():
    p = problem({"functions": {"sigma": ["tanh", "det"]}}, expr="y = a^T sigma(X) b")
    with pytest.raises(GeneratorError, match=r"variation.functions.sigma\[1\]: expected an element-wise function"):
        variation_from(p)


def test_no_variation_table_is_one_variant_and_says_so():
    vs, note = variants(problem(), 1, 3)
    assert len(vs) == 3 and len({signature(v) for v in vs}) == 1
    assert note == "p.toml: only 1 distinct variant; some repeat"


# ---------------------------------------------------------------- the space and its sampling

@pytest.mark.parametrize("variation, size", [
    ({}, 1),
    ({"names": {"a": ["a", "u"], "b": ["b", "u"]}}, 3),  # (u, u) is not allowed
    ({"dims": {"m": ["m", 3], "n": ["n", 3]}, "kinds": ["shape"]}, 3),  # (3, 3) is not allowed
    ({"dims": {"m": ["m", 3], "n": ["n", 3]}}, 3),
    ({"layouts": ["denominator", "numerator"], "kinds": ["closed-form", "shape"]}, 4),
    ({"structures": ["y = a^T X b", "y = b^T X^T a"], "names": {"X": ["X", "W", "M"]}}, 6),
    # numeric keeps one concrete size per dimension: m and n become 2 and 3 whatever their names
    ({"kinds": ["numeric"], "dims": {"m": ["m", "p"], "n": ["n", "q"]}}, 1),
    ({"kinds": ["shape"], "dims": {"m": ["m", "p"], "n": ["n", 4]}}, 4),
])
def test_space_size_counts_distinct_variants(variation, size):
    space = Space(problem(variation))
    assert space.size == size
    vs, _ = variants(problem(variation), 5, size)
    assert len({signature(v) for v in vs}) == size


@pytest.mark.parametrize("path", SHEET_PROBLEMS, ids=lambda p: p.stem)
def test_shipped_variants_are_distinct_reproducible_and_prefix_stable(path):
    p = load(path)
    space = Space(p)
    count = min(space.size, 24)
    first, note = variants(p, 11, count)
    assert note is None
    assert len({signature(v) for v in first}) == count
    again, _ = variants(p, 11, count + 5)
    assert again[:count] == first  # variant k does not depend on how many are asked for
    other, _ = variants(p, 12, count)
    assert [signature(v) for v in other] != [signature(v) for v in first]


@pytest.mark.parametrize("path", SHEET_PROBLEMS, ids=lambda p: p.stem)
def test_kinds_take_turns(path):
    p = load(path)
    kinds = [k for k in Space(p).variation.kinds]
    vs, _ = variants(p, 3, 2 * len(kinds))
    assert sorted(v.kind for v in vs) == sorted(kinds * 2)


def test_all_variants_are_given_before_any_repeats():
    p = problem({"names": {"X": ["X", "W"]}, "kinds": ["closed-form", "numeric", "shape"]})
    space = Space(p)
    assert space.size == 2 * 2 + 1 * 2  # numeric has one concrete size per dimension
    choices = schedule(space, 0, 2 * space.size)
    assert len(set(choices[:space.size])) == space.size
    assert set(choices[space.size:]) == set(choices[:space.size])


def test_too_many_variants_repeat_and_say_so():
    p = problem({"names": {"X": ["X", "W"]}})
    vs, note = variants(p, 0, 5)
    assert len(vs) == 5 and len({signature(v) for v in vs}) == 2
    assert note == "p.toml: only 2 distinct variants; some repeat"
    assert [v.id for v in vs] == [f"p-{k}" for k in range(1, 6)]


def test_variants_keep_only_the_symbols_their_structure_uses():
    p = problem({"structures": ["y = a^T X b", "y = a^T X c"], "names": {"X": ["X", "W"]}},
                shapes={**BILINEAR["shapes"], "c": ["n", 1]})
    for v in variants(p, 0, 4)[0]:
        used = {n for n in ("a", "b", "c") if f" {n}" in v.expr}
        assert set(v.shapes) == used | {v.wrt}


# ---------------------------------------------------------------- kinds and their data

@pytest.mark.parametrize("expr, rational", [
    ("a b^T", True), ("(A + A^T) x", True), ("2 A^T (A x - b)", True), ("-(X^-T a b^T X^-T)", True),
    ("det(X) X^-T", True), ("x / (x^T x)", True), ("diag(sigma'(x))", False), ("x / norm(x)", False),
    ("softmax(x) - b", False), ("x * logdet(X)", False), ("x * (x^T x)^(1/2)", False),
])
def test_numeric_kind_needs_a_rational_closed_form(expr, rational):
    scope = Scope.build({"a": ("n", 1), "b": ("n", 1), "x": ("n", 1), "A": ("n", "n"), "X": ("n", "n")})
    assert is_rational(parse(expr, scope).expr) is rational


@pytest.mark.parametrize("dims, sizes", [
    ((("m", "m"), ("n", "n")), (("m", 2), ("n", 3))),
    ((("m", 2), ("n", "q")), (("m", 2), ("n", 3))),
    ((("m", "p"), ("n", 2)), (("m", 3), ("n", 2))),
    ((("m", 4), ("n", 6)), (("m", 4), ("n", 6))),
])
def test_concrete_sizes_stay_distinct(dims, sizes):
    assert concrete(dims) == sizes


@pytest.mark.parametrize("assume, check", [
    ({}, lambda m: np.all(np.abs(m) <= 3)),
    ({"A": "symmetric"}, lambda m: np.array_equal(m, m.T)),
    ({"A": "spd"}, lambda m: np.array_equal(m, m.T) and np.all(np.linalg.eigvalsh(m) > 0)),
])
def test_numeric_data_honours_assumptions(assume, check):
    p = from_mapping({"expr": "y = x^T A x", "wrt": "x", "shapes": {"x": ["n", 1], "A": ["n", "n"]},
                      "assume": assume, "variation": {"kinds": ["numeric"]}}, "q.toml", name="q")
    v = variants(p, 0, 1)[0][0]
    data = numeric_data(v, 0)
    assert all(isinstance(x, Fraction) and x.denominator == 1 for row in data["A"] for x in row)
    assert check(np.array(data["A"], dtype=float))
    assert numeric_data(v, 0) == data and numeric_data(v, 1) != data


def test_probability_data_sums_to_one():
    p = from_mapping({"expr": "y = p^T x", "wrt": "x", "shapes": {"x": ["n", 1], "p": ["n", 1]},
                      "assume": {"p": "probability"}, "variation": {"kinds": ["numeric"]}}, "q.toml", name="q")
    data = numeric_data(variants(p, 0, 1)[0][0], 0)
    assert sum(itertools.chain(*data["p"])) == 1 and min(itertools.chain(*data["p"])) > 0


@pytest.mark.parametrize("path", SHEET_PROBLEMS, ids=lambda p: p.stem)
def test_fill_step_is_offered_where_the_proof_has_steps_to_blank(path):
    space = Space(load(path))
    for (structure, functions), d in space.probes.items():
        offered = any(b.kind == "fill-step" and b.structure == structure and b.functions == functions
                      for b in space.blocks)
        assert offered == ("fill-step" in space.variation.kinds and any(s.kind in FILL_STEPS for s in d.steps))
