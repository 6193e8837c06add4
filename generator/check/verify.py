"""Central finite differences of the original expression, compared with a closed form."""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from ..errors import VerificationError
from ..tree.nodes import Dim, Expr, Sym
from ..tree.scope import Scope
from .numeric import Replay, evaluate
from .sampling import sample_for

# The largest relative error between a closed form and finite differences, by kind of derivative
# (second differences are noisier).
RESIDUAL_LIMIT = {"gradient": 1e-6, "jacobian": 1e-6, "hessian": 1e-4, "tensor": 1e-6}
POINTS = 2  # independent random points per check


def residual(expr: Expr, wrt: Sym, closed_form: Expr, layout: str, scope: Scope, kind: str,
             seed: int = 0, sizes: Mapping[Dim, int] | None = None) -> float:
    """Largest relative gap between the closed form and finite differences, over a few random points."""
    worst = 0.0
    for point in range(POINTS):
        values, dims = sample_for([expr, closed_form], scope, seed * 1009 + point, sizes)
        worst = max(worst, gap_at(expr, wrt, closed_form, layout, scope, kind, values, dims))
    return worst


def gap_at(expr: Expr, wrt: Sym, closed_form: Expr, layout: str, scope: Scope, kind: str,
           values: Mapping[str, np.ndarray], dims: Mapping[Dim, int]) -> float:
    """Relative gap between the closed form and finite differences at one point."""
    exact = evaluate(closed_form, values, scope, dims)
    f = _as_function(expr, wrt, values, scope, dims)
    x0 = np.asarray(values[wrt.name], dtype=float)
    if kind == "tensor":
        return tensor_gap(f, x0, exact, wrt, layout)
    if layout == "numerator":
        exact = exact.T
    gap = _gap(f, x0, exact, wrt, kind, accurate=False)
    if gap > RESIDUAL_LIMIT[kind] and kind != "hessian":
        # Rounding in an ill-conditioned inverse can swamp two-point differences; a gap that is
        # real survives the five-point stencil too, so the smaller of the two is the verdict.
        gap = min(gap, _gap(f, x0, exact, wrt, kind, accurate=True))
    return gap


def _gap(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, exact: np.ndarray, wrt: Sym, kind: str,
         accurate: bool) -> float:
    if kind == "hessian":
        approx = _hessian(f, x0)
    elif "symmetric" in wrt.props or "spd" in wrt.props:
        approx, exact = _symmetric_directions(f, x0, accurate), _symmetric_directions_of(exact)
    else:
        approx = _first(f, x0, kind, accurate)
    if approx.shape != exact.shape:
        raise VerificationError(f"the closed form is {exact.shape[0]}×{exact.shape[1]} but the "
                                f"derivative is {approx.shape[0]}×{approx.shape[1]}")
    scale = max(1.0, float(np.abs(approx).max(initial=0)))
    return float(np.abs(exact - approx).max(initial=0)) / scale


def check(expr: Expr, wrt: Sym, closed_form: Expr, layout: str, scope: Scope, kind: str,
          what: str, seed: int = 0) -> float:
    """The residual, or a VerificationError naming `what` when it is above tolerance."""
    gap = residual(expr, wrt, closed_form, layout, scope, kind, seed)
    if not gap <= RESIDUAL_LIMIT[kind]:
        raise VerificationError(f"{what}: the closed form disagrees with finite differences "
                                f"(largest relative error {gap:.2e}, tolerance {RESIDUAL_LIMIT[kind]:.0e})")
    return gap


def _as_function(expr: Expr, wrt: Sym, values: Mapping[str, np.ndarray], scope: Scope,
                 dims: Mapping[Dim, int]) -> Callable[[np.ndarray], np.ndarray]:
    return Replay(expr, values, wrt.name, scope, dims)


def _step(x: float, base: float) -> float:
    return base * max(1.0, abs(x))


def _along(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, e: np.ndarray, h: float,
           accurate: bool) -> np.ndarray:
    """The derivative of f at x0 in the direction e: two-point central differences, or five-point."""
    if not accurate:
        return (f(x0 + h * e) - f(x0 - h * e)) / (2 * h)
    return (f(x0 - 2 * h * e) - 8 * f(x0 - h * e) + 8 * f(x0 + h * e) - f(x0 + 2 * h * e)) / (12 * h)


def _first(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, kind: str, accurate: bool = False) -> np.ndarray:
    """Gradient (shape of x) or denominator Jacobian (len x × len z) by central differences."""
    rows = []
    for idx in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[idx] = 1.0
        rows.append(_along(f, x0, e, _step(x0[idx], 1e-5 if accurate else 1e-6), accurate).ravel())
    table = np.array(rows)
    return table.reshape(x0.shape) if kind == "gradient" else table


def _symmetric_directions(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, accurate: bool = False) -> np.ndarray:
    """Directional derivatives along Eᵢⱼ + Eⱼᵢ: all a gradient by a symmetric matrix can mean."""
    n = x0.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e = np.zeros((n, n))
            e[i, j] = e[j, i] = 1.0
            out[i, j] = float(_along(f, x0, e, _step(x0[i, j], 1e-5 if accurate else 1e-6), accurate)[0, 0])
    return out


def _symmetric_directions_of(g: np.ndarray) -> np.ndarray:
    sym = g + g.T - np.diag(np.diag(g))
    return np.triu(sym)


def tensor_gap(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, exact: np.ndarray, wrt: Sym,
               layout: str) -> float:
    """The gap of a tensor's closed form: by a scalar the matrix itself, else the vec–Jacobian
    ∂vec(Y)/∂vec(X)ᵀ (the closed form in the numerator layout, its transpose in the denominator
    layout) against central differences of vec(Y) along each entry of X, column-major."""
    value = f(x0)
    if wrt.is_scalar and exact.shape in ((value.size, 1), (1, value.size)) and value.shape[1] != 1:
        exact = exact.reshape(value.shape, order="F")  # by a scalar, the vec–Jacobian is vec(∂Y/∂s)
    expected = value.shape if wrt.is_scalar else (value.size, x0.size) if layout == "numerator" \
        else (x0.size, value.size)
    if exact.shape != expected:
        raise VerificationError(f"the closed form is {exact.shape[0]}×{exact.shape[1]} but the derivative is "
                                f"{expected[0]}×{expected[1]}")
    if wrt.is_scalar:
        directions = [np.ones_like(x0)]
        want = [exact]
    else:
        jacobian = exact if layout == "numerator" else exact.T
        directions = _directions(x0, "symmetric" in wrt.props or "spd" in wrt.props)
        want = [jacobian @ d.reshape(-1, 1, order="F") for d in directions]
    gap = 0.0
    for accurate in (False, True):
        got = [_along(f, x0, d, 1e-5 if accurate else 1e-6, accurate).reshape(w.shape, order="F")
               for d, w in zip(directions, want)]
        scale = max(1.0, max(float(np.abs(g).max(initial=0)) for g in got))
        gap = max(float(np.abs(g - w).max(initial=0)) for g, w in zip(got, want)) / scale
        if gap <= RESIDUAL_LIMIT["tensor"]:
            break
    return gap


def _directions(x0: np.ndarray, symmetric: bool) -> list[np.ndarray]:
    """Eᵢⱼ for every entry, column-major; by a symmetric matrix Eᵢⱼ + Eⱼᵢ (i ≤ j), the only steps it allows."""
    rows, cols = x0.shape
    out = []
    for j in range(cols):
        for i in range(rows):
            if symmetric and i > j:
                continue
            e = np.zeros_like(x0)
            e[i, j] = 1.0
            if symmetric:
                e[j, i] = 1.0
            out.append(e * _step(x0[i, j], 1.0))
    return out


def _hessian(f: Callable[[np.ndarray], np.ndarray], x0: np.ndarray) -> np.ndarray:
    """Second differences by every pair of entries, column-major (the vec Hessian of a matrix variable)."""
    n = x0.size
    flat = x0.ravel(order="F")
    out = np.zeros((n, n))
    for k in range(n):
        for m in range(n):
            hk, hm = _step(flat[k], 1e-4), _step(flat[m], 1e-4)

            def at(sk: float, sm: float) -> float:
                x = flat.copy()
                x[k] += sk * hk
                x[m] += sm * hm
                return float(f(x.reshape(x0.shape, order="F"))[0, 0])

            out[k, m] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * hk * hm)
    return out
