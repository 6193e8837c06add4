"""How names, entries and shapes print in LaTeX: W_{1}, bold vectors, Greek letters, x_{i}, n \\times m."""
from __future__ import annotations

import re
from functools import cache

from ..tree.nodes import Dim, Shape
from ..vocabulary import GREEK_LETTERS


@cache  # proof steps print the same few names thousands of times
def name_latex(name: str, bold: bool = False) -> str:
    """`W1` → W_{1}, `delta` → \\boldsymbol{\\delta} (bold), `x_hat` → \\mathbf{x}_{\\text{hat}}."""
    match = re.fullmatch(r"([A-Za-z]+?)_?(\d+|_[A-Za-z0-9]+)?", name)
    base, sub = (match.group(1), match.group(2)) if match else (name, None)
    if base not in GREEK_LETTERS and match and sub is None and "_" in name:
        base, sub = name.split("_", 1)
    text = "\\" + base if base in GREEK_LETTERS else base if len(base) == 1 else rf"\mathit{{{base}}}"
    if bold:
        text = rf"\boldsymbol{{{text}}}" if base in GREEK_LETTERS else rf"\mathbf{{{text}}}"
    if sub:
        sub = sub.lstrip("_")
        text += f"_{{{sub}}}" if sub.isdigit() or len(sub) == 1 else rf"_{{\text{{{sub}}}}}"
    return text


def symbol_latex(name: str, shape: tuple) -> str:
    """A symbol or intermediate by name, bold when its shape is a vector's."""
    return name_latex(name, bold=(shape[0] == 1) != (shape[1] == 1))


def entry_name(name: str, index: str) -> str:
    """x_{i}, W_{ij}; a name that has a subscript already gets brackets: (W_{1})_{ij}."""
    base = name_latex(name)
    return f"({base})_{{{index}}}" if "_" in base else f"{base}_{{{index}}}"


def dim_latex(dim: Dim) -> str:
    """A dimension: 3, n, or n_{1} for n1."""
    return str(dim) if isinstance(dim, int) else name_latex(dim)


def shape_latex(shape: Shape) -> str:
    """`(n, m)` → n \\times m."""
    return rf"{dim_latex(shape[0])} \times {dim_latex(shape[1])}"


def space_latex(shape: Shape) -> str:
    """The set a value of this shape lives in: \\mathbb{R}, \\mathbb{R}^{n\\times m}."""
    return r"\mathbb{R}" if shape == (1, 1) else rf"\mathbb{{R}}^{{{shape_latex(shape)}}}"
