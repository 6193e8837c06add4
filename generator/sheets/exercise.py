"""One exercise: its variant derived, integer data and exact value or a blanked step, and the key's own check."""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Mapping

import numpy as np
import sympy as sp

from ..check.numeric import evaluate
from ..check.sampling import sizes_for
from ..check.verify import RESIDUAL_LIMIT, check, gap_at
from ..errors import GeneratorError, VerificationError
from ..parse.builder import parse
from ..pipeline.derivation import Derivation
from ..pipeline.run import derive
from ..pipeline.slices import slice_residual
from ..proof.elementwise import inline
from ..proof.entries import AsScalar
from ..proof.symbolic import to_sympy
from ..tree.nodes import Expr, Inverse
from ..tree.scope import Scope
from . import space
from .data import Exercise, Fraction2D, Variant

DATA_ATTEMPTS = 24  # integer data sets tried before a numeric variant gives up (singular matrices, 0/0)
MAX_CONDITION = 1e3  # integer matrices to invert are kept this well conditioned


DERIVATIONS_KEPT = 2048  # a sheet of 300 variants of five problems has about 1200 distinct ones
_derivations: dict[tuple, Derivation] = {}


def exercise(v: Variant) -> Exercise:
    """The variant derived (closed form and proof), with integer data and exact value, or a blanked step."""
    d = _derivation(v)
    if v.kind == "numeric":
        data, value = numeric(v, d)
        return Exercise(v, d, data=data, value=value)
    if v.kind == "fill-step":
        eligible = [k for k, step in enumerate(d.steps) if step.kind in space.FILL_STEPS]
        if not eligible:
            raise GeneratorError(f"{v.id}: the proof has no index, differentiate, reduce or chain step to blank")
        return Exercise(v, d, blank=eligible[space.draw(v.seed, 1) % len(eligible)])
    return Exercise(v, d)


def _derivation(v: Variant) -> Derivation:
    """`derive` of the variant, kept by everything derive reads but the source, which only its error
    messages name (a failure is not kept): variants that differ only in kind, number or seed, the same
    expression with the same names, sizes and layout, share one derivation, checked once."""
    key = (v.expr, v.wrt, tuple(v.shapes.items()), v.layout, tuple(v.assume.items()), tuple(v.functions.items()),
           v.hessian)
    if key not in _derivations:
        if len(_derivations) >= DERIVATIONS_KEPT:
            del _derivations[next(iter(_derivations))]
        _derivations[key] = derive(v.expr, v.wrt, v.shapes, v.layout, v.assume, v.functions, hessian=v.hessian,
                                   source=v.id)
    return _derivations[key]


def numeric(v: Variant, d: Derivation) -> tuple[dict[str, Fraction2D], Fraction2D]:
    """Seeded integer data at which the expression is defined, and the derivative's exact value there."""
    for attempt in range(DATA_ATTEMPTS):
        data = space.numeric_data(v, attempt)
        value = exact_value(d.closed_form, data)
        if value is None or _zero(value) or any(_zero(rows) for rows in data.values()):
            continue  # undefined there, or a zero that makes the exercise trivial
        if _defined(d.statement.expr, d.closed_form, data, d.scope):
            return data, value
    raise GeneratorError(f"{v.id}: found no integer values at which {v.expr} and its derivative are defined")


def exact_value(closed_form: Expr, data: Mapping[str, Fraction2D]) -> Fraction2D | None:
    """The closed form at rational data, exactly (sympy); None when it is undefined there (singular, 0/0)."""
    subs = {}
    for name, rows in data.items():
        cells = [[sp.Rational(x.numerator, x.denominator) for x in row] for row in rows]
        if len(rows) == 1 and len(rows[0]) == 1:
            subs[sp.Symbol(name, real=True)] = cells[0][0]
        else:
            subs[sp.MatrixSymbol(name, len(rows), len(rows[0]))] = sp.ImmutableMatrix(cells)
    try:
        value = to_sympy(inline(closed_form)).xreplace(subs)
        value = value.replace(lambda n: isinstance(n, AsScalar), lambda n: n.args[0].doit().as_explicit()[0, 0])
        value = value.doit()
        matrix = value.as_explicit() if hasattr(value, "as_explicit") else sp.ImmutableMatrix([[value]])
    except (ZeroDivisionError, ValueError, sp.matrices.exceptions.NonInvertibleMatrixError):
        return None
    if not all(x.is_Rational for x in matrix):
        return None
    return tuple(tuple(Fraction(int(x.p), int(x.q)) for x in matrix.row(r)) for r in range(matrix.rows))


def _zero(rows: Fraction2D) -> bool:
    return all(x == 0 for row in rows for x in row)


def _floats(data: Mapping[str, Fraction2D]) -> dict[str, np.ndarray]:
    return {name: np.array([[float(x) for x in row] for row in rows]) for name, rows in data.items()}


def _defined(expr: Expr, closed: Expr, data: Mapping[str, Fraction2D], scope: Scope) -> bool:
    """Finite there, and every inverse well conditioned, so finite differences at the data are conclusive."""
    values = _floats(data)
    with np.errstate(all="ignore"):
        try:
            if not np.all(np.isfinite(evaluate(expr, values, scope))):
                return False
            inverses = [n.arg for e in (expr, closed) for n in e.walk() if isinstance(n, Inverse)]
            return all(np.linalg.cond(evaluate(arg, values, scope)) <= MAX_CONDITION for arg in inverses)
        except np.linalg.LinAlgError:
            return False


# ---------------------------------------------------------------- the key check

def check_key(ex: Exercise) -> Exercise:
    """The exercise with its residual, after its key passed finite differences of the ORIGINAL expression.

    The variant's text is parsed afresh, so nothing of the derivation but the closed form (and the
    exact value of a numeric exercise) takes part: a wrong key fails here whatever produced it.
    """
    v, closed = ex.variant, ex.derivation.closed_form
    scope = Scope.build(v.shapes, v.assume, v.functions)
    original = parse(v.expr, scope, v.id).expr
    wrt, kind = scope.symbols[v.wrt], ex.derivation.kind
    what = f"{v.id} ({v.source})"
    try:
        worst = check(original, wrt, closed, v.layout, scope, kind, f"{what}: the key", seed=v.seed)
        if ex.data:
            worst = max(worst, _check_value(ex, original, scope, what))
        if v.kind == "slice":
            piece = ex.derivation.slice
            gap = slice_residual(piece, original, wrt, scope, hessian=v.hessian)
            if not gap <= RESIDUAL_LIMIT["tensor"]:
                raise VerificationError(f"the slice {piece.label} disagrees with finite differences (largest "
                                        f"relative error {gap:.2e})")
            worst = max(worst, gap)
    except VerificationError as err:
        message = str(err)
        raise VerificationError(message if message.startswith(what) else f"{what}: the key: {message}") from None
    return replace(ex, residual=worst)


def _check_value(ex: Exercise, original: Expr, scope: Scope, what: str) -> float:
    """Finite differences at the given integer data against the closed form there, and its exact value."""
    v, closed = ex.variant, ex.derivation.closed_form
    values = _floats(ex.data)
    sizes = sizes_for(scope)
    gap = gap_at(original, scope.symbols[v.wrt], closed, v.layout, scope, ex.derivation.kind, values, sizes)
    exact = np.array([[float(x) for x in row] for row in ex.value])
    approx = evaluate(closed, values, scope, sizes)
    gap = max(gap, float(np.abs(exact - approx).max(initial=0)) / max(1.0, float(np.abs(approx).max(initial=0))))
    limit = RESIDUAL_LIMIT[ex.derivation.kind]
    if not gap <= limit:
        raise VerificationError(f"{what}: the numeric answer disagrees with finite differences at the given "
                                f"values (largest relative error {gap:.2e}, tolerance {limit:.0e})")
    return gap
