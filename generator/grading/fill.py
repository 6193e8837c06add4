"""Fill-step answers: the missing right-hand side of a proof step, graded against the step the engine printed.

The blanked steps are index steps (write the entry as a sum, differentiate by one entry, reduce
the Kronecker deltas). Equivalent there means: the same value for every value of the free
indices (those of the step's left-hand side), at random values of every matrix, however the
summed indices are named — a sum over k equals the same sum over p. Swapping two free indices
is the index form of a transpose and is tagged `layout`, also where they run over different
ranges (u_j d_i for u_i d_j, u of 3 entries and d of 4). The values are compared at random
floating-point points to a relative 1e-9 (another order of the same sums and products changes
the last bits there), and where both the step and the answer are polynomial in the data also at
one integer point, exactly (rational arithmetic): a tiny perturbation of the step is wrong.
"""
from __future__ import annotations

import re
from fractions import Fraction
from itertools import permutations
from typing import Any, Mapping

import numpy as np
from lark import Token, Tree

from ..check.numeric import evaluate
from ..check.sampling import sample_for, sizes_for
from ..errors import GeneratorError
from ..pipeline.derivation import Derivation
from ..sheets.views import split_equation
from .index import (
    MAX_LENGTH,
    IndexAnswerError,
    Names,
    evaluate_index,
    free_indices,
    has_functions,
    name_of,
    read_index,
)
from .index_echo import index_latex
from .index_spelling import joined_subscripts
from .verdict import Verdict

STEP_TOLERANCE = 1e-9  # a filled step equals the claim within this relative gap at the floating-point points
POINTS = 2  # random points in floating point (compared to STEP_TOLERANCE); one integer point more, compared exactly
GRADED_STEPS = ("index", "differentiate", "reduce", "chain")
ENTRY = re.compile(r"(\\[A-Za-z]+|[A-Za-z])\s*(?:\}\s*)?_\s*\{?\s*([A-Za-z0-9, ]+?)\s*\}")
DEFAULT_RANGE = 3  # a free index met only in Kronecker deltas with other free indices: any range shows it


class FillKey:
    """One blanked step, read once: its right-hand side, free indices and their ranges, and sample points."""

    def __init__(self, d: Derivation, blank: Mapping[str, Any]):
        number = blank.get("step")
        if not isinstance(number, int) or not 1 <= number <= len(d.steps):
            raise GeneratorError(f"\"blank\": step {number!r} is not a step of the proof (1..{len(d.steps)})")
        step = d.steps[number - 1]
        self.step, self.number = step, number
        lhs, rhs = split_equation(step.latex)
        if blank.get("kind") not in (None, step.kind) or blank.get("latex") not in (None, rhs):
            raise GeneratorError(f"\"blank\": step {number} of the derivation is not the step the manifest blanked "
                                 "(the manifest is stale: make the sheet again)")
        if step.kind not in GRADED_STEPS:
            raise GeneratorError(f"a blanked {step.kind!r} step is not graded automatically")
        self.lhs, self.rhs, self.layout = lhs, last_part(rhs), d.layout
        try:
            self.tree = read_index(self.rhs)
        except IndexAnswerError:
            raise GeneratorError(f"the blanked {step.kind} step is not in index notation; "
                                 "it is not graded automatically") from None
        self.names = _names(d)
        self.ranges = _ranges(self.tree, lhs, self.names[0].shapes)
        self.axes = tuple(sorted(self.ranges))
        self.exact_point = _exact_names(self.names[0]) if not has_functions(self.tree) else None
        self.reference = [self.value(self.tree, n) for n in self.points()]
        self.cross_check(d)

    def points(self) -> list[Names]:
        return [*self.names, *([self.exact_point] if self.exact_point is not None else [])]

    def value(self, tree: Tree, names: Names) -> np.ndarray:
        return evaluate_index(tree, names, self.ranges, self.axes)

    def cross_check(self, d: Derivation) -> None:
        """The printed right-hand side, as this module reads it, equals the step's claim (where it has one)."""
        claim = self.step.claim
        if claim is None or claim.kind != "entry":
            return
        names = self.names[0]
        whole = evaluate(claim.rhs, names.values, d.scope, _sizes(d))
        got = self.reference[0]
        for point in np.ndindex(*got.shape) if got.shape else [()]:
            at = dict(zip(self.axes, point))
            where = [at.get(str(i), None) if not str(i).isdigit() else int(str(i)) for i in claim.indices]
            if any(w is None for w in where):
                return  # the claim is by an index this step does not show free: nothing to compare
            want = whole[where[0], where[1]]
            if not np.isclose(got[point], want, rtol=1e-8, atol=1e-10):
                raise GeneratorError(f"the blanked step {self.number} does not read back as its claim")

    def grade(self, answer: str, weights: Mapping[str, float]) -> Verdict:
        """The verdict on one answer (the right-hand side alone, or with its left-hand side)."""
        if len(answer) > MAX_LENGTH:
            return _verdict("parse", f"The answer has {len(answer)} characters; the limit is {MAX_LENGTH}.", answer,
                            weights)
        text = last_part(answer)
        try:
            tree = joined_subscripts(read_index(text), self.names[0].shapes)
            tag, feedback = self.compare(self.values(tree), tree)
        except IndexAnswerError as err:
            message = str(err)
            tag = "unknown-symbol" if "unknown name" in message else "shape" if "runs over" in message else \
                "other" if "neither summed" in message else "parse"
            swapped = self.swapped(tree) if tag == "shape" else None  # i and j swapped, over different ranges
            if swapped:
                return _verdict("layout", swapped, answer, weights, index_latex(tree))
            return _verdict(tag, _sentence(err), answer, weights)
        except (ArithmeticError, ValueError, TypeError):
            return _verdict("other", "Your expression is not defined at some values (a division by zero?).", answer,
                            weights)
        except Exception:  # noqa: BLE001 - a verdict for every string is the contract
            return _verdict("parse", "Your expression could not be read.", answer, weights)
        return _verdict(tag, feedback, answer, weights, index_latex(tree))

    def values(self, tree: Tree) -> list[np.ndarray]:
        """The answer's value at each sample point: the random ones, then the integer one where both are exact."""
        exact = self.exact_point is not None and not has_functions(tree)
        return [self.value(tree, n) for n in (self.points() if exact else self.names)]

    def matches(self, got: list[np.ndarray], factor: Any = 1) -> bool:
        """got = factor·reference at every point: exactly at the integer point, within STEP_TOLERANCE at the random
        ones (floating point, where another order of the same operations changes the last bits)."""
        for k, (g, w) in enumerate(zip(got, self.reference)):
            if k >= len(self.names):  # the integer point: rational arithmetic, no tolerance
                if not _same(g, w * factor if factor != 1 else w):
                    return False
            elif not _close(g, np.asarray(w, dtype=float) * float(factor)):
                return False
        return True

    def swapped(self, tree: Tree) -> str | None:
        """The feedback for an answer that equals the step's with two (or more) free indices exchanged, else None.

        The indices are renamed in the answer, not its value transposed: i and j may run over different ranges."""
        for order in permutations(self.axes):
            mapping = {a: b for a, b in zip(self.axes, order) if a != b}
            if not mapping:
                continue
            try:
                got = self.values(_renamed(tree, mapping))
            except (IndexAnswerError, ArithmeticError, ValueError, TypeError):
                continue
            if self.matches(got):
                return f"The indices {' and '.join(sorted(mapping))} are swapped."
        return None

    def compare(self, got: list[np.ndarray], tree: Tree) -> tuple[str | None, str]:
        if self.matches(got):
            return None, "Correct."
        swapped = self.swapped(tree)
        if swapped:
            return "layout", swapped
        c = _factor(got, self.reference, len(self.names) if len(got) > len(self.names) else 0)
        # a factor the random points cannot tell from 1 is no factor: the answer is off by a tiny amount instead
        if c is not None and c != 0 and abs(float(c) - 1) > STEP_TOLERANCE and self.matches(got, c):
            if c == -1:
                return "sign", "Check the sign: your expression is the negative of the step's."
            return "scale", "Your expression is off by a constant factor."
        if all(not np.any(g) for g in got):
            return "other", "Your expression is zero, but the step's is not."
        return "other", "Your expression does not equal the step's right-hand side for every value of the indices."


def last_part(text: str) -> str:
    """What follows the last '=' outside braces: a chain rule's index form after its shapes (a = b = Σ …)."""
    while "=" in text:
        left, right = split_equation(text)
        if not left and right == text:
            break
        text = right
    return text


def _verdict(tag: str | None, feedback: str, answer: str, weights: Mapping[str, float], echo: str = "") -> Verdict:
    return Verdict(tag is None, tag, feedback, 1.0 if tag is None else weights.get(tag, 0.0), answer, echo)


def _sentence(err: Exception) -> str:
    text = str(err).rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _sizes(d: Derivation) -> dict[Any, int]:
    numbers = {dim for s in d.scope.symbols.values() for dim in s.shape if isinstance(dim, int) and dim > 1}
    return sizes_for(d.scope, {n: n for n in numbers})


def _names(d: Derivation) -> list[Names]:
    """The symbols and named intermediates with their sizes, and their values at POINTS seeded points."""
    sizes = _sizes(d)
    exprs = {name: sym for name, sym in d.scope.symbols.items()} | dict(d.statement.bindings)
    if d.statement.output and d.statement.output not in exprs:
        exprs[d.statement.output] = d.statement.expr  # the output, as ∂y/∂f_k names it
    shapes = {name: tuple(s if isinstance(s, int) else sizes[s] for s in e.shape) for name, e in exprs.items()}
    dims = {k: v for k, v in sizes.items() if isinstance(k, str)}
    out = []
    for k in range(POINTS):
        values, _ = sample_for([d.statement.expr], d.scope, seed=4241 + k, sizes=sizes)
        with np.errstate(all="ignore"):
            full = {name: np.asarray(evaluate(e, values, d.scope, sizes), dtype=float) for name, e in exprs.items()}
        out.append(Names(shapes, full, dims))
    return out


def _exact_names(names: Names) -> Names:
    """Small non-zero integers for every symbol (Python ints: exact arithmetic); seeded, so the same every run."""
    rng = np.random.default_rng(1009)
    values = {}
    for name, shape in sorted(names.shapes.items()):
        cells = rng.integers(1, 5, size=shape) * rng.choice([-1, 1], size=shape)
        values[name] = np.array([[int(x) for x in row] for row in cells], dtype=object)
    return Names(names.shapes, values, names.sizes, exact=True)


def _ranges(tree: Tree, lhs: str, shapes: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """The range of each free index: from the entries it indexes on either side, else a Kronecker partner."""
    uses = free_indices(tree)
    for name, subscript in ENTRY.findall(lhs):
        name = name.lstrip("\\")
        letters = [s for s in subscript.replace(",", " ").split()] if "," in subscript else list(subscript.strip())
        for k, index in enumerate(x for x in letters if x != " "):
            if index.isalpha():
                uses.setdefault(index, []).append((name, k))
    ranges: dict[str, int] = {}
    for index, places in uses.items():
        for name, position in places:
            if name in shapes:
                dims = [d for d in shapes[name] if d != 1] or [1]
                ranges.setdefault(index, shapes[name][position] if len(dims) == 2 else dims[0])
    for index in uses:
        if index not in ranges:
            ranges[index] = _partner(tree, index, ranges)
    return ranges


def _partner(tree: Tree, index: str, ranges: Mapping[str, int]) -> int:
    """The range of an index met only in δ: that of the other index of a δ it shares, else DEFAULT_RANGE."""
    for entry in tree.find_data("entry"):
        if name_of(entry.children[0]) != "delta":
            continue
        found = [str(t) for t in entry.children[1].scan_values(lambda v: True)] if len(entry.children) > 1 else []
        if index in found:
            other = next((x for x in found if x != index), None)
            if other in ranges:
                return ranges[other]
    return DEFAULT_RANGE


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(a == b))


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    return float(np.linalg.norm(a - b)) <= STEP_TOLERANCE * max(float(np.linalg.norm(b)), 1e-300)


def _factor(got: list[np.ndarray], want: list[np.ndarray], at: int = 0) -> Any:
    """The c with got = c·want at point `at` (the integer point gives it exactly), from want's largest entry there;
    None when want is zero there."""
    g, w = got[at], want[at]
    if not w.size:
        return None
    k = int(np.argmax(np.abs(np.asarray(w, dtype=float)).ravel()))
    if w.ravel()[k] == 0:
        return None
    if isinstance(g.ravel()[k], (int, Fraction)) and isinstance(w.ravel()[k], (int, Fraction)):
        c = Fraction(g.ravel()[k]) / Fraction(w.ravel()[k])
        return int(c) if c.denominator == 1 else c
    c = g.ravel()[k] / w.ravel()[k]
    return round(float(c)) if abs(float(c) - round(float(c))) < 1e-9 else c


def _renamed(node: Tree | Token, mapping: Mapping[str, str], inside: bool = False) -> Tree | Token:
    """The tree with index letters renamed at once (i → j and j → i): in subscripts, indicators and Σ's index only."""
    if isinstance(node, Token):
        if not inside or not str(node).isalpha():
            return node  # a name, a number, a sum's limit (^{n}), or a fixed position (A_{i1})
        return node.update(value="".join(mapping.get(ch, ch) for ch in str(node)))
    inside = inside or node.data in ("subscript", "index", "index_name")
    return Tree(node.data, [_renamed(k, mapping, inside) for k in node.children])
