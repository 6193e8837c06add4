"""The engine's rules, one per node class and mode: a node and its adjoint → (child, child's adjoint) pairs.

Each rule is one line of the Matrix Cookbook. Element-wise functions and reductions take their
derivatives from the registry (ops/), so a new function needs no rule here.
"""
from __future__ import annotations

from typing import Iterator, Mapping, Protocol

from ..errors import NotDerivable
from ..ops import OPS
from ..tree import algebra as alg
from ..tree.kit import TREE
from ..tree.nodes import (
    NODES, Add, Apply, Call, Const, Diag, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Power, Reduce, Softmax, Sym, Transpose,
)
from ..tree.scope import FunctionSpec
from ..tree.text import to_text
from ..tree.visitor import Visitor

MAX_ORDER = 3  # derivatives of an abstract element-wise function g: g′, g″, g‴
Pairs = Iterator[tuple[Expr, Expr]]


class Sweep(Protocol):
    """What a rule may ask of the reverse sweep it runs in."""

    wrt: Sym
    functions: Mapping[str, FunctionSpec]

    def needs(self, e: Expr) -> bool: ...

    def spec(self, fn: str) -> FunctionSpec: ...


def elementwise_derivative(fn: str, u: Expr, order: int) -> Expr:
    """f′ applied to u, for f = fn⁽ᵒʳᵈᵉʳ⁾: the registry's formula, or the next prime (σ′, g″) by name."""
    entry = OPS.function(fn)
    if entry is not None and not entry.primed and order < len(entry.derivatives):
        return entry.derivatives[order](u, TREE)
    last = len(entry.derivatives) if entry is not None else MAX_ORDER
    if order + 1 > last:
        raise NotDerivable(f"derivatives of {fn} beyond order {last} are not supported")
    return alg.apply(fn, u, order + 1)


def column(e: Expr) -> Expr:
    return alg.transpose(e) if e.is_row else e


def _without(factors: tuple[Expr, ...], i: int) -> Expr:
    return alg.mul(*factors[:i], *factors[i + 1:])


def _inner(g: Expr, p: Expr) -> Expr:
    """⟨G, P⟩ = tr(GᵀP), written the way the shapes make natural."""
    if g.is_scalar:
        return alg.mul(g, p)
    if g.is_column:
        return alg.mul(alg.transpose(g), p)
    if g.is_row:
        return alg.mul(g, alg.transpose(p))
    return alg.reduce_("tr", alg.mul(alg.transpose(g), p))


def _softmax_jacobian(s: Expr) -> Expr:
    s = column(s)
    return alg.sub(alg.diag(s), alg.mul(s, alg.transpose(s)))


def _chain_parts(node: Mul, i: int) -> tuple[Expr, Expr | None, Expr | None]:
    """For chain factor i: the scalar part, the product on its left, the product on its right."""
    chain = node.chain
    scalars = alg.mul(*(f for f in node.factors if f.is_scalar))
    left = alg.mul(*chain[:i]) if i else None
    right = alg.mul(*chain[i + 1:]) if i + 1 < len(chain) else None
    return scalars, left, right


class NeedsVec(NotDerivable):
    """A derivative the reverse sweep has no rule for, which the vec engine (calculus/vec.py) takes instead."""


def _through_matrix(sweep: Sweep, node: Expr) -> NotDerivable:
    return NeedsVec(f"the vector output depends on {sweep.wrt.name} through the matrix {to_text(node)}; "
                    "mcgen's vector-by-vector rules need vector intermediates")


class Rules(Visitor[Pairs]):
    """Rules both modes share: leaves pass nothing on, sums pass the adjoint to each term."""

    def visit_Sym(self, node: Sym, adjoint: Expr, sweep: Sweep) -> Pairs:
        return iter(())  # a symbol other than the variable: a constant

    visit_Const = visit_Identity = visit_Zero = visit_Ones = visit_Sym

    def visit_Add(self, node: Add, adjoint: Expr, sweep: Sweep) -> Pairs:
        for t in node.terms:
            if sweep.needs(t):
                yield t, adjoint

    def visit_Named(self, node: Named, adjoint: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, adjoint

    def visit_Grad(self, node: Grad, adjoint: Expr, sweep: Sweep) -> Pairs:
        raise NeedsVec(f"the second derivative of the abstract function {node.fn} goes through its Hessian")

    def visit_Kron(self, node: Expr, adjoint: Expr, sweep: Sweep) -> Pairs:
        raise NeedsVec(f"{to_text(node)} is differentiated by the vec engine")

    visit_Vec = visit_Hess = visit_Kron

    def visit_Commutation(self, node: Expr, adjoint: Expr, sweep: Sweep) -> Pairs:
        return iter(())  # a constant


class GradientRules(Rules):
    """Gradient mode: the adjoint of every node has the node's shape (∂f/∂node, denominator layout)."""

    family = NODES

    def visit_Mul(self, node: Mul, g: Expr, sweep: Sweep) -> Pairs:
        offset = len(node.factors) - len(node.chain)
        for i, f in enumerate(node.factors):
            if not sweep.needs(f):
                continue
            if f.is_scalar:
                yield f, _inner(g, _without(node.factors, i))
                continue
            scalars, left, right = _chain_parts(node, i - offset)
            parts = [scalars] + ([alg.transpose(left)] if left is not None else []) + [g]
            yield f, alg.mul(*parts, *([alg.transpose(right)] if right is not None else []))

    def visit_Transpose(self, node: Transpose, g: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, alg.transpose(g)

    def visit_Inverse(self, node: Inverse, g: Expr, sweep: Sweep) -> Pairs:
        t = alg.transpose(node)
        yield node.arg, alg.neg(alg.mul(t, g, t))

    def visit_Hadamard(self, node: Hadamard, g: Expr, sweep: Sweep) -> Pairs:
        for i, f in enumerate(node.factors):
            if sweep.needs(f):
                yield f, alg.hadamard(g, *node.factors[:i], *node.factors[i + 1:])

    def visit_Power(self, node: Power, g: Expr, sweep: Sweep) -> Pairs:
        p = node.exponent
        yield node.arg, alg.hadamard(g, alg.mul(Const(p), alg.power(node.arg, p - 1)))

    def visit_Apply(self, node: Apply, g: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, alg.hadamard(g, elementwise_derivative(node.fn, node.arg, node.order))

    def visit_Reduce(self, node: Reduce, g: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, alg.mul(g, OPS.reductions[node.op].gradient(node, node.arg, TREE))

    def visit_Softmax(self, node: Softmax, g: Expr, sweep: Sweep) -> Pairs:
        adj = alg.mul(_softmax_jacobian(node), column(g))
        yield node.arg, adj if node.arg.is_column else alg.transpose(adj)

    def visit_Diag(self, node: Diag, g: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, alg.diag(g)

    visit_DiagPart = visit_Diag

    def visit_Call(self, node: Call, g: Expr, sweep: Sweep) -> Pairs:
        spec, f = sweep.spec(node.fn), node.arg
        if node.is_scalar:
            yield f, alg.mul(g, Grad(node.fn, f, f.shape, spec.gradient))
            return
        if not (f.is_vector or f.is_scalar):
            raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {to_text(f)}")
        adj = alg.mul(Grad(node.fn, f, (f.length, node.length), None), column(g))
        yield f, adj if not f.is_row else alg.transpose(adj)


def _elementwise_local(u: Expr, d: Expr, a: Expr) -> Expr:
    return alg.mul(d, a) if u.is_scalar else alg.mul(alg.diag(column(d)), a)


class JacobianRules(Rules):
    """Jacobian mode: the adjoint of every vector node N is the len(N)×r matrix ∂z/∂N."""

    family = NODES

    def visit_Mul(self, node: Mul, a: Expr, sweep: Sweep) -> Pairs:
        chain = node.chain
        offset = len(node.factors) - len(chain)
        for i, f in enumerate(node.factors):
            if not sweep.needs(f):
                continue
            if f.is_scalar:
                rest = _without(node.factors, i)
                yield f, alg.mul(alg.transpose(column(rest)) if rest.is_vector else rest, a)
                continue
            scalars, left, right = _chain_parts(node, i - offset)
            if f.is_column:
                local = alg.mul(alg.transpose(left) if left is not None else Identity(f.rows), right or alg.ONE)
            elif f.is_row:
                local = alg.mul(right if right is not None else Identity(f.cols),
                                alg.transpose(left) if left is not None else alg.ONE)
            else:
                raise _through_matrix(sweep, f)
            yield f, alg.mul(scalars, local, a)

    def visit_Transpose(self, node: Transpose, a: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, a

    def visit_Inverse(self, node: Inverse, a: Expr, sweep: Sweep) -> Pairs:
        raise _through_matrix(sweep, node)

    visit_Diag = visit_DiagPart = visit_Inverse

    def visit_Hadamard(self, node: Hadamard, a: Expr, sweep: Sweep) -> Pairs:
        for i, f in enumerate(node.factors):
            if sweep.needs(f):
                yield f, _elementwise_local(f, alg.hadamard(*node.factors[:i], *node.factors[i + 1:]), a)

    def visit_Power(self, node: Power, a: Expr, sweep: Sweep) -> Pairs:
        p = node.exponent
        yield node.arg, _elementwise_local(node.arg, alg.mul(Const(p), alg.power(node.arg, p - 1)), a)

    def visit_Apply(self, node: Apply, a: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, _elementwise_local(node.arg, elementwise_derivative(node.fn, node.arg, node.order), a)

    def visit_Reduce(self, node: Reduce, a: Expr, sweep: Sweep) -> Pairs:
        u = node.arg
        if not (u.is_vector or u.is_scalar):
            raise _through_matrix(sweep, u)
        yield u, alg.mul(column(OPS.reductions[node.op].gradient(node, u, TREE)), a)

    def visit_Softmax(self, node: Softmax, a: Expr, sweep: Sweep) -> Pairs:
        yield node.arg, alg.mul(_softmax_jacobian(node), a)

    def visit_Call(self, node: Call, a: Expr, sweep: Sweep) -> Pairs:
        spec, f = sweep.spec(node.fn), node.arg
        if not (f.is_vector or f.is_scalar):
            raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {to_text(f)}")
        if node.is_scalar:
            yield f, alg.mul(column(Grad(node.fn, f, f.shape, spec.gradient)), a)
        else:
            yield f, alg.mul(Grad(node.fn, f, (f.length, node.length), None), a)


RULES = {"gradient": GradientRules(), "jacobian": JacobianRules()}
