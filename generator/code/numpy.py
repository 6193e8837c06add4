"""The expression tree as NumPy code: every value a 2-D array, `@` for the product, the registry's templates for functions."""
from __future__ import annotations

import keyword
from typing import Iterable, Mapping

from ..errors import GeneratorError
from ..ops import OPS
from ..tree.dims import factors
from ..tree.nodes import (
    NODES, Apply, Call, Commutation, Diag, DiagPart, Dim, Expr, Grad, Hess, Identity, Inverse, Kron, Named, Ones,
    Reduce, Softmax, Sym, Transpose, Vec, Zero,
)
from ..tree.scope import FunctionSpec
from .printer import ATOM, POSTFIX, Code, CodePrinter, template_level

# Names the generated module uses itself; a symbol of the same name gets a trailing underscore.
TAKEN = frozenset({"np", "rng", "data", "value", "derivative", "direction", "step", "up", "down", "error", "size",
                   "softmax", "functions", "float", "range", "sum", "abs", "max", "min", "commutation", "jacobian"})


def identifier(name: str, taken: Iterable[str] = ()) -> str:
    """A Python identifier for a name of the language: keywords and the module's own names get a trailing _."""
    out = name
    while keyword.iskeyword(out) or out in TAKEN or out in taken:
        out += "_"
    return out


def parameter_names(spec: FunctionSpec, orders: Iterable[int] = ()) -> dict[str, str]:
    """The keyword parameters that stand for an abstract function, by key: g and ∂g (g_grad), u and ∂u
    (u_jacobian), h and h′, h″ (h_prime, h_prime2) for the orders an element-wise h is used at."""
    out = {spec.name: spec.name}
    if spec.kind == "elementwise":
        out.update({spec.name + "'" * k: f"{spec.name}_prime" + (str(k) if k > 1 else "") for k in orders if k})
    else:
        out["∂" + spec.name] = f"{spec.name}_grad" if spec.kind == "scalar" else f"{spec.name}_jacobian"
    if spec.hessian:  # its named Hessian (∂²g/∂f∂fᵀ), which second derivatives through g need
        out["∂²" + spec.name] = f"{spec.name}_hessian"
    return out


class NumpyPrinter(CodePrinter):
    """Writes one expression as NumPy code; arguments of derivatives are hoisted into temporaries."""

    family = NODES
    PRODUCT_OP = "@"

    def __init__(self, names: Mapping[str, str], dims: Mapping[Dim, str], functions: Mapping[str, FunctionSpec]):
        self.names, self.dims, self.functions = names, dims, functions
        self.temporaries: list[tuple[str, str]] = []  # (name, code) in the order they must be computed
        self.hoisted: dict[Expr, str] = {}
        self.needs_softmax = False
        self.needs_commutation = False

    def dim(self, d: Dim) -> str:
        if isinstance(d, (int, str)):
            return str(d) if isinstance(d, int) else self.dims[d]
        coeff, names = factors(d)  # a product of sizes, m n
        return " * ".join(([str(coeff)] if coeff != 1 else []) + [self.dims[n] for n in names])

    def template(self, fn: str) -> str:
        return OPS.functions[fn].numpy_code

    def argument(self, e: Apply) -> Code:
        code = self.visit(e.arg)
        if e.order == 0 or code[1] == ATOM:
            return code
        if e.arg not in self.hoisted:  # a derivative formula repeats its argument: compute it once
            taken = {*self.names.values(), *self.dims.values(), *(n for n, _ in self.temporaries)}
            name = next(f"t{k}" for k in range(len(taken) + 1) if identifier(f"t{k}") not in taken)
            self.temporaries.append((name, code[0]))
            self.hoisted[e.arg] = name
        return self.hoisted[e.arg], ATOM

    def abstract(self, fn: str, u: Code, order: int) -> Code:
        spec = self.functions.get(fn)
        if spec is None or spec.kind != "elementwise":
            raise GeneratorError(f"cannot write {fn} in NumPy: it is neither a known function nor declared element-wise")
        return f"{self.names[fn + chr(39) * order]}({u[0]})", POSTFIX

    # -- nodes -----------------------------------------------------------------------------------
    def visit_Sym(self, e: Sym) -> Code:
        return self.names[e.name], ATOM

    def visit_Named(self, e: Named) -> Code:
        return self.names[e.name], ATOM  # computed before, in the order of the statement's definitions

    def visit_Identity(self, e: Identity) -> Code:
        return f"np.eye({self.dim(e.n)})", POSTFIX

    def visit_Zero(self, e: Zero) -> Code:
        return f"np.zeros(({self.dim(e.rows)}, {self.dim(e.cols)}))", POSTFIX

    def visit_Ones(self, e: Ones) -> Code:
        return f"np.ones(({self.dim(e.rows)}, {self.dim(e.cols)}))", POSTFIX

    def visit_Transpose(self, e: Transpose) -> Code:
        return f"{self.sub(e.arg, POSTFIX)}.T", POSTFIX

    def visit_Inverse(self, e: Inverse) -> Code:
        return f"np.linalg.inv({self.code(e.arg)})", POSTFIX

    def visit_Reduce(self, e: Reduce) -> Code:
        template = OPS.reductions[e.op].code
        return template.format(self.code(e.arg)), template_level(template)

    def visit_Softmax(self, e: Softmax) -> Code:
        self.needs_softmax = True
        return f"softmax({self.code(e.arg)})", POSTFIX

    def visit_Diag(self, e: Diag) -> Code:
        return f"np.diagflat({self.code(e.arg)})", POSTFIX

    def visit_DiagPart(self, e: DiagPart) -> Code:
        return f"np.diag({self.code(e.arg)}).reshape(-1, 1)", POSTFIX

    def visit_Call(self, e: Call) -> Code:
        return f"{self.names[e.fn]}({self.code(e.arg)})", POSTFIX

    def visit_Grad(self, e: Grad) -> Code:
        """The parameter returns ∂g/∂f as a column (scalar g) or the Jacobian ∂u/∂fᵀ (vector u)."""
        spec = self.functions[e.fn]
        call = f"{self.names['∂' + e.fn]}({self.code(e.arg)})"
        native = "denominator" if spec.kind == "scalar" else "numerator"
        return (call, POSTFIX) if e.layout == native else (f"{call}.T", POSTFIX)

    def visit_Hess(self, e: Hess) -> Code:
        """The parameter returns the Hessian ∂²g/∂f∂fᵀ of a scalar g as a matrix."""
        return f"{self.names['∂²' + e.fn]}({self.code(e.arg)})", POSTFIX

    def visit_Kron(self, e: Kron) -> Code:
        code = self.code(e.factors[-1])
        for f in reversed(e.factors[:-1]):
            code = f"np.kron({self.code(f)}, {code})"
        return code, POSTFIX

    def visit_Vec(self, e: Vec) -> Code:
        return f'{self.sub(e.arg, POSTFIX)}.reshape(-1, 1, order="F")', POSTFIX

    def visit_Commutation(self, e: Commutation) -> Code:
        self.needs_commutation = True
        return f"commutation({self.dim(e.m)}, {self.dim(e.n)})", POSTFIX
