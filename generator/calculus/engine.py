"""The closed-form derivative, by reverse accumulation over the expression tree, in either layout.

A scalar output is differentiated in gradient mode: every node gets an adjoint of its own
shape (∂f/∂node in denominator layout). A vector output is differentiated in Jacobian mode:
every vector node N gets the len(N)×r matrix ∂z/∂N. Each rule is one line of the matrix
cookbook; the trace of (node, adjoint) pairs is what the chain-rule proof shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.edit import size, symbols
from ..tree.text import to_text
from ..tree.nodes import Add, Const, Expr, Identity, Mul, Sym
from ..tree.scope import FunctionSpec
from .differential import directional
from .kronecker import simplify
from .rules import RULES, NeedsVec, column
from . import textbook
from .simplify import normalize, tidy
from .vec import vec_jacobian



@dataclass(frozen=True)
class Backprop:
    """A derivative in denominator layout and the adjoint reached at every node on the way."""

    result: Expr
    trace: tuple[tuple[Expr, Expr], ...]
    mode: str


def derivative(expr: Expr, wrt: Sym, layout: str = "denominator",
               functions: Mapping[str, FunctionSpec] | None = None) -> Backprop:
    """∂expr/∂wrt in the layout asked for.

    A scalar gives a gradient and a vector by a vector a Jacobian (mode "gradient", "jacobian"),
    by reverse accumulation; where those rules stop (a vector through a matrix intermediate) the
    vec engine takes over. Every other pair is a tensor (mode "tensor"): its closed form is the
    vec–Jacobian ∂vec(expr)/∂vec(wrt)ᵀ in the numerator layout and its transpose in the
    denominator layout, except by a scalar, where the derivative is a matrix of expr's shape.
    Closed forms are in textbook form (textbook.py): a name the problem defines stands for its
    definition, and a sum is differentiated term by term unless joining the terms reads shorter.
    """
    named = textbook.named_in(expr)  # before normalizing: log(p) = v − logsumexp(v) drops the name p
    expr = normalize(expr)
    written = frozenset(e for e in expr.walk() if isinstance(e, Add))  # sums kept as the author wrote them
    functions = functions or {}
    if not (expr.is_scalar or expr.is_vector) or not (wrt.is_vector or wrt.is_scalar) and not expr.is_scalar:
        return textbook.named_back(_tensor(expr, wrt, layout, functions, written), named)
    mode = "gradient" if expr.is_scalar else "jacobian"
    as_column = expr if expr.is_scalar or expr.is_column else alg.transpose(expr)
    try:
        back = _Engine(as_column, wrt, functions, mode).run(written=written)
    except NeedsVec:
        if mode == "gradient" and not (wrt.is_vector or wrt.is_scalar):
            raise NotDerivable(f"the gradient of {to_text(expr)} by the matrix {wrt.name} goes through vec or "
                               "kron; mcgen takes such gradients by vectors and scalars only") from None
        return textbook.named_back(_through_vec(expr, wrt, layout, functions, mode, written), named)
    result = tidy(_transpose_terms(back.result), written) if layout == "numerator" else back.result
    split = _term_by_term(expr, wrt, layout, functions, written) if mode == "gradient" else None
    if split is not None and size(split) <= size(result):  # joined only where that reads shorter
        result = split
    return Backprop(textbook.fold_named(result, named), back.trace, back.mode)


def _term_by_term(expr: Expr, wrt: Sym, layout: str, functions: Mapping[str, FunctionSpec],
                  written: frozenset[Expr]) -> Expr | None:
    """The sum rule as a course uses it: each term of the author's sum in its own textbook form, added in the
    author's order (the data term before the regulariser); None when only one term depends on wrt."""
    pieces = [t for t in textbook.terms(expr) if wrt in symbols(t)]
    if len(pieces) < 2:
        return None
    parts = [_Engine(t, wrt, functions, "gradient").run(written=written).result for t in pieces]
    return alg.add(*(p if layout == "denominator" else tidy(_transpose_terms(p), written) for p in parts))


def _through_vec(expr: Expr, wrt: Sym, layout: str, functions: Mapping[str, FunctionSpec], mode: str,
                 written: frozenset[Expr]) -> Backprop:
    """A gradient or Jacobian by a vector from the vec engine: J is the numerator layout, Jᵀ the denominator."""
    jacobian = vec_jacobian(expr, wrt, functions)
    if mode == "gradient" and wrt.is_row:
        return Backprop(jacobian, (), mode)  # a gradient has the variable's shape in either layout
    if layout == "numerator" and mode == "jacobian":
        return Backprop(jacobian, (), mode)
    return Backprop(tidy(_transpose_terms(jacobian), written), (), mode)


def _tensor(expr: Expr, wrt: Sym, layout: str, functions: Mapping[str, FunctionSpec],
            written: frozenset[Expr]) -> Backprop:
    """A derivative with more than two axes, or a matrix by a scalar: its vec–Kronecker closed form."""
    if wrt.is_scalar:
        return Backprop(directional(expr, wrt, alg.ONE, functions, written), (), "tensor")
    jacobian = vec_jacobian(expr, wrt, functions)
    return Backprop(jacobian if layout == "numerator" else simplify(kr.transpose(jacobian)), (), "tensor")


def _transpose_terms(e: Expr) -> Expr:
    """The transpose of a result: term by term for sums of products (bᵀ + xᵀ(A + Aᵀ)), whole for
    sums of symbols ((x − a)ᵀ), whichever needs fewer transposes otherwise (Aᵀ + Bᵀ → A + B)."""
    if isinstance(e, Mul) and len(e.chain) == 1 and isinstance(e.chain[0], Add):
        return alg.mul(*(f for f in e.factors if f.is_scalar), _transpose_terms(e.chain[0]))
    if not isinstance(e, Add):
        return alg.transpose(e)
    split = alg.add(*(_transpose_terms(t) for t in e.terms))
    whole = alg.transpose(e)
    if any(_is_product(t) for t in e.terms) or alg.transposes(split) < alg.transposes(whole):
        return split
    return whole


def _is_product(e: Expr) -> bool:
    return isinstance(e, Mul) and sum(not isinstance(f, Const) for f in e.factors) > 1



def hessian(expr: Expr, wrt: Sym, functions: Mapping[str, FunctionSpec] | None = None) -> Backprop:
    """∂²f/∂x∂xᵀ of a scalar f by a vector x (n×n); by a matrix X, the vec Hessian ∂²f/∂vec(X)∂vec(X)ᵀ."""
    if not expr.is_scalar:
        raise NotDerivable(f"a Hessian needs a scalar expression, but {to_text(expr)} is {expr.rows}×{expr.cols}")
    grad = derivative(expr, wrt, "denominator", functions).result
    if not (wrt.is_vector or wrt.is_scalar):
        return Backprop(vec_jacobian(normalize(grad), wrt, functions), (), "hessian")
    as_column = grad if grad.is_column or grad.is_scalar else alg.transpose(grad)
    return derivative(as_column, wrt, "numerator", functions)


def pullback(expr: Expr, var: Sym, seed: Expr, mode: str,
             functions: Mapping[str, FunctionSpec] | None = None) -> Expr:
    """The adjoint reaching `var` when `seed` is the adjoint of `expr` (one step of the chain rule)."""
    return _Engine(normalize(expr), var, functions or {}, mode).run(seed).result


class _Engine:
    """One reverse sweep: push adjoints from the output down to the variable, summing at the leaves."""

    def __init__(self, root: Expr, wrt: Sym, functions: Mapping[str, FunctionSpec], mode: str):
        self.root, self.wrt, self.functions, self.mode = root, wrt, functions, mode
        self.dependent = _dependent(root, wrt)
        self.trace: list[tuple[Expr, Expr]] = []
        self.reached: list[Expr] = []

    def run(self, seed: Expr | None = None, written: frozenset[Expr] = frozenset()) -> Backprop:
        if seed is None:
            seed = alg.ONE if self.mode == "gradient" else Identity(self.root.length)
        if self.needs(self.root):
            self.visit(self.root, seed)
        if self.reached:
            result = tidy(alg.add(*self.reached), written)
        elif self.mode == "gradient":
            result = alg.zero(self.wrt.shape)
        else:
            result = alg.zero((self.wrt.length, self.root.length))
        return Backprop(result, tuple(self.trace), self.mode)

    def needs(self, e: Expr) -> bool:
        return id(e) in self.dependent

    def visit(self, node: Expr, adjoint: Expr) -> None:
        self.trace.append((node, adjoint))
        if node == self.wrt:
            self.reached.append(adjoint)
            return
        if self.mode == "jacobian" and not (node.is_vector or node.is_scalar):
            raise NeedsVec(f"the vector output depends on {self.wrt.name} through the matrix {to_text(node)}; "
                               "mcgen's vector-by-vector rules need vector intermediates")
        if self.mode == "jacobian" and node.is_scalar and self._through_matrix(node):
            # A scalar such as norm(B x) or tr(X(x)): its gradient, times the 1×r adjoint, is its part.
            inner = _Engine(node, self.wrt, self.functions, "gradient").run()
            self.trace.extend(inner.trace[1:])
            self.reached.append(alg.mul(column(inner.result), adjoint))
            return
        for child, child_adjoint in RULES[self.mode].visit(node, adjoint, self):
            self.visit(child, child_adjoint)

    def _through_matrix(self, node: Expr) -> bool:
        return any(self.needs(c) and not (c.is_vector or c.is_scalar) for c in node.args)

    def spec(self, fn: str) -> FunctionSpec:
        return self.functions.get(fn) or FunctionSpec(fn, "scalar")


def _dependent(root: Expr, wrt: Sym) -> set[int]:
    """ids of the nodes of `root` whose value changes with `wrt`."""
    found: set[int] = set()

    def walk(e: Expr) -> bool:
        hit = e == wrt if isinstance(e, Sym) else any([walk(a) for a in e.args])
        if hit:
            found.add(id(e))
        return hit

    walk(root)
    return found


