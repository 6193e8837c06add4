"""The closed-form derivative, by reverse accumulation over the expression tree, in either layout.

A scalar output is differentiated in gradient mode: every node gets an adjoint of its own
shape (∂f/∂node in denominator layout). A vector output is differentiated in Jacobian mode:
every vector node N gets the len(N)×r matrix ∂z/∂N. Each rule is one line of the matrix
cookbook; the trace of (node, adjoint) pairs is what the chain-rule proof shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator, Mapping

from . import algebra as alg
from .errors import NotDerivable
from .expr import (
    Add, Apply, Call, Const, Diag, DiagPart, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose,
)
from .model import FunctionSpec
from .simplify import normalize, tidy

PRIMED = {"sigma", "tanh"}  # derivatives kept as σ′, tanh′ (abstract functions too)
MAX_ORDER = 3


@dataclass(frozen=True)
class Backprop:
    """A derivative in denominator layout and the adjoint reached at every node on the way."""

    result: Expr
    trace: tuple[tuple[Expr, Expr], ...]
    mode: str


def derivative(expr: Expr, wrt: Sym, layout: str = "denominator",
               functions: Mapping[str, FunctionSpec] | None = None) -> Backprop:
    """∂expr/∂wrt in the layout asked for: scalar by anything, or vector by vector."""
    expr = normalize(expr)
    written = frozenset(e for e in expr.walk() if isinstance(e, Add))  # sums kept as the author wrote them
    if expr.is_scalar:
        back = _Engine(expr, wrt, functions or {}, "gradient").run(written=written)
    elif expr.is_vector and (wrt.is_vector or wrt.is_scalar):
        column = expr if expr.is_column else alg.transpose(expr)
        back = _Engine(column, wrt, functions or {}, "jacobian").run(written=written)
    elif expr.is_vector:
        raise NotDerivable(f"the derivative of the vector {expr} by the matrix {wrt.name} is a third-order "
                           "tensor; differentiate a scalar of it instead, such as g(z) or c^T z")
    else:
        raise NotDerivable(f"{expr} is a matrix; mcgen differentiates scalars and vectors")
    if layout == "numerator":
        return Backprop(tidy(_transpose_terms(back.result), written), back.trace, back.mode)
    return back


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
    """∂²f/∂x∂xᵀ of a scalar f by a vector x (n×n)."""
    if not expr.is_scalar:
        raise NotDerivable(f"a Hessian needs a scalar expression, but {expr} is {expr.rows}×{expr.cols}")
    if not (wrt.is_vector or wrt.is_scalar):
        raise NotDerivable(f"the Hessian of {expr} by the matrix {wrt.name} is a fourth-order tensor; "
                           "mcgen takes Hessians by a vector")
    grad = derivative(expr, wrt, "denominator", functions).result
    column = grad if grad.is_column or grad.is_scalar else alg.transpose(grad)
    return derivative(column, wrt, "numerator", functions)


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
            raise NotDerivable(f"the vector output depends on {self.wrt.name} through the matrix {node}; "
                               "mcgen's vector-by-vector rules need vector intermediates")
        if self.mode == "jacobian" and node.is_scalar and self._through_matrix(node):
            # A scalar such as norm(B x) or tr(X(x)): its gradient, times the 1×r adjoint, is its part.
            inner = _Engine(node, self.wrt, self.functions, "gradient").run()
            self.trace.extend(inner.trace[1:])
            self.reached.append(alg.mul(_column(inner.result), adjoint))
            return
        rules = GRADIENT if self.mode == "gradient" else JACOBIAN
        rule = rules.get(type(node))
        if rule is None:
            raise NotDerivable(f"no rule to differentiate {node} by {self.wrt.name}")
        for child, child_adjoint in rule(self, node, adjoint):
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


Rule = Callable[[_Engine, Expr, Expr], Iterator[tuple[Expr, Expr]]]


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


def _column(e: Expr) -> Expr:
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
    s = _column(s)
    return alg.sub(alg.diag(s), alg.mul(s, alg.transpose(s)))


def _chain_parts(node: Mul, i: int) -> tuple[Expr, Expr | None, Expr | None]:
    """For chain factor i: the scalar part, the product on its left, the product on its right."""
    chain = node.chain
    scalars = alg.mul(*(f for f in node.factors if f.is_scalar))
    left = alg.mul(*chain[:i]) if i else None
    right = alg.mul(*chain[i + 1:]) if i + 1 < len(chain) else None
    return scalars, left, right


# ---------------------------------------------------------------- gradient mode (adjoint has the node's shape)

def _g_add(eng: _Engine, node: Add, g: Expr):
    for t in node.terms:
        if eng.needs(t):
            yield t, g


def _g_mul(eng: _Engine, node: Mul, g: Expr):
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


def _g_transpose(eng: _Engine, node: Transpose, g: Expr):
    yield node.arg, alg.transpose(g)


def _g_inverse(eng: _Engine, node: Inverse, g: Expr):
    t = alg.transpose(node)
    yield node.arg, alg.neg(alg.mul(t, g, t))


def _g_hadamard(eng: _Engine, node: Hadamard, g: Expr):
    for i, f in enumerate(node.factors):
        if eng.needs(f):
            yield f, alg.hadamard(g, *node.factors[:i], *node.factors[i + 1:])


def _g_power(eng: _Engine, node: Power, g: Expr):
    p = node.exponent
    yield node.arg, alg.hadamard(g, alg.mul(Const(p), alg.power(node.arg, p - 1)))


def _g_apply(eng: _Engine, node: Apply, g: Expr):
    yield node.arg, alg.hadamard(g, elementwise_derivative(node.fn, node.arg, node.order))


def _g_reduce(eng: _Engine, node: Reduce, g: Expr):
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


def _g_softmax(eng: _Engine, node: Softmax, g: Expr):
    adj = alg.mul(_softmax_jacobian(node), _column(g))
    yield node.arg, adj if node.arg.is_column else alg.transpose(adj)


def _g_diag(eng: _Engine, node: Diag, g: Expr):
    yield node.arg, alg.diag(g)


def _g_diagpart(eng: _Engine, node: DiagPart, g: Expr):
    yield node.arg, alg.diag(g)


def _g_named(eng: _Engine, node: Named, g: Expr):
    yield node.arg, g


def _g_call(eng: _Engine, node: Call, g: Expr):
    yield node.arg, _call_adjoint(eng, node, g)


def _call_adjoint(eng: _Engine, node: Call, g: Expr) -> Expr:
    spec, f = eng.spec(node.fn), node.arg
    if node.is_scalar:
        return alg.mul(g, Grad(node.fn, f, f.shape, spec.gradient))
    if not (f.is_vector or f.is_scalar):
        raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {f}")
    jac = Grad(node.fn, f, (f.length, node.length), None)
    adj = alg.mul(jac, _column(g))
    return adj if not f.is_row else alg.transpose(adj)


def _no_second_derivative(eng: _Engine, node: Grad, g: Expr):
    raise NotDerivable(f"the second derivative of the abstract function {node.fn} is not defined")


GRADIENT: dict[type, Rule] = {
    Add: _g_add, Mul: _g_mul, Transpose: _g_transpose, Inverse: _g_inverse, Hadamard: _g_hadamard,
    Power: _g_power, Apply: _g_apply, Reduce: _g_reduce, Softmax: _g_softmax, Diag: _g_diag,
    DiagPart: _g_diagpart, Named: _g_named, Call: _g_call, Grad: _no_second_derivative,
}


# ---------------------------------------------------------------- Jacobian mode (adjoint is len(node) × r)

def _j_mul(eng: _Engine, node: Mul, a: Expr):
    chain = node.chain
    offset = len(node.factors) - len(chain)
    for i, f in enumerate(node.factors):
        if not eng.needs(f):
            continue
        if f.is_scalar:
            rest = _without(node.factors, i)
            yield f, alg.mul(alg.transpose(_column(rest)) if rest.is_vector else rest, a)
            continue
        scalars, left, right = _chain_parts(node, i - offset)
        if f.is_column:
            local = alg.mul(alg.transpose(left) if left is not None else Identity(f.rows), right or alg.ONE)
        elif f.is_row:
            local = alg.mul(right if right is not None else Identity(f.cols),
                            alg.transpose(left) if left is not None else alg.ONE)
        else:
            raise NotDerivable(f"the vector output depends on {eng.wrt.name} through the matrix {f}; "
                               "mcgen's vector-by-vector rules need vector intermediates")
        yield f, alg.mul(scalars, local, a)


def _elementwise_local(u: Expr, d: Expr, a: Expr) -> Expr:
    return alg.mul(d, a) if u.is_scalar else alg.mul(alg.diag(_column(d)), a)


def _j_power(eng: _Engine, node: Power, a: Expr):
    p = node.exponent
    yield node.arg, _elementwise_local(node.arg, alg.mul(Const(p), alg.power(node.arg, p - 1)), a)


def _j_apply(eng: _Engine, node: Apply, a: Expr):
    yield node.arg, _elementwise_local(node.arg, elementwise_derivative(node.fn, node.arg, node.order), a)


def _j_hadamard(eng: _Engine, node: Hadamard, a: Expr):
    for i, f in enumerate(node.factors):
        if eng.needs(f):
            yield f, _elementwise_local(f, alg.hadamard(*node.factors[:i], *node.factors[i + 1:]), a)


def _j_reduce(eng: _Engine, node: Reduce, a: Expr):
    u = node.arg
    if not (u.is_vector or u.is_scalar):
        raise NotDerivable(f"the vector output depends on {eng.wrt.name} through the matrix {u}")
    local = {"sum": lambda: Ones((u.length, 1)),
             "norm": lambda: alg.mul(_column(u), alg.power(node, -1)),
             "logsumexp": lambda: _column(alg.softmax(u))}.get(node.op)
    if local is None:
        raise NotDerivable(f"no vector-by-vector rule for {node}")
    yield u, alg.mul(local(), a)


def _j_softmax(eng: _Engine, node: Softmax, a: Expr):
    yield node.arg, alg.mul(_softmax_jacobian(node), a)


def _j_pass(eng: _Engine, node: Expr, a: Expr):
    yield node.args[0], a


def _j_call(eng: _Engine, node: Call, a: Expr):
    spec, f = eng.spec(node.fn), node.arg
    if not (f.is_vector or f.is_scalar):
        raise NotDerivable(f"the abstract function {node.fn} takes a vector, not {f}")
    if node.is_scalar:
        yield f, alg.mul(_column(Grad(node.fn, f, f.shape, spec.gradient)), a)
    else:
        yield f, alg.mul(Grad(node.fn, f, (f.length, node.length), None), a)


JACOBIAN: dict[type, Rule] = {
    Add: _g_add, Mul: _j_mul, Transpose: _j_pass, Named: _j_pass, Hadamard: _j_hadamard,
    Power: _j_power, Apply: _j_apply, Reduce: _j_reduce, Softmax: _j_softmax, Call: _j_call,
    Grad: _no_second_derivative,
}
