"""The deck's one notation table: every symbol a frame may show, with its single meaning.

A row is shown on the notation frame when its mark occurs anywhere in the deck, so the table
lists what the deck uses and nothing else; the proofs keep to it (the Kronecker delta is the
indicator 𝕀[i = k], because the lecture's δ is a gradient).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..ops import OPS


@dataclass(frozen=True)
class NotationRow:
    """A symbol as LaTeX and what it means, in words with $…$ maths."""

    symbol: str
    meaning: str


# (mark searched in the deck's LaTeX, symbol, meaning), in the order the table lists them.
ROWS: tuple[tuple[str, str, str], ...] = (
    ("denominator-layout", r"\frac{\partial y}{\partial \mathbf{x}},\ \frac{\partial \mathbf{z}}{\partial \mathbf{x}}",
     r"denominator layout: the derivative has the variable's shape; "
     r"$\left(\frac{\partial \mathbf{z}}{\partial \mathbf{x}}\right)_{ji} = \frac{\partial z_i}{\partial x_j}$"),
    ("numerator-layout", r"\frac{\partial \mathbf{z}}{\partial \mathbf{x}^{\top}}",
     r"numerator layout: the transpose; "
     r"$\left(\frac{\partial \mathbf{z}}{\partial \mathbf{x}}\right)_{ij} = \frac{\partial z_i}{\partial x_j}$"),
    (r"\mathbb{I}_", r"\mathbb{I}_{i = k}", r"the Kronecker delta: $1$ when $i = k$, else $0$"),
    (r"\boldsymbol{\delta}", r"\boldsymbol{\delta}", r"a gradient the problem names, such as "
     r"$\boldsymbol{\delta} = \partial g/\partial \mathbf{f}$"),
    (r"^{\top}", r"A^{\top}", "the transpose"),
    (r"\odot", r"A \odot B", "the element-wise (Hadamard) product"),
    (r"\oslash", r"A \oslash B", "element-wise division"),
    (r"^{\circ", r"A^{\circ p}", "the element-wise power"),
    (r"\mathbf{1}", r"\mathbf{1}", "the vector (or matrix) of ones, sized by its neighbours"),
    (r"\operatorname{diag}", r"\operatorname{diag}(\mathbf{v})", r"the diagonal matrix with $\mathbf{v}$ on its diagonal"),
    (r"\operatorname{tr}", r"\operatorname{tr}(A)", "the trace"),
    (r"\sigma", r"\sigma(u)", r"the logistic function $1/(1 + e^{-u})$, applied entry by entry"),
    ("'", r"f'", r"the derivative of an element-wise function, applied entry by entry"),
    (r"\operatorname{softplus}", r"\operatorname{softplus}(u)", r"$\log(1 + e^{u})$, entry by entry"),
    (r"\operatorname{relu}", r"\operatorname{relu}(u)", r"$\max(u, 0)$, entry by entry"),
    (r"\operatorname{step}", r"\operatorname{step}(u)", r"$1$ where $u > 0$, else $0$: the derivative of relu"),
    (r"\underbrace", r"\underbrace{A}_{m\times n}", "a factor with its shape"),
)


def notation(latex: Iterable[str], layouts: Iterable[str]) -> tuple[NotationRow, ...]:
    """The rows whose marks occur in the deck's LaTeX (and its layouts), in the table's order."""
    text = "\n".join(latex) + "\n" + "\n".join(f"{layout}-layout" for layout in set(layouts))
    assert all(f in OPS.functions for f in ("sigma", "softplus", "relu", "step")), "rows name registry functions"
    return tuple(NotationRow(symbol, meaning) for mark, symbol, meaning in ROWS if mark in text)
