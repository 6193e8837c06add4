"""The expression tree of mcgen's matrix language: frozen nodes that know their shape."""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from functools import cached_property
from typing import ClassVar, Iterator

from .dims import Dim, dim_mul

Shape = tuple[Dim, Dim]
SCALAR: Shape = (1, 1)


def shape_text(shape: Shape) -> str:
    """`(n, m)` → `n×m`."""
    return f"{shape[0]}×{shape[1]}"


class Expr:
    """Base of every node. Subclasses are frozen dataclasses; `args` lists child expressions."""

    __slots__ = ()
    shape: Shape

    @property
    def args(self) -> tuple[Expr, ...]:
        return ()

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        """The same node over new children, built raw (no simplification)."""
        return self

    @property
    def rows(self) -> Dim:
        return self.shape[0]

    @property
    def cols(self) -> Dim:
        return self.shape[1]

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    @property
    def is_column(self) -> bool:
        return self.shape[1] == 1 and self.shape[0] != 1

    @property
    def is_row(self) -> bool:
        return self.shape[0] == 1 and self.shape[1] != 1

    @property
    def is_vector(self) -> bool:
        return self.is_column or self.is_row

    @property
    def length(self) -> Dim:
        """Number of entries of a vector (1 for a scalar)."""
        return self.shape[0] if self.shape[1] == 1 else self.shape[1]

    def walk(self) -> Iterator[Expr]:
        """This node and all below it, parents first (left to right; a stack, not nested generators)."""
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.args))


class OneArg(Expr):
    """A node over one expression, held in its field `arg`."""

    __slots__ = ()
    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return replace(self, arg=args[0])  # type: ignore[type-var]


class ManyArgs(Expr):
    """A node over a tuple of expressions, held in the field named by FIELD."""

    __slots__ = ()
    FIELD: ClassVar[str]

    @property
    def args(self) -> tuple[Expr, ...]:
        return getattr(self, self.FIELD)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return replace(self, **{self.FIELD: tuple(args)})  # type: ignore[type-var]


@dataclass(frozen=True, eq=True)
class Sym(Expr):
    """A declared symbol: matrix, vector or scalar. `props` holds assumptions such as 'symmetric'."""

    name: str
    shape: Shape
    props: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=True)
class Const(Expr):
    """An exact rational number."""

    value: Fraction
    shape = SCALAR


@dataclass(frozen=True, eq=True)
class Identity(Expr):
    """The n×n identity matrix."""

    n: Dim

    @property
    def shape(self) -> Shape:
        return (self.n, self.n)


@dataclass(frozen=True, eq=True)
class Zero(Expr):
    """A matrix of zeros."""

    shape: Shape


@dataclass(frozen=True, eq=True)
class Ones(Expr):
    """A matrix of ones (the broadcast of a scalar is `s * Ones`)."""

    shape: Shape


@dataclass(frozen=True, eq=True)
class Add(ManyArgs):
    """A sum of terms of equal shape."""

    FIELD: ClassVar[str] = "terms"

    terms: tuple[Expr, ...]

    @property
    def shape(self) -> Shape:
        return self.terms[0].shape


@dataclass(frozen=True, eq=True)
class Mul(ManyArgs):
    """A product: an optional Const first, then 1×1 factors (they commute), then a matrix chain."""

    FIELD: ClassVar[str] = "factors"

    factors: tuple[Expr, ...]

    @cached_property
    def coeff(self) -> Fraction:
        first = self.factors[0]
        return first.value if isinstance(first, Const) else Fraction(1)

    @cached_property
    def scalars(self) -> tuple[Expr, ...]:
        return tuple(f for f in self.factors if f.is_scalar and not isinstance(f, Const))

    @cached_property
    def chain(self) -> tuple[Expr, ...]:
        return tuple(f for f in self.factors if not f.is_scalar)

    @cached_property
    def scalar_factors(self) -> tuple[Expr, ...]:
        """Every 1×1 factor in order, the Const included (what multiplies the chain)."""
        return tuple(f for f in self.factors if f.is_scalar)

    @property
    def shape(self) -> Shape:
        chain = self.chain
        return (chain[0].rows, chain[-1].cols) if chain else SCALAR


@dataclass(frozen=True, eq=True)
class Transpose(OneArg):
    """Aᵀ; `algebra.transpose` pushes it through products, so it rests on atoms, sums and functions."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return (self.arg.cols, self.arg.rows)


@dataclass(frozen=True, eq=True)
class Inverse(OneArg):
    """A⁻¹ of a square matrix."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Hadamard(ManyArgs):
    """The element-wise product A ∘ B ∘ …"""

    FIELD: ClassVar[str] = "factors"

    factors: tuple[Expr, ...]

    @property
    def shape(self) -> Shape:
        return self.factors[0].shape


@dataclass(frozen=True, eq=True)
class Power(OneArg):
    """The element-wise power A^∘p; for a 1×1 base, the ordinary power."""

    arg: Expr
    exponent: Fraction

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Apply(OneArg):
    """A scalar function applied entry by entry; `order` counts derivatives (σ′ has order 1)."""

    fn: str
    arg: Expr
    order: int = 0

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Reduce(OneArg):
    """A scalar made from a matrix: tr, det, logdet, sum, norm, logsumexp."""

    op: str
    arg: Expr
    shape = SCALAR



@dataclass(frozen=True, eq=True)
class Softmax(OneArg):
    """softmax of a vector."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Diag(OneArg):
    """diag(v): the square matrix with the vector v on its diagonal."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return (self.arg.length, self.arg.length)


@dataclass(frozen=True, eq=True)
class DiagPart(OneArg):
    """diag(A) of a square matrix: the column of its diagonal entries."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return (self.arg.rows, 1)


@dataclass(frozen=True, eq=True)
class Named(OneArg):
    """An intermediate the author named (`f = W^T a`): transparent to maths, printed by name."""

    name: str
    arg: Expr

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Call(OneArg):
    """An abstract function of a vector, g(f): scalar-valued or vector-valued."""

    fn: str
    arg: Expr
    shape: Shape



@dataclass(frozen=True, eq=True)
class Grad(OneArg):
    """∂fn/∂arg of an abstract function at arg, in the given layout; `name` is its display name (δ)."""

    fn: str
    arg: Expr
    shape: Shape
    name: str | None = None
    layout: str = "denominator"


@dataclass(frozen=True, eq=True)
class Hess(OneArg):
    """∂²fn/∂arg∂argᵀ of an abstract scalar function at arg (symmetric), shown by its name (H)."""

    fn: str
    arg: Expr
    shape: Shape
    name: str


@dataclass(frozen=True, eq=True)
class Kron(ManyArgs):
    """The Kronecker product A ⊗ B ⊗ …: block (i, j) of A ⊗ B is A_ij B."""

    FIELD: ClassVar[str] = "factors"

    factors: tuple[Expr, ...]

    @property
    def shape(self) -> Shape:
        return (dim_mul(*(f.rows for f in self.factors)), dim_mul(*(f.cols for f in self.factors)))


@dataclass(frozen=True, eq=True)
class Vec(OneArg):
    """vec(A): the columns of A stacked into one column (column-major)."""

    arg: Expr

    @property
    def shape(self) -> Shape:
        return (dim_mul(self.arg.rows, self.arg.cols), 1)


@dataclass(frozen=True, eq=True)
class Commutation(Expr):
    """The commutation matrix K_{m,n}: K vec(A) = vec(Aᵀ) for every m×n matrix A."""

    m: Dim
    n: Dim

    @property
    def shape(self) -> Shape:
        size = dim_mul(self.m, self.n)
        return (size, size)


# Every node class, in one place: each expression visitor handles all of them (tree/visitor.py).
NODES: tuple[type[Expr], ...] = (
    Sym, Const, Identity, Zero, Ones, Add, Mul, Transpose, Inverse, Hadamard, Power, Apply, Reduce, Softmax,
    Diag, DiagPart, Named, Call, Grad, Hess, Kron, Vec, Commutation,
)
