"""Benchmark: 300 variants of five problems; Python (derive, verify, render) over latexmk for the same PDFs, one run."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import load  # noqa: E402
from generator.render.latexmk import compile_tex  # noqa: E402
from generator.sheets.exercise import exercise  # noqa: E402
from generator.sheets.plan import plan  # noqa: E402
from generator.sheets.publish import publish  # noqa: E402

PROBLEMS = ("activation", "bilinear", "delta", "least-squares", "quadratic")
TARGET = 0.5  # the Python side may cost at most half of latexmk's time


def main() -> None:
    """Time each stage once and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    problems = [load(ROOT / "problems" / "sheets" / f"{name}.toml") for name in PROBLEMS]
    with tempfile.TemporaryDirectory(prefix="mcgen-bench-") as scratch:
        out = Path(scratch)
        t0 = time.perf_counter()
        sheet_plan = plan(problems, args.variants, args.seed)
        t1 = time.perf_counter()
        exercises = [exercise(v) for v in sheet_plan.variants]
        t2 = time.perf_counter()
        publish(sheet_plan, exercises, out, pdf=False)  # checks every key, renders, writes .tex and manifest
        t3 = time.perf_counter()
        pages = {}
        for name in ("sheet", "key"):
            compiled = compile_tex((out / f"{name}.tex").read_text(encoding="utf-8"), name)
            written = re.search(r"Output written on \S+ \((\d+) pages?", compiled.log)
            pages[name] = int(written.group(1)) if written else 0
        t4 = time.perf_counter()
    python, tex = t3 - t0, t4 - t3
    print(f"{len(exercises)} exercises ({args.variants} variants of {len(problems)} problems), seed {args.seed}")
    print(f"python: {python:.2f} s  (plan {t1 - t0:.2f} s, derive {t2 - t1:.2f} s, "
          f"check keys + render + manifest {t3 - t2:.2f} s)")
    print(f"latexmk: {tex:.2f} s  (sheet.pdf {pages['sheet']} pages, key.pdf {pages['key']} pages)")
    print(f"ratio python/latexmk: {python / tex:.3f}  (target ≤ {TARGET}: {'met' if python / tex <= TARGET else 'missed'})")


if __name__ == "__main__":
    main()
