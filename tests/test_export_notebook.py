"""The example notebook runs from top to bottom (nbclient, a real kernel), and what it shows is mcgen's display."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from generator import derive, grade

ROOT = Path(__file__).parent.parent
NOTEBOOK = ROOT / "examples" / "mcgen.ipynb"


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return nb


def _outputs(nb, source_start: str) -> list:
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start))
    return cell.outputs


def test_the_notebook_runs_and_shows_derivation_proof_verdict_and_question(executed):
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    derivation = _outputs(executed, "d = derive")[0]["data"]
    assert "mcgen-derivation" in derivation["text/html"] and "<details>" in derivation["text/html"]
    assert derivation["text/latex"].startswith("$$\\frac{\\partial y}")
    proof = _outputs(executed, "d.proof()")[0]["data"]
    assert "<details>" not in proof["text/html"] and proof["text/html"].count("<li>") >= 3
    assert float(_outputs(executed, "import importlib")[0]["data"]["text/plain"]) < 1e-5
    assert "mcgen-verdict" in _outputs(executed, "d_sheet")[0]["data"]["text/html"]
    assert "multichoice" not in _outputs(executed, "from IPython")[0]["data"]["text/html"]
    assert r"\(" in _outputs(executed, "from IPython")[0]["data"]["text/html"]


@pytest.mark.parametrize("answer, mark, tag", [("(A + A^T) x", "✓", ""), ("x^T (A + A^T)", "✗", "[layout]"),
                                               ("-(A + A^T) x", "✗", "[sign]")])
def test_verdicts_display_their_mark_score_and_tag(answer, mark, tag):
    d = derive("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")})
    bundle = grade(answer, d)._repr_mimebundle_()
    assert bundle["text/plain"].splitlines()[1].startswith(mark) and tag in bundle["text/plain"]
    assert answer.replace(">", "&gt;") in bundle["text/html"]


def test_a_derivation_shows_result_shape_layout_and_steps_on_request():
    d = derive("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, layout="numerator")
    folded, shown = d._repr_mimebundle_(), d.proof()._repr_mimebundle_()
    assert "numerator layout, n×m" in folded["text/plain"] and folded["text/html"] == d._repr_html_()
    assert d._repr_latex_() == "$$\\frac{\\partial \\mathbf{z}}{\\partial \\mathbf{x}} = W$$"
    assert all(step.latex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in shown["text/html"]
               for step in d.steps)
