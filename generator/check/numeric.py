"""Expression trees evaluated with numpy."""
from __future__ import annotations

import math
import zlib
from functools import reduce
from typing import Callable, Mapping

import numpy as np

from ..errors import GeneratorError
from ..tree.nodes import (
    Add, Apply, Call, Const, Diag, DiagPart, Dim, Expr, Grad, Hadamard, Identity, Inverse, Mul, Named,
    Ones, Power, Reduce, Softmax, Sym, Transpose, Zero,
)
from ..tree.scope import Scope

Values = Mapping[str, np.ndarray]


# ---------------------------------------------------------------- element-wise functions

def _sigma(x: np.ndarray, k: int) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-x))
    return [s, s * (1 - s), s * (1 - s) * (1 - 2 * s), s * (1 - s) * (1 - 6 * s + 6 * s * s)][k]


def _tanh(x: np.ndarray, k: int) -> np.ndarray:
    t = np.tanh(x)
    return [t, 1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t)][k]


def _power_rule(p: float) -> Callable[[np.ndarray, int], np.ndarray]:
    def f(x: np.ndarray, k: int) -> np.ndarray:
        return math.prod(p - i for i in range(k)) * np.power(x, p - k)
    return f


def _log(x: np.ndarray, k: int) -> np.ndarray:
    return np.log(x) if k == 0 else (-1) ** (k - 1) * math.factorial(k - 1) * np.power(x, -float(k))


def _tan(x: np.ndarray, k: int) -> np.ndarray:
    t = np.tan(x)
    return [t, 1 + t * t, 2 * t * (1 + t * t), (2 + 6 * t * t) * (1 + t * t)][k]


FUNCTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "exp": lambda x, k: np.exp(x),
    "log": _log,
    "tanh": _tanh,
    "sigma": _sigma,
    "sin": lambda x, k: np.sin(x + k * np.pi / 2),
    "cos": lambda x, k: np.cos(x + k * np.pi / 2),
    "tan": _tan,
    "sqrt": _power_rule(0.5),
}


def _stand_in(name: str) -> float:
    """A frequency that makes each abstract function a different smooth function."""
    return 1.1 + 0.1 * (zlib.crc32(name.encode()) % 7)


def abstract_elementwise(name: str, x: np.ndarray, k: int) -> np.ndarray:
    """Stand-in for an abstract element-wise g and its derivatives: sin(ωt) + 0.4t²."""
    w = _stand_in(name)
    poly = [0.4 * x * x, 0.8 * x, 0.8 + 0 * x][k] if k < 3 else 0 * x
    return w ** k * np.sin(w * x + k * np.pi / 2) + poly


def _weights(name: str, n: int) -> np.ndarray:
    return 1.0 + 0.25 * ((np.arange(n) + zlib.crc32(name.encode())) % 5)


def _matrix(name: str, rows: int, cols: int) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return rng.standard_normal((rows, cols)) / math.sqrt(cols)


# ---------------------------------------------------------------- evaluation

def dimensions(scope: Scope, values: Values) -> dict[Dim, int]:
    """Sizes of the symbolic dimensions, read off the arrays given for the symbols."""
    sizes: dict[Dim, int] = {}
    for name, sym in scope.symbols.items():
        if name in values:
            arr = _as_2d(values[name], sym)
            for dim, n in zip(sym.shape, arr.shape):
                if isinstance(dim, str):
                    sizes.setdefault(dim, n)
    return sizes


def _as_2d(value: np.ndarray, sym: Sym) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim < 2:
        arr = arr.reshape(-1, 1) if sym.shape[1] == 1 else arr.reshape(1, -1)
    return arr


def evaluate(expr: Expr, values: Values, scope: Scope, sizes: Mapping[Dim, int] | None = None) -> np.ndarray:
    """The value of `expr` at `values` (arrays by symbol name), as a 2-D array."""
    env = {name: _as_2d(v, scope.symbols[name]) for name, v in values.items() if name in scope.symbols}
    missing = sorted(s.name for s in {e for e in expr.walk() if isinstance(e, Sym)} if s.name not in env)
    if missing:
        raise GeneratorError(f"no value given for {', '.join(missing)}")
    sizes = dict(sizes) if sizes is not None else dimensions(scope, env)
    return _Evaluator(env, sizes, scope).value(expr)


class _Evaluator:
    def __init__(self, env: Mapping[str, np.ndarray], sizes: Mapping[Dim, int], scope: Scope):
        self.env, self.sizes, self.scope = env, sizes, scope
        self.memo: dict[int, np.ndarray] = {}

    def size(self, dim: Dim) -> int:
        return dim if isinstance(dim, int) else self.sizes[dim]

    def value(self, e: Expr) -> np.ndarray:
        key = id(e)
        if key not in self.memo:
            self.memo[key] = self.compute(e)
        return self.memo[key]

    def compute(self, e: Expr) -> np.ndarray:  # noqa: C901 - one dispatch table
        v = self.value
        if isinstance(e, Sym):
            return self.env[e.name]
        if isinstance(e, Const):
            return np.array([[float(e.value)]])
        if isinstance(e, Identity):
            return np.eye(self.size(e.n))
        if isinstance(e, (Zero, Ones)):
            fill = np.zeros if isinstance(e, Zero) else np.ones
            return fill((self.size(e.rows), self.size(e.cols)))
        if isinstance(e, Add):
            return sum((v(t) for t in e.terms[1:]), v(e.terms[0]))
        if isinstance(e, Mul):
            scale = math.prod(float(v(f)[0, 0]) for f in e.factors if f.is_scalar)
            chain = [v(f) for f in e.chain]
            return scale * (reduce(np.matmul, chain) if chain else np.ones((1, 1)))
        if isinstance(e, Transpose):
            return v(e.arg).T
        if isinstance(e, Inverse):
            return np.linalg.inv(v(e.arg))
        if isinstance(e, Hadamard):
            return np.prod([v(f) for f in e.factors], axis=0)
        if isinstance(e, Power):
            with np.errstate(all="ignore"):
                return np.power(v(e.arg), float(e.exponent))
        if isinstance(e, Apply):
            with np.errstate(all="ignore"):
                if e.fn in FUNCTIONS:
                    return FUNCTIONS[e.fn](v(e.arg), e.order)
                return abstract_elementwise(e.fn, v(e.arg), e.order)
        if isinstance(e, Reduce):
            return np.array([[_REDUCTIONS[e.op](v(e.arg))]])
        if isinstance(e, Softmax):
            x = v(e.arg)
            w = np.exp(x - x.max())
            return w / w.sum()
        if isinstance(e, Diag):
            return np.diag(v(e.arg).ravel())
        if isinstance(e, DiagPart):
            return np.diag(v(e.arg)).reshape(-1, 1).copy()
        if isinstance(e, Named):
            return v(e.arg)
        if isinstance(e, Call):
            return self.call(e)
        if isinstance(e, Grad):
            return self.grad(e)
        raise TypeError(f"cannot evaluate {type(e).__name__}")

    def call(self, e: Call) -> np.ndarray:
        f = self.value(e.arg).ravel()
        if e.shape == (1, 1):
            return np.array([[float(_weights(e.fn, f.size) @ abstract_elementwise(e.fn, f, 0))]])
        rows, cols = self.size(e.rows), self.size(e.cols)
        u = np.tanh(_matrix(e.fn, rows * cols, f.size) @ f)
        return u.reshape(rows, cols)

    def grad(self, e: Grad) -> np.ndarray:
        """∂fn/∂arg of the stand-in, in denominator layout, then as the node's layout asks."""
        x = self.value(e.arg)
        f = x.ravel()
        spec = self.scope.functions.get(e.fn)
        if spec is None or spec.kind == "scalar":
            den = (_weights(e.fn, f.size) * abstract_elementwise(e.fn, f, 1)).reshape(-1, 1)
        else:
            out = self.size(spec.shape[0]) * self.size(spec.shape[1])
            m = _matrix(e.fn, out, f.size)
            den = m.T * (1 - np.tanh(m @ f) ** 2)
        if e.layout == "numerator":
            den = den.T
        rows, cols = self.size(e.rows), self.size(e.cols)
        return den.reshape(rows, cols)


def _logdet(a: np.ndarray) -> float:
    sign, value = np.linalg.slogdet(a)
    return float(value) if sign > 0 else math.nan


def _logsumexp(a: np.ndarray) -> float:
    top = float(a.max())
    return top + math.log(float(np.exp(a - top).sum()))


_REDUCTIONS: dict[str, Callable[[np.ndarray], float]] = {
    "tr": lambda a: float(np.trace(a)),
    "det": lambda a: float(np.linalg.det(a)),
    "logdet": _logdet,
    "sum": lambda a: float(a.sum()),
    "norm": lambda a: float(np.linalg.norm(a)),
    "logsumexp": _logsumexp,
}
