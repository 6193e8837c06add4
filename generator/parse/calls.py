"""What a call means: a registry function or reduction, a built-in, one of the problem's functions, or a product.

`sigma'(z)`, `\\tanh x`, `\\log\\det X`, `\\operatorname{tr}\\left(X\\right)`, `g(f)`, `W(x + b)`:
the builder hands every function word and call here; the registry (ops/) says which words are
functions, so a new function needs no change to this file or to the grammar.
"""
from __future__ import annotations

import re

from lark import Token, Tree

from ..errors import ParseError, ShapeError
from ..ops import OPS
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.dims import Dim, dim_mul, divide
from ..tree.nodes import Expr, Grad, Hess, Shape, shape_text
from ..tree.scope import FunctionSpec
from .names import builtin, call_head, spelling
from .pending import Pending

STRUCTURAL = {"softmax": alg.softmax, "diag": alg.diag, "inv": alg.inverse, "vec": kr.vec}
MANY = ("kron", "commutation")  # built-ins that take several arguments, separated by commas
DIM_WORD = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*|\d+)\s*")
PRIMED_MAX = 3  # g′, g″, g‴ of an abstract element-wise function


class UnknownName(ParseError):
    """A name or function the problem does not declare."""


class ShapeMismatch(ParseError):
    """Operands whose shapes do not fit: the text reads, but means no matrix."""


class Calls:
    """The builder's function application (a mixin: it uses the builder's names, scope, errors and visit)."""

    def head(self, node: Tree, operand: Tree) -> tuple[str, int] | None:
        """(function, primes) when a product item is a function word: \\sigma, \\exp, \\sigma', tanh^{\\prime};
        \\operatorname{foo} before a bracket is a function word even when nobody declared foo."""
        atom, ops = (node.children[0], node.children[1:]) if node.data == "postfix" else (node, [])
        found = spelling(atom) if isinstance(atom, Tree) and atom.data in ("name", "font", "command") else None
        fn = self.names.function(found[0]) if found else None
        if fn is None and found and _operator_name(atom) and operand.data in ("group", "postfix") \
                and self.names.lookup(found[0]) is None:
            fn = found[0]  # \operatorname{foo}(x): meant as a function; calling it says it is unknown
        if fn is None:
            return None
        order = 0
        for op in ops:
            if op.data == "prime":
                order += len(op.children)
            elif op.data == "transpose" and str(op.children[0]) == "'":
                order += 1
            else:
                return None
        return fn, order

    def applied(self, heads: list[tuple[tuple[str, int], Tree]], operand: Tree) -> Expr:
        """Function words applied to the operand after them, innermost first: \\log\\det X = log(det X)."""
        (fn, order), token = heads[-1]
        value = self.apply_to_operand(fn, order, token, operand)
        for (fn, order), token in reversed(heads[:-1]):
            value = self.apply_to(fn, order, value, token, operand)
        return value

    def apply_to_operand(self, fn: str, order: int, token: Token | Tree, operand: Tree) -> Expr:
        """f applied to an operand; a bracketed one takes the function first, then its postfixes:
        \\mathbf{u}(\\mathbf{x})^\\top is u(x)ᵀ, as u(x)^T is."""
        if operand.data == "postfix" and operand.children[0].data == "group":
            group, *ops = operand.children
            value = self.apply_to(fn, order, self.resolved(self.visit(group), group), token, group)
            for op in ops:
                value = self.postop(op, operand, value)
            return value
        return self.apply_to(fn, order, self.resolved(self.visit(operand), operand), token, operand)

    def call(self, node: Tree) -> Expr:
        """A name written against its bracket: g(f), sigma'(z), kron(A, B), or a product such as W(x + b)."""
        token, bodies = node.children[0], node.children[1:-1]
        fn, order = call_head(token)
        if len(bodies) > 1 or (builtin(fn) in MANY and self.names.lookup(fn) is None):
            return self.call_many(fn, order, token, bodies)
        body = bodies[0]
        return self.apply_to(fn, order, self.resolved(self.visit(body), body), token, body)

    def call_many(self, fn: str, order: int, token: Token, bodies: list[Tree]) -> Expr:
        """kron(A, B, …) and commutation(m, n); any other function takes one argument."""
        name = builtin(fn) if self.names.lookup(fn) is None and fn not in self.scope.functions else None
        if name not in MANY or order:
            raise self.fail(bodies[1], f"{fn}(…) takes one argument")
        if name == "commutation":
            if len(bodies) != 2:
                raise self.fail(token, "commutation(m, n) takes two sizes: the shape of the matrix it transposes")
            return self.commutation_of([self.snippet(b) for b in bodies], bodies[0])
        if len(bodies) < 2:
            raise self.fail(token, "kron(A, B) takes two or more factors")
        return self.resolved(self.kron_of([self.visit(b) for b in bodies], bodies), token)

    def kron_of(self, values: list, nodes: list[Tree]) -> Expr:
        """The Kronecker product of parsed values; an I or 1 without a size takes the one the answer's shape leaves."""
        pending = [k for k, v in enumerate(values) if isinstance(v, Pending)]
        if pending:
            if len(pending) > 1 or self.expect is None:
                raise self.fail(nodes[pending[0]], "cannot tell the size of I or 1 in a Kronecker product; "
                                                   "write its size, such as I_n", ShapeMismatch)
            k = pending[0]
            known = [v for v in values if not isinstance(v, Pending)]
            rows = divide(self.expect[0], dim_mul(*(v.rows for v in known)))
            cols = divide(self.expect[1], dim_mul(*(v.cols for v in known)))
            p = values[k]
            sized = (rows is not None and cols is not None and self.sizes.unify(p.rows, rows)
                     and self.sizes.unify(p.cols, cols))
            values[k] = self.sizes.finish(p) if sized else p
            if isinstance(values[k], Pending):
                raise self.fail(nodes[k], "cannot tell the size of I or 1 in this Kronecker product; "
                                          "write its size, such as I_n", ShapeMismatch)
        return kr.kron(*values)

    def commutation_of(self, words: list[str], node: Tree | Token) -> Expr:
        """K_{m,n}: the sizes may be declared dimensions, numbers, or products of them (m*n)."""
        sizes = [self.dimension_product(w, node) for w in words]
        return kr.commutation(*sizes)

    def dimension_product(self, text: str, node: Tree | Token) -> Dim:
        factors = []
        for part in text.split("*"):
            match = DIM_WORD.fullmatch(part)
            found = self.names.dimension(match.group(1)) if match else None
            if found is None:
                raise self.fail(node, "expected a size such as n or 3 in the commutation matrix, "
                                      f"found {part.strip()!r}")
            factors.append(found)
        return dim_mul(*factors)

    def apply_to(self, fn: str, order: int, arg: Expr, token: Token | Tree, body: Tree | Token) -> Expr:
        try:
            return self.function(fn, order, arg, token)
        except ShapeError as err:
            raise self.fail(token, f"{fn}({self.snippet(body)}): {err}", ShapeMismatch) from None

    def function(self, fn: str, order: int, arg: Expr, token: Token | Tree) -> Expr:
        spec = self.scope.functions.get(fn)
        value = None if spec or builtin(fn) else self.names.lookup(fn)
        if value is not None:  # W(x + b) written without a space: a product, primes are transposes
            for _ in range(order):
                value = alg.transpose(value)
            if not (value.is_scalar or arg.is_scalar) and value.cols != arg.rows:
                raise ShapeError(f"cannot multiply {shape_text(value.shape)} by {shape_text(arg.shape)}")
            return alg.mul(value, arg)
        name = fn if spec else builtin(fn) or fn
        entry = OPS.function(name)
        if entry is not None or (spec and spec.kind == "elementwise"):
            last = len(entry.derivatives) if entry is not None else PRIMED_MAX
            if order > last:
                raise self.fail(token, f"{name} has derivatives up to order {last}")
            return alg.apply(name, arg, order)
        if order:
            raise self.fail(token, f"{name}' is not defined: only element-wise functions take a prime")
        if OPS.reduction(name) is not None:
            return alg.reduce_(name, arg)
        if name in STRUCTURAL:
            return STRUCTURAL[name](arg)
        if spec is not None:
            return self.abstract(spec, arg)
        raise self.fail(token, f"unknown function '{fn}'", UnknownName)

    def abstract(self, spec: FunctionSpec, arg: Expr) -> Expr:
        if spec.kind == "scalar" and spec.gradient:
            grad = Grad(spec.name, arg, arg.shape, spec.gradient)
            bound = self.bindings.get(spec.gradient)
            if bound is not None and bound != grad:
                raise ShapeError(f"{spec.name} is applied to two different arguments, "
                                 f"so the name {spec.gradient} would be ambiguous")
            self.bindings[spec.gradient] = grad
        if spec.kind == "scalar" and spec.hessian and (arg.is_vector or arg.is_scalar):
            self.bindings[spec.hessian] = Hess(spec.name, arg, (arg.length, arg.length), spec.hessian)
        shape: Shape = (1, 1) if spec.kind == "scalar" else (spec.shape or (1, 1))
        return alg.call(spec.name, arg, shape)

    def partial(self, node: Tree) -> Expr:
        """∂u/∂x of an abstract function of the problem, as the Jacobian in the answer's layout."""
        top, bottom = node.children[1], node.children[-1]
        fn = re.sub(r"\\partial|\\(mathbf|boldsymbol|bm|mathit|mathrm|vec)|[{}\s\\]", "", str(top))
        spec = self.scope.functions.get(fn)
        if spec is None or spec.kind == "elementwise":
            raise self.fail(top, f"∂{fn}: only an abstract scalar or vector function of the problem has a "
                                 "derivative written this way" + (f"; write {fn}'(…)" if spec else ""))
        arg = self.resolved(self.visit(bottom), bottom)
        if spec.kind == "scalar":
            grad = Grad(fn, arg, arg.shape, spec.gradient)
        elif arg.is_vector or arg.is_scalar:
            out = spec.shape or (1, 1)
            grad = Grad(fn, arg, (arg.length, out[0] if out[1] == 1 else out[1]))
        else:
            raise self.fail(bottom, f"∂{fn}/∂{self.snippet(bottom)}: the function takes a vector")
        return grad if self.layout == "denominator" else alg.transpose(grad)


def _operator_name(atom: Tree) -> bool:
    """\\operatorname{…}, \\mathrm{…}, \\text{…}: a wrapper that marks a word as a function's name."""
    return atom.data == "font" and bool(re.match(r"\\(operatorname|mathrm|text|textrm|rm)\b", str(atom.children[0])))
