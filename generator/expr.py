"""The expression tree of mcgen's matrix language: frozen nodes that know their shape."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Iterator

Dim = int | str
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
        """This node and all below it, parents first."""
        yield self
        for a in self.args:
            yield from a.walk()

    def __str__(self) -> str:
        from .text import to_text

        return to_text(self)


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
class Add(Expr):
    """A sum of terms of equal shape."""

    terms: tuple[Expr, ...]

    @property
    def args(self) -> tuple[Expr, ...]:
        return self.terms

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Add(tuple(args))

    @property
    def shape(self) -> Shape:
        return self.terms[0].shape


@dataclass(frozen=True, eq=True)
class Mul(Expr):
    """A product: an optional Const first, then 1×1 factors (they commute), then a matrix chain."""

    factors: tuple[Expr, ...]

    @property
    def args(self) -> tuple[Expr, ...]:
        return self.factors

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Mul(tuple(args))

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

    @property
    def shape(self) -> Shape:
        chain = self.chain
        return (chain[0].rows, chain[-1].cols) if chain else SCALAR


@dataclass(frozen=True, eq=True)
class Transpose(Expr):
    """Aᵀ (kept only on atoms: symbols, names, abstract functions)."""

    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Transpose(args[0])

    @property
    def shape(self) -> Shape:
        return (self.arg.cols, self.arg.rows)


@dataclass(frozen=True, eq=True)
class Inverse(Expr):
    """A⁻¹ of a square matrix."""

    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Inverse(args[0])

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Hadamard(Expr):
    """The element-wise product A ∘ B ∘ …"""

    factors: tuple[Expr, ...]

    @property
    def args(self) -> tuple[Expr, ...]:
        return self.factors

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Hadamard(tuple(args))

    @property
    def shape(self) -> Shape:
        return self.factors[0].shape


@dataclass(frozen=True, eq=True)
class Power(Expr):
    """The element-wise power A^∘p; for a 1×1 base, the ordinary power."""

    arg: Expr
    exponent: Fraction

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Power(args[0], self.exponent)

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Apply(Expr):
    """A scalar function applied entry by entry; `order` counts derivatives (σ′ has order 1)."""

    fn: str
    arg: Expr
    order: int = 0

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Apply(self.fn, args[0], self.order)

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Reduce(Expr):
    """A scalar made from a matrix: tr, det, logdet, sum, norm, logsumexp."""

    op: str
    arg: Expr
    shape = SCALAR

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Reduce(self.op, args[0])


@dataclass(frozen=True, eq=True)
class Softmax(Expr):
    """softmax of a vector."""

    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Softmax(args[0])

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Diag(Expr):
    """diag(v): the square matrix with the vector v on its diagonal."""

    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Diag(args[0])

    @property
    def shape(self) -> Shape:
        return (self.arg.length, self.arg.length)


@dataclass(frozen=True, eq=True)
class DiagPart(Expr):
    """diag(A) of a square matrix: the column of its diagonal entries."""

    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return DiagPart(args[0])

    @property
    def shape(self) -> Shape:
        return (self.arg.rows, 1)


@dataclass(frozen=True, eq=True)
class Named(Expr):
    """An intermediate the author named (`f = W^T a`): transparent to maths, printed by name."""

    name: str
    arg: Expr

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Named(self.name, args[0])

    @property
    def shape(self) -> Shape:
        return self.arg.shape


@dataclass(frozen=True, eq=True)
class Call(Expr):
    """An abstract function of a vector, g(f): scalar-valued or vector-valued."""

    fn: str
    arg: Expr
    shape: Shape

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Call(self.fn, args[0], self.shape)


@dataclass(frozen=True, eq=True)
class Grad(Expr):
    """∂fn/∂arg of an abstract function at arg, in the given layout; `name` is its display name (δ)."""

    fn: str
    arg: Expr
    shape: Shape
    name: str | None = None
    layout: str = "denominator"

    @property
    def args(self) -> tuple[Expr, ...]:
        return (self.arg,)

    def with_args(self, args: tuple[Expr, ...]) -> Expr:
        return Grad(self.fn, args[0], self.shape, self.name, self.layout)


def symbols_in(expr: Expr) -> frozenset[Sym]:
    """Every symbol the expression mentions."""
    return frozenset(e for e in expr.walk() if isinstance(e, Sym))
