"""The STACK export and the Maxima printer, run through real Maxima (Debian's, with the share packages STACK loads)."""
from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from export_support import source
from generator.export.items import from_problems
from generator import derive, derive_problem, load
from generator.check.numeric import evaluate
from generator.check.sampling import sample_for
from generator.code.maxima import MaximaPrinter, maxima_name
from generator.export.stack import exportable, nodes, stack_xml, stated
from generator.ops import OPS
from generator.tree.nodes import Grad

ROOT = Path(__file__).parent.parent
PRELUDE = "load(linearalgebra)$ load(functs)$ load(diag)$ display2d: false$ linel: 100000$\n"
MAXIMA = shutil.which("maxima")


def run_maxima(blocks: dict[str, str]) -> dict[str, str]:
    """One Maxima process for many programs; each prints `RESULT <name> <value>`; the values by name."""
    assert MAXIMA is not None, "Maxima is missing: `make maxima` installs it (make test does)"
    program = PRELUDE + "".join(f"{code}\nprint(\"RESULT\", \"{name}\", result)$\n" for name, code in blocks.items())
    done = subprocess.run([MAXIMA, "--very-quiet", "--batch-string", program], capture_output=True, text=True,
                          timeout=600)
    found = dict(re.findall(r"^RESULT (\S+) (.*?)\s*$", done.stdout, re.M))
    missing = [name for name in blocks if name not in found]
    assert not missing, f"no result for {missing[:3]}: {done.stdout[-2000:]}"
    return found


def rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in row.split(",")] for row in re.findall(r"\[([^\[\]]*)\]", text)]


def as_result(expr: str) -> str:
    """Maxima that sets `result` to the rows of expr's value as floats (a 1×1 value as [[x]])."""
    return f"result: float({expr})$ result: if matrixp(result) then args(result) else [[result]]$"


def _assignments(values: dict) -> str:
    return "".join(f"{name}: {float(x)!r}$ " for name, x in values.items())


# ---------------------------------------------------------------- the Maxima printer on the library

PLAIN = [p for p in sorted((ROOT / "problems").glob("*.toml")) if "[functions]" not in p.read_text(encoding="utf-8")]


def test_maxima_printer_agrees_with_numpy_on_every_shipped_problem_and_registry_entry():
    """Every problem without abstract functions, and y = sum(f(W x)) for every registered function and r(X) for
    every reduction: the closed form in Maxima at numbers equals d.numeric there."""
    cases = {p.stem: derive_problem(load(p)) for p in PLAIN}
    for name in OPS.functions:
        cases[f"fn-{name}"] = derive(f"y = sum({name}(W x))", "W", {"W": ("n", "m"), "x": ("m", 1)})
    for name, r in OPS.reductions.items():
        cases[f"reduce-{name}"] = derive(f"y = {name}(X)", "X", {"X": ("n", "n") if r.square else ("n", "m")},
                                         assume={"X": "spd"} if name == "logdet" else None)
    programs, expected = {}, {}
    for name, d in cases.items():
        values, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=17)
        lines = [f"{maxima_name(s)}: {_matrix(v)}$" for s, v in values.items()]
        programs[name] = " ".join(lines) + " " + as_result(MaximaPrinter(sizes).code(d.closed_form))
        # a tensor's closed form is its vec–Jacobian, a matrix; d.numeric is the array with the tensor's axes
        expected[name] = evaluate(d.closed_form, values, d.scope, sizes) if d.tensor else d.numeric(values)
    got = run_maxima(programs)
    for name, want in expected.items():
        value = np.array(rows(got[name]), dtype=float).reshape(want.shape)
        assert np.allclose(value, want, rtol=1e-8, atol=1e-10), name


def _matrix(v: np.ndarray) -> str:
    if v.shape == (1, 1):
        return repr(float(v[0, 0]))
    return "matrix(" + ", ".join("[" + ", ".join(repr(float(x)) for x in row) + "]" for row in v) + ")"


# ---------------------------------------------------------------- the export

@pytest.fixture(scope="module")
def questions() -> dict[str, ET.Element]:
    xml, _ = stack_xml(source())
    root = ET.fromstring(xml)
    assert root.tag == "quiz" and root[0].get("type") == "category"
    return {q.findtext("idnumber"): q for q in root.findall("question[@type='stack']")}


def test_stack_holds_every_closed_form_and_numeric_variant(questions):
    wanted = {i.id for i in source().items if i.kind in ("closed-form", "numeric")}
    assert set(questions) == wanted
    assert all(exportable(i) is not None for i in source().items if i.id not in wanted)


def test_stack_structure_input_prt_and_tests(questions):
    for item in source().items:
        if item.id not in questions:
            continue
        q = questions[item.id]
        assert "[[input:ans1]]" in q.findtext("questiontext/text")
        assert "[[validation:ans1]]" in q.findtext("questiontext/text")
        assert q.findtext("specificfeedback/text") == "[[feedback:prt1]]"
        answer = q.find("input")
        assert (answer.findtext("name"), answer.findtext("type"), answer.findtext("tans")) == ("ans1", "varmatrix", "ta")
        tree = q.findall("prt/node")
        assert [n.findtext("answertest") for n in tree] == ["AlgEquiv"] * len(tree)
        assert [n.findtext("sans") for n in tree] == ["ans1"] * len(tree)
        targets = [n.findtext("tans") for n in tree]
        assert targets[0] == "ta" and "-ta" in targets and "2*ta" in targets and "ta/2" in targets
        assert "transpose(ta)" in targets or item.exercise.derivation.closed_form.is_scalar
        notes = [n.findtext("trueanswernote") for n in tree]
        assert notes[0] == "correct" and len(set(notes)) == len(notes)
        assert [n.findtext("truefeedback/text") for n in tree][0] == "Correct."
        tests = q.findall("qtest")
        assert [t.findtext("testinput/value") for t in tests] == targets
        assert [t.findtext("expected/expectedanswernote") for t in tests] == notes
        assert float(tests[0].findtext("expected/expectedscore")) == 1.0


def test_teachers_answers_equal_mcgens_key_in_maxima(questions):
    """The exported question variables run in Maxima: at numbers for the unknowns, ta and every node's target
    equal mcgen's key (and its transpose, negation and multiples); a numeric exercise's ta is its exact value."""
    programs, expected = {}, {}
    for item in source().items:
        if item.id not in questions:
            continue
        q, d, st = questions[item.id], item.exercise.derivation, stated(item)
        variables = q.findtext("questionvariables/text")
        if item.kind == "numeric":
            programs[item.id] = variables + " result: if matrixp(ta) then args(ta) else [[ta]]$"
            expected[item.id] = [[str(x) for x in row] for row in item.exercise.value]
            continue
        values, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=23, sizes=st.sizes)
        known = {}
        for name, grid in st.unknowns.items():
            value = values.get(name)
            if value is None:  # a named gradient: its stand-in value at the sample point
                grad = next(g for g in d.closed_form.walk() if isinstance(g, Grad) and g.name == name)
                value = evaluate(grad, values, d.scope, sizes)
            for r, row in enumerate(grid):
                for c, unknown in enumerate(row):
                    if re.fullmatch(r"\w+", unknown):
                        known[unknown] = value[r, c]
        for k, node in enumerate(nodes(item)):
            name = f"{item.id}/{k}"
            programs[name] = _assignments(known) + variables + " " + as_result(node.target)
            expected[name] = evaluate(node.expr, values, d.scope, sizes)
    got = run_maxima(programs)
    for name, want in expected.items():
        if isinstance(want, list):
            assert [[Fraction(x) for x in row] for row in rows(got[name])] == [[Fraction(x) for x in r] for r in want]
        else:
            value = np.array(rows(got[name]), dtype=float).reshape(want.shape)
            assert np.allclose(value, want, rtol=1e-8, atol=1e-10), name


def _penalty(branch: str, node: ET.Element, question_penalty: float, score: float) -> float:
    """The penalty STACK gives a branch: its own, or, when it is left empty, the question's (0 for full marks)."""
    text = node.findtext(f"{branch}penalty")
    return float(text) if text else 0.0 if score >= 1 else question_penalty


def test_every_question_test_expects_the_penalty_stack_gives(questions):
    """Each question test's answer runs the tree: the nodes before its own miss, its own node matches. The penalty
    of that outcome is what the test expects (0: partial credit is not also penalised); only a final miss, no
    target matched, costs the question's penalty — every penalty written out, none left to STACK's default."""
    for vid, q in questions.items():
        question_penalty = float(q.findtext("penalty"))
        tree, tests = q.findall("prt/node"), q.findall("qtest")
        for k, test in enumerate(tests):
            node = tree[k]
            assert node.findtext("truepenalty") and all(n.findtext("falsepenalty") for n in tree[:k]), vid
            score = float(node.findtext("truescore"))
            assert float(test.findtext("expected/expectedscore")) == score
            assert _penalty("true", node, question_penalty, score) == float(test.findtext("expected/expectedpenalty"))
        assert float(tree[-1].findtext("falsepenalty")) == question_penalty > 0, vid


CLASH = """title = "Names STACK has a use for"
expr = "y = ta^T X pi + gamma^T X ans1 + ans2 sum(X)"
wrt = "X"

[shapes]
ta = ["m", 1]
X = ["m", "n"]
pi = ["n", 1]
gamma = ["m", 1]
ans1 = ["n", 1]
ans2 = [1, 1]
"""


def test_symbols_named_like_stack_words_or_inputs_are_renamed(tmp_path):
    """ta, pi, gamma (Maxima's and STACK's words) and ans1, ans2 (STACK's inputs) get a trailing _; no question
    variable or unknown is named like an input, and ta is still the key in Maxima."""
    path = tmp_path / "clash.toml"
    path.write_text(CLASH, encoding="utf-8")
    src = from_problems([path], None, 0)
    xml, notes = stack_xml(src)
    assert not notes
    (q,) = ET.fromstring(xml).findall("question[@type='stack']")
    variables = q.findtext("questionvariables/text")
    assigned = re.findall(r"^(\w+):", variables, re.M)
    assert assigned == ["ta_", "X", "pi_", "gamma_", "ans1_", "ta"]
    words = set(re.findall(r"[A-Za-z_]\w*", variables))
    assert not {w for w in words if re.fullmatch(r"ans\d+", w)}, variables
    assert {"pi", "gamma"}.isdisjoint(words)
    (item,) = src.items
    d, st = item.exercise.derivation, stated(item)
    values, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=5, sizes=st.sizes)
    known = {unknown: values[name][r, c] for name, grid in st.unknowns.items()
             for r, row in enumerate(grid) for c, unknown in enumerate(row)}
    got = run_maxima({"clash": _assignments(known) + variables + " " + as_result("ta")})
    want = evaluate(d.closed_form, values, d.scope, sizes)
    assert np.allclose(np.array(rows(got["clash"]), dtype=float).reshape(want.shape), want, rtol=1e-8, atol=1e-10)
