"""The engine's rules, one per node class and mode: a node and its adjoint → (child, child's adjoint) pairs."""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Iterator, Mapping, Protocol

from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.text import to_text
from ..tree.nodes import (
    Add, Apply, Call, Const, Diag, DiagPart, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose,
)
from ..tree.scope import FunctionSpec

MAX_ORDER = 3


class Sweep(Protocol):
    """What a rule may ask of the reverse sweep it runs in."""

    wrt: Sym
    functions: Mapping[str, FunctionSpec]

    def needs(self, e: Expr) -> bool: ...

    def spec(self, fn: str) -> FunctionSpec: ...


Rule = Callable[[Sweep, Expr, Expr], Iterator[tuple[Expr, Expr]]]


# ---------------------------------------------------------------- element-wise derivatives

def elementwise_derivative(fn: str, u: Expr, order: int) -> Expr:
    """f′ applied to u, for f = fn⁽ᵒʳᵈᵉʳ⁾."""
    if fn == "exp":
        return alg.apply("exp", u)
    if fn == "log":
        return alg.power(u, -1)
    if fn == "sin":
        return alg.apply("cos", u)
    if fn == "cos":
        return alg.neg(alg.apply("sin", u))
    if fn == "tan":
        return alg.add(alg.ONE, alg.power(alg.apply("tan", u), 2))
    if fn == "sqrt":
        return alg.mul(alg.const(Fraction(1, 2)), alg.power(alg.apply("sqrt", u), -1))
    if order + 1 > MAX_ORDER:
        raise NotDerivable(f"derivatives of {fn} beyond order {MAX_ORDER} are not supported")
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


# ---------------------------------------------------------------- gradient mode (adjoint has the node's shape)

def _g_add(eng: Sweep, node: Add, g: Expr):
    for t in node.terms:
        if eng.needs(t):
            yield t, g


def _g_mul(eng: Sweep, node: Mul, g: Expr):
    offset = len(node.factors) - len(node.chain)
    for i, f in enumerate(node.factors):
        if not eng.needs(f):
            continue
        if f.is_scalar:
            yield f, _inner(g, _without(node.factors, i))
            continue
        scalars, left, right = _chain_parts(node, i - offset)
        parts = [scalars] + ([alg.transpose(left)] if left is not None else []) + [g]
        yield f, alg.mul(*parts, *([alg.transpose(right)] if right is not None else []))


def _g_transpose(eng: Sweep, node: Transpose, g: Expr):
    yield node.arg, alg.transpose(g)


def _g_inverse(eng: Sweep, node: Inverse, g: Expr):
    t = alg.transpose(node)
    yield node.arg, alg.neg(alg.mul(t, g, t))


def _g_hadamard(eng: Sweep, node: Hadamard, g: Expr):
    for i, f in enumerate(node.factors):
        if eng.needs(f):
            yield f, alg.hadamard(g, *node.factors[:i], *node.factors[i + 1:])


def _g_power(eng: Sweep, node: Power, g: Expr):
    p = node.exponent
    yield node.arg, alg.hadamard(g, alg.mul(Const(p), alg.power(node.arg, p - 1)))


def _g_apply(eng: Sweep, node: Apply, g: Expr):
    yield node.arg, alg.hadamard(g, elementwise_derivative(node.fn, node.arg, node.order))


def _g_reduce(eng: Sweep, node: Reduce, g: Expr):
    a = node.arg
    if node.op == "tr":
        local = Identity(a.rows)
    elif node.op == "det":
        local = alg.mul(node, alg.inverse(alg.transpose(a)))
    elif node.op == "logdet":
        local = alg.inverse(alg.transpose(a))
    elif node.op == "sum":
        local = Ones(a.shape)
    elif node.op == "norm":
        local = alg.mul(a, alg.power(node, -1))
    elif a.is_vector:  # logsumexp
        local = alg.softmax(a)
    else:
        local = alg.mul(alg.apply("exp", a), alg.power(alg.reduce_("sum", alg.apply("exp", a)), -1))
    yield a, alg.mul(g, local)


def _g_softmax(eng: Sweep, node: Softmax, g: Expr):
    adj = alg.mul(_softmax_jacobian(node), column(g))
    yield node.arg, adj if node.arg.is_column else alg.transpose(adj)


def _g_diag(eng: Sweep, node: Diag, g: Expr):
    yield node.arg, alg.diag(g)


def _g_diagpart(eng: Sweep, node: DiagPart, g: Expr):
    yield node.arg, alg.diag(g)


def _g_named(eng: Sweep, node: Named, g: Expr):
    yield node.arg, g


def _g_call(eng: Sweep, node: Call, g: Expr):
    yield node.arg, _call_adjoint(eng, node, g)


def _call_adjoint(eng: Sweep, node: Call, g: Expr) -> Expr:
    spec, f = eng.spec(node.fn), node.arg
    if node.is_scalar:
        return alg.mul(g, Grad(node.fn, f, f.shape, spec.gradient))
    if not (f.is_vector or f.is_scalar):
        raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {to_text(f)}")
    jac = Grad(node.fn, f, (f.length, node.length), None)
    adj = alg.mul(jac, column(g))
    return adj if not f.is_row else alg.transpose(adj)


def _no_second_derivative(eng: Sweep, node: Grad, g: Expr):
    raise NotDerivable(f"the second derivative of the abstract function {node.fn} is not defined")


GRADIENT: dict[type, Rule] = {
    Add: _g_add, Mul: _g_mul, Transpose: _g_transpose, Inverse: _g_inverse, Hadamard: _g_hadamard,
    Power: _g_power, Apply: _g_apply, Reduce: _g_reduce, Softmax: _g_softmax, Diag: _g_diag,
    DiagPart: _g_diagpart, Named: _g_named, Call: _g_call, Grad: _no_second_derivative,
}


# ---------------------------------------------------------------- Jacobian mode (adjoint is len(node) × r)

def _j_mul(eng: Sweep, node: Mul, a: Expr):
    chain = node.chain
    offset = len(node.factors) - len(chain)
    for i, f in enumerate(node.factors):
        if not eng.needs(f):
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
            raise NotDerivable(f"the vector output depends on {eng.wrt.name} through the matrix {to_text(f)}; "
                               "mcgen's vector-by-vector rules need vector intermediates")
        yield f, alg.mul(scalars, local, a)


def _elementwise_local(u: Expr, d: Expr, a: Expr) -> Expr:
    return alg.mul(d, a) if u.is_scalar else alg.mul(alg.diag(column(d)), a)


def _j_power(eng: Sweep, node: Power, a: Expr):
    p = node.exponent
    yield node.arg, _elementwise_local(node.arg, alg.mul(Const(p), alg.power(node.arg, p - 1)), a)


def _j_apply(eng: Sweep, node: Apply, a: Expr):
    yield node.arg, _elementwise_local(node.arg, elementwise_derivative(node.fn, node.arg, node.order), a)


def _j_hadamard(eng: Sweep, node: Hadamard, a: Expr):
    for i, f in enumerate(node.factors):
        if eng.needs(f):
            yield f, _elementwise_local(f, alg.hadamard(*node.factors[:i], *node.factors[i + 1:]), a)


def _j_reduce(eng: Sweep, node: Reduce, a: Expr):
    u = node.arg
    if not (u.is_vector or u.is_scalar):
        raise NotDerivable(f"the vector output depends on {eng.wrt.name} through the matrix {to_text(u)}")
    local = {"sum": lambda: Ones((u.length, 1)),
             "norm": lambda: alg.mul(column(u), alg.power(node, -1)),
             "logsumexp": lambda: column(alg.softmax(u))}.get(node.op)
    if local is None:
        raise NotDerivable(f"no vector-by-vector rule for {to_text(node)}")
    yield u, alg.mul(local(), a)


def _j_softmax(eng: Sweep, node: Softmax, a: Expr):
    yield node.arg, alg.mul(_softmax_jacobian(node), a)


def _j_pass(eng: Sweep, node: Expr, a: Expr):
    yield node.args[0], a


def _j_call(eng: Sweep, node: Call, a: Expr):
    spec, f = eng.spec(node.fn), node.arg
    if not (f.is_vector or f.is_scalar):
        raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {to_text(f)}")
    if node.is_scalar:
        yield f, alg.mul(column(Grad(node.fn, f, f.shape, spec.gradient)), a)
    else:
        yield f, alg.mul(Grad(node.fn, f, (f.length, node.length), None), a)


JACOBIAN: dict[type, Rule] = {
    Add: _g_add, Mul: _j_mul, Transpose: _j_pass, Named: _j_pass, Hadamard: _j_hadamard,
    Power: _j_power, Apply: _j_apply, Reduce: _j_reduce, Softmax: _j_softmax, Call: _j_call,
    Grad: _no_second_derivative,
}
