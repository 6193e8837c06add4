"""The reductions (a scalar made from a matrix or vector), one entry each, like the functions."""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .registry import Reduction


def _logdet(a: np.ndarray) -> float:
    sign, value = np.linalg.slogdet(a)
    return float(value) if sign > 0 else math.nan


def _logsumexp(a: np.ndarray) -> float:
    top = float(a.max())
    return top + math.log(float(np.exp(a - top).sum()))


def _trace_entries(entry, rows, cols):
    k = sp.Dummy("k", integer=True)
    return sp.Sum(entry(k, k), (k, 0, rows - 1))


def _entries(body):
    """Σ over every entry of body(entry); a column vector is summed over its rows only."""
    def index(entry, rows, cols):
        k, l = sp.Dummy("k", integer=True), sp.Dummy("l", integer=True)
        term = entry(k, l) if cols != 1 else entry(k, sp.Integer(0))
        limits = [(k, 0, rows - 1)] + ([(l, 0, cols - 1)] if cols != 1 else [])
        return body(sp.Sum, term, limits)
    return index


def _logsumexp_gradient(node, a, k):
    """softmax(a) for a vector; exp(A)/sum(exp(A)) entry by entry for a matrix."""
    if a.is_vector:
        return k.softmax(a)
    return k.mul(k.apply("exp", a), k.power(k.reduce("sum", k.apply("exp", a)), -1))


REDUCTIONS = (
    Reduction("tr", lambda a: float(np.trace(a)), lambda node, a, k: k.identity(a),
              r"\operatorname{{tr}}\left({0}\right)", "the gradient of the trace",
              index=_trace_entries, exact=lambda m: m.trace(), spellings=("Tr", "trace"), square=True,
              linear=True, transposable=True, of_scalar="", code="np.trace({})", maxima="mat_trace({})"),
    Reduction("det", lambda a: float(np.linalg.det(a)), lambda node, a, k: k.mul(node, k.inverse(k.transpose(a))),
              r"\det\left({0}\right)", "Jacobi's formula",
              exact=lambda m: m.det(), spellings=("Det",), square=True, transposable=True,
              of_scalar="", code="np.linalg.det({})", maxima="determinant({})"),
    Reduction("logdet", _logdet, lambda node, a, k: k.inverse(k.transpose(a)),
              r"\log\det\left({0}\right)", "the gradient of log det (Jacobi's formula)",
              square=True, transposable=True, of_scalar="log",
              code="np.linalg.slogdet({})[1]", maxima="log(determinant({}))"),
    Reduction("sum", lambda a: float(a.sum()), lambda node, a, k: k.ones(a),
              r"\operatorname{{sum}}\left({0}\right)", "the gradient of a sum of entries",
              index=_entries(lambda Sum, term, limits: Sum(term, *limits)), exact=lambda m: sum(m),
              linear=True, transposable=True, of_scalar="", code="np.sum({})", maxima="apply(\"+\", flatten(args({})))"),
    Reduction("norm", lambda a: float(np.linalg.norm(a)), lambda node, a, k: k.mul(a, k.power(node, -1)),
              r"\left\lVert {0} \right\rVert{1}", "the gradient of the norm",
              index=_entries(lambda Sum, term, limits: sp.sqrt(Sum(term ** 2, *limits))), matrix_subscript="_F",
              code="np.linalg.norm({})", maxima="mat_norm({}, frobenius)"),
    Reduction("logsumexp", _logsumexp, _logsumexp_gradient,
              r"\operatorname{{logsumexp}}\left({0}\right)",
              "the gradient of log-sum-exp",
              index=_entries(lambda Sum, term, limits: sp.log(Sum(sp.exp(term), *limits))),
              of_scalar="", code="np.log(np.sum(np.exp({})))", maxima="log(apply(\"+\", flatten(args(exp({})))))"),
)
