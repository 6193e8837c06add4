"""Multiple-choice options: the key and the mistakes mcgen diagnoses, built as trees and checked to differ numerically."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator

import numpy as np

from ..check.numeric import evaluate
from ..check.sampling import sample_for
from ..errors import GeneratorError
from ..grading.grade import grade
from ..latex.printer import latex
from ..pipeline.derivation import Derivation
from ..sheets.space import draw
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.edit import replace_at
from ..tree.nodes import Expr, Kron, Mul, Transpose
from ..tree.text import to_text

MAX_DISTRACTORS = 4
MAX_CHAIN = 4  # longer products are not reordered (4! orders × 2⁴ transposes at most)
POINTS = 2  # sample points at which options must differ
SAME_OPTION = 1e-6  # relative gap below which two options count as the same
SHUFFLE = 13  # a constant of the option shuffle's draw, apart from the draws sheets make from the same seed


@dataclass(frozen=True)
class Option:
    """One choice: its LaTeX and text, whether it is the key, and mcgen's own verdict on it (tag and feedback)."""

    expr: Expr
    latex: str
    text: str
    correct: bool
    mistake: str | None
    feedback: str


def candidates(key: Expr) -> Iterator[tuple[str, Expr | None]]:
    """Typical wrong answers, most telling first: the other layout, the sign, swapped Kronecker factors, a
    mis-ordered product, a dropped transpose, a factor; None where a mistake does not fit the shapes."""
    yield "layout", alg.transpose(key)
    yield "sign", alg.neg(key)
    for path, node in _nodes(key):
        if isinstance(node, Kron) and len(node.factors) == 2:  # C ⊗ D for D ⊗ C: the row-major vec
            yield "kron-order", _rebuilt(key, path, lambda: kr.kron(*reversed(node.factors)))
    for path, node in _nodes(key):
        if isinstance(node, Mul) and 2 <= len(node.chain) <= MAX_CHAIN:
            scalars = [f for f in node.factors if f.is_scalar]
            for chain in _reorderings(node):
                yield "order", _rebuilt(key, path, lambda: alg.mul(*scalars, *chain))
    for path, node in _nodes(key):
        if isinstance(node, Transpose):
            yield "transpose", _rebuilt(key, path, lambda: node.arg)
    c, body = alg.split_coeff(key)
    yield "factor", alg.mul(alg.const(1 if c > 0 else -1), body) if abs(c) != 1 else alg.mul(alg.const(2), key)
    yield "factor", alg.mul(alg.const(Fraction(1, 2)), key)


def _reorderings(node: Mul) -> Iterator[tuple[Expr, ...]]:
    """The product's factors in another order, some transposed, where the shapes allow and the result has the
    product's shape; not the product itself nor its transpose read backwards (that is the layout mistake)."""
    chain = node.chain
    transposed = tuple(alg.transpose(f) for f in reversed(chain))
    for order in itertools.permutations(range(len(chain))):
        for flips in itertools.product((False, True), repeat=len(chain)):
            factors = tuple(alg.transpose(chain[k]) if flip else chain[k] for k, flip in zip(order, flips))
            if factors in (chain, transposed) or not _fits(factors, node.shape):
                continue
            yield factors


def _fits(factors: tuple[Expr, ...], shape: tuple) -> bool:
    return all(a.cols == b.rows for a, b in zip(factors, factors[1:])) and \
        (factors[0].rows, factors[-1].cols) == shape


def _nodes(e: Expr, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Expr]]:
    yield path, e
    for k, a in enumerate(e.args):
        yield from _nodes(a, (*path, k))


def _rebuilt(key: Expr, path: tuple[int, ...], make: Callable[[], Expr]) -> Expr | None:
    """The key with the node at path replaced by make(); None where shapes do not allow it."""
    try:
        return replace_at(key, path, make())
    except GeneratorError:
        return None


def options(d: Derivation, seed: int) -> tuple[Option, ...]:
    """The key and up to MAX_DISTRACTORS wrong answers, pairwise different at seeded points, in a seeded order."""
    key = d.closed_form
    points = sample_points(d, seed)
    chosen: list[tuple[Option, list[np.ndarray]]] = [(_option(d, key), values_at(key, d, points))]
    for _, candidate in candidates(key):
        if len(chosen) > MAX_DISTRACTORS:
            break
        values = values_at(candidate, d, points) if candidate is not None else None
        if values is None or any(same(values, seen) for _, seen in chosen):
            continue
        option = _option(d, candidate)
        if not option.correct and option.mistake != "parse":  # mcgen's grader must read it and say why it is wrong
            chosen.append((option, values))
    if not chosen[0][0].correct:
        raise GeneratorError(f"the key {chosen[0][0].text} does not grade as correct against its own derivation")
    order = sorted(range(len(chosen)), key=lambda k: draw(seed, SHUFFLE, k))
    return tuple(chosen[k][0] for k in order)


def _option(d: Derivation, e: Expr) -> Option:
    text = to_text(e, d.layout)
    verdict = grade(text, d)
    return Option(e, latex(e), text, verdict.correct, verdict.mistake, verdict.feedback)


def sample_points(d: Derivation, seed: int) -> list[tuple[dict, dict]]:
    """Seeded (values, sizes) at which the expression and its derivative are defined."""
    return [sample_for([d.statement.expr, d.closed_form], d.scope, seed=seed + k) for k in range(POINTS)]


def values_at(e: Expr, d: Derivation, points: list[tuple[dict, dict]]) -> list[np.ndarray] | None:
    """The values of e at the points; None where it is undefined there or its shapes do not fit."""
    out = []
    for values, sizes in points:
        try:
            with np.errstate(all="ignore"):
                v = evaluate(e, values, d.scope, sizes)
        except (ValueError, ArithmeticError, np.linalg.LinAlgError, GeneratorError):
            return None
        if not np.all(np.isfinite(v)):
            return None
        out.append(v)
    return out


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    """Equal shapes and values within SAME_OPTION (relative) at every point."""
    return all(x.shape == y.shape and np.linalg.norm(x - y) <= SAME_OPTION * max(1.0, np.linalg.norm(y))
               for x, y in zip(a, b))
