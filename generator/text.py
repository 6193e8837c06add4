"""An expression tree back to the expression language: the form keys and answers are written in."""
from __future__ import annotations

from fractions import Fraction

from .expr import (
    Add, Apply, Call, Const, Diag, DiagPart, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose, Zero,
)

SUM, PRODUCT, POSTFIX, ATOM = 1, 2, 3, 4


def to_text(expr: Expr) -> str:
    """Text that `parse` reads back to an equal expression."""
    return _text(expr)[0]


def _wrap(expr: Expr, least: int) -> str:
    text, prec = _text(expr)
    return text if prec >= least else f"({text})"


def _number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return str(value.numerator), ATOM if value >= 0 else SUM
    return f"{value.numerator}/{value.denominator}", PRODUCT if value > 0 else SUM


def _exponent(p: Fraction) -> str:
    return str(p.numerator) if p.denominator == 1 else f"({p.numerator}/{p.denominator})"


def _text(e: Expr) -> tuple[str, int]:
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
        out = _term(e.terms[0])
        for t in e.terms[1:]:
            text = _term(t)
            out += f" - {text[1:].lstrip()}" if text.startswith("-") else f" + {text}"
        return out, SUM
    if isinstance(e, Mul):
        return _product(e)
    if isinstance(e, Transpose):
        return _wrap(e.arg, ATOM) + "^T", POSTFIX
    if isinstance(e, Inverse):
        if isinstance(e.arg, Transpose):
            return _wrap(e.arg.arg, ATOM) + "^-T", POSTFIX
        return _wrap(e.arg, ATOM) + "^-1", POSTFIX
    if isinstance(e, Hadamard):
        return " .* ".join(_wrap(f, POSTFIX) for f in e.factors), PRODUCT
    if isinstance(e, Power):
        op = "^" if e.arg.is_scalar else ".^"
        return f"{_wrap(e.arg, ATOM)}{op}{_exponent(e.exponent)}", POSTFIX
    if isinstance(e, Apply):
        return f"{e.fn}{chr(39) * e.order}({to_text(e.arg)})", ATOM
    if isinstance(e, Reduce):
        return f"{e.op}({to_text(e.arg)})", ATOM
    if isinstance(e, Softmax):
        return f"softmax({to_text(e.arg)})", ATOM
    if isinstance(e, (Diag, DiagPart)):
        return f"diag({to_text(e.arg)})", ATOM
    if isinstance(e, Call):
        return f"{e.fn}({to_text(e.arg)})", ATOM
    if isinstance(e, Grad):
        return (e.name, ATOM) if e.name else (f"d{e.fn}/d({to_text(e.arg)})", ATOM)
    raise TypeError(f"no text form for {type(e).__name__}")


def _term(t: Expr) -> str:
    """A term of a sum; a number times the ones matrix is written as the number, which broadcasts."""
    if isinstance(t, Ones):
        return "1"
    if isinstance(t, Mul) and len(t.chain) == 1 and isinstance(t.chain[0], Ones):
        scalars = t.factors[:-1]
        return _wrap(scalars[0] if len(scalars) == 1 else Mul(scalars), SUM)
    return _wrap(t, SUM)


def _product(e: Mul) -> tuple[str, int]:
    numerator: list[str] = []
    denominator: list[str] = []
    for f in e.factors[1:] if isinstance(e.factors[0], Const) else e.factors:
        if isinstance(f, Power) and f.arg.is_scalar and f.exponent < 0:
            denominator.append(_wrap(Power(f.arg, -f.exponent) if f.exponent != -1 else f.arg, POSTFIX))
        else:
            numerator.append(_wrap(f, POSTFIX))
    coeff = e.coeff
    sign = "-" if coeff < 0 else ""
    coeff = abs(coeff)
    if sign and coeff == 1 and len(numerator) == 1 and not denominator:
        numerator = [_wrap(e.factors[-1], PRODUCT)]  # -a .* b, not -(a .* b): the sign binds looser
    if coeff.numerator != 1 or not numerator:
        numerator.insert(0, str(coeff.numerator))
    if coeff.denominator != 1:
        denominator.insert(0, str(coeff.denominator))
    text = " ".join(numerator)
    if denominator:
        den = " ".join(denominator)
        text += f" / {den if len(denominator) == 1 else f'({den})'}"
    return sign + text, SUM if sign else PRODUCT
