"""Questions as HTML with maths in \\( … \\) and \\[ … \\], the delimiters Moodle, Canvas and PrairieLearn typeset."""
from __future__ import annotations

import html
import re
from fractions import Fraction

from ..render.formulas import derivative_latex
from ..sheets.views import ExerciseView
from .items import Item

INLINE = re.compile(r"\$([^$]+)\$")
DECIMALS = 4  # a non-integer is entered rounded to this many decimal places
MARGIN = Fraction(1, 2 * 10 ** DECIMALS)  # so the rounded value is accepted, and nothing further off
ROUNDING = f"Enter integers exactly and any other number rounded to {DECIMALS} decimal places."


def inline(latex: str) -> str:
    """\\( latex \\), escaped for HTML."""
    return rf"\({html.escape(latex, quote=False)}\)"


def display(latex: str) -> str:
    """\\[ latex \\], escaped for HTML."""
    return rf"\[{html.escape(latex, quote=False)}\]"


def text_html(text: str) -> str:
    """Plain text with $…$ maths (as proof reasons are written) as HTML with \\( … \\)."""
    parts = INLINE.split(text)
    return "".join(inline(p) if k % 2 else html.escape(p, quote=False) for k, p in enumerate(parts))


def asked(item: Item) -> str:
    """∂y/∂X in the … layout, as HTML."""
    return inline(derivative_latex(item.exercise.derivation)) + layout_words(item)


def layout_words(item: Item) -> str:
    """ in the denominator layout (nothing for a Hessian, which has one)."""
    d = item.exercise.derivation
    return "" if d.kind == "hessian" else f" in the {d.layout} layout"


def setting(view: ExerciseView) -> str:
    """"Let W ∈ ℝⁿˣᵐ, … and y = …." as one HTML paragraph."""
    given = [inline(line) for line in (*view.shapes, *view.givens)]
    statement = " and ".join(inline(s) for s in view.statement)
    return f"<p>Let {', '.join(given)} and {statement}.</p>"


def data_html(view: ExerciseView) -> str:
    """The numeric exercise's values, one display each."""
    return "".join(f"<p>{display(line)}</p>" for line in view.data)


def proof_html(view: ExerciseView, blank: bool = False) -> str:
    """The worked proof, one step per item (reason, then the equation); `blank` shows the fill-step's gap."""
    steps = "".join(f"<li>{text_html(s.reason)}{display(s.sheet if blank else s.latex)}</li>" for s in view.steps)
    return f"<ol>{steps}</ol>"


def key_html(view: ExerciseView) -> str:
    """The general feedback: the proof, then the boxed result."""
    return f"<p>Proof:</p>{proof_html(view)}<p>Result: {display(view.result)}</p>"


def number_text(x: Fraction) -> str:
    """An exact number as the decimal a student enters: all digits of an integer, else a 12-digit decimal."""
    return str(x.numerator) if x.denominator == 1 else f"{float(x):.12g}"


def tolerance(x: Fraction) -> Fraction:
    """0 for an integer; half a unit in the last of DECIMALS places otherwise."""
    return Fraction(0) if x.denominator == 1 else MARGIN
