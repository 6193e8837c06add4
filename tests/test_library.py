"""Every shipped problem loads, derives, verifies numerically in both layouts and reads in textbook form."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from differences import vec_differences

from generator import derive_problem, load
from generator.check.numeric import evaluate
from generator.check.sampling import sample_for
from generator.check.verify import RESIDUAL_LIMIT
from generator.pipeline.derivation import axes

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"

# (file stem, denominator layout, numerator layout); a Hessian has one form (numerator is None).
EXPECTED = [
    ('cookbook-049-det', 'det(X) X^-T', 'det(X) X^-1'),
    ('cookbook-051-det-axb', 'det(A X B) X^-T', 'det(A X B) X^-1'),
    ('cookbook-052-det-xtax-square', '2 det(X^T A X) X^-T', '2 det(X^T A X) X^-1'),
    ('cookbook-053-det-xtax-symmetric', '2 det(X^T A X) A X (X^T A X)^-1', '2 det(X^T A X) (X^T A X)^-1 X^T A'),
    ('cookbook-054-det-xtax', 'det(X^T A X) (A X (X^T A X)^-1 + A^T X (X^T A^T X)^-1)', 'det(X^T A X) ((X^T A X)^-1 X^T A + (X^T A^T X)^-1 X^T A^T)'),
    ('cookbook-055-logdet-xtx', '2 X (X^T X)^-1', '2 (X^T X)^-1 X^T'),
    ('cookbook-057-logdet', 'X^-T', 'X^-1'),
    ('cookbook-058-det-power', '3 det(X X X) X^-T', '3 det(X X X) X^-1'),
    ('cookbook-061-inverse-bilinear', '-X^-T a b^T X^-T', '-X^-1 b a^T X^-1'),
    ('cookbook-062-det-inverse', '-det(X^-1) X^-T', '-det(X^-1) X^-1'),
    ('cookbook-063-trace-inverse', '-X^-T A^T B^T X^-T', '-X^-1 B A X^-1'),
    ('cookbook-064-trace-inverse-sum', '-(X + A)^-T (X + A)^-T', '-(X + A)^-1 (X + A)^-1'),
    ('cookbook-069-linear', 'a', 'a^T'),
    ('cookbook-070-bilinear', 'a b^T', 'b a^T'),
    ('cookbook-071-bilinear-transpose', 'b a^T', 'a b^T'),
    ('cookbook-072-bilinear-same', 'a a^T', 'a a^T'),
    ('cookbook-077-btxtxc', 'X (c b^T + b c^T)', '(c b^T + b c^T) X^T'),
    ('cookbook-078-affine-bilinear', 'B^T C (D x + d) + D^T C^T (B x + b)', '(B x + b)^T C D + (D x + d)^T C^T B'),
    ('cookbook-081-quadratic', '(B + B^T) x', 'x^T (B + B^T)'),
    ('cookbook-082-btxtdxc', 'D X c b^T + D^T X b c^T', 'c b^T X^T D + b c^T X^T D^T'),
    ('cookbook-083-affine-quadratic', '(D + D^T) (X b + c) b^T', 'b (X b + c)^T (D + D^T)'),
    ('cookbook-084-weighted-by-s', '-2 A^T W (x - A s)', '-2 (x - A s)^T W A'),
    ('cookbook-085-weighted-distance-by-x', '2 W (x - s)', '2 (x - s)^T W'),
    ('cookbook-086-weighted-distance-by-s', '-2 W (x - s)', '-2 (x - s)^T W'),
    ('cookbook-087-weighted-by-x', '2 W (x - A s)', '2 (x - A s)^T W'),
    ('cookbook-088-weighted-by-a', '-2 W (x - A s) s^T', '-2 s (x - A s)^T W'),
    ('cookbook-093-function-bilinear', '\\frac{\\partial s}{\\partial x} A r(x) + \\frac{\\partial r}{\\partial x} A^T s(x)', 's(x)^T A \\frac{\\partial r}{\\partial x} + r(x)^T A^T \\frac{\\partial s}{\\partial x}'),
    ('cookbook-094-ratio', '2 (A^T A x / (x^T B^T B x) - (x^T A^T A x) B^T B x / (x^T B^T B x)^2)', '2 (x^T A^T A / (x^T B^T B x) - (x^T A^T A x) x^T B^T B / (x^T B^T B x)^2)'),
    ('cookbook-097-gradient', '(A + A^T) x + b', 'x^T (A + A^T) + b^T'),
    ('cookbook-098-hessian', 'A + A^T', None),
    ('cookbook-099-trace', 'I', 'I'),
    ('cookbook-100-trace-xa', 'A^T', 'A'),
    ('cookbook-101-trace-axb', 'A^T B^T', 'B A'),
    ('cookbook-102-trace-axtb', 'B A', 'A^T B^T'),
    ('cookbook-103-trace-xta', 'A', 'A^T'),
    ('cookbook-104-trace-axt', 'A', 'A^T'),
    ('cookbook-106-trace-square', '2 X^T', '2 X'),
    ('cookbook-107-trace-x2b', 'B^T X^T + X^T B^T', 'X B + B X'),
    ('cookbook-108-trace-xtbx', '(B + B^T) X', 'X^T (B + B^T)'),
    ('cookbook-109-trace-bxxt', '(B + B^T) X', 'X^T (B + B^T)'),
    ('cookbook-110-trace-xxtb', '(B + B^T) X', 'X^T (B + B^T)'),
    ('cookbook-111-trace-xbxt', 'X (B + B^T)', '(B + B^T) X^T'),
    ('cookbook-112-trace-bxtx', 'X (B + B^T)', '(B + B^T) X^T'),
    ('cookbook-113-trace-xtxb', 'X (B + B^T)', '(B + B^T) X^T'),
    ('cookbook-114-trace-axbx', 'A^T X^T B^T + B^T X^T A^T', 'B X A + A X B'),
    ('cookbook-115-trace-xtx', '2 X', '2 X^T'),
    ('cookbook-116-trace-btxtcxb', '(C + C^T) X B B^T', 'B B^T X^T (C + C^T)'),
    ('cookbook-117-trace-xtbxc', 'B X C + B^T X C^T', 'C X^T B + C^T X^T B^T'),
    ('cookbook-118-trace-axbxtc', 'C A X B + A^T C^T X B^T', 'B X^T C A + B^T X^T A^T C^T'),
    ('cookbook-119-trace-residual', '2 A^T (A X B + C) B^T', '2 B (A X B + C)^T A'),
    ('cookbook-120-trace-kronecker', '2 tr(X) I', '2 tr(X) I'),
    ('cookbook-121-trace-power', '3 X^T X^T', '3 X X'),
    ('cookbook-122-trace-a-power', 'A^T X^T + X^T A^T', 'X A + A X'),
    ('cookbook-123-trace-quartic', 'C X B B^T X^T C X + C^T X B B^T X^T C^T X + (C X X^T C + C^T X X^T C^T) X B B^T', 'B B^T X^T (C X X^T C + C^T X X^T C^T) + X^T (C X B B^T X^T C + C^T X B B^T X^T C^T)'),
    ('cookbook-124-trace-inverse', '-X^-T A^T B^T X^-T', '-X^-1 B A X^-1'),
    ('cookbook-125-trace-inverse-quadratic', '-C X (X^T C X)^-1 (A + A^T) (X^T C X)^-1', '-(X^T C X)^-1 (A + A^T) (X^T C X)^-1 X^T C'),
    ('cookbook-126-trace-inverse-ratio', '2 (B - C X (X^T C X)^-1 X^T B) X (X^T C X)^-1', '2 (X^T C X)^-1 X^T (B - C X (X^T C X)^-1 X^T B)^T'),
    ('cookbook-127-trace-regularized-ratio', '2 (B - C X (A + X^T C X)^-1 X^T B) X (A + X^T C X)^-1', '2 (A + X^T C X)^-1 X^T (B - C X (A + X^T C X)^-1 X^T B)^T'),
    ('cookbook-129-distance', '(x - a) / norm(x - a)', '(x - a)^T / norm(x - a)'),
    ('cookbook-130-unit-vector', 'I / norm(x - a) - (x - a) (x - a)^T / norm(x - a)^3', 'I / norm(x - a) - (x - a) (x - a)^T / norm(x - a)^3'),
    ('cookbook-131-squared-norm', '2 x', '2 x^T'),
    ('cookbook-132-frobenius', '2 X', '2 X^T'),
    ('course-attention-score', 'K^T (diag(p) - p p^T) a', 'a^T (diag(p) - p p^T) K'),
    ('course-gaussian-nll-covariance', 'Sigma^-1 / 2 - Sigma^-1 (x - mu) (x - mu)^T Sigma^-1 / 2', 'Sigma^-1 / 2 - Sigma^-1 (x - mu) (x - mu)^T Sigma^-1 / 2'),
    ('course-gaussian-nll-mean', '-Sigma^-1 (x - mu)', '-(x - mu)^T Sigma^-1'),
    ('course-logistic-batch', '-X^T (t .* sigma(-t .* (X w)))', '-(t .* sigma(-t .* (X w)))^T X'),
    ('course-matrix-factorisation', '-2 (R - U V^T) V', '-2 V^T (R - U V^T)^T'),
    ('course-pca-trace', '2 S U', '2 U^T S'),
    ('course-pseudo-huber', 'r ./ sqrt(1 + r.^2)', '(r ./ sqrt(1 + r.^2))^T'),
    ('course-regularised-logistic', '-X^T (t .* sigma(-t .* (X w))) + lambda w', '-(t .* sigma(-t .* (X w)))^T X + lambda w^T'),
    ('course-ridge', '2 X^T (X w - t) + 2 lambda w', '2 (X w - t)^T X + 2 lambda w^T'),
    ('course-softmax-logits', 'softmax(z) - y', '(softmax(z) - y)^T'),
    ('course-two-layer-biases', "2 ((W2^T (z2 - y)) .* sigma'(z1)) x^T", "2 x ((W2^T (z2 - y)) .* sigma'(z1))^T"),
    ('course-weighted-least-squares', '2 X^T D (X w - t)', '2 (X w - t)^T D X'),
    ('lecture-7-chain-rule', '\\frac{\\partial f}{\\partial x} \\frac{\\partial g}{\\partial f(x)}', '\\frac{\\partial g}{\\partial f(x)} \\frac{\\partial f}{\\partial x}'),
    ('lecture-3-elementwise-g', "diag(g'(x))", "diag(g'(x))"),
    ('lecture-4-elementwise-sigma', "diag(sigma'(x))", "diag(sigma'(x))"),
    ('lecture-5-elementwise-tanh', "diag(tanh'(x))", "diag(tanh'(x))"),
    ('lecture-6-g-of-f', 'a delta^T', 'delta a^T'),
    ('lecture-1-wx', 'W^T', 'W'),
    ('lecture-2-xtw', 'W', 'W^T'),
    ('model-hessian-logsumexp', 'diag(softmax(x)) - softmax(x) softmax(x)^T', None),
    ('model-hessian-quadratic', 'A + A^T', None),
    ('model-least-squares', '2 A^T (A x - b)', '2 (A x - b)^T A'),
    ('model-logistic-regression', '(sigma(w^T x) - y) x', '(sigma(w^T x) - y) x^T'),
    ('model-softmax-cross-entropy', '(softmax(W x) - y) x^T', 'x (softmax(W x) - y)^T'),
    ('model-two-layer-w1', "2 ((W2^T ((p - y) .* sigma'(z2))) .* sigma'(z1)) x^T", "2 x ((W2^T ((p - y) .* sigma'(z2))) .* sigma'(z1))^T"),
    ('model-two-layer-w2', "2 ((p - y) .* sigma'(z2)) h^T", "2 h ((p - y) .* sigma'(z2))^T"),
    ('table-01-constant', '0', '0'),
    ('table-02-identity', 'I', 'I'),
    ('table-03-ax', 'A^T', 'A'),
    ('table-04-xta', 'A', 'A^T'),
    ('table-05-scalar-times-u', 'a \\frac{\\partial u}{\\partial x}', 'a \\frac{\\partial u}{\\partial x}'),
    ('table-06-v-times-a', '\\frac{\\partial v}{\\partial x} a^T', 'a \\frac{\\partial v}{\\partial x}'),
    ('table-07-v-times-u', 'v(x) \\frac{\\partial u}{\\partial x} + \\frac{\\partial v}{\\partial x} u(x)^T', 'v(x) \\frac{\\partial u}{\\partial x} + u(x) \\frac{\\partial v}{\\partial x}'),
    ('table-08-a-times-u', '\\frac{\\partial u}{\\partial x} A^T', 'A \\frac{\\partial u}{\\partial x}'),
    ('table-09-sum', '\\frac{\\partial u}{\\partial x} + \\frac{\\partial v}{\\partial x}', '\\frac{\\partial u}{\\partial x} + \\frac{\\partial v}{\\partial x}'),
    ('table-10-g-of-u', '\\frac{\\partial u}{\\partial x} \\frac{\\partial g}{\\partial u(x)}', '\\frac{\\partial g}{\\partial u(x)} \\frac{\\partial u}{\\partial x}'),
    ('table-11-f-of-g-of-u', '\\frac{\\partial u}{\\partial x} \\frac{\\partial g}{\\partial u(x)} \\frac{\\partial f}{\\partial g(u(x))}', '\\frac{\\partial f}{\\partial g(u(x))} \\frac{\\partial g}{\\partial u(x)} \\frac{\\partial u}{\\partial x}'),
    ('cookbook-059-inverse-by-scalar', '-(A + s B)^-1 B (A + s B)^-1', '-(A + s B)^-1 B (A + s B)^-1'),
    ('cookbook-060-inverse-entries', '-kron(X^-1, X^-T)', '-kron(X^-T, X^-1)'),
    ('cookbook-073-identity-entries', 'I', 'I'),
    ('cookbook-074-xa-entries', 'kron(A, I_m)', 'kron(A^T, I_m)'),
    ('cookbook-075-xta-entries', 'commutation(n, m) kron(A, I_n)', 'kron(A^T, I_n) commutation(m, n)'),
    ('cookbook-079-xtbx-entries', 'commutation(n, m) kron(B X, I_n) + kron(I_n, B^T X)', 'kron(I_n, X^T B) + kron(X^T B^T, I_n) commutation(m, n)'),
    ('cookbook-090-power-entries', 'kron(X X, I_n) + kron(X, X^T) + kron(I_n, X^T X^T)', 'kron(I_n, X X) + kron(X^T, X) + kron(X^T X^T, I_n)'),
    ('lecture-8-vector-by-matrix', 'kron(a, I_m)', 'kron(a^T, I_m)'),
    ('tensor-adjugate', 'det(X) (vec(X^-T) vec(X^-1)^T - kron(X^-1, X^-T))', 'det(X) (vec(X^-1) vec(X^-T)^T - kron(X^-T, X^-1))'),
    ('tensor-axb', 'kron(B, A^T)', 'kron(B^T, A)'),
    ('tensor-hessian-abstract', 'W^T Delta W', None),
    ('tensor-hessian-trace', 'kron(I_n, S + S^T)', None),
    ('tensor-inverse-through-matrix', '-((a^T (I + x x^T)^-1 x) (I + x x^T)^-1 + (I + x x^T)^-1 a x^T (I + x x^T)^-1)', '-((a^T (I + x x^T)^-1 x) (I + x x^T)^-1 + (I + x x^T)^-1 x a^T (I + x x^T)^-1)'),
    ('tensor-layer-preactivation', 'kron(x, I_m)', 'kron(x^T, I_m)'),
    ('tensor-outer-product', 'kron(x^T, I_n) + kron(I_n, x^T)', 'kron(x, I_n) + kron(I_n, x)'),
    ('tensor-through-matrix', '(b^T a) I', '(b^T a) I'),
    ('tensor-transpose', 'commutation(n, m)', 'commutation(m, n)'),
]
BY_NAME = {name: (den, num) for name, den, num in EXPECTED}


def test_every_problem_file_has_an_expected_form():
    shipped = sorted(p.stem for p in PROBLEMS.glob("*.toml"))
    assert shipped == sorted(BY_NAME)


@pytest.mark.parametrize("name, denominator, numerator", EXPECTED)
def test_problem_derives_in_both_layouts(name, denominator, numerator):
    problem = load(PROBLEMS / f"{name}.toml")
    assert problem.hessian == (numerator is None)
    d = derive_problem(problem, "denominator")
    assert d.answer == denominator
    assert d.residual <= RESIDUAL_LIMIT[d.kind]
    if numerator is None:
        assert d.kind == "hessian"
        return
    n = derive_problem(problem, "numerator")
    assert n.answer == numerator
    assert n.residual <= RESIDUAL_LIMIT[n.kind]
    if d.tensor:  # the variable's axes then the output's, or the other way round
        var = len(axes(d.wrt.shape))
        assert n.shape == d.shape[var:] + d.shape[:var] or d.wrt.is_scalar and n.shape == d.shape
    else:
        assert n.shape == (d.shape[1], d.shape[0])


@pytest.mark.parametrize("name", [n for n, _, _ in EXPECTED if n.startswith("cookbook-")])
def test_cookbook_problem_cites_its_equation(name):
    problem = load(PROBLEMS / f"{name}.toml")
    assert re.fullmatch(r"\(\d+\)(-\(\d+\))?", problem.extra["equation"])
    assert problem.extra["equation"].lstrip("(").startswith(str(int(name.split("-")[1])))
    assert re.fullmatch(r"cookbook-2\.[1-7]", problem.extra["table"])
    assert problem.notes.startswith("Matrix Cookbook 2.")


def test_vector_by_vector_table_has_every_lecture_row_once():
    rows = {}
    for path in PROBLEMS.glob("table-*.toml"):
        problem = load(path)
        assert problem.extra["table"] == "vector-by-vector"
        assert isinstance(problem.extra["condition"], str)
        assert problem.extra["row"] not in rows
        rows[problem.extra["row"]] = problem
        assert derive_problem(problem).kind == "jacobian"  # each row is a vector-by-vector derivative
    assert sorted(rows) == list(range(1, 12))


@pytest.mark.parametrize("name", [n for n, _, _ in EXPECTED])
def test_every_key_reads_back_and_grades_as_right(name):
    """The answer text a sheet's manifest stores parses to the closed form, so the grader can use it."""
    from generator import grade
    from generator.parse import parse

    problem = load(PROBLEMS / f"{name}.toml")
    for layout in ("denominator",) if problem.hessian else ("denominator", "numerator"):
        d = derive_problem(problem, layout)
        back = parse(d.answer, d.scope, expect=d.closed_form.shape, bindings=d.statement.bindings,
                     layout=d.layout).expr
        assert back == d.closed_form or d.answer == "0"  # a zero matrix is written as the number 0
        assert grade(d.answer, d).correct


# ---------------------------------------------------------------- tensors, against independent differences


TENSOR_PROBLEMS = [n for n, _, _ in EXPECTED if n.startswith(("tensor-", "lecture-8-")) or n in (
    "cookbook-059-inverse-by-scalar", "cookbook-060-inverse-entries", "cookbook-073-identity-entries",
    "cookbook-074-xa-entries", "cookbook-075-xta-entries", "cookbook-079-xtbx-entries", "cookbook-090-power-entries")]


@pytest.mark.parametrize("name", TENSOR_PROBLEMS)
def test_tensor_numeric_and_vec_jacobian_agree_with_differences(name):
    """d.vec_jacobian is ∂vec Y/∂vec(X)ᵀ and d.numeric the array with d.shape's axes, in both layouts."""
    problem = load(PROBLEMS / f"{name}.toml")
    for layout in ("denominator",) if problem.hessian else ("denominator", "numerator"):
        d = derive_problem(problem, layout)
        values, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=11)
        x0 = values[d.wrt.name]
        # a Hessian is the vec–Jacobian of the gradient; anything else that of the output
        of = derive_problem(replace(problem, hessian=False)) if problem.hessian else d
        top = of.closed_form if problem.hessian else d.statement.expr
        expected = vec_differences(lambda x: evaluate(top, {**values, d.wrt.name: x}, d.scope), x0)
        assert np.allclose(d.vec_jacobian(values), expected, atol=1e-5, rtol=1e-5)
        array = d.numeric(values)
        assert array.shape == tuple(sizes.get(a, a) for a in d.shape)
        if d.kind == "tensor" and not d.wrt.is_scalar:
            out, var = axes(d.statement.expr.shape), axes(d.wrt.shape)
            full = expected.reshape([sizes.get(a, a) for a in (*d.statement.expr.shape, *d.wrt.shape)], order="F")
            full = full.reshape([sizes.get(a, a) for a in (*out, *var)])
            if layout == "denominator":
                full = full.transpose([*range(len(out), len(out) + len(var)), *range(len(out))])
            assert np.allclose(array, full, atol=1e-5, rtol=1e-5)
