"""A student's answer → Verdict: parse it, check its shape, compare numbers at seeded points, name the mistake."""
from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from typing import Any, Iterator, Mapping

import numpy as np

from ..check.numeric import evaluate
from ..check.sampling import sample_for
from ..errors import GeneratorError, ParseError, ShapeError
from ..latex.printer import latex
from ..parse.builder import ShapeMismatch, UnknownName
from ..pipeline.derivation import Derivation
from ..tree import algebra as alg
from ..tree.edit import replace_at
from ..tree.nodes import Const, Expr, Mul, Ones, Shape, Sym, Transpose, shape_text
from ..vocabulary import other_layout
from . import budget
from .exact import Matrix, NotRational, exact_value, rational_point
from .reading import Reader
from .tensor import KRON_ORDER, KRON_ORDER_HINT, row_major
from .verdict import MISTAKES, Verdict

DEFAULT_CREDIT: Mapping[str, float] = {"layout": 0.5, "transpose": 0.5, "sign": 0.5, "scale": 0.5, "kron-order": 0.5}
POINTS = 3  # seeded random points per derivation: a wrong answer agreeing at all three is a coincidence
MATCH_TOLERANCE = 1e-7  # an answer equals the key within this relative (Frobenius) gap: sizes 1e-6 and 1e6 alike
TRANSPOSE_EDITS = 24  # single transposes tried, added or dropped, to name a missing (or extra) one
KEYS_KEPT = 256  # derivations whose sample points stay cached
MEMO_KEPT = 4096  # answers remembered per derivation: a class sends the same text many times
MEMO_LONGEST = 256  # longer answers are rare and not worth the memory

SYMMETRIC = frozenset({"symmetric", "spd"})
NEAR_MISS = ("other", "Your answer is very close to the derivative but not equal to it: check the constants.")


def grade(answer: str, derivation: Derivation, credit: Mapping[str, float] | None = None) -> Verdict:
    """Grade one answer (text or LaTeX) against a derivation; never raises on any answer.

    `credit` gives partial credit per mistake, e.g. {"layout": 0.5}; mistakes it leaves out score
    as in DEFAULT_CREDIT (layout, sign and scale 0.5, the rest 0).
    """
    weights = credit_table(credit)
    if not isinstance(answer, str):
        tag, feedback, echo = "parse", "The answer is not text.", ""
    else:
        tag, feedback, echo = _key(derivation).judge(answer)
    score = 1.0 if tag is None else weights.get(tag, 0.0)
    return Verdict(tag is None, tag, feedback, score, answer if isinstance(answer, str) else "", echo)


def credit_table(credit: Mapping[str, float] | None) -> dict[str, float]:
    """DEFAULT_CREDIT updated by `credit`; unknown tags and scores outside 0..1 are refused."""
    table = dict(DEFAULT_CREDIT)
    for tag, value in (credit or {}).items():
        if tag not in MISTAKES:
            raise GeneratorError(f"credit: unknown mistake {tag!r}; expected one of {', '.join(MISTAKES)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise GeneratorError(f"credit.{tag}: expected a number from 0 to 1, found {value!r}")
        table[tag] = float(value)
    return table


# ---------------------------------------------------------------- one derivation, many answers

@dataclass(frozen=True)
class _Point:
    values: dict[str, np.ndarray]
    sizes: dict[Any, int]
    expected: np.ndarray
    symmetric_form: np.ndarray | None  # by a symmetric matrix, the G + Gᵀ − diag(G) convention is right too


class _Key:
    """What grading against one derivation needs, computed once: names, shape, sample points."""

    def __init__(self, d: Derivation):
        self.scope, self.layout, self.shape = d.scope, d.layout, d.closed_form.shape  # a tensor: its vec form
        self.reader = Reader(d)
        self.row_major = row_major(d)  # a Kronecker-form answer with its factors swapped
        self.symmetric = d.kind == "gradient" and bool(d.wrt.props & SYMMETRIC)
        exprs = [d.statement.expr, d.closed_form]
        self.points = []
        for k in range(POINTS):
            values, sizes = sample_for(exprs, d.scope, seed=7919 + k)
            g = evaluate(d.closed_form, values, d.scope, sizes)
            other = self.project(g + g.T - np.diag(np.diag(g))) if self.symmetric else None
            self.points.append(_Point(values, sizes, self.project(g), other))
        self.exact = self.exact_key(d)
        self.closed_form, self._slips = d.closed_form, None
        if d.kind == "slice":  # one shape in both layouts, and the question names none
            self.transposed = f"This is the transpose of the slice: the slice is {shape_text(self.shape)} in both layouts."
        else:
            self.transposed = (f"This is the {other_layout(self.layout)} layout; the question asks for the "
                               f"{self.layout} layout.")
        self.memo: OrderedDict[str, tuple[str | None, str, str]] = OrderedDict()

    def exact_key(self, d: Derivation) -> tuple[dict[str, Matrix], Matrix] | None:
        """A rational point and the key's exact value there, when the key is rational (no exp, log, root)."""
        if self.symmetric:
            return None  # the symmetric-gradient convention is checked in floating point
        point = rational_point(d.scope, self.points[0].sizes)
        try:
            return point, exact_value(d.closed_form, point, self.points[0].sizes)
        except NotRational:
            return None

    def exactly(self, expr: Expr, factor: int = 1, transpose: bool = False) -> bool:
        """False when factor·answer (transposed) differs exactly from the key at the rational point, where both
        have an exact value there: the floating-point relation found is then a near miss, not the relation."""
        if self.exact is None:
            return True
        point, want = self.exact
        try:
            got = exact_value(expr, point, self.points[0].sizes)
        except NotRational:
            return True  # not rational: the floating-point comparison stands, to MATCH_TOLERANCE
        if len(got) == 1 and len(got[0]) == 1 and (len(want), len(want[0])) != (1, 1):
            return all(x == factor * got[0][0] for row in want for x in row)  # a bare 0 is the zero matrix
        got = [list(col) for col in zip(*got)] if transpose else got
        return [[factor * x for x in row] for row in got] == want

    def project(self, g: np.ndarray) -> np.ndarray:
        """By a symmetric matrix only the steps Eᵢⱼ + Eⱼᵢ exist: compare what they see, G + Gᵀ − diag(G)."""
        return np.triu(g + g.T - np.diag(np.diag(g))) if self.symmetric else g

    def judge(self, answer: str) -> tuple[str | None, str, str]:
        """(mistake, feedback, LaTeX of the answer as read) for any string; remembered for repeated answers."""
        if answer in self.memo:
            self.memo.move_to_end(answer)
            return self.memo[answer]
        try:
            found = self.diagnose(answer)
        except Exception:  # noqa: BLE001 - a verdict for every string is the contract
            found = ("parse", "Your answer could not be read.", "")
        if len(answer) <= MEMO_LONGEST:
            self.memo[answer] = found
            if len(self.memo) > MEMO_KEPT:
                self.memo.popitem(last=False)
        return found

    def diagnose(self, answer: str) -> tuple[str | None, str, str]:
        try:
            expr = self.reader.read(answer)
        except UnknownName as err:
            return "unknown-symbol", _sentence(err), ""
        except ShapeMismatch as err:
            return "shape", "The shapes in your answer do not fit: " + _sentence(err, capital=False), ""
        except ShapeError as err:
            return "shape", f"The shapes in your answer do not fit: {err}.", ""
        except (GeneratorError, RecursionError, ArithmeticError, ValueError) as err:
            return "parse", _sentence(err) if isinstance(err, ParseError) else "Your answer could not be read.", ""
        try:
            budget.check(expr, self.points[0].sizes)
        except budget.OverBudget as err:
            return "parse", f"Your answer is too large to check: {err}.", ""
        tag, feedback = self.verdict(expr)
        if tag in ("other", "shape") and (scalar := _broadcast(expr)) is not None:
            what = "vector" if expr.is_vector else "matrix"
            feedback = (f"Your answer adds the scalar ${latex(scalar)}$ to every entry of a {what} "
                        f"({shape_text(expr.shape)}): is a factor missing from that term?")
        return tag, feedback, latex(expr)

    def verdict(self, expr: Expr) -> tuple[str | None, str]:
        """(mistake, feedback) of an answer that reads and fits the budget."""
        zero = isinstance(expr, Const) and expr.value == 0  # a bare 0 is the zero matrix of any shape
        shape = self.shape if zero else expr.shape
        if shape != self.shape and shape != self.shape[::-1]:
            return "shape", _shape_feedback(shape, self.shape)
        got = self.values(expr, zero)
        if got is None:
            return "other", ("Your answer is not defined at some values of the variables "
                             "(a singular inverse, or a log or root of a negative number).")
        want = [p.expected for p in self.points]
        return self.compare(got, want, shape, expr)

    def values(self, expr: Expr, zero: bool) -> list[np.ndarray] | None:
        out = []
        for p in self.points:
            if zero:
                out.append(np.zeros_like(p.expected))
                continue
            try:
                with np.errstate(all="ignore"):
                    value = evaluate(expr, p.values, self.scope, p.sizes)
            except (ArithmeticError, ValueError, np.linalg.LinAlgError, GeneratorError):
                return None
            if not np.all(np.isfinite(value)):
                return None
            out.append(value)
        return out

    def compare(self, got: list[np.ndarray], want: list[np.ndarray], shape: Shape, expr: Expr) -> tuple[str | None, str]:
        """Shape known to be the derivative's or its transpose: find which relation the numbers show."""
        layout = self.transposed
        same = [self.project(g) for g in got] if shape == self.shape else None
        flipped = [self.project(g.T) for g in got] if shape == self.shape[::-1] else None
        if same is not None and _factor(same, want) == 1:
            return (None, "Correct.") if self.exactly(expr) else NEAR_MISS
        if same is not None and self.symmetric and _factor(same, [p.symmetric_form for p in self.points]) == 1:
            return None, "Correct (in the symmetric-gradient convention G + Gᵀ − diag(G))."
        if flipped is not None and _factor(flipped, want) == 1:
            return ("layout", layout) if self.exactly(expr, transpose=True) else NEAR_MISS
        if same is not None:
            c = _factor(same, want)
            if c == -1 and self.exactly(expr, factor=-1):  # else −1.0000001: a constant factor, found below
                return "sign", "Check the sign: your answer is the negative of the derivative."
            if c is not None and c != 0:
                return "scale", "Your answer is off by a constant factor."
        if flipped is not None:
            c = _factor(flipped, want)
            if c is not None and c != 0:
                extra = " Check the sign as well." if c == -1 else " It is also off by a constant factor."
                return "layout", layout + extra
        if same is not None and self.row_major is not None and _factor(
                [self.row_major(g, p.sizes) for g, p in zip(got, self.points)], want) == 1:
            return KRON_ORDER, KRON_ORDER_HINT
        if shape != self.shape:
            return "shape", _shape_feedback(shape, self.shape)
        if same is not None and (slip := self.transpose_slip(same)) is not None:
            return "transpose", slip
        if all(not np.any(g) for g in got):
            return "other", "Your answer is zero, but the derivative is not."
        return "other", f"Your answer has the right shape ({shape_text(shape)}) but is not equal to the derivative."


    def transpose_slip(self, got: list[np.ndarray]) -> str | None:
        """Feedback naming the one transpose that, added to or dropped from the key, gives the answer (uᵀ(M + M)
        for uᵀ(M + Mᵀ)); None when no single one does."""
        for written, values in self.slips():
            if _factor(got, values) == 1:
                missing = not isinstance(written, Transpose)
                return f"One transpose is {'missing' if missing else 'extra'}: check where you wrote ${latex(written)}$."
        return None

    def slips(self) -> list[tuple[Expr, list[np.ndarray]]]:
        """The key with one transpose dropped or added, at TRANSPOSE_EDITS places at most: what the answer has
        there, and the values at the sample points (computed when first asked for, once per key)."""
        if self._slips is None:
            self._slips = []
            for path, node in islice(_transposable(self.closed_form), TRANSPOSE_EDITS):
                written = node.arg if isinstance(node, Transpose) else Transpose(node)
                values = self.values(replace_at(self.closed_form, path, written), zero=False)
                if values is not None and all(v.shape == p.expected.shape for v, p in zip(values, self.points)):
                    self._slips.append((written, [self.project(v) for v in values]))
        return self._slips


def _transposable(e: Expr, path: tuple[int, ...] = ()) -> Iterator[tuple[tuple[int, ...], Expr]]:
    """The places where one transpose could be missing or extra: each transpose, and each square matrix
    that is not symmetric (transposing a symmetric one changes nothing), left to right."""
    if isinstance(e, Transpose):
        yield path, e
    elif isinstance(e, Sym) and e.rows == e.cols and e.rows != 1 and not e.props & SYMMETRIC:
        yield path, e
    for k, a in enumerate(e.args):
        yield from _transposable(a, (*path, k))


def _factor(got: list[np.ndarray], want: list[np.ndarray]) -> float | None:
    """The constant c with got = c·want at every point (1 and -1 exactly), or None if there is none."""
    factors = []
    for g, w in zip(got, want):
        ww = float(np.vdot(w, w))
        if ww == 0.0:
            if float(np.vdot(g, g)) != 0.0:
                return None
            factors.append(1.0)
            continue
        with np.errstate(all="ignore"):  # an answer's values may be huge: an overflow means no relation
            c = float(np.vdot(g, w)) / ww
            gap, size = np.linalg.norm(g - c * w), max(np.linalg.norm(g), abs(c) * np.sqrt(ww))
        if not (np.isfinite(gap) and np.isfinite(size)) or gap > MATCH_TOLERANCE * size:
            return None
        factors.append(c)
    first = factors[0]
    if any(abs(c - first) > MATCH_TOLERANCE * 10 * max(abs(c), abs(first)) for c in factors):
        return None
    for exact in (1.0, -1.0, 0.0):
        if abs(first - exact) <= MATCH_TOLERANCE:
            return exact
    return first


def _broadcast(e: Expr) -> Expr | None:
    """The scalar a student added to a vector or matrix (`2 A^T r + 2 lambda`), silently spread over its entries.

    The parser writes such a term as scalar × 1 (a matrix of ones); a constant (1 − σ(x)) is
    the usual meaning and is left alone, a scalar with a symbol in it is worth a hint.
    """
    stack, seen = [e], {id(e)}
    while stack:  # each distinct node once: a shared subtree is not walked again
        node = stack.pop()
        stack.extend(a for a in node.args if id(a) not in seen and not seen.add(id(a)))
        if isinstance(node, Mul) and any(isinstance(f, Ones) for f in node.factors):
            scalars = [f for f in node.factors if f.is_scalar]
            if all(isinstance(f, (Ones, Const)) or f.is_scalar for f in node.factors) and \
                    any(not isinstance(f, Const) for f in scalars):
                return alg.mul(*scalars)
    return None


def _shape_feedback(got: Shape, want: Shape) -> str:
    return f"Your answer is {shape_text(got)}, but the derivative is {shape_text(want)}."


def _sentence(err: Exception, capital: bool = True) -> str:
    """'answer: column 5: expected …' → 'Column 5: expected ….'"""
    text = str(err).removeprefix("answer: ").rstrip(".")
    return (text[:1].upper() if capital else text[:1]) + text[1:] + "."


_KEYS: OrderedDict[int, tuple[weakref.ref, _Key]] = OrderedDict()


def _key(d: Derivation) -> _Key:
    """The cached _Key of a derivation (by identity: a Derivation holds dicts, so it has no hash)."""
    entry = _KEYS.get(id(d))
    if entry is not None and entry[0]() is d:
        _KEYS.move_to_end(id(d))
        return entry[1]
    key = _Key(d)
    _KEYS[id(d)] = (weakref.ref(d), key)
    if len(_KEYS) > KEYS_KEPT:
        _KEYS.popitem(last=False)
    return key
