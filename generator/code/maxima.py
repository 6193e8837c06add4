"""The expression tree as Maxima: `.` for the matrix product, `*` and `^` entry by entry, the registry's templates."""
from __future__ import annotations

from typing import Mapping

from ..errors import GeneratorError
from ..ops import OPS
from ..tree import dims
from ..tree.nodes import (
    NODES, Apply, Call, Commutation, Diag, DiagPart, Dim, Expr, Grad, Hess, Identity, Inverse, Kron, Named, Ones,
    Reduce, Softmax, Sym, Transpose, Vec, Zero,
)
from .printer import ATOM, POSTFIX, PRODUCT, Code, CodePrinter, template_level

# Maxima's own words and constants a symbol of the language may not shadow; such a symbol gets a trailing _.
RESERVED = frozenset({
    "lambda", "block", "if", "then", "else", "elseif", "do", "for", "while", "unless", "from", "thru", "step", "and",
    "or", "not", "in", "matrix", "transpose", "invert", "ident", "exp", "log", "sqrt", "sum", "product", "diff",
    "integrate", "limit", "t", "e", "i", "pi", "inf", "minf", "true", "false", "done", "und", "ind", "zeta", "beta",
    "gamma", "psi", "delta", "rank", "args", "first", "last", "rest", "length", "apply", "at", "subst", "float",
    "numer", "ans", "ta",
})
VARIABLE = "t"  # the lambda variable element-wise functions are written in
SLOT = "\0"  # where the argument goes in a formula written before it is known whether it is an entry or 1×1


def maxima_name(name: str) -> str:
    """A Maxima variable for a name of the language: W1 stays, lambda and delta get a trailing underscore."""
    return name + "_" if name in RESERVED else name


class MaximaPrinter(CodePrinter):
    """Writes one expression in Maxima at concrete sizes; named intermediates are written out in full."""

    family = NODES
    POWER_OP = "^"
    PRODUCT_OP = "."

    def __init__(self, sizes: Mapping[Dim, int], names: Mapping[str, str] | None = None):
        self.sizes = sizes
        self.names = dict(names or {})  # a symbol or a named gradient (δ) → its Maxima variable

    def size(self, d: Dim) -> str:
        return str(dims.size(d, self.sizes))

    def template(self, fn: str) -> str:
        return OPS.functions[fn].maxima_code

    def elementwise(self, body: Code, arg: Expr) -> Code:
        """A formula in the variable t applied to every entry of arg (to arg itself when it is 1×1)."""
        if arg.is_scalar:
            return body[0].replace(SLOT, self.sub(arg, ATOM)), body[1]
        return f"matrixmap(lambda([{VARIABLE}], {body[0].replace(SLOT, VARIABLE)}), {self.code(arg)})", POSTFIX

    def abstract(self, fn: str, u: Code, order: int) -> Code:
        raise GeneratorError(f"Maxima cannot state the abstract function {fn}; "
                             "only registered functions have a Maxima form")

    # -- nodes -------------------------------------------------------------------------------------
    def visit_Sym(self, e: Sym) -> Code:
        return self.names.get(e.name, maxima_name(e.name)), ATOM

    def visit_Named(self, e: Named) -> Code:
        return self.visit(e.arg)

    def visit_Identity(self, e: Identity) -> Code:
        return f"ident({self.size(e.n)})", POSTFIX

    def visit_Zero(self, e: Zero) -> Code:
        return f"zeromatrix({self.size(e.rows)}, {self.size(e.cols)})", POSTFIX

    def visit_Ones(self, e: Ones) -> Code:
        return f"genmatrix(lambda([i, j], 1), {self.size(e.rows)}, {self.size(e.cols)})", POSTFIX

    def visit_Transpose(self, e: Transpose) -> Code:
        return f"transpose({self.code(e.arg)})", POSTFIX

    def visit_Inverse(self, e: Inverse) -> Code:
        return f"invert({self.code(e.arg)})", POSTFIX

    def visit_Apply(self, e: Apply) -> Code:
        return self.elementwise(self.applied(e.fn, (SLOT, ATOM), e.order), e.arg)

    def visit_Reduce(self, e: Reduce) -> Code:
        template = OPS.reductions[e.op].maxima
        return template.format(self.code(e.arg)), template_level(template)

    def visit_Softmax(self, e: Softmax) -> Code:
        exp = f"exp({self.code(e.arg)})"
        return f"{exp} / {OPS.reductions['sum'].maxima.format(exp)}", PRODUCT

    def visit_Diag(self, e: Diag) -> Code:
        return f"apply(diag_matrix, flatten(args({self.code(e.arg)})))", POSTFIX

    def visit_DiagPart(self, e: DiagPart) -> Code:
        return f"genmatrix(lambda([i, j], ({self.code(e.arg)})[i, i]), {self.size(e.rows)}, 1)", POSTFIX

    def visit_Call(self, e: Call) -> Code:
        raise GeneratorError(f"Maxima cannot state the value of the abstract function {e.fn}")

    def visit_Grad(self, e: Grad) -> Code:
        """A named gradient (δ = ∂g/∂f) is a matrix of unknowns the question declares; an unnamed one has no form."""
        if e.name and e.name in self.names:
            return self.names[e.name], ATOM
        raise GeneratorError(f"Maxima cannot state the derivative of the abstract function {e.fn} unless it is named")


    def visit_Hess(self, e: Hess) -> Code:
        """A named Hessian is a matrix of unknowns the question declares, like a named gradient."""
        if e.name in self.names:
            return self.names[e.name], ATOM
        raise GeneratorError(f"Maxima cannot state the Hessian of the abstract function {e.fn} unless it is declared")

    def visit_Kron(self, e: Kron) -> Code:
        code = self.code(e.factors[-1])
        for f in reversed(e.factors[:-1]):
            code = f"kronecker_product({self.code(f)}, {code})"
        return code, POSTFIX

    def visit_Vec(self, e: Vec) -> Code:
        """The columns stacked: the rows of the transpose, flattened, as one column."""
        return f"transpose(matrix(flatten(args(transpose({self.code(e.arg)})))))", POSTFIX

    def visit_Commutation(self, e: Commutation) -> Code:
        m, n = self.size(e.m), self.size(e.n)
        entry = f"if i = floor((j - 1) / {m}) + {n} * mod(j - 1, {m}) + 1 then 1 else 0"
        return f"genmatrix(lambda([i, j], {entry}), {m} * {n}, {m} * {n})", POSTFIX
