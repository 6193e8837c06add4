"""An expression tree back to the expression language: the form keys and answers are written in."""
from __future__ import annotations

from fractions import Fraction

from ..vocabulary import ATOM, POSTFIX, PRODUCT, SUM
from .dims import Dim, factors
from .nodes import (
    NODES, Add, Apply, Call, Commutation, Const, Diag, DiagPart, Expr, Grad, Hadamard, Hess, Identity, Inverse,
    Kron, Mul, Ones, Power, Reduce, Softmax, Sym, Transpose, Vec, Zero,
)
from .scope import Statement
from .visitor import Visitor


def to_text(expr: Expr, layout: str = "denominator") -> str:
    """Text that `parse` (given the same layout) reads back to an equal expression.

    The layout matters only for an unnamed derivative of an abstract function, written
    \\frac{\\partial u}{\\partial x}: it means the Jacobian in the layout of the answer.
    """
    return _Writer(layout).text(expr)[0]


def statement_text(st: Statement) -> str:
    """The statement in the expression language, definitions first: `p = softmax(K q); s = a^T p`."""
    lines = [f"{name} = {to_text(e.arg)}" for name, e in st.definitions]  # type: ignore[attr-defined]
    lines.append(f"{st.output} = {to_text(st.expr)}" if st.output else to_text(st.expr))
    return "; ".join(lines)


def divided(e: Hadamard) -> tuple[list[Expr], list[Expr]]:
    """The factors of an element-wise product above and below ⊘: x ∘ s^{∘−1} is x ⊘ s (when something is above)."""
    top = [f for f in e.factors if not (isinstance(f, Power) and f.exponent < 0)]
    if not top:
        return list(e.factors), []
    bottom = [f for f in e.factors if isinstance(f, Power) and f.exponent < 0]
    return top, [f.arg if f.exponent == -1 else Power(f.arg, -f.exponent) for f in bottom]


def _number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return str(value.numerator), ATOM if value >= 0 else SUM
    return f"{value.numerator}/{value.denominator}", PRODUCT if value > 0 else SUM


def dim_text(d: Dim) -> str:
    """A dimension as the text form writes it: 3, n, m*n."""
    coeff, names = factors(d)
    return "*".join(([str(coeff)] if coeff != 1 or not names else []) + list(names))


def _exponent(p: Fraction) -> str:
    return str(p.numerator) if p.denominator == 1 else f"({p.numerator}/{p.denominator})"


class _Writer(Visitor[tuple[str, int]]):
    """Writes one expression; knows the layout its derivatives of abstract functions are read in."""

    family = NODES

    def __init__(self, layout: str):
        self.layout = layout

    def text(self, e: Expr) -> tuple[str, int]:
        """The text of `e` and the precedence level it binds at."""
        return self.visit(e)

    def wrap(self, expr: Expr, least: int) -> str:
        text, prec = self.text(expr)
        return text if prec >= least else f"({text})"

    def inner(self, e: Expr) -> str:
        return self.text(e)[0]

    def visit_Sym(self, e: Sym) -> tuple[str, int]:
        return e.name, ATOM

    visit_Named = visit_Sym

    def visit_Const(self, e: Const) -> tuple[str, int]:
        return _number(e.value)

    def visit_Identity(self, e: Identity) -> tuple[str, int]:
        return "I", ATOM

    def visit_Zero(self, e: Zero) -> tuple[str, int]:
        return "0", ATOM

    def visit_Ones(self, e: Ones) -> tuple[str, int]:
        # a plain 1 is a number; \mathbf{1} is the all-ones vector, sized by context
        return (r"\mathbf{1}^T", POSTFIX) if e.is_row else (r"\mathbf{1}", ATOM)

    def visit_Add(self, e: Add) -> tuple[str, int]:
        out = self.term(e.terms[0])
        for t in e.terms[1:]:
            text = self.term(t)
            out += f" - {text[1:].lstrip()}" if text.startswith("-") else f" + {text}"
        return out, SUM

    def visit_Mul(self, e: Mul) -> tuple[str, int]:
        return self.product(e)

    def visit_Transpose(self, e: Transpose) -> tuple[str, int]:
        return self.wrap(e.arg, ATOM) + "^T", POSTFIX

    def visit_Inverse(self, e: Inverse) -> tuple[str, int]:
        if isinstance(e.arg, Transpose):
            return self.wrap(e.arg.arg, ATOM) + "^-T", POSTFIX
        return self.wrap(e.arg, ATOM) + "^-1", POSTFIX

    def visit_Hadamard(self, e: Hadamard) -> tuple[str, int]:
        top, bottom = divided(e)
        text = " .* ".join(self.wrap(f, POSTFIX) for f in top)
        return text + "".join(f" ./ {self.wrap(f, POSTFIX)}" for f in bottom), PRODUCT

    def visit_Power(self, e: Power) -> tuple[str, int]:
        op = "^" if e.arg.is_scalar else ".^"
        return f"{self.wrap(e.arg, ATOM)}{op}{_exponent(e.exponent)}", POSTFIX

    def visit_Apply(self, e: Apply) -> tuple[str, int]:
        return f"{e.fn}{chr(39) * e.order}({self.inner(e.arg)})", ATOM

    def visit_Reduce(self, e: Reduce) -> tuple[str, int]:
        return f"{e.op}({self.inner(e.arg)})", ATOM

    def visit_Softmax(self, e: Softmax) -> tuple[str, int]:
        return f"softmax({self.inner(e.arg)})", ATOM

    def visit_Diag(self, e: Diag | DiagPart) -> tuple[str, int]:
        return f"diag({self.inner(e.arg)})", ATOM

    visit_DiagPart = visit_Diag

    def visit_Call(self, e: Call) -> tuple[str, int]:
        return f"{e.fn}({self.inner(e.arg)})", ATOM

    def visit_Grad(self, e: Grad) -> tuple[str, int]:
        if e.name:
            return e.name, ATOM
        frac = rf"\frac{{\partial {e.fn}}}{{\partial {self.inner(e.arg)}}}"
        return (frac, ATOM) if e.layout == self.layout else (frac + "^T", POSTFIX)

    def visit_Hess(self, e: Hess) -> tuple[str, int]:
        return e.name, ATOM

    def sized(self, e: Expr) -> str:
        """Nothing beside a Kronecker factor or inside vec tells the size of I, so it is written: I_n."""
        if isinstance(e, Identity) and isinstance(e.n, (int, str)):
            return f"I_{e.n}"
        return self.inner(e)

    def visit_Kron(self, e: Kron) -> tuple[str, int]:
        return f"kron({', '.join(self.sized(f) for f in e.factors)})", ATOM

    def visit_Vec(self, e: Vec) -> tuple[str, int]:
        return f"vec({self.sized(e.arg)})", ATOM

    def visit_Commutation(self, e: Commutation) -> tuple[str, int]:
        return f"commutation({dim_text(e.m)}, {dim_text(e.n)})", ATOM

    def term(self, t: Expr) -> str:
        """A term of a sum; a number times the ones matrix is written as the number, which broadcasts."""
        if isinstance(t, Ones):
            return "1"
        if isinstance(t, Mul) and len(t.chain) == 1 and isinstance(t.chain[0], Ones):
            scalars = t.factors[:-1]
            return self.wrap(scalars[0] if len(scalars) == 1 else Mul(scalars), SUM)
        return self.wrap(t, SUM)

    def product(self, e: Mul) -> tuple[str, int]:
        numerator: list[str] = []
        denominator: list[str] = []
        for f in e.factors[1:] if isinstance(e.factors[0], Const) else e.factors:
            if isinstance(f, Power) and f.arg.is_scalar and f.exponent < 0:
                denominator.append(self.wrap(Power(f.arg, -f.exponent) if f.exponent != -1 else f.arg, POSTFIX))
            else:
                numerator.append(self.wrap(f, POSTFIX))
        coeff = e.coeff
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        if sign and coeff == 1 and len(numerator) == 1 and not denominator:
            numerator = [self.wrap(e.factors[-1], PRODUCT)]  # -a .* b, not -(a .* b): the sign binds looser
        if coeff.numerator != 1 or not numerator:
            numerator.insert(0, str(coeff.numerator))
        if coeff.denominator != 1:
            denominator.insert(0, str(coeff.denominator))
        text = " ".join(numerator)
        if denominator:
            den = " ".join(denominator)
            text += f" / {den if len(denominator) == 1 else f'({den})'}"
        return sign + text, SUM if sign else PRODUCT
