"""The element-wise functions, one entry each: add a function here (and a row to the tests) and every
layer — parser, engine, proofs, numeric check, LaTeX, sheets, grading, exports — knows it."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from .kit import neg, sub
from .registry import Function


def _sigma(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


FUNCTIONS = (
    Function("exp", np.exp, (lambda u, k: k.apply("exp", u),), sympy=sp.exp, latex=r"\exp"),
    Function("log", np.log, (lambda u, k: k.power(u, -1),), sympy=sp.log, latex=r"\log", spellings=("ln",),
             positive=True),
    Function("tanh", np.tanh, (
        lambda u, k: sub(k, k.const(1), k.power(k.apply("tanh", u), 2)),  # tanh′ = 1 − tanh²
        lambda u, k: k.mul(k.const(-2), k.hadamard(k.apply("tanh", u), k.apply("tanh", u, 1))),  # −2 tanh tanh′
        lambda u, k: k.mul(k.const(-2), k.add(k.power(k.apply("tanh", u, 1), 2),
                                              k.hadamard(k.apply("tanh", u), k.apply("tanh", u, 2)))),
    ), primed=True, sympy=sp.tanh, latex=r"\tanh"),
    Function("sigma", _sigma, (
        lambda u, k: k.hadamard(k.apply("sigma", u), sub(k, k.const(1), k.apply("sigma", u))),  # σ′ = σ(1 − σ)
        lambda u, k: k.hadamard(k.apply("sigma", u, 1), sub(k, k.const(1), k.mul(k.const(2), k.apply("sigma", u)))),
        lambda u, k: sub(k, k.hadamard(k.apply("sigma", u, 2), sub(k, k.const(1), k.mul(k.const(2), k.apply("sigma", u)))),
                         k.mul(k.const(2), k.power(k.apply("sigma", u, 1), 2))),
    ), primed=True, latex=r"\sigma", spellings=("sigmoid",), code="1 / (1 + np.exp(-({})))",
        maxima="1/(1+exp(-({})))"),
    Function("sin", np.sin, (lambda u, k: k.apply("cos", u),), sympy=sp.sin, latex=r"\sin"),
    Function("cos", np.cos, (lambda u, k: neg(k, k.apply("sin", u)),), sympy=sp.cos, latex=r"\cos"),
    Function("tan", np.tan, (lambda u, k: k.add(k.const(1), k.power(k.apply("tan", u), 2)),), sympy=sp.tan,
             latex=r"\tan"),
    Function("sqrt", np.sqrt, (lambda u, k: k.mul(k.const(Fraction(1, 2)), k.power(k.apply("sqrt", u), -1)),),
             sympy=sp.sqrt, wrap=r"\sqrt{{{arg}}}", positive=True),
    Function("sinh", np.sinh, (lambda u, k: k.apply("cosh", u),), sympy=sp.sinh, latex=r"\sinh"),
    Function("cosh", np.cosh, (lambda u, k: k.apply("sinh", u),), sympy=sp.cosh, latex=r"\cosh"),
    Function("softplus", lambda x: np.logaddexp(0.0, x), (lambda u, k: k.apply("sigma", u),),
             code="np.logaddexp(0, {})", maxima="log(1+exp({}))"),
    Function("relu", lambda x: np.maximum(x, 0.0), (lambda u, k: k.apply("step", u),), kinks=(0.0,),
             code="np.maximum({}, 0)", maxima="max({}, 0)"),
    Function("step", lambda x: (x > 0).astype(float), (lambda u, k: k.const(0),), kinks=(0.0,),
             code="np.heaviside({}, 0.0)", maxima="unit_step({})"),
    # Written abs(x), not |x|: between bars a vector reads as its norm.
    Function("abs", np.abs, (lambda u, k: k.apply("sign", u),), kinks=(0.0,), maxima="abs({})"),
    Function("sign", np.sign, (lambda u, k: k.const(0),), spellings=("sgn",), kinks=(0.0,), maxima="signum({})"),
    Function("log1p", np.log1p, (lambda u, k: k.power(k.add(k.const(1), u), -1),), positive=True,
             maxima="log(1+({}))"),
)
