"""The adversarial answers every grading must survive within its work budget: the table tests and bench/grade.py share.

Families: long products, repeated suffixes (primes, transposes, powers), deep nesting, huge
exponents and numbers, long sums, and the lexer traps of issue 9 (spaced primes, exponential
before the lexer had linear terminals). `waiting` names the fix an entry still waits for (it is
slow until then); `hangs` marks the ones too slow to run at all.
"""
from __future__ import annotations

from dataclasses import dataclass

WORK_LIMIT = 500_000  # Python calls to grade one answer (measure()); a plain answer takes about 2,000


@dataclass(frozen=True)
class Adversarial:
    """One hostile answer: a name for reports, its text, and the fix it waits for (None when it is fast now)."""

    name: str
    text: str
    waiting: str | None = None
    hangs: bool = False  # too slow to run before the fix: listed, not run


def _chain(n: int) -> str:
    return "a0 = A A; " + "; ".join(f"a{k} = a{k - 1} a{k - 1}" for k in range(1, n)) + f"; a{n - 1} x"


ADVERSARIAL: tuple[Adversarial, ...] = (
    Adversarial("product-100", "A " * 100 + "x"),
    Adversarial("product-300", "A " * 300 + "x"),
    Adversarial("product-999", "A " * 999),
    Adversarial("quadratic-forms-180", "(x^T A x) " * 180 + "x"),
    Adversarial("sum-600", "+".join(["A x"] * 600)),
    Adversarial("sum-300", " + ".join(["A x"] * 300)),
    Adversarial("log-prefix-300", r"\log" * 300 + " x"),
    Adversarial("hadamard-power-300", "x" + ".^64" * 300),
    Adversarial("matrix-power-tower", "((((A^16)^16)^16)^16) x"),
    Adversarial("number-power-tower", "(((3^64)^64)^64)"),
    Adversarial("huge-exponent", "x^{99999999999999}"),
    Adversarial("huge-number", "9" * 24 + " x"),
    Adversarial("norm-bars", r"\|" * 500),
    Adversarial("double-bars", "||" * 500),
    Adversarial("primes-1999", "x" + "'" * 1999),
    Adversarial("transposes-600", "x" + "^T" * 600),
    Adversarial("exp-nesting-31", "exp(" * 31 + "x" + ")" * 31),
    Adversarial("sqrt-prefix-400", r"\sqrt" * 400 + "{x}"),
    Adversarial("brackets-33", "(" * 33 + "x" + ")" * 33),
    Adversarial("brackets-32", "(" * 32 + "x" + ")" * 32),
    Adversarial("long-name", "a" * 2000),
    Adversarial("juxtaposed-2000", "xA" * 1000),
    Adversarial("spaces-after-command", r"\sigma" + " " * 1990 + "x"),
    Adversarial("dangling-power", "x^" + " " * 1990),
    Adversarial("font-nesting-30", r"\mathbf{" * 30 + "x" + "}" * 30),
    Adversarial("over-length", "x" * 2001),
    Adversarial("doubling-bindings", _chain(40)),
    Adversarial("doubling-sums", "c0 = x^T A x; " + "; ".join(f"c{k} = c{k - 1} + c{k - 1}" for k in range(1, 60))
                + "; c59 x"),
    Adversarial("sigma-primes-12", r"\sigma" + r"^  \prime" * 12 + "(x)"),
    Adversarial("tanh-primes-12", r"\operatorname{tanh}" + r"^ \prime" * 12 + " x"),
    Adversarial("sigma-primes-20", r"\sigma" + r"^  \prime" * 20 + "(x)"),  # exponential before the linear lexer
    Adversarial("tanh-primes-30", r"\operatorname{tanh}" + r"^ \prime" * 30 + " x"),
    Adversarial("sigma-primes-300", r"\sigma" + r"^  \prime" * 300 + "(x)"),
)
