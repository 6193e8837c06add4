"""An expression tree back to the expression language: the form keys and answers are written in."""
from __future__ import annotations

from fractions import Fraction

from ..vocabulary import ATOM, POSTFIX, PRODUCT, SUM
from .nodes import (
    Add, Apply, Call, Const, Diag, DiagPart, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose, Zero,
)

def to_text(expr: Expr, layout: str = "denominator") -> str:
    """Text that `parse` (given the same layout) reads back to an equal expression.

    The layout matters only for an unnamed derivative of an abstract function, written
    \\frac{\\partial u}{\\partial x}: it means the Jacobian in the layout of the answer.
    """
    return _Writer(layout).text(expr)[0]


def _number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return str(value.numerator), ATOM if value >= 0 else SUM
    return f"{value.numerator}/{value.denominator}", PRODUCT if value > 0 else SUM


def _exponent(p: Fraction) -> str:
    return str(p.numerator) if p.denominator == 1 else f"({p.numerator}/{p.denominator})"


class _Writer:
    """Writes one expression; knows the layout its derivatives of abstract functions are read in."""

    def __init__(self, layout: str):
        self.layout = layout

    def wrap(self, expr: Expr, least: int) -> str:
        text, prec = self.text(expr)
        return text if prec >= least else f"({text})"

    def text(self, e: Expr) -> tuple[str, int]:  # noqa: C901 - one dispatch table
        inner = lambda a: self.text(a)[0]  # noqa: E731
        if isinstance(e, (Sym, Named)):
            return e.name, ATOM
        if isinstance(e, Const):
            return _number(e.value)
        if isinstance(e, Identity):
            return "I", ATOM
        if isinstance(e, Zero):
            return "0", ATOM
        if isinstance(e, Ones):  # a plain 1 is a number; \mathbf{1} is the all-ones vector, sized by context
            return (r"\mathbf{1}^T", POSTFIX) if e.is_row else (r"\mathbf{1}", ATOM)
        if isinstance(e, Add):
            out = self.term(e.terms[0])
            for t in e.terms[1:]:
                text = self.term(t)
                out += f" - {text[1:].lstrip()}" if text.startswith("-") else f" + {text}"
            return out, SUM
        if isinstance(e, Mul):
            return self.product(e)
        if isinstance(e, Transpose):
            return self.wrap(e.arg, ATOM) + "^T", POSTFIX
        if isinstance(e, Inverse):
            if isinstance(e.arg, Transpose):
                return self.wrap(e.arg.arg, ATOM) + "^-T", POSTFIX
            return self.wrap(e.arg, ATOM) + "^-1", POSTFIX
        if isinstance(e, Hadamard):
            return " .* ".join(self.wrap(f, POSTFIX) for f in e.factors), PRODUCT
        if isinstance(e, Power):
            op = "^" if e.arg.is_scalar else ".^"
            return f"{self.wrap(e.arg, ATOM)}{op}{_exponent(e.exponent)}", POSTFIX
        if isinstance(e, Apply):
            return f"{e.fn}{chr(39) * e.order}({inner(e.arg)})", ATOM
        if isinstance(e, Reduce):
            return f"{e.op}({inner(e.arg)})", ATOM
        if isinstance(e, Softmax):
            return f"softmax({inner(e.arg)})", ATOM
        if isinstance(e, (Diag, DiagPart)):
            return f"diag({inner(e.arg)})", ATOM
        if isinstance(e, Call):
            return f"{e.fn}({inner(e.arg)})", ATOM
        if isinstance(e, Grad):
            if e.name:
                return e.name, ATOM
            frac = rf"\frac{{\partial {e.fn}}}{{\partial {inner(e.arg)}}}"
            return (frac, ATOM) if e.layout == self.layout else (frac + "^T", POSTFIX)
        raise TypeError(f"no text form for {type(e).__name__}")

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
