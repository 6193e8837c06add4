"""The route an instructor takes through a dozen course problems, stated as a table and checked against the proof.

Each row says, step by step, what the proof does (the step's kind) and which rules or identities its reason cites
(by name, in order), then the form the result must take. The route is the textbook one: a sum is split term by
term, a standard piece is cited, a name the problem defines is kept, an assumption is said where it is used. The
steps themselves are checked by numbers in tests/test_steps.py, and for clashes and reasons in tests/test_frames.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from generator import GeneratorError, derive_problem, load
from generator.parse.problem_file import from_mapping
from generator.proof.formula import Rule

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"

LAYOUT, SUM, DEFINE, RESULT = ("layout", ()), ("sum-rule", ("sum-rule",)), ("define", ()), ("result", ())
ASSUME = ("assume", ())
LECTURE = (("index", ()), ("differentiate", ()), ("reduce", ()), ("assemble", ()))  # the lecture's element-wise proof

# (problem, route: (step kind, rules cited) in order, the result in denominator layout)
ROUTES = [
    ("course-ridge",
     (LAYOUT, SUM, DEFINE, ("chain", ("squared-norm",)), ("chain", ("linear",)), ("identity", ("squared-norm",)),
      RESULT),
     "2 X^T (X w - t) + 2 lambda w"),
    ("course-regularised-logistic",
     (LAYOUT, ("rewrite", ("softplus",)), SUM, DEFINE, ("chain", ("activation",)), ("chain", ("linear", "hadamard")),
      ("identity", ("squared-norm",)), RESULT),
     "-X^T (t .* sigma(-t .* (X w))) + lambda w"),
    ("course-logistic-batch", (LAYOUT, ("rewrite", ("softplus",)), *LECTURE, RESULT),
     "-X^T (t .* sigma(-t .* (X w)))"),
    ("course-softmax-logits", (LAYOUT, ("rewrite", ("log-softmax",)), *LECTURE, ASSUME, RESULT),
     "softmax(z) - y"),
    ("model-softmax-cross-entropy",
     (LAYOUT, ("rewrite", ("log-softmax",)), DEFINE, ("chain", ("softmax-cross-entropy",)), ("chain", ()), ASSUME,
      RESULT),
     "(softmax(W x) - y) x^T"),
    ("course-gaussian-nll-mean",
     (LAYOUT, SUM, DEFINE, ("chain", ("quadratic-form",)), ("chain", ("linear",)), ASSUME, RESULT),
     "-Sigma^-1 (x - mu)"),
    ("course-gaussian-nll-covariance",
     (LAYOUT, SUM, ("identity", ("log-det-gradient",)), ("identity", ("inverse-form",)), RESULT),
     "Sigma^-1 / 2 - Sigma^-1 (x - mu) (x - mu)^T Sigma^-1 / 2"),
    ("course-attention-score",
     (LAYOUT, ("chain", ()), ("chain", ("linear-form",)), ("chain", ("softmax", "linear")), RESULT),
     "K^T (diag(p) - p p^T) a"),
    ("course-two-layer-biases",
     (LAYOUT, ("chain", ("squared-norm",)), ("chain", ("linear",)), ("chain", ("elementwise",)), ("chain", ()), RESULT),
     "2 ((W2^T (z2 - y)) .* sigma'(z1)) x^T"),
    ("course-pca-trace", (LAYOUT, *LECTURE, ASSUME, RESULT), "2 S U"),
    ("course-matrix-factorisation", (LAYOUT, *LECTURE, RESULT), "-2 (R - U V^T) V"),
    ("course-weighted-least-squares",
     (LAYOUT, DEFINE, ("chain", ()), ("chain", ("quadratic-form",)), ("chain", ("linear",)), ASSUME, RESULT),
     "2 X^T D (X w - t)"),
    ("course-pseudo-huber", (LAYOUT, *LECTURE, RESULT), "r ./ sqrt(1 + r.^2)"),
]


def _route(derivation) -> tuple:
    return tuple((s.kind, tuple(p.name for p in s.data.reason.pieces if isinstance(p, Rule))) for s in derivation.steps)


@pytest.mark.parametrize("name, route, result", ROUTES, ids=[r[0] for r in ROUTES])
def test_the_proof_takes_the_instructors_route(name, route, result):
    d = derive_problem(load(PROBLEMS / f"{name}.toml"), "denominator")
    assert _route(d) == route
    assert d.answer == result
    lines = [(s.latex, s.reason) for s in d.steps]
    assert all(a != b for a, b in zip(lines, lines[1:])), "a line repeats the one before"


def test_a_sum_is_added_up_in_the_order_it_was_written():
    """The data term before the regulariser, in the result as in the problem."""
    d = derive_problem(load(PROBLEMS / "course-ridge.toml"), "denominator")
    assert d.steps[-1].latex.index("X^{\\top}") < d.steps[-1].latex.index("\\lambda")


def test_a_defined_name_stays_in_the_proof_and_the_result():
    """With p = softmax(K q), the proof and the result say p, never softmax(K q) again."""
    d = derive_problem(load(PROBLEMS / "course-attention-score.toml"), "denominator")
    chain = [s for s in d.steps if s.kind in ("chain", "result")]
    assert all("softmax" not in s.latex for s in chain[:-1])
    shown = d.steps[-1].latex.split(",\\quad")[0]  # the result, before the definitions it lists
    assert "softmax" not in shown and "\\mathbf{p}" in shown


def test_a_term_free_of_the_variable_is_said_to_drop_out():
    d = derive_problem(load(PROBLEMS / "course-gaussian-nll-mean.toml"), "denominator")
    split = next(s for s in d.steps if s.kind == "sum-rule")
    assert "does not depend on" in split.reason and "\\log\\det" in split.reason


def test_an_assumption_is_said_where_it_is_used():
    d = derive_problem(load(PROBLEMS / "course-softmax-logits.toml"), "denominator")
    said = next(s for s in d.steps if s.kind == "assume")
    assert "probability vector" in said.reason and "\\mathbf{1}^{\\top} \\mathbf{y} = 1" in said.reason


def _attention(**extra) -> dict:
    return {"expr": "p = softmax(K q); s = a^T p", "wrt": "q",
            "shapes": {"K": ["n", "d"], "q": ["d", 1], "a": ["n", 1]}, **extra}


def test_a_problem_may_ask_for_a_name_to_be_written_out():
    d = derive_problem(from_mapping(_attention(expand=["p"]), "att.toml"), "denominator")
    assert d.answer == "K^T (diag(softmax(K q)) - softmax(K q) softmax(K q)^T) a"
    assert d.statement.definitions == ()
    assert all("\\mathbf{p}" not in s.latex for s in d.steps)


def test_a_name_written_out_keeps_the_others():
    data = {"expr": "z1 = W1 x; h = sigma(z1); z2 = W2 h; L = norm(z2 - y)^2", "wrt": "W1", "expand": ["h", "z2"],
            "shapes": {"W1": ["h", "n"], "W2": ["k", "h"], "x": ["n", 1], "y": ["k", 1]}}
    problem = from_mapping(data, "net.toml")
    assert problem.expr == "z1 = W1 x; L = norm(W2 sigma(z1) - y)^2"
    assert derive_problem(problem).answer == "2 ((W2^T (W2 sigma(z1) - y)) .* sigma'(z1)) x^T"


@pytest.mark.parametrize("expand, message", [
    (["r"], r"att\.toml: expand: 'r' is not a name the expression defines \(it defines: p\)"),
    ("p", r"att\.toml: 'expand' should be a list of names such as \[\"p\"\], found 'p'"),
])
def test_expand_names_only_what_the_expression_defines(expand, message):
    with pytest.raises(GeneratorError, match=message):
        from_mapping(_attention(expand=expand), "att.toml")
