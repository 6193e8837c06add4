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
    """A dimension: 3, n, n_{1} for n1, or a product m n."""
    if isinstance(dim, int):
        return str(dim)
    if isinstance(dim, str):
        return name_latex(dim)
    powers = {n: dim.names.count(n) for n in dim.names}  # m n, n^{2}
    parts = [name_latex(n) + (f"^{{{k}}}" if k > 1 else "") for n, k in powers.items()]
    return " ".join(([str(dim.coeff)] if dim.coeff != 1 else []) + parts)


def shape_latex(shape: tuple[Dim, ...]) -> str:
    """`(n, m)` → n \\times m; a tensor's axes (m, n, r) → m \\times n \\times r."""
    return r" \times ".join(dim_latex(d) for d in shape)


def vec_latex(name: str, shape: Shape, transposed: bool = False) -> str:
    """vec of a named value as a proof writes it: \\operatorname{vec} X, a vector as itself, (vec X)^{\\top}."""
    if shape == (1, 1) or shape[0] == 1 or shape[1] == 1:
        base = symbol_latex(name, shape)
        return base + r"^{\top}" if transposed and shape != (1, 1) else base
    base = rf"\operatorname{{vec}} {name_latex(name)}"
    return rf"\left({base}\right)^{{\top}}" if transposed else base


def vec_partial(top: str, top_shape: Shape, var: str, var_shape: Shape, layout: str) -> str:
    """The vec–Jacobian as a fraction: ∂vec Y/∂(vec X)ᵀ in the numerator layout, ∂(vec Y)ᵀ/∂vec X in the
    denominator layout."""
    numerator = layout == "numerator"
    return (rf"\frac{{\partial {vec_latex(top, top_shape, not numerator)}}}"
            rf"{{\partial {vec_latex(var, var_shape, numerator)}}}")


def space_latex(shape: Shape) -> str:
    """The set a value of this shape lives in: \\mathbb{R}, \\mathbb{R}^{n\\times m}."""
    return r"\mathbb{R}" if shape == (1, 1) else rf"\mathbb{{R}}^{{{shape_latex(shape)}}}"
