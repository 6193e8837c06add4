"""Tensors through the public API, the command line and the grader: the convention of the axes, vec–Jacobians,
slices, Kronecker-form answers, sampling that finds full-rank sizes, and refusals that name their file."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator import GeneratorError, derive, grade, hessian, load
from generator.cli import main
from generator.errors import VerificationError
from generator.grading.kinds import grade_variant
from generator.grading.manifest import Manifest
from generator.latex.printer import latex
from generator.serve.judge import Judge
from generator.sheets.exercise import check_key, exercise
from generator.sheets.manifest import manifest
from generator.sheets.plan import plan
from generator.sheets.publish import publish
from generator.sheets.views import exercise_view
from generator.tree import algebra as alg
from generator.tree.nodes import Kron, Mul
from generator.tree.text import to_text

AXB = {"A": ("r", "m"), "X": ("m", "n"), "B": ("n", "s")}
XA = {"X": ("m", "n"), "a": ("n", 1)}
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- the convention, by hand

def test_the_lectures_definition_by_hand():
    """y = X a with X 2×3: ∂y_k/∂X_ij = δ_ki a_j, an m×n×m array in the denominator layout."""
    a = np.array([[1.0], [2.0], [3.0]])
    values = {"X": np.arange(6.0).reshape(2, 3), "a": a}
    den = derive("y = X a", "X", XA)
    num = derive("y = X a", "X", XA, "numerator")
    expected = np.zeros((2, 3, 2))
    for i in range(2):
        for j in range(3):
            expected[i, j, i] = a[j, 0]
    assert den.shape == ("m", "n", "m") and num.shape == ("m", "m", "n")
    assert np.array_equal(den.numeric(values), expected)
    assert np.array_equal(num.numeric(values), expected.transpose(2, 0, 1))
    # J[k, i + m j] = ∂y_k/∂X_ij: column-major vec, the same matrix in both layouts
    jacobian = np.kron(a.T, np.eye(2))
    assert np.array_equal(den.vec_jacobian(values), jacobian) and np.array_equal(num.vec_jacobian(values), jacobian)


@pytest.mark.parametrize("expr, wrt, shapes, denominator, numerator", [
    ("Y = A X B", "X", AXB, ("m", "n", "r", "s"), ("r", "s", "m", "n")),
    ("Y = x a^T", "x", {"x": ("n", 1), "a": ("m", 1)}, ("n", "n", "m"), ("n", "m", "n")),
    ("Y = s A", "s", {"s": (1, 1), "A": ("m", "n")}, ("m", "n"), ("m", "n")),
    ("y = X a", "X", XA, ("m", "n", "m"), ("m", "m", "n")),
    ("y = a^T X", "X", {"X": ("m", "n"), "a": ("m", 1)}, ("m", "n", "n"), ("n", "m", "n")),
    ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, ("m", "n"), ("n", "m")),  # vectors: 2-D as before
])
def test_axes_follow_the_layout(expr, wrt, shapes, denominator, numerator):
    assert derive(expr, wrt, shapes).shape == denominator
    assert derive(expr, wrt, shapes, "numerator").shape == numerator


def test_vec_jacobian_of_every_kind():
    """A gradient gives the row vec(∂y/∂X)ᵀ, a Jacobian the numerator matrix, a Hessian itself."""
    values = {"a": np.array([[1.0], [2.0]]), "X": np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0]]),
              "b": np.array([[1.0], [0.0], [2.0]])}
    d = derive("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}, "numerator")
    assert np.array_equal(d.vec_jacobian(values), (values["a"] @ values["b"].T).reshape(1, -1, order="F"))
    d = hessian("f = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")})
    values = {"x": np.ones((3, 1)), "A": np.arange(9.0).reshape(3, 3)}
    assert np.allclose(d.vec_jacobian(values), values["A"] + values["A"].T)


# ---------------------------------------------------------------- slices

@pytest.mark.parametrize("expr, wrt, shapes, slice_text, label", [
    ("y = X a", "X", XA, "e_k a^T", r"\frac{\partial y_{k}}{\partial X}"),
    ("Y = A X B", "X", AXB, "A e_i e_j^T B", r"\frac{\partial Y}{\partial X_{ij}}"),
    ("Y = X^-1", "X", {"X": ("n", "n")}, "-X^-1 e_i e_j^T X^-1", r"\frac{\partial Y}{\partial X_{ij}}"),
    ("Y = X^T", "X", {"X": ("m", "n")}, "e_j e_i^T", r"\frac{\partial Y}{\partial X_{ij}}"),
    ("Y = x x^T", "x", {"x": ("n", 1)}, "e_i x^T + x e_i^T", r"\frac{\partial Y}{\partial x_{i}}"),
    ("Y = s A + s^2 B", "s", {"s": (1, 1), "A": ("m", "n"), "B": ("m", "n")}, "2 s B + A",
     r"\frac{\partial Y}{\partial s}"),
])
def test_slices_as_a_lecturer_draws_them(expr, wrt, shapes, slice_text, label):
    d = derive(expr, wrt, shapes)
    assert to_text(d.slice.expr) == slice_text and d.slice.label == label
    assert d.slice.derivation.residual < 1e-6


def test_a_derivative_with_two_axes_has_no_slice():
    with pytest.raises(GeneratorError, match="a slice is taken of a tensor derivative"):
        derive("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}).slice


# ---------------------------------------------------------------- grading Kronecker forms

@pytest.mark.parametrize("layout, answer, mistake", [
    ("numerator", "kron(B^T, A)", None),
    ("numerator", r"B^\top \otimes A", None),
    ("numerator", "kron(A, B^T)", "kron-order"),  # the row-major vec
    ("numerator", "A ⊗ B^T", "kron-order"),
    ("numerator", "kron(B, A^T)", "layout"),
    ("numerator", "-kron(B^T, A)", "sign"),
    ("numerator", "3 kron(B^T, A)", "scale"),
    ("numerator", "kron(B^T, A^T)", "shape"),
    ("denominator", "kron(B, A^T)", None),
    ("denominator", "kron(A^T, B)", "kron-order"),
    ("denominator", "kron(B^T, A)", "layout"),
    ("numerator", "kron(A", "parse"),
    ("numerator", "kron(B^T, C)", "unknown-symbol"),
])
def test_kronecker_answers(layout, answer, mistake):
    v = grade(answer, derive("Y = A X B", "X", AXB, layout))
    assert v.mistake == mistake and v.correct == (mistake is None)
    if mistake == "kron-order":
        assert v.score == 0.5 and "wrong order" in v.feedback and "B" not in v.feedback


Y_XA = ("y = X a", "X", XA)
Y_XXT = ("Y = x x^T", "x", {"x": ("n", 1)})


@pytest.mark.parametrize("problem, layout, answer, sized", [
    (Y_XA, "denominator", "kron(a^T, I)", "kron(a^T, I_m)"),
    (Y_XA, "denominator", "a^T ⊗ I", "a^T ⊗ I_m"),
    (Y_XA, "numerator", "kron(a, I)", "kron(a, I_m)"),
    (Y_XXT, "numerator", "kron(x^T, I) + kron(I, x^T)", "kron(x^T, I_n) + kron(I_n, x^T)"),
    (Y_XXT, "denominator", "kron(x, I) + kron(I, x)", "kron(x, I_n) + kron(I_n, x)"),
])
def test_a_bare_identity_in_the_other_layout_takes_that_layouts_size(problem, layout, answer, sized):
    """A bare I is sized by the answer's shape: the expected one, else the other layout's (the README's promise)."""
    d = derive(*problem, layout)
    v, w = grade(answer, d), grade(sized, d)
    assert (w.mistake, w.score) == ("layout", 0.5)
    assert (v.mistake, v.score, v.feedback, v.echo) == (w.mistake, w.score, w.feedback, w.echo), v


def test_a_bare_identity_that_fits_no_layout_is_still_a_shape_mistake():
    d = derive("y = X a", "X", {"X": ("m", "n"), "a": ("n", 1)})
    v = grade("kron(a^T a, I)", d)
    assert v.mistake == "shape" and "cannot tell the size of I" in v.feedback


@pytest.mark.parametrize("answer, mistake", [
    ("commutation(m, n)", None), ("K_{m,n}", None), ("K_{n,m}", "layout"), ("I", "other"),
])
def test_the_commutation_matrix_as_an_answer(answer, mistake):
    assert grade(answer, derive("Y = X^T", "X", {"X": ("m", "n")}, "numerator")).mistake == mistake


@pytest.mark.parametrize("kind, answer, mistake", [
    ("shape", "m×n×r×s", None), ("shape", "(m, n, r, s)", None), ("shape", r"m \times n \times r \times s", None),
    ("shape", "r×s×m×n", "layout"), ("shape", "mn×rs", "shape"), ("shape", "no idea", "parse"),
    ("slice", "A e_i e_j^T B", None), ("slice", r"A \mathbf{e}_i \mathbf{e}_j^\top B", None),
    ("slice", "-A e_i e_j^T B", "sign"), ("slice", "e_i e_j^T", "shape"), ("slice", "A e_j e_i^T B", "shape"),
])
def test_shape_and_slice_answers(kind, answer, mistake):
    d = derive("Y = A X B", "X", AXB)
    assert grade_variant(answer, d, {"kind": kind}, {}).mistake == mistake


@pytest.mark.parametrize("answer, mistake, echo", [
    ("m×n×r×s", None, r"m \times n \times r \times s"),
    ("(m, n, 2, s)", "shape", r"m \times n \times 2 \times s"),
    ("r×s×m×n", "layout", r"r \times s \times m \times n"),
    ("no idea", "parse", ""),
])
def test_a_tensor_shape_answer_is_echoed_as_read(answer, mistake, echo):
    """The web app's preview shows the echo: a tensor's axes read back as a 2-D shape's are (m \\times n)."""
    v = grade_variant(answer, derive("Y = A X B", "X", AXB), {"kind": "shape"}, {})
    assert (v.mistake, v.echo) == (mistake, echo)


def test_the_preview_reads_a_tensor_shape(tmp_path):
    result = CliRunner().invoke(main, ["sheet", *map(str, TENSOR_SHEETS), "--variants", "6", "--seed", "11",
                                       "-o", str(tmp_path), "--no-pdf"])
    assert result.exit_code == 0, result.output
    judge = Judge(Manifest(tmp_path / "manifest.json"))
    variants = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["variants"]
    shapes = [v for v in variants if v["kind"] == "shape"]
    assert shapes
    for v in shapes:
        preview = judge.preview(v["id"], "×".join(map(str, v["shape"])))
        assert preview["ok"] and preview["latex"] == r" \times ".join(map(str, v["shape"])), preview


@pytest.mark.parametrize("layout", ["denominator", "numerator"])
@pytest.mark.parametrize("problem, right, transposed", [
    (("Y = A X B", "X", AXB), "A e_i e_j^T B", "B^T e_j e_i^T A^T"),
    (("y = X a", "X", XA), "e_k a^T", "a e_k^T"),
])
def test_a_transposed_slice_is_told_so_in_either_layout(layout, problem, right, transposed):
    """A slice has one shape in both layouts, and the question names no layout: its transpose is a 'layout'
    slip whose feedback says it is the transpose of the slice, never that the question asks for a layout."""
    d = derive(*problem, layout)
    assert grade_variant(right, d, {"kind": "slice"}, {}).correct
    v = grade_variant(transposed, d, {"kind": "slice"}, {})
    assert (v.mistake, v.score) == ("layout", 0.5)
    assert "transpose of the slice" in v.feedback, v.feedback
    assert not any(w in v.feedback for w in ("numerator", "denominator", "asks")), v.feedback
    minus = grade_variant("-" + transposed, d, {"kind": "slice"}, {})
    assert minus.mistake == "layout" and "transpose of the slice" in minus.feedback and "sign" in minus.feedback


# ---------------------------------------------------------------- sampling and refusals

@pytest.mark.parametrize("expr", ["y = det(X^T A X)", "y = logdet(X^T X)", "y = b^T (X^T X)^-1 b",
                                  "w = (X^T X)^-1 X^T t"])
@pytest.mark.parametrize("shape", [("m", "n"), ("N", "d"), ("n", "m"), ("N", 3)])
def test_a_design_matrix_samples_at_full_rank_whatever_its_dimensions_are_called(expr, shape):
    shapes = {"X": shape, "A": (shape[0], shape[0]), "b": (shape[1], 1), "t": (shape[0], 1)}
    assert derive(expr, "X", shapes).residual < 1e-6


def test_a_singular_expression_says_its_rank_bound():
    with pytest.raises(GeneratorError, match=r"x x\^T has rank at most 1 but is n×n"):
        derive("f = det(x x^T)", "x", {"x": ("n", 1)})


def test_refusals_name_the_problem_file_they_came_from(tmp_path):
    good = ROOT / "problems" / "tensor-axb.toml"
    bad = tmp_path / "bad.toml"
    bad.write_text('expr = "y = u(X)"\nwrt = "X"\n[shapes]\nX = ["m", "n"]\n'
                   '[functions]\nu = { kind = "vector", shape = ["r", 1] }\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["slides", str(good), str(bad), "-o", str(tmp_path / "out"), "--no-pdf"])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert f"mcgen: {bad}: the abstract function u takes a vector, not X" in result.output


# ---------------------------------------------------------------- the command line

def test_derive_prints_the_axes_and_the_vec_shape():
    result = CliRunner().invoke(main, ["derive", "Y = A X B", "--wrt", "X", "--shape", "A=r,m", "--shape", "X=m,n",
                                       "--shape", "B=n,s", "--layout", "numerator", "--format", "json"])
    data = json.loads(result.output)
    assert (data["kind"], data["answer"], data["shape"], data["vec_shape"]) == (
        "tensor", "kron(B^T, A)", ["r", "s", "m", "n"], ["rs", "mn"])
    text = CliRunner().invoke(main, ["derive", "y = X a", "--wrt", "X", "--shape", "X=m,n", "--shape", "a=n,1"])
    assert text.output.splitlines()[1].startswith("tensor in denominator layout, m×n×m (the closed form is mn×m")


def test_a_named_hessian_on_the_command_line():
    args = ["derive", "f = g(W x)", "--wrt", "x", "--shape", "W=m,n", "--shape", "x=n,1", "--hessian"]
    named = CliRunner().invoke(main, [*args, "--function", "g=scalar:delta:Delta"])
    assert named.exit_code == 0 and named.output.splitlines()[0] == "W^T Delta W"
    unnamed = CliRunner().invoke(main, [*args, "--function", "g=scalar:delta"])
    assert unnamed.exit_code == 1 and "needs a name for its Hessian" in unnamed.output


# ---------------------------------------------------------------- sheets

TENSOR_SHEETS = sorted((ROOT / "problems" / "sheets-tensor").glob("*.toml"))


@pytest.fixture(scope="module")
def tensor_sheet():
    """Four variants of every tensor sheet problem, derived and their keys checked."""
    p = plan([load(path) for path in TENSOR_SHEETS], 4, 3)
    return p, [check_key(exercise(v)) for v in p.variants]


def test_tensor_sheets_offer_the_kronecker_form_and_slices(tensor_sheet):
    p, exercises = tensor_sheet
    assert {ex.variant.kind for ex in exercises} == {"closed-form", "slice", "shape", "fill-step"}
    views = {ex.variant.id: exercise_view(ex) for ex in exercises}
    for ex in exercises:
        view, d = views[ex.variant.id], ex.derivation
        assert d.tensor and ex.residual <= 1e-6
        if ex.variant.kind == "closed-form":
            assert "Kronecker form" in view.task and r"\operatorname{vec}" in view.result
        if ex.variant.kind == "slice":
            assert view.result == f"{d.slice.label} = {latex(d.slice.expr)}" and "unit vector" in view.task
        if ex.variant.kind == "shape":
            assert r"\times" in view.shape and view.shape.count(r"\times") == len(d.shape) - 1
    data = json.loads(manifest(p, exercises, [views[ex.variant.id] for ex in exercises]))
    for entry, ex in zip(data["variants"], exercises):
        assert entry["vec_shape"] == [str(x) if not isinstance(x, int) else x for x in ex.derivation.closed_form.shape]
        if entry["kind"] == "slice":
            assert entry["answer"] == to_text(ex.derivation.slice.expr) and entry["slice"]["units"]
        given = {"shape": "×".join(map(str, entry["shape"])), "fill-step": entry.get("blank", {}).get("latex")}
        verdict = grade_variant(given.get(entry["kind"]) or entry["answer"], ex.derivation, entry, {})
        assert verdict is None or verdict.correct, (entry["id"], verdict)


def _wrong_slice(ex):
    d = dataclasses.replace(ex.derivation)
    d.__dict__["slice"] = dataclasses.replace(d.slice, expr=alg.mul(alg.const(2), d.slice.expr))
    return dataclasses.replace(ex, derivation=d)


def _swapped_kronecker(ex):
    closed = ex.derivation.closed_form
    swapped = alg.mul(*(f for f in closed.factors if f.is_scalar), Kron(closed.chain[-1].factors[::-1])) \
        if isinstance(closed, Mul) else Kron(closed.factors[::-1]) if isinstance(closed, Kron) else closed
    return dataclasses.replace(ex, derivation=dataclasses.replace(ex.derivation, closed_form=swapped))


@pytest.mark.parametrize("kind, tamper", [("slice", _wrong_slice), ("closed-form", _swapped_kronecker)])
def test_a_wrong_tensor_key_is_refused(tensor_sheet, tmp_path, kind, tamper):
    p, exercises = tensor_sheet
    victim = next(k for k, ex in enumerate(exercises) if ex.variant.kind == kind and (
        kind != "closed-form" or ex.variant.problem == "kronecker"))
    wrong = [tamper(ex) if k == victim else ex for k, ex in enumerate(exercises)]
    with pytest.raises(VerificationError) as err:
        publish(p, wrong, tmp_path / "out", pdf=False)
    assert str(err.value).startswith(f"{exercises[victim].variant.id} (") and not (tmp_path / "out").exists()


def test_a_tensor_sheet_compiles(tmp_path):
    result = CliRunner().invoke(main, ["sheet", *map(str, TENSOR_SHEETS), "--variants", "2", "--seed", "5",
                                       "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF") and "overfull" not in result.output


def test_export_refuses_what_it_cannot_carry_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["export", str(TENSOR_SHEETS[0]), "--variants", "4", "--seed", "1",
                                       "--format", "moodle", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and "exercise of a tensor derivative is not exported" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_column_of_a_slice_is_written_as_a_course_writes_it():
    d = derive("Y = A X B", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")})
    stacked = next(s for s in d.steps if s.kind == "kronecker")
    assert r"column $i + m \left(j - 1\right)$" in stacked.reason


@pytest.mark.parametrize("expr, shapes, words", [
    ("y = X a", {"X": ("m", "n"), "a": ("n", 1)}, "each row is the slice of one entry of"),  # ∂y_k/∂X drawn
    ("Y = A X B", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "q")}, "is the slice by"),  # ∂Y/∂X_ij drawn
    ("U = X^T X; Y = inv(U)", {"X": ("m", "n")}, "holds the derivatives by"),  # the chain: no slice drawn
])
def test_the_stacking_step_says_what_the_proof_drew(expr, shapes, words):
    d = derive(expr, "X", shapes)
    stacked = next(s for s in d.steps if s.kind == "kronecker")
    assert words in stacked.reason


def test_a_chain_proof_does_not_repeat_its_last_line():
    d = derive("U = X^T X; Y = inv(U)", "X", {"X": ("m", "n")})
    shown = [s.latex for s in d.steps]
    assert all(a != b for a, b in zip(shown, shown[1:]))


@pytest.mark.parametrize("taken, cut", [((), r"\mathbf{u} = W \mathbf{v}"), (("u",), r"\mathbf{z} = W \mathbf{v}"),
                                        (("u", "z", "u1", "u2"), r"\mathbf{u}_{3} = W \mathbf{v}")])
def test_a_vector_cut_is_named_in_lower_case_and_never_as_a_problem_symbol(taken, cut):
    shapes = {"W": ("m", "n"), "v": ("n", 1), **{name: ("m", 1) for name in taken}}
    d = derive("y = softmax(W v)", "W", shapes)
    assert cut in [s.latex for s in d.steps]
