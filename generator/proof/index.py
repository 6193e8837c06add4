"""Index notation with sympy: one-entry derivatives, Kronecker-delta reduction, and display.

Sums are built 0-based by sympy; `display` renames sympy's dummies to k, l, p, … and shifts
the limits to 1..n, so what a student reads matches the lecture.
"""
from __future__ import annotations

from itertools import chain, count
from typing import Iterable

import sympy as sp

from .entries import AbstractCall, IndexCall

INDEX_ALPHABET = "ijklpqrstuvabcdefgh"  # the letters proofs name indices with, in order of use


def index_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True)



def with_abstract(e: sp.Basic, gradients: dict[str, str]) -> sp.Basic:
    """Abstract scalar calls g(f) → IndexCall, using the name of each gradient (δ)."""
    def swap(node: sp.Basic) -> sp.Basic:
        fn, arg = node.args[0].name, node.args[1]
        name = gradients.get(fn) or f"d{fn}"
        return IndexCall(fn, arg, sp.MatrixSymbol(name, *arg.shape))
    return e.replace(lambda n: isinstance(n, AbstractCall), swap)


# ---------------------------------------------------------------- Kronecker deltas

def reduce_deltas(e: sp.Expr) -> sp.Expr:
    """Sum over k of δ_kj f(k) → f(j), repeated until no delta can go; δ_jj → 1."""
    e = plain_deltas(e)
    for _ in range(20):
        new = _distribute(e)
        new = new.replace(lambda n: isinstance(n, sp.Sum), _reduce_sum)
        new = plain_deltas(new)
        if new == e:
            break
        e = new
    return e


def plain_deltas(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda n: isinstance(n, sp.KroneckerDelta) and len(n.args) > 2,
                     lambda n: sp.KroneckerDelta(n.args[0], n.args[1]))


def _distribute(e: sp.Expr) -> sp.Expr:
    """Σ (a + b) → Σ a + Σ b, and products expanded inside sums, so deltas sit on single terms."""
    def split(node: sp.Sum) -> sp.Expr:
        body = sp.expand(node.function)
        terms = body.args if isinstance(body, sp.Add) else (body,)
        return sp.Add(*(sp.Sum(t, *node.limits) for t in terms))
    return e.replace(lambda n: isinstance(n, sp.Sum) and isinstance(sp.expand(n.function), sp.Add), split)


def _reduce_sum(node: sp.Sum) -> sp.Expr:
    body, limits = node.function, node.limits
    kept = []
    for var, low, high in limits:
        delta = next((f for f in sp.Mul.make_args(body) if isinstance(f, sp.KroneckerDelta) and var in f.args
                      and f.args[0] != f.args[1]), None)
        if delta is None:
            kept.append((var, low, high))
            continue
        other = delta.args[1] if delta.args[0] == var else delta.args[0]
        body = (body / delta).subs(var, other)
    if not kept:
        return body
    if body.is_zero:
        return sp.Integer(0)
    return sp.Sum(body, *kept)


# ---------------------------------------------------------------- display

def display(exprs: Iterable[sp.Expr], taken: Iterable[str]) -> list[sp.Expr]:
    """Name sympy's dummies k, l, p, … (avoiding `taken`) and shift every sum to run from 1."""
    avoid = set(taken)
    letters = (c for c in chain(INDEX_ALPHABET, (f"k{n}" for n in count(1))) if c not in avoid)
    names: dict[sp.Dummy, sp.Symbol] = {}
    out = []
    for e in exprs:
        for d in sorted(e.atoms(sp.Dummy), key=lambda d: d.dummy_index):
            if d not in names:
                names[d] = index_symbol(next(letters))
        e = e.xreplace(names)
        out.append(e.replace(lambda n: isinstance(n, sp.Sum), _from_one))
    return out


def _from_one(node: sp.Sum) -> sp.Sum:
    return sp.Sum(node.function, *((v, lo + 1, hi + 1) for v, lo, hi in node.limits))


def size(e: sp.Expr) -> int:
    """How big an index expression reads: operations plus nested sums."""
    return int(sp.count_ops(e)) + 4 * sum(len(s.limits) for s in e.atoms(sp.Sum))
