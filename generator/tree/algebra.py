"""Smart constructors: every node is built through here, in canonical form.

Canonical means: sums and products flattened, numbers folded, like terms collected, equal
scalar factors merged into powers, transposes pushed through products, and 1ᵀy = 1 for a
probability vector y. The constructors keep what the author wrote recognisable; identities
that change its look (log det → logdet) are `simplify.normalize`'s job.
"""
from __future__ import annotations

from fractions import Fraction
from functools import reduce as fold

from ..errors import ShapeError
from ..ops import OPS
from ..vocabulary import other_layout
from .chain import Stack, continues
from .nodes import (
    SCALAR, Add, Apply, Call, Const, Diag, DiagPart, Expr, Grad, Hadamard, Identity, Inverse, Mul,
    Named, Ones, Power, Reduce, Shape, Softmax, Sym, Transpose, Zero, shape_text,
)
from .text import to_text

ONE = Const(Fraction(1))
SYMMETRIC = frozenset({"symmetric", "spd"})


def const(value: int | Fraction) -> Const:
    """A number as a node."""
    return Const(Fraction(value))


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Const) and e.value == 0)


def zero(shape: Shape) -> Expr:
    return Const(Fraction(0)) if shape == SCALAR else Zero(shape)


def is_symmetric(e: Expr) -> bool:
    """True for expressions known to equal their transpose."""
    if isinstance(e, Sym):
        return bool(e.props & SYMMETRIC) or e.is_scalar
    if isinstance(e, Inverse):
        return is_symmetric(e.arg)
    return isinstance(e, (Identity, Diag)) or e.is_scalar


# ---------------------------------------------------------------- sums

def add(*terms: Expr) -> Expr:
    """A sum; a 1×1 term added to a matrix broadcasts (`1 - tanh(z).^2`)."""
    flat = [t for term in terms for t in (term.terms if isinstance(term, Add) else (term,))]
    shapes = {t.shape for t in flat if not t.is_scalar}
    if len(shapes) > 1:
        raise ShapeError("cannot add " + " and ".join(shape_text(s) for s in sorted(shapes, key=str)))
    shape = shapes.pop() if shapes else SCALAR
    collected: dict[Expr, Fraction] = {}
    bodies: dict[Expr, Expr] = {}
    for t in flat:
        if shape != SCALAR and t.is_scalar:
            t = mul(t, Ones(shape))
        if is_zero(t):
            continue
        c, body = split_coeff(t)
        key = _like(body)
        bodies.setdefault(key, body)
        collected[key] = collected.get(key, Fraction(0)) + c
    kept = [mul(Const(c), bodies[key]) for key, c in collected.items() if c != 0]
    if not kept:
        return zero(shape)
    return kept[0] if len(kept) == 1 else Add(tuple(kept))


def _like(e: Expr) -> Expr:
    """The key like terms are collected under: element-wise products commute (y∘σ = σ∘y)."""
    if isinstance(e, Hadamard):
        return Hadamard(tuple(sorted(e.factors, key=to_text)))
    return e


def split_coeff(e: Expr) -> tuple[Fraction, Expr]:
    """`3 A x` → (3, `A x`); a Const c → (c, 1)."""
    if isinstance(e, Const):
        return e.value, ONE
    if isinstance(e, Mul) and isinstance(e.factors[0], Const):
        rest = e.factors[1:]
        return e.factors[0].value, rest[0] if len(rest) == 1 else Mul(rest)
    return Fraction(1), e


def neg(e: Expr) -> Expr:
    return mul(const(-1), e)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


# ---------------------------------------------------------------- products

def mul(*factors: Expr) -> Expr:
    """The product, read left to right; a 1×1 factor acts as a scalar (`(aᵀx) B x`)."""
    return fold(_mul2, factors) if factors else ONE


def _mul2(a: Expr, b: Expr) -> Expr:
    if a.is_scalar or b.is_scalar:
        shape = b.shape if a.is_scalar else a.shape
    elif a.cols != b.rows:
        raise ShapeError(f"cannot multiply {shape_text(a.shape)} by {shape_text(b.shape)}")
    else:
        shape = (a.rows, b.cols)
    if is_zero(a) or is_zero(b):
        return zero(shape)
    if continues(a):  # a's chain is tidy already: only b's factors are pushed (a long product in linear time)
        head = a.factors[:len(a.factors) - len(a.chain)]  # the number and the 1×1 factors
        return _canonical_mul([*head, *_parts(b)], a)
    return _canonical_mul([*_parts(a), *_parts(b)])


def _parts(e: Expr) -> tuple[Expr, ...]:
    # A 1×1 chain such as aᵀx is one scalar factor; splicing it would mix it into the chain.
    if isinstance(e, Mul) and not (e.is_scalar and e.chain):
        return e.factors
    return (e,)


def _canonical_mul(parts: list[Expr], base: Mul | None = None) -> Expr:
    """The product of `parts`, whose matrices follow `base`'s chain (if given) in the chain."""
    coeff = Fraction(1)
    powers: dict[Expr, Fraction] = {}
    matrices: list[Expr] = []

    def absorb(f: Expr) -> None:
        nonlocal coeff
        if isinstance(f, Const):
            coeff *= f.value
        else:
            root, p = (f.arg, f.exponent) if isinstance(f, Power) else (f, Fraction(1))
            powers[root] = powers.get(root, Fraction(0)) + p

    for f in parts:
        absorb(f) if f.is_scalar else matrices.append(f)
    before = base.chain if base is not None else ()
    first = before[0] if before else matrices[0] if matrices else None
    last = matrices[-1] if matrices else before[-1] if before else None
    shape = (first.rows, last.cols) if first is not None and last is not None else SCALAR
    stack = Stack(_merge_neighbours, _inverted_chain, len(before) + len(matrices) > 1, base)
    for f in matrices:
        stack.push(f)
    chain, made = stack.finish(first.rows if first is not None else None)
    for f in made:
        absorb(f)
    if coeff == 0 or any(isinstance(f, Zero) for f in chain[stack.low:]):
        return zero(shape)
    if chain and shape == SCALAR:
        # A 1×1 chain (aᵀx) is kept whole as one scalar factor of an outer product.
        inner = chain[0] if len(chain) == 1 else Mul(tuple(chain))
        if coeff == 1 and not powers:
            return inner
        absorb(inner)
        chain = []
    scalars = sorted((power(b, p) for b, p in powers.items() if p != 0), key=to_text)
    for s in [s for s in scalars if isinstance(s, Const)]:
        coeff *= s.value
    scalars = [s for s in scalars if not isinstance(s, Const)]
    factors = ([Const(coeff)] if coeff != 1 else []) + scalars + chain
    if not factors:
        return ONE
    if len(factors) == 1:
        return factors[0]
    product = Mul(tuple(factors))
    if chain:
        stack.keep(product, chain)
    return product


def _inverted_chain(e: Expr) -> tuple[Expr, ...]:
    """The factors whose product e inverts: (A, B) for (AB)⁻¹, (Bᵀ, Aᵀ) for (AB)⁻ᵀ; () otherwise."""
    if not isinstance(e, Inverse):
        return ()
    flip = isinstance(e.arg, Transpose)
    inner = e.arg.arg if flip else e.arg
    if not isinstance(inner, Mul) or len(inner.chain) < len(inner.factors):
        return ()  # a number or scalar factor in (2AB)⁻¹ must not cancel with AB
    return transpose(inner).chain if flip else inner.chain


def _merge_neighbours(a: Expr, b: Expr) -> Expr | None:
    """Neighbours in a chain as one factor: A⁻¹A = I, diag(v)w = v∘w, 1ᵀv = sum(v) (1×1: moved out of the chain)."""
    if isinstance(a, Inverse) and a.arg == b or isinstance(b, Inverse) and b.arg == a:
        return Identity(a.rows)
    if isinstance(a, Diag) and isinstance(b, Diag):
        return diag(hadamard(a.arg, b.arg))
    if isinstance(a, Diag) and b.is_column:
        return hadamard(a.arg, b)
    if isinstance(b, Diag) and a.is_row:
        return hadamard(a, transpose(b.arg))
    if isinstance(a, Ones) and a.is_row and b.is_column:
        return reduce_("sum", b)
    if isinstance(b, Ones) and b.is_column and a.is_row:
        return reduce_("sum", a)
    return None


def hadamard(*factors: Expr) -> Expr:
    """The element-wise product; 1×1 factors are plain scalars."""
    scalars = [f for f in factors if f.is_scalar]
    mats = [f for f in factors if not f.is_scalar]
    if not mats:
        return mul(*scalars)
    shapes = {f.shape for f in mats}
    if len(shapes) > 1:
        raise ShapeError("element-wise product of " + " and ".join(shape_text(s) for s in sorted(shapes, key=str)))
    powers: dict[Expr, Fraction] = {}  # u ∘ u = u.^2 and u ∘ u.^-1 = 1, as for scalars
    for f in mats:
        for g in _elementwise_factors(f, scalars):
            if isinstance(g, Zero):
                return g
            if not isinstance(g, Ones):
                base, p = (g.arg, g.exponent) if isinstance(g, Power) else (g, Fraction(1))
                powers[base] = powers.get(base, Fraction(0)) + p
    inner = [power(b, p) for b, p in powers.items() if p != 0]
    if not inner:
        body: Expr = Ones(shapes.pop())
    elif len(inner) == 1:
        body = inner[0]
    elif all(isinstance(g, Transpose) for g in inner):
        body = Transpose(Hadamard(tuple(g.arg for g in inner)))  # aᵀ∘bᵀ reads (a∘b)ᵀ
    else:
        body = Hadamard(tuple(inner))
    return mul(*scalars, body)


def _elementwise_factors(f: Expr, scalars: list[Expr]) -> list[Expr]:
    """The factors of an element-wise product, flattened; scalar factors are moved to `scalars`."""
    if isinstance(f, Mul) and len(f.chain) < len(f.factors):
        scalars.extend(x for x in f.factors if x.is_scalar)
        f = mul(*f.chain)
    if isinstance(f, Hadamard):
        return [g for h in f.factors for g in _elementwise_factors(h, scalars)]
    if isinstance(f, Transpose) and isinstance(f.arg, Hadamard):
        return [transpose(g) for g in f.arg.factors]
    return [f]


# ---------------------------------------------------------------- unary

def transpose(e: Expr) -> Expr:
    """Aᵀ, pushed through products and inverses; (Bx − a)ᵀ and σ(z)ᵀ stay whole, as written by hand."""
    if is_symmetric(e) or isinstance(e, Const):
        return e
    if isinstance(e, Transpose):
        return e.arg
    if isinstance(e, (Zero, Ones)):
        return type(e)((e.cols, e.rows))
    if isinstance(e, Mul):
        scalars = [f for f in e.factors if f.is_scalar]
        return mul(*scalars, *(transpose(f) for f in reversed(e.chain)))
    if isinstance(e, Add):
        flipped = add(*(transpose(t) for t in e.terms))
        same = isinstance(flipped, Add) and set(flipped.terms) == set(e.terms)
        return e if same else Transpose(e)
    if isinstance(e, Inverse):
        return inverse(transpose(e.arg))
    if isinstance(e, Grad) and e.name is None:
        return Grad(e.fn, e.arg, (e.cols, e.rows), None, other_layout(e.layout))
    return Transpose(e)


def inverse(e: Expr) -> Expr:
    """A⁻¹ of a square matrix (1/s for a scalar)."""
    if e.rows != e.cols:
        raise ShapeError(f"cannot invert a {shape_text(e.shape)} matrix: it is not square")
    if e.is_scalar:
        return power(e, Fraction(-1))
    if isinstance(e, Inverse):
        return e.arg
    if isinstance(e, Identity):
        return e
    if isinstance(e, Mul) and len(e.chain) == 1:
        return mul(*(power(f, Fraction(-1)) for f in e.factors if f.is_scalar), inverse(e.chain[0]))
    if isinstance(e, Mul):
        flipped = transpose(e)
        if transposes(flipped) == 0 < transposes(e):  # (Bᵀ Xᵀ Aᵀ)⁻¹ reads (A X B)⁻ᵀ
            return Inverse(Transpose(flipped))
    return Inverse(e)


def transposes(e: Expr) -> int:
    """How many transposes an expression shows: what textbook forms keep few of."""
    return sum(isinstance(n, Transpose) for n in e.walk())


def power(e: Expr, p: Fraction | int) -> Expr:
    """The element-wise power (the plain power of a scalar)."""
    p = Fraction(p)
    if p == 1:
        return e
    if p == 0:
        return ONE if e.is_scalar else Ones(e.shape)
    if isinstance(e, Const):
        if p.denominator == 1 and (e.value != 0 or p > 0):
            return Const(e.value ** int(p))
    if isinstance(e, (Ones,)) or (isinstance(e, Zero) and p > 0):
        return e
    if isinstance(e, Power) and p.denominator == 1:
        return power(e.arg, e.exponent * p)
    if isinstance(e, Apply) and e.fn == "sqrt" and e.order == 0 and p.denominator == 1 and p % 2 == 0:
        return power(e.arg, p / 2)
    if isinstance(e, Mul) and e.is_scalar and not e.chain and p.denominator == 1:
        return mul(*(power(f, p) for f in e.factors))
    return Power(e, p)


def apply(fn: str, e: Expr, order: int = 0) -> Expr:
    """fn applied entry by entry."""
    return Apply(fn, e, order)


def reduce_(op: str, e: Expr) -> Expr:
    """A scalar reduction of a matrix (a registry entry: tr, det, logdet, sum, norm, logsumexp)."""
    r = OPS.reductions[op]
    if r.square and e.rows != e.cols:
        raise ShapeError(f"{op} needs a square matrix, not {shape_text(e.shape)}")
    if r.of_scalar is not None and e.is_scalar:
        return apply(r.of_scalar, e) if r.of_scalar else e
    if r.transposable and isinstance(e, Transpose):
        return reduce_(op, e.arg)
    if r.linear and isinstance(e, Mul) and len(e.chain) < len(e.factors):
        return mul(*(f for f in e.factors if f.is_scalar), reduce_(op, mul(*e.chain)))
    if op == "sum" and isinstance(e, Sym) and "probability" in e.props:
        return ONE
    if op == "tr" and isinstance(e, Diag):
        return reduce_("sum", e.arg)
    return Reduce(op, e)


def softmax(e: Expr) -> Expr:
    """softmax of a vector."""
    if not (e.is_vector or e.is_scalar):
        raise ShapeError(f"softmax needs a vector, not a {shape_text(e.shape)} matrix")
    return ONE if e.is_scalar else Softmax(e)


def diag(e: Expr) -> Expr:
    """diag(v) for a vector, diag(A) (its diagonal as a column) for a square matrix."""
    if e.is_scalar:
        return e
    if isinstance(e, Mul) and e.is_vector and len(e.chain) < len(e.factors):
        return mul(*(f for f in e.factors if f.is_scalar), diag(mul(*e.chain)))  # diag(2x) = 2 diag(x)
    if isinstance(e, Ones) and e.is_vector:
        return Identity(e.length)
    if e.is_vector:
        return Diag(e if e.is_column else transpose(e))
    if e.rows == e.cols:
        return DiagPart(e)
    raise ShapeError(f"diag needs a vector or a square matrix, not {shape_text(e.shape)}")


def named(name: str, e: Expr) -> Expr:
    return Named(name, e)


def call(fn: str, e: Expr, shape: Shape) -> Expr:
    return Call(fn, e, shape)
