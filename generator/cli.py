"""The `mcgen` command: a thin click layer over the library; every refusal is one line and exit code 1."""
from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator, NoReturn, Sequence

import click
from click.core import ParameterSource

from .errors import GeneratorError
from .export import items as export_items
from .export.write import FORMATS as EXPORT_FORMATS
from .export.write import export as export_files
from .grading.gradebook import grade_file
from .grading.policy import NOT_OWNED, POLICIES
from .grading.submissions import FORMAT as SUBMISSIONS_FORMAT
from .parse.problem_file import Problem, load
from .pipeline.derivation import Derivation
from .pipeline.run import derive as derive_expr
from .pipeline.run import derive_problem
from .render.formulas import closed_form_latex
from .render.latexmk import build, check_writable
from .render.slides import render_slides
from .render.table import render_table, table_entry
from .serve import run as serve_run
from .serve.service import MODES, Settings
from .sheets import plan as sheet_plan
from .sheets import publish as sheet_publish
from .sheets.exercise import exercise
from .tree.nodes import Dim
from .vocabulary import LAYOUTS

SLIDES_TITLE = "Matrix calculus, one entry at a time"
TABLE_TITLE = "Matrix-calculus identities in both layouts"


def fail(message: str) -> NoReturn:
    """Print `mcgen: message` as one line on stderr and exit with code 1."""
    click.echo(f"mcgen: {' '.join(str(message).split())}", err=True)
    sys.exit(1)


class _Main(click.Group):
    """The command group; turns the project's errors, OS errors and usage errors into one line."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as err:
            fail(err.format_message())
        except click.Abort:
            fail("interrupted")
        except GeneratorError as err:
            fail(str(err))
        except OSError as err:
            where = f"{err.filename}: " if err.filename else ""
            fail(f"{where}{err.strerror or err}")
        except (RecursionError, MemoryError):  # what no limit of the grammar foresaw: still one line, no traceback
            fail("the input is too deeply nested or too large to work with; split it into named steps")
        if isinstance(code, int) and code:  # --help and friends end with their own code
            sys.exit(code)
        return code


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mcgen", message="mcgen %(version)s")
def main() -> None:
    """mcgen: matrix-calculus derivations with proofs; slides, exercise sheets, grading, a web app and exports."""


# -- shared pieces --------------------------------------------------------------------------------

def _load_all(files: Sequence[Path]) -> list[Problem]:
    if not files:
        raise GeneratorError("no problem files given; e.g. mcgen slides problems/*.toml -o out/")
    return [load(path) for path in files]


def _report(built_files: Sequence[Path], overfull: dict[str, tuple[str, ...]]) -> None:
    click.echo("wrote " + ", ".join(str(p) for p in built_files))
    for name, lines in overfull.items():
        if lines:  # never expected (every formula shrinks to fit) but worth saying if it happens
            click.echo(f"mcgen: warning: {name}.tex: {len(lines)} overfull box(es), first: {lines[0]}", err=True)


LAYOUT = click.Choice(LAYOUTS)
OUTPUT = click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("out"),
                      show_default=True, help="Directory for the .tex and .pdf files.")
NO_PDF = click.option("--no-pdf", is_flag=True, help="Write the .tex only; do not run latexmk.")
FILES = click.argument("files", nargs=-1, type=click.Path(path_type=Path))


# -- mcgen slides ---------------------------------------------------------------------------------

@main.command()
@FILES
@OUTPUT
@click.option("--layout", type=LAYOUT, default=None, help="Override every problem's layout.")
@NO_PDF
@click.option("--title", default=SLIDES_TITLE, show_default=True, help="Title of the deck.")
@click.option("--handout", is_flag=True,
              help="Write OUT/handout.tex and .pdf instead: no overlays, one page per frame, for print.")
def slides(files: tuple[Path, ...], out_dir: Path, layout: str | None, no_pdf: bool, title: str,
           handout: bool) -> None:
    """Derive, verify and prove each problem file; write OUT/slides.tex and OUT/slides.pdf."""
    check_writable(out_dir)
    problems = _load_all(files)
    derivations = [derive_problem(p, layout) for p in problems]
    tex = render_slides(derivations, title=title, problems=problems, handout=handout)
    built = build({"handout" if handout else "slides": tex}, out_dir, pdf=not no_pdf)
    _report(built.files, dict(built.overfull))


# -- mcgen table ----------------------------------------------------------------------------------

@main.command()
@FILES
@OUTPUT
@NO_PDF
@click.option("--title", default=TABLE_TITLE, show_default=True, help="Title of the document.")
def table(files: tuple[Path, ...], out_dir: Path, no_pdf: bool, title: str) -> None:
    """Identity tables (OUT/identities.tex, .pdf) from the files with a `table` key; others are skipped."""
    check_writable(out_dir)
    rows = []
    for problem in _load_all(files):
        entry = table_entry(problem)
        if entry is not None:
            rows.append((entry, derive_problem(problem, "numerator"), derive_problem(problem, "denominator")))
    if not rows:
        raise GeneratorError("none of the problem files has a 'table' key; add e.g. "
                             "table = \"Vector-by-vector identities\" to the rows of the table")
    built = build({"identities": render_table(rows, title=title)}, out_dir, pdf=not no_pdf)
    _report(built.files, dict(built.overfull))


# -- mcgen derive ---------------------------------------------------------------------------------

def _pair(text: str, option: str, example: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise GeneratorError(f"{option} {text!r}: expected {example}")
    return name.strip(), value.strip()


def parse_shapes(items: Sequence[str]) -> dict[str, list[Dim]]:
    """`a=m,1` → {"a": ["m", "1"]}; the library checks the sizes themselves."""
    shapes: dict[str, list[Dim]] = {}
    for item in items:
        name, value = _pair(item, "--shape", "NAME=ROWS,COLS such as X=m,n or x=3,1")
        dims = [d.strip() for d in value.split(",")]
        if len(dims) != 2 or not all(dims):
            raise GeneratorError(f"--shape {item!r}: expected two sizes, ROWS,COLS, such as X=m,n")
        shapes[name] = dims
    return shapes


def parse_functions(items: Sequence[str]) -> dict[str, Any]:
    """`g=scalar:delta`, `g=scalar:delta:H`, `h=elementwise`, `u=vector:r,1` → the mapping the library's checks read."""
    functions: dict[str, Any] = {}
    for item in items:
        name, value = _pair(item, "--function", "NAME=KIND such as g=scalar:delta, h=elementwise, u=vector:r,1")
        kind, _, detail = value.partition(":")
        spec: dict[str, Any] = {"kind": kind.strip()}
        if detail and kind == "scalar":
            gradient, _, hessian = detail.partition(":")
            spec["gradient"] = gradient.strip() or None
            if hessian.strip():
                spec["hessian"] = hessian.strip()
        elif detail and kind == "vector":
            spec["shape"] = [d.strip() for d in detail.split(",")]
        elif detail:
            raise GeneratorError(f"--function {item!r}: only scalar:GRADIENT[:HESSIAN] and vector:ROWS,COLS "
                                 "take a detail")
        functions[name] = spec
    return functions


def _derivation(source: str, wrt: str | None, shapes: tuple[str, ...], layout: str | None,
                assume: tuple[str, ...], functions: tuple[str, ...], hessian: bool) -> Derivation:
    if source.endswith(".toml"):
        if wrt or shapes or assume or functions:
            raise GeneratorError(f"{source}: --wrt, --shape, --assume and --function come from the problem "
                                 "file; give them only with an expression")
        problem = load(source)
        if hessian and not problem.hessian:
            problem = dataclasses.replace(problem, hessian=True)
        return derive_problem(problem, layout)
    if not wrt:
        raise GeneratorError("--wrt is missing: name the variable to differentiate by, e.g. --wrt x")
    if not shapes:
        raise GeneratorError("--shape is missing: declare every symbol, e.g. --shape W=n,m --shape x=m,1")
    return derive_expr(source, wrt, parse_shapes(shapes), layout or "denominator",
                       dict(_pair(a, "--assume", "NAME=KIND such as A=symmetric") for a in assume),
                       parse_functions(functions), hessian=hessian)


def _steps(d: Derivation) -> list[dict[str, str]]:
    return [{"kind": s.kind, "latex": s.latex, "reason": s.reason} for s in d.steps]


def _dim(d: Dim) -> int | str:
    """A size for JSON: a number, a name, or a product written mn."""
    return d if isinstance(d, (int, str)) else str(d)


def format_derivation(d: Derivation, fmt: str, steps: bool) -> str:
    """The derivation as text (expression language), LaTeX, sorted JSON, or a standalone NumPy module."""
    shape = "×".join(map(str, d.shape))
    if fmt == "numpy":
        return d.to_numpy().rstrip("\n")
    if fmt == "json":
        data: dict[str, Any] = {
            "expr": d.statement.text, "wrt": d.wrt.name, "layout": d.layout, "kind": d.kind,
            "shape": [_dim(x) for x in d.shape], "answer": d.answer, "latex": d.latex, "residual": d.residual,
        }
        if d.tensor:  # the axes above; the closed form is the vec–Jacobian of this shape
            data["vec_shape"] = [_dim(x) for x in d.closed_form.shape]
        if steps:
            data["steps"] = _steps(d)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)
    if fmt == "latex":
        lines = [f"{closed_form_latex(d)} = {d.latex}"]
        if steps:
            lines = [f"% {s['kind']}: {s['reason']}\n{s['latex']}" for s in _steps(d)] + lines
        return "\n".join(lines)
    vec = f" (the closed form is {'×'.join(map(str, d.closed_form.shape))}, with column-major vec)" \
        if d.tensor and not d.wrt.is_scalar else ""
    lines = [d.answer, f"{d.kind} in {d.layout} layout, {shape}{vec}; "
                       f"finite differences agree to {d.residual:.1e}"]
    if steps:
        lines += [f"{k}. {s['reason']}  [{s['kind']}]\n   {s['latex']}" for k, s in enumerate(_steps(d), 1)]
    return "\n".join(lines)


@main.command()
@click.argument("source", metavar="EXPR|FILE.toml")
@click.option("--wrt", help="The variable to differentiate by.")
@click.option("--shape", "shapes", multiple=True, metavar="NAME=ROWS,COLS", help="e.g. --shape X=m,n")
@click.option("--layout", type=LAYOUT, default=None, help="denominator (default) or numerator.")
@click.option("--assume", multiple=True, metavar="NAME=KIND", help="symmetric, spd or probability.")
@click.option("--function", "functions", multiple=True, metavar="NAME=KIND[:DETAIL]",
              help="g=scalar:delta (or scalar:delta:H, naming the Hessian too), h=elementwise or u=vector:r,1.")
@click.option("--hessian", is_flag=True, help="Second derivative of a scalar (by a matrix: the vec Hessian).")
@click.option("--steps", is_flag=True, help="Print the proof too.")
@click.option("--format", "fmt", type=click.Choice(["text", "latex", "json", "numpy"]), default="text",
              show_default=True, help="numpy: a Python module returning the value and the derivative, with a "
              "finite-difference check.")
def derive(source: str, wrt: str | None, shapes: tuple[str, ...], layout: str | None,
           assume: tuple[str, ...], functions: tuple[str, ...], hessian: bool, steps: bool, fmt: str) -> None:
    """Differentiate an expression (or a problem file), verify it and print the result."""
    d = _derivation(source, wrt, shapes, layout, assume, functions, hessian)
    click.echo(format_derivation(d, fmt, steps))


# -- mcgen sheet ----------------------------------------------------------------------------------

@main.command()
@FILES
@OUTPUT
@click.option("--variants", "count", type=int, default=None, metavar="N",
              help="Variants of every problem (default 1, or one per student of the roster).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same sheets.")
@click.option("--roster", type=click.Path(path_type=Path), default=None,
              help="CSV with columns id and name: one variant per student, named on the page.")
@NO_PDF
@click.option("--title", default=sheet_publish.TITLE, show_default=True, help="Title of the sheet.")
def sheet(files: tuple[Path, ...], out_dir: Path, count: int | None, seed: int, roster: Path | None,
          no_pdf: bool, title: str) -> None:
    """Randomized exercise sheets: OUT/sheet.pdf, OUT/key.pdf (worked, verified), their .tex and OUT/manifest.json."""
    check_writable(out_dir)
    problems = _load_all(files)
    plan = sheet_plan.plan(problems, count, seed, sheet_plan.read_roster(roster) if roster else ())
    for note in plan.notes:
        click.echo(f"mcgen: warning: {note}", err=True)

    def progress(items: Sequence[Any], label: str) -> Iterator[Any]:
        # A bar only on a terminal (logs and tests stay quiet); items are handed out as the work goes.
        if not sys.stderr.isatty():
            yield from items
            return
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield from bar

    exercises = [exercise(v) for v in progress(plan.variants, "deriving")]
    built = sheet_publish.publish(plan, exercises, out_dir, pdf=not no_pdf, title=title, progress=progress)
    _report(built.files, dict(built.overfull))


# -- mcgen grade ----------------------------------------------------------------------------------

@main.command(epilog="SUBMISSIONS: " + SUBMISSIONS_FORMAT + ". For example, for the sheets `make sheets` writes:"
                    "\n\n\b\n  student,variant,answer\n  s1001,quadratic-1,\"u^T (M + M^T)\"\n  s1001,trace-1,A^T\n\n"
                    "Outputs: the grades CSV (one row per "
                    "submission, with counted yes/no and any flag), <stem>-summary.csv (outcomes per question) and "
                    "<stem>-students.csv (totals per student) beside it; with --report, report.pdf there too.")
@click.argument("submissions", type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(path_type=Path), required=True,
              help="The manifest.json written by `mcgen sheet`.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("out/grades.csv"),
              show_default=True, help="Grades CSV; a per-question summary and per-student totals are written beside it.")
@click.option("--credit", "credits", multiple=True, metavar="MISTAKE=SCORE",
              help="Partial credit for a kind of mistake, e.g. --credit layout=0.5.")
@click.option("--policy", type=click.Choice(POLICIES), default="last", show_default=True,
              help="Which of a student's several answers to one exercise counts: the last, the best or the first.")
@click.option("--roster", type=click.Path(path_type=Path), default=None,
              help="The roster CSV given to `mcgen sheet --roster` (columns id, name): who owns which variant, "
                   "when the manifest does not say.")
@click.option("--not-owned", type=click.Choice(NOT_OWNED), default="zero", show_default=True,
              help="An answer to another student's variant: flagged and scored 0 (zero), or only flagged (flag).")
@click.option("--report", is_flag=True, help="Also write report.pdf beside the grades: the class at a glance.")
def grade(submissions: Path, manifest: Path, output: Path, credits: tuple[str, ...], policy: str,
          roster: Path | None, not_owned: str, report: bool) -> None:
    """Grade SUBMISSIONS (CSV: student, variant, answer) against the sheet's manifest."""
    credit = {}
    for item in credits:
        name, value = _pair(item, "--credit", "MISTAKE=SCORE such as layout=0.5")
        try:
            credit[name] = float(value)
        except ValueError:
            raise GeneratorError(f"--credit {item!r}: the score must be a number between 0 and 1") from None
    summary = grade_file(submissions, manifest, output, credit or None, policy=policy, roster=roster,
                         not_owned=not_owned, report=output.with_name("report.pdf") if report else None)
    click.echo(summary.text())


# -- mcgen export ---------------------------------------------------------------------------------

@main.command()
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path), metavar="MANIFEST.json | FILES.toml...")
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), required=True,
              help="moodle (Moodle XML), stack (qtype_stack XML), qti (QTI 1.2 zip for Canvas), prairielearn.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("out"),
              show_default=True, help="Directory for the exported files.")
@click.option("--variants", "count", type=int, default=None, metavar="N",
              help="With problem files: variants of every problem (default 1), as `mcgen sheet` makes them.")
@click.option("--seed", type=int, default=None, help="With problem files: same seed, same questions (default 0).")
def export(sources: tuple[Path, ...], fmt: str, out_dir: Path, count: int | None, seed: int | None) -> None:
    """Questions for a course site from a sheet's manifest (or from problem files), one per variant.

    Every key is re-derived and checked against finite differences before anything is written.
    """
    check_writable(out_dir)
    if len(sources) == 1 and sources[0].suffix == ".json":
        if count is not None or seed is not None:
            raise GeneratorError(f"{sources[0]}: --variants and --seed come from the manifest; give them only "
                                 "with problem files")
        source = export_items.from_manifest(sources[0])
    else:
        source = export_items.from_problems(list(sources), count, seed or 0)
    written, notes = export_files(source, fmt, out_dir)
    reasons: dict[str, list[str]] = {}
    for note in notes:
        vid, _, why = note.partition(": ")
        reasons.setdefault(why, []).append(vid)
    for why, ids in reasons.items():
        click.echo(f"mcgen: note: {why}: {', '.join(ids)}", err=True)
    shown = [str(p) for p in written if p.parent == out_dir]
    folders = sorted({p.parent.parent for p in written if p.parent != out_dir})
    click.echo(f"wrote {len(source.items) - len(notes)} questions: " + ", ".join(shown + [f"{f}/" for f in folders]))


# -- mcgen serve ----------------------------------------------------------------------------------

@main.command()
@click.option("--manifest", type=click.Path(path_type=Path), required=True,
              help="The manifest.json written by `mcgen sheet`.")
@click.option("--roster", type=click.Path(path_type=Path), default=None,
              help="CSV with columns id and name; without it, one link per variant.")
@click.option("--db", type=click.Path(path_type=Path), default=Path("out/mcgen.sqlite3"), show_default=True,
              help="SQLite database; links.csv is written beside it.")
@click.option("--database", default=None, metavar="postgresql://…", help="A PostgreSQL server instead of --db.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--mode", type=click.Choice(MODES), default="practice", show_default=True,
              help="practice: feedback at once; exam: feedback once released on the dashboard.")
@click.option("--attempts", type=int, default=None, metavar="N", help="Attempts per exercise (default unlimited).")
@click.option("--workers", type=int, default=1, show_default=True, help="App processes sharing the port.")
def serve(manifest: Path, roster: Path | None, db: Path, database: str | None, host: str, port: int, mode: str,
          attempts: int | None, workers: int) -> None:
    """Students answer the sheet online (secret links in links.csv); an instructor dashboard."""
    given = click.get_current_context().get_parameter_source("db") is not ParameterSource.DEFAULT
    where = serve_run.database(db, given, database)
    if workers < 1:
        raise GeneratorError(f"--workers: expected at least 1, found {workers}")
    # Two grading processes per core, shared among the app processes: an answer that runs out its budget
    # holds one of them, and the others go on grading.
    graders = max(2, 2 * (os.cpu_count() or 1) // workers)
    settings = Settings(str(manifest), where, mode, attempts, graders)
    serve_run.check_port(host, port)
    url = serve_run.base_url(host, port)
    prepared = serve_run.prepare(settings, sheet_plan.read_roster(roster) if roster else None, url)
    serve_run.serve(settings, host, port, workers, serve_run.banner(prepared, url, mode))
