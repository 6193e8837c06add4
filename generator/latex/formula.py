"""Formula parts and reasons (proof/formula.py) printed as LaTeX: one visitor, and the sentences of the rules."""
from __future__ import annotations

import re

from ..ops import OPS
from ..proof.formula import (
    PARTS, Bracketed, Corners, Differential, Entry, EntryOf, Equation, Formulas, Implies, InDifferential, Index, Marked,
    Member, Name, Part, Partial, Plus, Product, Reason, Rule, Size, Space, SumOver, Transposed, Tree, Underbrace,
    VecPartial, Where,
)
from ..tree.visitor import Visitor
from .names import dim_latex, entry_name, name_latex, symbol_latex, vec_partial
from .printer import MEMO_PRINTER, latex

GAPS = {"none": "", "space": " ", "thin": r"\,"}
WHERE_INLINE = 2  # a "where" list of more items than this goes under its formula …
WHERE_WIDTH = 40  # … and so does one wider than this many printed characters

# How each cited rule reads, in words only: the maths a reason shows is built from the step itself, in the
# problem's own letters (proof/local.py, proof/identities.py), so no rule brings letters of its own. A
# reduction's words are the registry's (ops/reductions.py).
RULES = {
    "power": "power rule",
    "elementwise-power": "element-wise power rule",
    "elementwise": "element-wise function",
    "weights": "a matrix times a vector, by the matrix",
    "linear": "linear map",
    "product": "a product of matrices, by one factor",
    "hadamard": "element-wise product",
    "softmax": "softmax Jacobian",
    "inverse": "inverse of a matrix",
    "abstract": "the derivative of the abstract function",
    "squared-norm": "squared norm",
    "quadratic-form": "quadratic form",
    "softmax-cross-entropy": "softmax cross-entropy",
    "activation": "element-wise activation",
    "linear-form": "linear form",
    "inverse-form": "a form in the inverse",
    "trace-quadratic": "trace of a quadratic form",
    "trace-linear": "trace of a product",
    "log-det-gradient": "log-determinant (Jacobi's formula)",
    "log-sum-exp": "log-sum-exp",
    "sum-rule": "sum rule",
    "log-det": "the log-determinant",
    "log-softmax": "the log of a softmax",
    "log-exp": "the log of an exponential",
    "exp-log": "the exponential of a log",
    "softplus": "softplus",
    "sigma": "the logistic function",
    "exp-sigma": "the logistic function",
    "diag-product": "a diagonal matrix times a vector",
    "transpose-layout": "the denominator layout is the transpose of the numerator layout",
}


def _width(latex: str) -> int:
    """Roughly how many characters a formula prints: its LaTeX without commands and braces."""
    return len(re.sub(r"\\[A-Za-z]+|[{}^_ ]", "", latex))


def size_latex(shape: tuple) -> str:
    """A shape as a proof line writes it: n\\times m (a tensor's axes m\\times n\\times r)."""
    return r"\times ".join(dim_latex(d) for d in shape)


def _indices(indices: tuple) -> str:
    return "".join(latex(i) for i in indices)


class FormulaLatex(Visitor[str]):
    """The LaTeX (math mode) of a formula part; trees and index expressions through the memoising printer."""

    family = PARTS

    def visit_Tree(self, p: Tree) -> str:
        return latex(p.expr)

    def visit_Index(self, p: Index) -> str:
        return MEMO_PRINTER.doprint(p.expr)

    def visit_Name(self, p: Name) -> str:
        return symbol_latex(p.name, p.shape)

    def visit_Entry(self, p: Entry) -> str:
        if p.braced:
            return entry_name(p.name, _indices(p.indices))
        base = name_latex(p.name)
        return f"({base})_{_indices(p.indices)}" if "_" in base else f"{base}_{_indices(p.indices)}"

    def visit_Space(self, p: Space) -> str:
        return r"\mathbb{R}" if p.shape == (1, 1) else rf"\mathbb{{R}}^{{{size_latex(p.shape)}}}"

    def visit_Size(self, p: Size) -> str:
        return size_latex(p.shape)

    def visit_Partial(self, p: Partial) -> str:
        top, bottom = self.visit(p.top), self.visit(p.bottom)
        if p.order == 2 and p.by_matrix:
            return rf"\frac{{\partial^{{2}} {top}}}{{\partial {bottom}\, \partial {bottom}}}"
        if p.order == 2:
            return rf"\frac{{\partial^2 {top}}}{{\partial {bottom}\,\partial {bottom}^\top}}"
        if p.transposed:
            bottom += r"^\top"
        return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"

    def visit_VecPartial(self, p: VecPartial) -> str:
        return vec_partial(p.top.name, p.top.shape, p.bottom.name, p.bottom.shape, p.layout)

    def visit_Differential(self, p: Differential) -> str:
        return rf"\mathrm{{d}}{self.visit(p.part)}"

    def visit_InDifferential(self, p: InDifferential) -> str:
        stand_in = symbol_latex(p.stand_in, p.variable.shape)
        return latex(p.expr).replace(stand_in, rf"\mathrm{{d}}{self.visit(p.variable)}")

    def visit_EntryOf(self, p: EntryOf) -> str:
        return rf"\left({self.visit(p.part)}\right)_{{{_indices(p.indices)}}}"

    def visit_Transposed(self, p: Transposed) -> str:
        return rf"\left({self.visit(p.part)}\right)^{{\top}}"

    def visit_Bracketed(self, p: Bracketed) -> str:
        return rf"\left({self.visit(p.part)}\right)"

    def visit_Marked(self, p: Marked) -> str:
        stand_in = symbol_latex(p.stand_in, p.variable.shape)
        return latex(p.expr).replace(stand_in, rf"\underline{{{self.visit(p.variable)}}}")

    def visit_Underbrace(self, p: Underbrace) -> str:
        return rf"\underbrace{{{self.visit(p.part)}}}_{{{size_latex(p.shape)}}}"

    def visit_Product(self, p: Product) -> str:
        return GAPS[p.gap].join(self.visit(f) for f in p.factors)

    def visit_Plus(self, p: Plus) -> str:
        return " + ".join(self.visit(t) for t in p.terms)

    def visit_SumOver(self, p: SumOver) -> str:
        return rf"\sum_{{{latex(p.index)}=1}}^{{{dim_latex(p.upper)}}} {self.visit(p.body)}"

    def visit_Corners(self, p: Corners) -> str:
        cells = [[self.visit(c) for c in row] for row in p.cells]
        if len(cells) == 2 and len(cells[0]) == 2:
            body = (rf"{cells[0][0]} & \cdots & {cells[0][1]} \\ \vdots & \ddots & \vdots \\ "
                    rf"{cells[1][0]} & \cdots & {cells[1][1]}")
        elif len(cells) == 2:
            body = rf"{cells[0][0]} \\ \vdots \\ {cells[1][0]}"
        else:
            body = rf"{cells[0][0]} & \cdots & {cells[0][1]}"
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"

    def visit_Equation(self, p: Equation) -> str:
        return " = ".join(self.visit(s) for s in p.sides)

    def visit_Member(self, p: Member) -> str:
        return rf"{self.visit(p.element)} \in {self.visit(p.space)}"

    def visit_Where(self, p: Where) -> str:
        body, items = self.visit(p.body), [self.visit(i) for i in p.items]
        if len(items) <= WHERE_INLINE and _width(", ".join(items)) <= WHERE_WIDTH:
            return body + r",\quad " + ", ".join(items)
        # Long definitions go on lines of their own under the formula, two to a line.
        lines = [r",\quad ".join(items[k:k + 2]) for k in range(0, len(items), 2)]
        return rf"\begin{{gathered}}{body}\\ " + r"\\ ".join(lines) + r"\end{gathered}"

    def visit_Formulas(self, p: Formulas) -> str:
        return r",\quad ".join(self.visit(f) for f in p.parts)

    def visit_Implies(self, p: Implies) -> str:
        return rf"{self.visit(p.premise)}\;\Rightarrow\; {self.visit(p.conclusion)}"


_FORMULA = FormulaLatex()


def formula_latex(part: Part) -> str:
    """The LaTeX (math mode) of a formula part."""
    return _FORMULA.visit(part)


def reason_latex(r: Reason) -> str:
    """A reason as text: words as they are, rules by their sentence, formula parts as inline maths."""
    out = []
    for piece in r.pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, Rule):
            out.append(OPS.reductions[piece.name].rule if piece.reduction else RULES[piece.name])
        else:
            out.append(f"${_FORMULA.visit(piece)}$")
    return "".join(out)
