"""What the code printers share: precedence, numbers, sums, and the registry's derivative formulas written as code."""
from __future__ import annotations

from fractions import Fraction

from ..ops import OPS
from ..ops.registry import function_order
from ..tree.algebra import split_coeff
from ..tree.nodes import Add, Apply, Const, Expr, Hadamard, Mul, Ones, Power
from ..tree.visitor import Visitor

Code = tuple[str, int]  # the text and the level it binds at; a part below the level its place needs is bracketed

# Loosest first. UNARY is a leading minus: it binds tighter than a product, looser than a power.
SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6


def wrap(code: Code, least: int) -> str:
    """The text, bracketed when it binds looser than `least`."""
    return code[0] if code[1] >= least else f"({code[0]})"


def template_level(template: str) -> int:
    """The level a registry template such as `np.tanh({})` or `1/(1+exp(-({})))` binds at once filled in."""
    head, _, rest = template.partition("(")
    whole_call = head.replace(".", "").replace("_", "").isalnum() and rest.endswith(")") and _balanced(rest[:-1])
    return POSTFIX if whole_call else SUM


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


class CodePrinter(Visitor[Code]):
    """The parts of a printer every target language writes alike; a subclass names the family and the syntax."""

    POWER_OP = "**"
    PRODUCT_OP: str  # the matrix product: @ in NumPy, . in Maxima

    def code(self, e: Expr) -> str:
        """The text of one expression."""
        return self.visit(e)[0]

    def sub(self, e: Expr, least: int) -> str:
        """The text of a part, bracketed when it binds looser than `least`."""
        return wrap(self.visit(e), least)

    # -- numbers and operators shared by nodes and formulas ---------------------------------------
    def number(self, value: Fraction) -> Code:
        """An exact number: 2, -2, (1/3)."""
        if value.denominator != 1:
            return f"({value.numerator}/{value.denominator})", ATOM
        return (str(value.numerator), ATOM) if value >= 0 else (str(value.numerator), UNARY)

    def sum_of(self, terms: list[Code]) -> Code:
        """Terms joined by + and −: a term that starts with a minus (−2·u, −u) is subtracted."""
        out = wrap(terms[0], SUM)
        for term in terms[1:]:
            text = wrap(term, SUM)
            negative = text.startswith("-") and term[1] >= PRODUCT
            out += f" - {text[1:].lstrip()}" if negative else f" + {text}"
        return out, SUM

    def product_of(self, factors: list[Code], op: str = "*") -> Code:
        """Factors joined by op; a leading −1 becomes a minus sign."""
        if len(factors) == 1:
            return factors[0]
        if factors[0] == ("-1", UNARY):
            rest = self.product_of(factors[1:], op)
            return "-" + wrap(rest, POWER if rest[1] == UNARY else UNARY), PRODUCT
        return f" {op} ".join(wrap(f, PRODUCT) if k == 0 else wrap(f, UNARY) for k, f in enumerate(factors)), PRODUCT

    def power_of(self, base: Code, p: Fraction) -> Code:
        """base to the power p (entry by entry for a matrix, in both languages)."""
        exponent = self.number(Fraction(p))
        return f"{wrap(base, POSTFIX)}{self.POWER_OP}{wrap(exponent, ATOM)}", POWER

    # -- nodes every language writes the same way ------------------------------------------------
    def visit_Const(self, e: Const) -> Code:
        return self.number(e.value)

    def visit_Add(self, e: Add) -> Code:
        return self.sum_of([self.term(t) for t in e.terms])

    def term(self, t: Expr) -> Code:
        """A term of a sum; a scalar times the ones matrix is written as the scalar, which broadcasts."""
        c, body = split_coeff(t)
        if isinstance(body, Mul) and len(body.chain) == 1 and isinstance(body.chain[0], Ones):
            scalars = [self.visit(f) for f in body.factors[:-1]]
            return self.product_of([self.number(c), *scalars] if c != 1 else scalars)
        if isinstance(body, Ones):
            return self.number(c)
        return self.visit(t)

    def visit_Mul(self, e: Mul) -> Code:
        """Constant and 1×1 factors by *, the matrix chain by the language's product (bracketed after scalars)."""
        scalars = [self.visit(f) for f in e.factors if f.is_scalar]
        chain = [self.visit(f) for f in e.chain]
        if len(chain) > 1:
            product = f" {self.PRODUCT_OP} ".join(wrap(c, POSTFIX) for c in chain)
            scalars.append((f"({product})", ATOM) if scalars else (product, PRODUCT))
        elif chain:
            scalars.append(chain[0])
        return self.product_of(scalars)

    def visit_Hadamard(self, e: Hadamard) -> Code:
        return self.product_of([self.visit(f) for f in e.factors])

    def visit_Power(self, e: Power) -> Code:
        return self.power_of(self.visit(e.arg), e.exponent)

    def visit_Apply(self, e: Apply) -> Code:
        return self.applied(e.fn, self.argument(e), e.order)

    def argument(self, e: Apply) -> Code:
        """The code of an application's argument (a printer may hoist it into a variable)."""
        return self.visit(e.arg)

    def applied(self, fn: str, u: Code, order: int) -> Code:
        """fn⁽ᵒʳᵈᵉʳ⁾ at the code u: the registry's template, or its derivative formula written as code."""
        entry = OPS.function(fn)
        if entry is None:
            return self.abstract(fn, u, order)
        if order == 0:
            template = self.template(fn)
            return template.format(u[0]), template_level(template)
        return function_order(entry, order)(u, FormulaKit(self))

    def template(self, fn: str) -> str:
        """The registry's code for fn with {} for its argument."""
        raise NotImplementedError

    def abstract(self, fn: str, u: Code, order: int) -> Code:
        """An abstract element-wise function (declared in the problem) at u."""
        raise NotImplementedError


class FormulaKit:
    """The registry's element-wise formulas (ops/kit.py) written as code by a printer, entry by entry."""

    def __init__(self, printer: CodePrinter):
        self.printer = printer

    def const(self, value: int | Fraction) -> Code:
        return self.printer.number(Fraction(value))

    def apply(self, fn: str, u: Code, order: int = 0) -> Code:
        return self.printer.applied(fn, u, order)

    def add(self, *terms: Code) -> Code:
        return self.printer.sum_of(list(terms))

    def mul(self, *factors: Code) -> Code:
        return self.printer.product_of(list(factors))

    def power(self, u: Code, p: int | Fraction) -> Code:
        return self.printer.power_of(u, Fraction(p))

    def hadamard(self, *factors: Code) -> Code:
        return self.printer.product_of(list(factors))
