"""How a derivation, its proof and a verdict show themselves in Jupyter: text, LaTeX and HTML with MathJax maths.

It lives in pipeline/ (not export/) because Derivation, here, and Verdict, in grading/, display themselves and
may only import from their own layer or below; it reads the LaTeX printer (latex/) and nothing above.
"""
from __future__ import annotations

import html
import math
from typing import Any, Protocol, Sequence

from ..latex.names import symbol_latex, vec_latex, vec_partial
from ..tree.nodes import Shape, Sym
from ..tree.scope import Statement

Bundle = dict[str, str]  # a MIME bundle: text/plain, text/latex, text/html


class Derivation(Protocol):
    """What a derivation shows (derivation.py's Derivation, which shows itself through this module)."""

    statement: Statement
    wrt: Sym
    kind: str
    layout: str
    latex: str
    residual: float
    steps: Sequence[Any]

    @property
    def shape(self) -> Shape: ...

    @property
    def answer(self) -> str: ...

    @property
    def tensor(self) -> bool: ...


class Judged(Protocol):
    """What a verdict shows (grading/verdict.py's Verdict)."""

    correct: bool
    mistake: str | None
    feedback: str
    score: float
    answer: str
    echo: str  # LaTeX of the answer as it was read


def output_latex(d: Derivation) -> str:
    """The name of the differentiated quantity (y when the author gave none), as the proof uses it."""
    return symbol_latex(d.statement.output or "y", d.statement.expr.shape)


def derivative_latex(d: Derivation, top: str | None = None) -> str:
    """∂y/∂x, ∂y/∂X, or ∂²y/∂x∂xᵀ for a Hessian; `top` replaces the output's name."""
    top = output_latex(d) if top is None else top
    var = symbol_latex(d.wrt.name, d.wrt.shape)
    if d.kind == "hessian":  # by a matrix X the tensor ∂²f/∂X∂X (its matrix form is closed_form_latex's)
        row = rf"{var}^{{\top}}" if d.wrt.is_vector or d.wrt.is_scalar else var
        return rf"\frac{{\partial^{{2}} {top}}}{{\partial {var}\, \partial {row}}}"
    return rf"\frac{{\partial {top}}}{{\partial {var}}}"


def closed_form_latex(d: Derivation) -> str:
    """What the closed form is the value of: the derivative itself, or for a tensor its vec–Jacobian
    ∂vec Y/∂(vec X)ᵀ (numerator layout), ∂(vec Y)ᵀ/∂vec X (denominator layout), ∂²f/∂vec X ∂(vec X)ᵀ (Hessian)."""
    if not d.tensor or d.wrt.is_scalar:
        return derivative_latex(d)
    if d.kind == "hessian":
        vec, row = vec_latex(d.wrt.name, d.wrt.shape), vec_latex(d.wrt.name, d.wrt.shape, True)
        return rf"\frac{{\partial^{{2}} {output_latex(d)}}}{{\partial {vec}\, \partial {row}}}"
    return vec_partial(d.statement.output or "y", d.statement.expr.shape, d.wrt.name, d.wrt.shape, d.layout)


def summary(d: Derivation) -> str:
    """`gradient in the denominator layout, m×n; finite differences agree to 6.6e-11`."""
    check = (f"; finite differences agree to {d.residual:.1e}" if math.isfinite(d.residual) else "")
    return f"{d.kind} in the {d.layout} layout, {'×'.join(map(str, d.shape))}{check}"


def _math(latex: str, display: bool = True) -> str:
    """Maths for an HTML output, escaped; MathJax in Jupyter typesets \\[ … \\] and \\( … \\)."""
    body = html.escape(latex, quote=False)
    return rf"\[{body}\]" if display else rf"\({body}\)"


def _steps_html(d: Derivation) -> str:
    items = "".join(f"<li>{html.escape(s.reason, quote=False)}{_math(s.latex)}</li>" for s in d.steps)
    return f"<ol>{items}</ol>"


def derivation_bundle(d: Derivation, steps: bool = False) -> Bundle:
    """The result, its shape and layout (and the check); the proof folded away, or shown with steps=True."""
    result = f"{closed_form_latex(d)} = {d.latex}"
    proof = _steps_html(d)
    folded = proof if steps else f"<details><summary>Proof ({len(d.steps)} steps)</summary>{proof}</details>"
    latex_steps = "".join(rf"{s.latex}\\ " for s in d.steps)
    return {
        "text/plain": f"{d.answer}\n{summary(d)}",
        "text/latex": rf"$$\begin{{gathered}}{latex_steps}{result}\end{{gathered}}$$" if steps else f"$${result}$$",
        "text/html": f'<div class="mcgen-derivation">{_math(result)}<p>{html.escape(summary(d))}</p>{folded}</div>',
    }


def verdict_bundle(v: Judged) -> Bundle:
    """✓ or ✗, the score, the mistake's tag and the feedback, under the answer as it was typed."""
    mark = "✓" if v.correct else "✗"
    tag = "" if v.mistake is None else f" [{v.mistake}]"
    line = f"{mark} {v.score:g}{tag}: {v.feedback}"
    color = "green" if v.correct else "darkorange" if v.score > 0 else "firebrick"
    read = f" read as {_math(v.echo, display=False)}" if v.echo else ""
    return {
        "text/plain": f"{v.answer}\n{line}" if v.answer else line,
        "text/html": (f'<div class="mcgen-verdict"><code>{html.escape(v.answer)}</code>{read} '
                      f'<span style="color:{color}">{html.escape(line)}</span></div>'),
    }


class Proof:
    """A derivation's proof, shown step by step (what `Derivation.proof()` returns in a notebook)."""

    def __init__(self, d: Derivation):
        self.derivation = d

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> Bundle:
        return derivation_bundle(self.derivation, steps=True)

    def __repr__(self) -> str:
        return "\n".join(f"{k}. {s.reason}\n   {s.latex}" for k, s in enumerate(self.derivation.steps, 1))
