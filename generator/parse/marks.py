"""The atoms written as marks rather than names: numbers (2, 0.5, 1e-9), fractions, norms ‖x‖ and bars |x|.

A mixin of the builder, as calls.py is: it uses the builder's visit, errors and shape checks.
"""
from __future__ import annotations

import re
from fractions import Fraction

from lark import Token, Tree

from ..tree import algebra as alg
from ..tree.nodes import Expr
from .pending import Value

MAX_DIGITS = 24  # characters in one number
MAX_DECIMAL_EXPONENT = 64  # |k| in 1e-k: 1e99999999 would be a number of a hundred million digits


class Marks:
    """Numbers, \\frac, norms and bars (a mixin: it uses the builder's visit, fail, resolved and combine)."""

    def number_token(self, token: Token) -> Expr:
        return alg.const(self.fraction(token))

    def fraction(self, token: Token) -> Fraction:
        """A NUMBER's exact value: 2, 0.5, .5, 1e-9, 2.5E3."""
        if len(token) > MAX_DIGITS:
            raise self.fail(token, f"numbers are limited to {MAX_DIGITS} characters")
        text = str(token).replace("−", "-")
        power = text.lower().partition("e")[2]
        if power and abs(int(power)) > MAX_DECIMAL_EXPONENT:
            raise self.fail(token, f"powers of ten in a number are limited to ±{MAX_DECIMAL_EXPONENT}")
        return Fraction(text)

    def frac(self, node: Tree) -> Value:
        _, top, bottom = node.children
        numerator = self.visit(top)
        return self.combine("/", self.snippet(top), numerator, bottom, self.visit(bottom))

    def frac_digits(self, node: Tree) -> Expr:
        top, bottom = (int(d) for d in re.findall(r"\d", str(node.children[0])))
        if bottom == 0:
            raise self.fail(node, "division by zero")
        return alg.const(Fraction(top, bottom))

    def norm(self, node: Tree) -> Expr:
        arg = self.resolved(self.visit(node.children[1]), node)
        sub = node.children[3] if len(node.children) > 3 else None
        power = None
        if sub is not None and sub.type == "NORM_POWER":  # \|x\|^2_2
            power, sub = re.match(r"\^\s*\{?\s*(\d)", str(sub)).group(1), str(sub).split("_", 1)[1]  # type: ignore[union-attr]
        if sub is not None and ("2" in sub or "₂" in sub) and not (arg.is_vector or arg.is_scalar):
            raise self.fail(node.children[3], "the 2-norm of a matrix is its spectral norm, which mcgen does not "
                                              "support; use the Frobenius norm ‖·‖_F")
        norm = alg.reduce_("norm", arg)
        return norm if power is None else alg.power(norm, int(power))

    def bars(self, node: Tree) -> Expr:
        """|x|: the absolute value of a scalar, the norm of a vector; of a matrix it would be ambiguous."""
        arg = self.resolved(self.visit(node.children[1]), node)
        if arg.is_scalar:
            return alg.apply("abs", arg)
        if arg.is_vector:
            return alg.reduce_("norm", arg)
        raise self.fail(node, "|A| of a matrix could mean det(A) or a norm: write det(A) or ‖A‖_F")
