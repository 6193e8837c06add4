"""Seeded random values that honour the assumptions, at which every expression is finite and well conditioned."""
from __future__ import annotations

import itertools
import math
from typing import Iterable, Iterator, Mapping

import numpy as np

from ..errors import GeneratorError
from ..tree.text import to_text
from ..ops import OPS
from ..tree.nodes import Apply, Dim, Expr, Inverse
from ..tree.scope import Scope
from .numeric import Evaluation, Values
from .rank import deficient, invertible_everywhere

KINK_MARGIN = 1e-2  # samples keep this far from a kink
MAX_ORDERINGS = 720  # orderings of the sizes tried (all of them for up to 6 dimensions)
SIZES = (3, 4, 5, 2, 6, 7, 8, 9)  # distinct sizes, so a wrong shape cannot pass by accident


def sizes_for(scope: Scope, fixed: Mapping[Dim, int] | None = None, exprs: Iterable[Expr] = ()) -> dict[Dim, int]:
    """A distinct small size for every symbolic dimension, in a fixed order; when that order would make an
    inverse, det or logdet argument of `exprs` rank-deficient (Xᵀ X with X of shape N×d and N < d), the first
    ordering of the same sizes, in a fixed order too, at which each can have full rank."""
    dims = sorted({d for s in scope.symbols.values() for d in s.shape if isinstance(d, str)}
                  | {d for f in scope.functions.values() if f.shape for d in f.shape if isinstance(d, str)})
    sizes = dict(fixed or {})
    pool = [n for n in SIZES if n not in sizes.values()] + [n + 10 for n in SIZES]
    free = [d for d in dims if d not in sizes]
    for d in free:
        sizes[d] = pool.pop(0)
    exprs = list(exprs)
    if not exprs or invertible_everywhere(exprs, sizes):
        return sizes
    values = [sizes[d] for d in free]
    for order in itertools.islice(itertools.permutations(values), 1, MAX_ORDERINGS):
        trial = {**sizes, **dict(zip(free, order))}
        if invertible_everywhere(exprs, trial):
            return trial
    # Some expressions are defined only where sizes coincide (logdet(XᵀX) + logdet(X Xᵀ) needs N = d): as few
    # sizes made equal as will do, the groups in a fixed order.
    for blocks in range(len(free) - 1, 0, -1):
        for groups in itertools.islice(_groupings(free, blocks), MAX_ORDERINGS):
            for order in itertools.islice(itertools.permutations(values, blocks), MAX_ORDERINGS):
                trial = {**sizes, **{d: n for group, n in zip(groups, order) for d in group}}
                if invertible_everywhere(exprs, trial):
                    return trial
    return sizes  # nothing helps: the expression is singular at every size (det(x xᵀ)), as sampling will say


def _groupings(items: list[Dim], blocks: int) -> Iterator[list[list[Dim]]]:
    """The ways to split `items` into `blocks` non-empty groups, each group in the items' order."""
    if blocks == len(items):
        yield [[x] for x in items]
        return
    if blocks == 0 or blocks > len(items):
        return
    first, rest = items[0], items[1:]
    yield from ([[first], *g] for g in _groupings(rest, blocks - 1))
    for g in _groupings(rest, blocks):
        for k in range(len(g)):
            yield [*g[:k], [first, *g[k]], *g[k + 1:]]


def sample(scope: Scope, sizes: Mapping[Dim, int], rng: np.random.Generator, positive: bool = False) -> dict[str, np.ndarray]:
    """Random values for every symbol: spd, symmetric and probability assumptions honoured."""
    values = {}
    for name in sorted(scope.symbols):
        sym = scope.symbols[name]
        r, c = (d if isinstance(d, int) else sizes[d] for d in sym.shape)
        if "probability" in sym.props:
            values[name] = rng.dirichlet(np.ones(r * c)).reshape(r, c)
        elif "spd" in sym.props:
            b = rng.standard_normal((r, r))
            values[name] = b @ b.T / r + np.eye(r)
        elif "symmetric" in sym.props:
            b = rng.standard_normal((r, r))
            values[name] = (b + b.T) / 2 + (2 * np.eye(r) if positive else 0)
        elif positive:
            values[name] = rng.uniform(0.3, 1.3, (r, c)) + (np.eye(r) if r == c else 0)
        elif r == c and r > 1:
            values[name] = np.eye(r) + rng.standard_normal((r, r)) / math.sqrt(r)
        else:
            values[name] = rng.standard_normal((r, c))
    return values


def sample_for(exprs: Iterable[Expr], scope: Scope, seed: int, sizes: Mapping[Dim, int] | None = None,
               attempts: int = 12) -> tuple[dict[str, np.ndarray], dict[Dim, int]]:
    """Seeded values at which every expression is finite and every inverse well conditioned."""
    exprs = list(exprs)
    sizes = sizes_for(scope, sizes, exprs)
    culprit: Expr = exprs[0]
    for attempt in range(attempts):
        rng = np.random.default_rng([seed, attempt])
        values = sample(scope, sizes, rng, positive=attempt % 2 == 1)
        failing = next((c for c in (_culprit(e, values, scope, sizes) for e in exprs) if c is not None), None)
        if failing is None:
            return values, sizes
        culprit = failing
    why = deficient(culprit, sizes)
    raise GeneratorError(f"found no values at which {to_text(culprit)} is defined: at every sample it was singular, "
                         "infinite or the log of a negative number" + (f" ({why})" if why else ""))


def _culprit(e: Expr, values: Values, scope: Scope, sizes: Mapping[Dim, int]) -> Expr | None:
    """None when `e` is finite at `values` with well-conditioned inverses; else the part that is not."""
    at = Evaluation(values, scope, sizes)
    try:
        with np.errstate(all="ignore"):
            for node in e.walk():
                if isinstance(node, Inverse) and np.linalg.cond(at.value(node.arg)) > 1e6:
                    return node
                if isinstance(node, Apply) and _near_kink(node, at.value(node.arg)):
                    return node
            out = at.value(e)
    except (np.linalg.LinAlgError, OverflowError, ZeroDivisionError):
        return e
    healthy = bool(np.all(np.isfinite(out))) and float(np.abs(out).max(initial=0)) < 1e8
    return None if healthy else e


def _near_kink(node: Apply, arg: np.ndarray) -> bool:
    """Whether an argument sits so close to where the function bends (relu, abs at 0) that
    finite differences would straddle it."""
    entry = OPS.function(node.fn)
    return entry is not None and any(bool(np.any(np.abs(arg - kink) < KINK_MARGIN)) for kink in entry.kinks)
