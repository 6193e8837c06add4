"""Expression trees evaluated with numpy."""
from __future__ import annotations

import math
import zlib
from functools import reduce
from fractions import Fraction
from typing import Mapping

import numpy as np

from ..errors import GeneratorError
from ..ops import OPS
from ..tree import dims
from ..tree.nodes import (
    NODES, Add, Apply, Call, Commutation, Const, Diag, DiagPart, Dim, Expr, Grad, Hadamard, Hess, Identity, Inverse,
    Kron, Mul, Named, Ones, Power, Reduce, Softmax, Sym, Transpose, Vec, Zero,
)
from ..tree.scope import Scope
from ..tree.visitor import Shared

Values = Mapping[str, np.ndarray]


# ---------------------------------------------------------------- abstract functions: smooth stand-ins

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
    return Evaluation(values, scope, sizes).value(expr)


def _missing(expr: Expr, env: Mapping[str, np.ndarray]) -> None:
    if any(isinstance(e, Sym) and e.name not in env for e in expr.walk()):
        missing = sorted(s.name for s in {e for e in expr.walk() if isinstance(e, Sym)} if s.name not in env)
        raise GeneratorError(f"no value given for {', '.join(missing)}")


class Evaluation:
    """Expressions evaluated at one set of values: `value(e)` is `evaluate(e, values, scope, sizes)`, but a
    node computed for an earlier expression (a subtree of it) is not computed again. Sound because the
    values cannot change and a node's value depends on nothing else; an evaluation that raised stored nothing
    for the node that raised, so asking again raises again."""

    def __init__(self, values: Values, scope: Scope, sizes: Mapping[Dim, int] | None = None):
        env = {name: _as_2d(v, scope.symbols[name]) for name, v in values.items() if name in scope.symbols}
        self._evaluator = _Evaluator(env, dict(sizes) if sizes is not None else dimensions(scope, env), scope)

    def value(self, expr: Expr) -> np.ndarray:
        _missing(expr, self._evaluator.env)
        return self._evaluator.value(expr)


class Replay:
    """One expression evaluated again and again with one symbol varied (finite differences).

    The first call is an ordinary evaluation that records the order in which it computed each node;
    later calls run the same visit methods in that order, so every node gets the same numpy calls on
    the same inputs as a fresh `evaluate` would make (the order never depends on the values): only
    the recursion, the other symbols' arrays and the check for missing symbols are done once.
    """

    def __init__(self, expr: Expr, values: Values, varied: str, scope: Scope, sizes: Mapping[Dim, int]):
        self.expr, self.varied, self.scope, self.sizes = expr, varied, scope, dict(sizes)
        self.fixed = {name: _as_2d(v, scope.symbols[name]) for name, v in values.items()
                      if name in scope.symbols and name != varied}
        self.tape: list[Expr] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The expression's value with the varied symbol at `x`: `evaluate(expr, {**values, varied: x}, …)`."""
        env = dict(self.fixed)
        if self.varied in self.scope.symbols:
            env[self.varied] = _as_2d(x, self.scope.symbols[self.varied])
        if self.tape is None:
            _missing(self.expr, env)  # the same names every call
            recorder = _Recorder(env, self.sizes, self.scope)
            out = recorder.value(self.expr)
            self.tape = recorder.tape
            return out
        ev = _Evaluator(env, self.sizes, self.scope)
        memo, table = ev._memo, ev._table
        for node in self.tape:
            memo[id(node)] = (node, table[type(node)](ev, node))
        return memo[id(self.expr)][1]


class NumpyKit:
    """The registry's element-wise formulas (ops/kit.py) computed with numpy, entry by entry."""

    def __init__(self, evaluator: _Evaluator):
        self.evaluator = evaluator

    def const(self, value: int | Fraction) -> float:
        return float(value)

    def apply(self, fn: str, u: np.ndarray, order: int = 0) -> np.ndarray:
        return self.evaluator.function(fn, u, order)

    def add(self, *terms: np.ndarray) -> np.ndarray:
        return sum(terms[1:], terms[0])

    def mul(self, *factors: np.ndarray) -> np.ndarray:
        return math.prod(factors[1:], start=factors[0])  # element-wise formulas scale by constants only

    def power(self, u: np.ndarray, p: int | Fraction) -> np.ndarray:
        return np.power(u, float(p))

    def hadamard(self, *factors: np.ndarray) -> np.ndarray:
        return math.prod(factors[1:], start=factors[0])


class _Evaluator(Shared[np.ndarray]):
    """One evaluation: values by symbol, sizes by dimension; shared subtrees computed once."""

    family = NODES

    def __init__(self, env: Mapping[str, np.ndarray], sizes: Mapping[Dim, int], scope: Scope):
        super().__init__()
        self.env, self.sizes, self.scope = env, sizes, scope
        self.kit = NumpyKit(self)

    def size(self, dim: Dim) -> int:
        return dim if isinstance(dim, int) else dims.size(dim, self.sizes)

    value = Shared.once

    def function(self, fn: str, x: np.ndarray, order: int) -> np.ndarray:
        """fn⁽ᵒʳᵈᵉʳ⁾ at every entry: the registry's, or an abstract function's stand-in; never a guess."""
        entry = OPS.function(fn)
        with np.errstate(all="ignore"):
            if entry is not None:
                if order == 0:
                    return entry.numpy(x)
                if order > len(entry.derivatives):
                    raise GeneratorError(f"{fn} has no derivative of order {order}")
                return np.broadcast_to(entry.derivatives[order - 1](x, self.kit), x.shape)
            spec = self.scope.functions.get(fn)
            if spec is None or spec.kind != "elementwise":
                raise GeneratorError(f"cannot evaluate {fn}: it is neither a known function nor declared "
                                     "as an abstract element-wise function")
            return abstract_elementwise(fn, x, order)

    def visit_Sym(self, e: Sym) -> np.ndarray:
        return self.env[e.name]

    def visit_Const(self, e: Const) -> np.ndarray:
        return np.array([[float(e.value)]])

    def visit_Identity(self, e: Identity) -> np.ndarray:
        return np.eye(self.size(e.n))

    def visit_Zero(self, e: Zero) -> np.ndarray:
        return np.zeros((self.size(e.rows), self.size(e.cols)))

    def visit_Ones(self, e: Ones) -> np.ndarray:
        return np.ones((self.size(e.rows), self.size(e.cols)))

    def visit_Add(self, e: Add) -> np.ndarray:
        return sum((self.value(t) for t in e.terms[1:]), self.value(e.terms[0]))

    def visit_Mul(self, e: Mul) -> np.ndarray:
        scale = math.prod(float(self.value(f)[0, 0]) for f in e.scalar_factors)
        chain = [self.value(f) for f in e.chain]
        return scale * (reduce(np.matmul, chain) if chain else np.ones((1, 1)))

    def visit_Transpose(self, e: Transpose) -> np.ndarray:
        return self.value(e.arg).T

    def visit_Inverse(self, e: Inverse) -> np.ndarray:
        return np.linalg.inv(self.value(e.arg))

    def visit_Hadamard(self, e: Hadamard) -> np.ndarray:
        return np.prod([self.value(f) for f in e.factors], axis=0)

    def visit_Power(self, e: Power) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.power(self.value(e.arg), float(e.exponent))

    def visit_Apply(self, e: Apply) -> np.ndarray:
        return self.function(e.fn, self.value(e.arg), e.order)

    def visit_Reduce(self, e: Reduce) -> np.ndarray:
        return np.array([[OPS.reductions[e.op].numpy(self.value(e.arg))]])

    def visit_Softmax(self, e: Softmax) -> np.ndarray:
        x = self.value(e.arg)
        w = np.exp(x - x.max())
        return w / w.sum()

    def visit_Diag(self, e: Diag) -> np.ndarray:
        return np.diag(self.value(e.arg).ravel())

    def visit_DiagPart(self, e: DiagPart) -> np.ndarray:
        return np.diag(self.value(e.arg)).reshape(-1, 1).copy()

    def visit_Named(self, e: Named) -> np.ndarray:
        return self.value(e.arg)

    def visit_Call(self, e: Call) -> np.ndarray:
        f = self.value(e.arg).ravel()
        if e.shape == (1, 1):
            return np.array([[float(_weights(e.fn, f.size) @ abstract_elementwise(e.fn, f, 0))]])
        rows, cols = self.size(e.rows), self.size(e.cols)
        u = np.tanh(_matrix(e.fn, rows * cols, f.size) @ f)
        return u.reshape(rows, cols)

    def visit_Grad(self, e: Grad) -> np.ndarray:
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

    def visit_Hess(self, e: Hess) -> np.ndarray:
        """∂²fn/∂f∂fᵀ of the stand-in Σ wₖ h(fₖ): diagonal, w ∘ h″(f)."""
        f = self.value(e.arg).ravel()
        return np.diag(_weights(e.fn, f.size) * abstract_elementwise(e.fn, f, 2))

    def visit_Kron(self, e: Kron) -> np.ndarray:
        return reduce(np.kron, [self.value(f) for f in e.factors])

    def visit_Vec(self, e: Vec) -> np.ndarray:
        return self.value(e.arg).reshape(-1, 1, order="F")

    def visit_Commutation(self, e: Commutation) -> np.ndarray:
        return commutation_matrix(self.size(e.m), self.size(e.n))


class _Recorder(_Evaluator):
    """An evaluation that lists its nodes in the order it computed them (children before parents)."""

    def __init__(self, env: Mapping[str, np.ndarray], sizes: Mapping[Dim, int], scope: Scope):
        super().__init__(env, sizes, scope)
        self.tape: list[Expr] = []

    def compute(self, node: Expr) -> np.ndarray:
        out = self.visit(node)
        self.tape.append(node)
        return out


def commutation_matrix(m: int, n: int) -> np.ndarray:
    """K_{m,n}: K vec(A) = vec(Aᵀ) for an m×n matrix A, with column-major vec."""
    k = np.zeros((m * n, m * n))
    for p in range(m):
        for q in range(n):
            k[q + n * p, p + m * q] = 1.0
    return k
