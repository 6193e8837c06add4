"""The constructors a formula in the registry is written with, so one formula serves every layer.

A derivative such as softplus′(u) = σ(u) is declared once, as a function of an argument and a
kit: the engine passes a kit that builds expression trees, the index proofs one that builds
sympy expressions, the numeric check one that computes with numpy arrays, the exporters kits
that write code. Element-wise formulas use the scalar part of the kit; a reduction's gradient
may use the matrix part.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, Protocol, TypeVar

T = TypeVar("T")


class Kit(Protocol[T]):
    """Constructors over some representation T of expressions."""

    def const(self, value: int | Fraction) -> T: ...

    def apply(self, fn: str, u: T, order: int = 0) -> T: ...

    def add(self, *terms: T) -> T: ...

    def mul(self, *factors: T) -> T: ...  # the (matrix) product; a constant times anything

    def power(self, u: T, p: int | Fraction) -> T: ...

    def hadamard(self, *factors: T) -> T: ...  # entry by entry: how element-wise formulas multiply

    def transpose(self, u: T) -> T: ...

    def inverse(self, u: T) -> T: ...

    def identity(self, like: T) -> T: ...  # the identity of a square matrix's size

    def ones(self, like: T) -> T: ...  # ones of another's shape

    def softmax(self, u: T) -> T: ...

    def reduce(self, op: str, u: T) -> T: ...


def neg(k: Kit[T], u: T) -> T:
    """−u."""
    return k.mul(k.const(-1), u)


def sub(k: Kit[T], a: T, b: T) -> T:
    """a − b."""
    return k.add(a, neg(k, b))


Formula = Callable[[Any, Any], Any]  # (argument, kit) → value, e.g. lambda u, k: k.apply("sigma", u)
