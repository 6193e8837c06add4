"""Sheet, key and manifest: every key checked, everything compiled, then all five files written at once."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..render.latexmk import Built, check_writable, compile_tex, write_all
from ..render.env import render
from .data import Exercise
from .exercise import check_key
from .manifest import manifest
from .plan import Plan
from .views import exercise_view, pages

TITLE = "Exercises in matrix calculus"


Progress = Callable[[Sequence[Any], str], Iterable[Any]]  # wraps a list of work items, e.g. in a bar


def _quiet(items: Sequence[Any], label: str) -> Iterable[Any]:
    return items


def publish(p: Plan, exercises: Sequence[Exercise], out_dir: str | Path, pdf: bool = True,
            title: str = TITLE, progress: Progress = _quiet) -> Built:
    """Check every key, render sheet and key, compile them, then write all five files together.

    A failed check or compile raises before anything is written; `progress(items, label)` may wrap
    the checks in a progress bar.
    """
    out_dir = Path(out_dir)
    check_writable(out_dir)
    checked = [check_key(ex) for ex in progress(list(exercises), "checking keys")]
    views = [exercise_view(ex) for ex in checked]
    grouped = pages(p, checked, views)
    sources = {"sheet": render("sheet.tex", title=title, pages=grouped),
               "key": render("key.tex", title=title, pages=grouped, seed=p.seed)}
    contents = {f"{name}.tex": tex.encode("utf-8") for name, tex in sources.items()}
    contents["manifest.json"] = manifest(p, checked, views).encode("utf-8")
    overfull = {}
    if pdf:
        for name in progress(list(sources), "compiling"):
            compiled = compile_tex(sources[name], name)
            contents[f"{name}.pdf"], overfull[name] = compiled.pdf, compiled.overfull
    return Built(write_all(out_dir, contents), overfull)
