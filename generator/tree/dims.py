"""Dimensions: a size (3), a name (n), or a product of them (m n), the size of a Kronecker product or of vec(X).

A product is kept in one canonical form — the number first, the names sorted, repeats kept — so
I_{mn} and I_{nm} are one matrix and shapes compare by equality, as they do for names.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Union


@dataclass(frozen=True)
class Prod:
    """A product of dimension names and a whole number: m n, 2 n, n²."""

    coeff: int
    names: tuple[str, ...]  # sorted, a name once per factor

    def __str__(self) -> str:
        powers = Counter(self.names)
        parts = [name + ("" if k == 1 else _superscript(k)) for name, k in sorted(powers.items())]
        joiner = "" if all(len(name) == 1 for name in powers) else "·"
        return ("" if self.coeff == 1 else str(self.coeff)) + joiner.join(parts)


Dim = Union[int, str, Prod]


def _superscript(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def dim_mul(*dims: Dim) -> Dim:
    """The product of dimensions in canonical form: 2·3 = 6, n·1 = n, m·n = n·m = Prod(1, (m, n))."""
    coeff, names = 1, []
    for d in dims:
        if isinstance(d, int):
            coeff *= d
        elif isinstance(d, str):
            names.append(d)
        else:
            coeff *= d.coeff
            names.extend(d.names)
    if not names:
        return coeff
    if coeff == 1 and len(names) == 1:
        return names[0]
    return Prod(coeff, tuple(sorted(names)))


def factors(d: Dim) -> tuple[int, tuple[str, ...]]:
    """(number, names) of a dimension: 3 → (3, ()), n → (1, (n,)), m n → (1, (m, n))."""
    if isinstance(d, int):
        return d, ()
    if isinstance(d, str):
        return 1, (d,)
    return d.coeff, d.names


def size(d: Dim, sizes: Mapping[str, int]) -> int:
    """The number a dimension stands for, given the sizes of its names."""
    coeff, names = factors(d)
    return coeff * math.prod(sizes[n] for n in names)


def rename(d: Dim, mapping: Mapping[Dim, Dim]) -> Dim:
    """A dimension with its names replaced (a product renamed factor by factor)."""
    if not isinstance(d, Prod):
        return mapping.get(d, d)
    return dim_mul(d.coeff, *(mapping.get(n, n) for n in d.names))


def names_of(d: Dim) -> tuple[str, ...]:
    """The dimension names a dimension is made of."""
    return factors(d)[1]


def divide(total: Dim, part: Dim) -> Dim | None:
    """The dimension d with part·d = total, when there is one: mn / m = n, 6 / 2 = 3; None otherwise."""
    (tc, tn), (pc, pn) = factors(total), factors(part)
    rest = Counter(tn)
    rest.subtract(Counter(pn))
    if pc == 0 or tc % pc or any(k < 0 for k in rest.values()):
        return None
    return dim_mul(tc // pc, *rest.elements())
