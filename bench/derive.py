"""Benchmark: derive, prove and verify the whole library against the TeX compile of its deck.

Prints, from one run:
  * the Python time to build the deck (parse, derive, prove and verify every problem, render) as
    a ratio to latexmk's time to compile that deck — target: at most 1/4; and, for scale, the
    time to derive every problem in both layouts;
  * the same ratio for the tensor problems alone (their own deck, both layouts);
  * for the expressions SymPy's own MatrixExpr.diff gets right, our time over SymPy's, for the
    closed form alone and for the whole pipeline (closed form + proof + numeric check).
Run: .venv/bin/python bench/derive.py [problems/*.toml]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline import run as pipeline  # noqa: E402
from generator.render.latexmk import compile_tex  # noqa: E402
from generator.calculus.engine import derivative  # noqa: E402
from generator.tree.scope import Scope  # noqa: E402
from generator.check.numeric import evaluate  # noqa: E402
from generator.check.sampling import sample_for  # noqa: E402
from generator.parse import parse  # noqa: E402
from generator.parse.problem_file import load  # noqa: E402
from generator.render.slides import render_slides  # noqa: E402

# (expression, variable, shapes) that SymPy's MatrixExpr.diff can attempt.
SYMPY_CASES = [
    ("x^T A x", "x", {"x": ("n", 1), "A": ("n", "n")}),
    ("a^T X b", "X", {"a": ("m", 1), "X": ("m", "n"), "b": ("n", 1)}),
    ("a^T X^T b", "X", {"a": ("n", 1), "X": ("m", "n"), "b": ("m", 1)}),
    ("tr(A X)", "X", {"A": ("n", "m"), "X": ("m", "n")}),
    ("tr(A X B)", "X", {"A": ("p", "m"), "X": ("m", "n"), "B": ("n", "p")}),
    ("tr(X^T X)", "X", {"X": ("m", "n")}),
    ("(A x - b)^T (A x - b)", "x", {"A": ("m", "n"), "x": ("n", 1), "b": ("m", 1)}),
    ("a^T X^-1 b", "X", {"a": ("n", 1), "X": ("n", "n"), "b": ("n", 1)}),
    ("log(det(X))", "X", {"X": ("n", "n")}),
    ("exp(tr(X))", "X", {"X": ("n", "n")}),
    ("a^T W c", "W", {"a": ("m", 1), "W": ("m", "n"), "c": ("n", 1)}),
]


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    start = time.perf_counter()
    for _ in range(repeat):
        out = fn()
    return (time.perf_counter() - start) / repeat, out


def library(files: list[Path]) -> None:
    problems = [load(p) for p in files]

    def deck() -> str:
        """What `make slides` does in Python: every problem derived, proved, verified, then rendered."""
        pipeline._cache.clear()  # measure real derivations, not the cache of canonical forms
        derivations = [pipeline.derive_problem(p) for p in problems]
        return render_slides(derivations, title="Benchmark", problems=problems)

    def both_layouts() -> None:
        pipeline._cache.clear()
        for p in problems:
            for layout in ("numerator", "denominator"):
                pipeline.derive_problem(p, layout)

    python, tex = timed(deck)
    both, _ = timed(both_layouts)
    latex, _ = timed(lambda: compile_tex(tex, "slides"))
    print(f"library: {len(problems)} problems")
    print(f"  python, the deck (derive + prove + verify + render): {python:7.2f} s")
    print(f"  latexmk, the deck:                                   {latex:7.2f} s")
    print(f"  ratio python / latexmk:                              {python / latex:7.3f}   (target <= 0.25)")
    print(f"  python, every problem in both layouts:               {both:7.2f} s "
          f"(ratio {both / latex:.3f})")
    tensors(problems)


def tensors(problems: list) -> None:
    """The tensor problems alone (vector or matrix by a matrix, matrix by a vector or scalar, Hessians by a matrix):
    their own deck's Python time against its compile."""
    pipeline._cache.clear()
    chosen = [p for p in problems if pipeline.derive_problem(p).tensor]
    if not chosen:
        return

    def deck() -> str:
        pipeline._cache.clear()
        derivations = [pipeline.derive_problem(p, layout) for p in chosen
                       for layout in ((None,) if p.hessian else ("denominator", "numerator"))]
        return render_slides(derivations, title="Benchmark", problems=[p for p in chosen for _ in
                                                                        ((1,) if p.hessian else (1, 2))])

    python, tex = timed(deck)
    latex, _ = timed(lambda: compile_tex(tex, "slides"))
    print(f"tensor problems: {len(chosen)}, each in both layouts")
    print(f"  python (derive + prove + verify + render):           {python:7.2f} s")
    print(f"  latexmk, their deck:                                 {latex:7.2f} s")
    print(f"  ratio python / latexmk:                              {python / latex:7.3f}   (target <= 0.25)")


def sympy_diff(text: str, wrt: str, shapes: dict) -> sp.Expr:
    dims = {d: sp.Symbol(d, integer=True, positive=True) for s in shapes.values() for d in s if isinstance(d, str)}
    syms = {name: sp.MatrixSymbol(name, *(dims.get(d, d) for d in shape)) for name, shape in shapes.items()}
    build = {
        "x^T A x": lambda s: s["x"].T * s["A"] * s["x"],
        "a^T X b": lambda s: s["a"].T * s["X"] * s["b"],
        "a^T X^T b": lambda s: s["a"].T * s["X"].T * s["b"],
        "tr(A X)": lambda s: sp.Trace(s["A"] * s["X"]),
        "tr(A X B)": lambda s: sp.Trace(s["A"] * s["X"] * s["B"]),
        "tr(X^T X)": lambda s: sp.Trace(s["X"].T * s["X"]),
        "(A x - b)^T (A x - b)": lambda s: (s["A"] * s["x"] - s["b"]).T * (s["A"] * s["x"] - s["b"]),
        "a^T X^-1 b": lambda s: s["a"].T * s["X"].inverse() * s["b"],
        "log(det(X))": lambda s: sp.log(sp.Determinant(s["X"])),
        "exp(tr(X))": lambda s: sp.exp(sp.Trace(s["X"])),
        "a^T W c": lambda s: s["a"].T * s["W"] * s["c"],
    }[text]
    return build(syms).diff(syms[wrt])


def sympy_is_right(result: sp.Expr, text: str, wrt: str, shapes: dict) -> bool:
    """SymPy's answer evaluated at random values against ours (denominator layout)."""
    if result == 0 or not isinstance(result, sp.MatrixExpr):
        return False
    scope = Scope.build(shapes)
    ours = derivative(parse(text, scope).expr, scope.symbols[wrt]).result
    values, sizes = sample_for([ours], scope, seed=1)
    concrete = {sp.MatrixSymbol(n, *(sp.Symbol(d, integer=True, positive=True) if isinstance(d, str) else d
                                    for d in shape)): sp.ImmutableMatrix(values[n]) for n, shape in shapes.items()}
    try:
        theirs = np.array(sp.ImmutableMatrix(result.xreplace(concrete).doit()).evalf(), dtype=float)
    except (TypeError, ValueError, AttributeError):
        return False
    mine = evaluate(ours, values, scope, sizes)
    return theirs.shape == mine.shape and bool(np.allclose(theirs, mine, rtol=1e-8, atol=1e-10))


def against_sympy() -> None:
    print("against SymPy's MatrixExpr.diff (cases it gets right):")
    ratios_closed, ratios_full = [], []
    for text, wrt, shapes in SYMPY_CASES:
        t_sympy, result = timed(lambda: sympy_diff(text, wrt, shapes), repeat=5)
        if not sympy_is_right(result, text, wrt, shapes):
            print(f"  {text:24} by {wrt}: SymPy gives {str(result)[:40]!r} — wrong or not a matrix; skipped")
            continue
        scope = Scope.build(shapes)
        t_closed, _ = timed(lambda: derivative(parse(text, scope).expr, scope.symbols[wrt]), repeat=5)

        def full():
            pipeline._cache.clear()
            return pipeline.derive(text, wrt, shapes)

        t_full, _ = timed(full, repeat=3)
        ratios_closed.append(t_closed / t_sympy)
        ratios_full.append(t_full / t_sympy)
        print(f"  {text:24} by {wrt}: sympy {t_sympy * 1e3:7.2f} ms   ours: closed form {t_closed * 1e3:7.2f} ms "
              f"({t_closed / t_sympy:5.2f}x), with proof and check {t_full * 1e3:7.2f} ms ({t_full / t_sympy:5.2f}x)")
    if ratios_closed:
        geo = lambda r: float(np.exp(np.mean(np.log(r))))  # noqa: E731
        print(f"  geometric mean, our time / SymPy's: closed form {geo(ratios_closed):.2f}x, "
              f"with proof and numeric check {geo(ratios_full):.2f}x")


if __name__ == "__main__":
    files = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "problems").glob("*.toml"))
    library(files)
    against_sympy()
