"""Answers graded per second on a mixed set (right/wrong, text/LaTeX), and the ratio to a sympy.simplify baseline.

Run: .venv/bin/python bench/grade.py [--copies N] [--baseline-cap SECONDS]

It also grades the adversarial set (generator/grading/adversarial.py) and prints the worst case
in work (Python calls, the deterministic counter tests bound) and in time; entries that wait
for a fix and would hang are listed, not run.

Both figures come from this one run. The baseline judges equivalence the way a CAS would:
the answer and the key as explicit sympy matrices of symbols (every dimension 3), then
sympy.simplify(answer - key) == 0. It reads our own generated answers through our parser
(never sympify on text); its cost is the explicit algebra and simplify.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from functools import reduce  # noqa: E402

import sympy as sp  # noqa: E402

from generator import Derivation, derive, grade  # noqa: E402
from generator.grading.adversarial import ADVERSARIAL, WORK_LIMIT  # noqa: E402
from generator.grading.budget import measure  # noqa: E402
from generator.tree import nodes as E  # noqa: E402
from generator.tree.algebra import transpose  # noqa: E402
from generator.tree.text import to_text  # noqa: E402
from generator.parse import parse  # noqa: E402

PROBLEMS = {  # expr, wrt, shapes, assume, functions
    "Wx": ("z = W x", "x", {"W": ("n", "m"), "x": ("m", 1)}, None, None),
    "xTW": ("z = x^T W", "x", {"x": ("m", 1), "W": ("m", "n")}, None, None),
    "sigma": ("z = sigma(x)", "x", {"x": ("n", 1)}, None, None),
    "net": ("f = W^T a; y = g(f)", "W", {"W": ("n", "m"), "a": ("n", 1)}, None,
            {"g": {"kind": "scalar", "gradient": "delta"}}),
    "quad": ("y = x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}, None, None),
    "bilinear": ("y = a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}, None, None),
    "logdet": ("y = log(det(X))", "X", {"X": ("n", "n")}, None, None),
    "lsq": ("y = norm(A x - b)^2", "x", {"A": ("m", "n"), "x": ("n", 1), "b": ("m", 1)}, None, None),
    "softmax": ("y = -t^T log(softmax(W x))", "W", {"W": ("k", "n"), "x": ("n", 1), "t": ("k", 1)},
                {"t": "probability"}, None),
    "tanh": ("y = c^T tanh(W^T a)", "W", {"c": ("m", 1), "W": ("n", "m"), "a": ("n", 1)}, None, None),
    "trinv": ("y = tr(A X^-1 B)", "X", {"A": ("n", "n"), "X": ("n", "n"), "B": ("n", "n")}, None, None),
}


def answers_for(d: Derivation) -> list[tuple[str, bool]]:
    """(answer, right?) for one derivation: the key in text and LaTeX, and the usual mistakes in both."""
    key, tex = to_text(d.closed_form), d.latex
    wrt, symmetric = d.wrt.name, transpose(d.closed_form) == d.closed_form
    return [(key, True), (tex, True), (f"-({key})", False), (rf"-\left({tex}\right)", False),
            (f"2 ({key})", False), (rf"\frac{{1}}{{2}}\left({tex}\right)", False), (f"({key})^T", symmetric),
            (rf"\left({tex}\right)^\top", symmetric), (f"({key}) + {wrt}", False), ("q + " + key, False),
            (key + " +", False), (rf"{tex} \cdot", False)]


# ---------------------------------------------------------------- the baseline: explicit matrices + simplify

SIZE = 3


class Explicit:
    """An expression tree as an explicit sympy Matrix over entry symbols (every dimension SIZE)."""

    def __init__(self, d: Derivation):
        self.leaves = {name: self.leaf(sym) for name, sym in d.scope.symbols.items()}

    @staticmethod
    def size(dim: E.Dim) -> int:
        return dim if isinstance(dim, int) else SIZE

    def leaf(self, sym: E.Sym) -> sp.Matrix:
        r, c = self.size(sym.rows), self.size(sym.cols)
        m = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{sym.name}_{min(i, j)}{max(i, j)}"
                                                   if sym.props & {"symmetric", "spd"} else f"{sym.name}_{i}{j}"))
        if "probability" in sym.props:  # entries sum to one: the last is one minus the others
            m[-1] = 1 - sum(m[:-1])
        return m

    def __call__(self, e: E.Expr) -> sp.Matrix:  # noqa: C901 - one dispatch table
        v = self
        if isinstance(e, E.Sym):
            return self.leaves[e.name]
        if isinstance(e, E.Const):
            return sp.Matrix([[sp.Rational(e.value.numerator, e.value.denominator)]])
        if isinstance(e, E.Identity):
            return sp.eye(self.size(e.n))
        if isinstance(e, (E.Zero, E.Ones)):
            return (sp.zeros if isinstance(e, E.Zero) else sp.ones)(self.size(e.rows), self.size(e.cols))
        if isinstance(e, E.Add):
            parts = [v(t) for t in e.terms]
            shape = max((p.shape for p in parts), key=lambda s: s[0] * s[1])
            return reduce(lambda a, b: a + b, [p if p.shape == shape else p[0, 0] * sp.ones(*shape) for p in parts])
        if isinstance(e, E.Mul):
            scale = sp.Mul(*[v(f)[0, 0] for f in e.factors if f.is_scalar])
            chain = [v(f) for f in e.chain]
            return scale * (reduce(lambda a, b: a * b, chain) if chain else sp.Matrix([[1]]))
        if isinstance(e, E.Transpose):
            return v(e.arg).T
        if isinstance(e, E.Inverse):
            return v(e.arg).inv()
        if isinstance(e, E.Hadamard):
            return reduce(lambda a, b: a.multiply_elementwise(b), [v(f) for f in e.factors])
        if isinstance(e, E.Power):
            p = sp.Rational(e.exponent.numerator, e.exponent.denominator)
            return v(e.arg).applyfunc(lambda t: t ** p)
        if isinstance(e, E.Apply):
            return v(e.arg).applyfunc(lambda t: function(e.fn, e.order, t))
        if isinstance(e, E.Reduce):
            return sp.Matrix([[reduction(e.op, v(e.arg))]])
        if isinstance(e, E.Softmax):
            w = v(e.arg).applyfunc(sp.exp)
            return w / sum(w)
        if isinstance(e, E.Diag):
            return sp.diag(*v(e.arg))
        if isinstance(e, E.DiagPart):
            m = v(e.arg)
            return sp.Matrix([m[i, i] for i in range(m.rows)])
        if isinstance(e, E.Named):
            return v(e.arg)
        if isinstance(e, E.Call):
            return sp.Matrix([[sp.Function(e.fn)(*v(e.arg))]])
        if isinstance(e, E.Grad):
            arg = list(v(e.arg))
            dummies = sp.symbols(f"u0:{len(arg)}")
            g = sp.Function(e.fn)(*dummies)
            grad = sp.Matrix([g.diff(u) for u in dummies]).subs(dict(zip(dummies, arg)))
            return grad if e.layout == "denominator" else grad.T
        raise TypeError(type(e).__name__)


def function(fn: str, order: int, t: sp.Expr) -> sp.Expr:
    u = sp.Dummy("u")
    base = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
            "sqrt": sp.sqrt, "sigma": lambda s: 1 / (1 + sp.exp(-s))}.get(fn, sp.Function(fn))(u)
    return sp.diff(base, u, order).subs(u, t) if order else base.subs(u, t)


def reduction(op: str, m: sp.Matrix) -> sp.Expr:
    if op == "tr":
        return m.trace()
    if op == "det":
        return m.det()
    if op == "logdet":
        return sp.log(m.det())
    if op == "sum":
        return sum(m)
    if op == "norm":
        return sp.sqrt(sum(t ** 2 for t in m))
    return sp.log(sum(sp.exp(t) for t in m))


class Timeout(Exception):
    pass


def baseline(answer: str, d: Derivation, cap: float) -> tuple[bool | None, float]:
    """Equivalent by sympy.simplify on explicit matrices? (None when over the cap), and the seconds taken."""
    def alarm(*_: object) -> None:
        raise Timeout

    start = time.perf_counter()
    signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        tree = parse(answer, d.scope, "answer", d.shape, d.statement.bindings).expr
        explicit = Explicit(d)
        a, k = explicit(tree), explicit(d.closed_form)
        same = a.shape == k.shape and all(sp.simplify(t) == 0 for t in (a - k))
    except Timeout:
        same = None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return same, time.perf_counter() - start


# ---------------------------------------------------------------- the run

def main() -> None:
    """Derive the problems, grade the mixed set cold and repeated, time the baseline on a sample, print ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=8, help="distinct spellings of each answer (trailing spaces)")
    ap.add_argument("--baseline-cap", type=float, default=60.0, help="seconds before a baseline answer is cut off")
    args = ap.parse_args()

    t0 = time.perf_counter()
    derivations = [derive(p[0], p[1], p[2], layout, p[3], p[4]) for p in PROBLEMS.values()
                   for layout in ("denominator", "numerator")]
    t_derive = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d in derivations:
        grade("0", d)  # builds each derivation's sample points once, as a class's first answer would
    t_setup = time.perf_counter() - t0

    base = [(d, answer, right) for d in derivations for answer, right in answers_for(d)]
    mixed = [(d, answer + " " * copy, right) for copy in range(args.copies) for d, answer, right in base]
    t0 = time.perf_counter()
    verdicts = [grade(answer, d) for d, answer, _ in mixed]
    t_cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    for d, answer, _ in mixed:
        grade(answer, d)
    t_warm = time.perf_counter() - t0
    wrong = sum(v.correct != right for v, (_, _, right) in zip(verdicts, mixed))

    sample = [(d, answer) for d in derivations[::2] for answer, _ in answers_for(d)[:3:2]]  # key, and -key
    agree, spent, capped = 0, 0.0, 0
    for d, answer in sample:
        same, seconds = baseline(answer, d, args.baseline_cap)
        spent += seconds
        capped += same is None
        agree += same == grade(answer, d).correct
    ours = len(mixed) / t_cold
    theirs = len(sample) / spent

    print(f"problems: {len(PROBLEMS)} in both layouts ({len(derivations)} derivations, derived in {t_derive:.2f} s; "
          f"sample points built in {t_setup * 1000 / len(derivations):.1f} ms per derivation)")
    print(f"mixed set: {len(mixed)} answers ({len(base)} distinct answers × {args.copies} spellings; "
          f"right/wrong and text/LaTeX), {wrong} graded differently from the table")
    print(f"grade, each answer new:         {ours:8.0f} answers/s  ({t_cold * 1e6 / len(mixed):.0f} µs each)")
    print(f"grade, answers seen before:     {len(mixed) / t_warm:8.0f} answers/s")
    print(f"baseline (explicit {SIZE}×{SIZE} sympy matrices + simplify): {theirs:.2f} answers/s over {len(sample)} "
          f"answers ({capped} cut off at {args.baseline_cap:.0f} s and counted at the cap), "
          f"agrees with grade on {agree}/{len(sample)}")
    print(f"ratio grade / baseline:         {ours / theirs:8.0f}×   (targets: ≥ 1000 answers/s, ≥ 100×)")
    adversarial(derivations[8])  # y = xᵀAx by x: the names the adversarial answers use


def adversarial(d: Derivation) -> None:
    """The worst adversarial answer in work (Python calls) and in seconds; hanging entries are listed, not run."""
    worst_work, worst_time, over = ("", 0), ("", 0.0), []
    for case in ADVERSARIAL:
        if case.hangs:
            continue
        start = time.perf_counter()
        _, work = measure(grade, case.text, d)
        seconds = time.perf_counter() - start  # with the counter on: a few times the plain cost
        worst_work = max(worst_work, (case.name, work), key=lambda p: p[1])
        worst_time = max(worst_time, (case.name, seconds), key=lambda p: p[1])
        over += [case.name] if work > WORK_LIMIT else []
    hanging = [c.name for c in ADVERSARIAL if c.hangs]
    print(f"adversarial set: {len(ADVERSARIAL) - len(hanging)} answers run; worst work {worst_work[1]:,} calls "
          f"({worst_work[0]}; budget {WORK_LIMIT:,}), worst time {worst_time[1]:.2f} s counted ({worst_time[0]})")
    print(f"  over the budget: {', '.join(over) or 'none'}; not run (wait for a fix): {', '.join(hanging) or 'none'}")


if __name__ == "__main__":
    main()
