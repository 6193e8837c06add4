"""Exercise sheets: variants derived, every key checked by finite differences, then sheet, key and manifest written at once."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import sympy as sp

from . import randomize
from .build import Built, check_writable, compile_tex, write_all
from .errors import GeneratorError, VerificationError
from .expr import Expr, Inverse
from .latex import latex, symbol_latex
from .model import Derivation, Exercise, Fraction2D, FunctionSpec, Problem, Scope, Student, Variant
from .numeric import evaluate, sizes_for
from .parse import parse
from .render import derivative_latex, given_lines, residual_latex, shape_latex, shape_lines, statement_lines
from .pipeline import derive
from .steps import inline
from .symbolic import AsScalar, Reduction, to_sympy
from .verify import TOLERANCE, check, gap_at

VERSION = 1
DATA_ATTEMPTS = 24  # integer data sets tried before a numeric variant gives up (singular matrices, 0/0)
MAX_CONDITION = 1e3  # integer matrices to invert are kept this well conditioned
ID_COLUMNS = ("id", "student", "student id", "student_id")


@dataclass(frozen=True)
class Plan:
    """What a sheet holds: its problems, seed and variants (by number, then problem), and who gets which."""

    problems: tuple[Problem, ...]
    seed: int
    count: int
    variants: tuple[Variant, ...]
    students: tuple[Student, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "problems/x.toml: only 4 distinct variants; some repeat"

    def student(self, number: int) -> Student | None:
        """The student who gets sheet variant `number`, when there is a roster."""
        return self.students[number - 1] if self.students else None


def plan(problems: Sequence[Problem], count: int | None, seed: int, students: Sequence[Student] = ()) -> Plan:
    """Variants 1…count of every problem (count = the roster's length when a roster is given)."""
    if students and count is not None and count != len(students):
        raise GeneratorError(f"--variants {count} disagrees with the roster's {len(students)} students; "
                             "leave --variants out to give every student one variant")
    count = len(students) if students else (1 if count is None else count)
    if count < 1:
        raise GeneratorError(f"--variants: expected at least 1, found {count}")
    seen: dict[str, str] = {}
    for p in problems:
        if p.name in seen:
            raise GeneratorError(f"{p.source}: has the same name as {seen[p.name]} ({p.name}); variant ids would clash")
        seen[p.name] = p.source
    rows, notes = [], []
    for p in problems:
        variants, note = randomize.variants(p, seed, count)
        rows.append(variants)
        notes += [note] if note else []
    ordered = tuple(v for number in range(count) for v in (row[number] for row in rows))
    return Plan(tuple(problems), seed, count, ordered, tuple(students), tuple(notes))


def read_roster(path: str | Path) -> tuple[Student, ...]:
    """A CSV with a header naming an id column (id, student or student id) and a name column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise GeneratorError(f"{path}: cannot read the roster ({err.strerror})") from None
    except UnicodeDecodeError:
        raise GeneratorError(f"{path}: the roster is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, row) for row in reader]  # line_num: a quoted name may span lines
    header = [h.strip().lower() for h in rows[0][1]] if rows else []
    id_col = next((header.index(h) for h in ID_COLUMNS if h in header), None)
    if id_col is None or "name" not in header:
        raise GeneratorError(f"{path}: line 1: expected a header with the columns id and name")
    name_col = header.index("name")
    students: list[Student] = []
    first: dict[str, int] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        sid = row[id_col].strip() if id_col < len(row) else ""
        name = row[name_col].strip() if name_col < len(row) else ""
        if not sid:
            raise GeneratorError(f"{path}: line {line}: the student id is missing")
        if sid in first:
            raise GeneratorError(f"{path}: line {line}: the student id {sid!r} is already on line {first[sid]}")
        first[sid] = line
        students.append(Student(sid, name))
    if not students:
        raise GeneratorError(f"{path}: the roster lists no students")
    return tuple(students)


# ---------------------------------------------------------------- one exercise

def exercise(v: Variant) -> Exercise:
    """The variant derived (closed form and proof), with integer data and exact value, or a blanked step."""
    d = derive(v.expr, v.wrt, v.shapes, v.layout, v.assume, v.functions, hessian=v.hessian, source=v.id)
    if v.kind == "numeric":
        data, value = numeric(v, d)
        return Exercise(v, d, data=data, value=value)
    if v.kind == "fill-step":
        eligible = [k for k, step in enumerate(d.steps) if step.kind in randomize.FILL_STEPS]
        if not eligible:
            raise GeneratorError(f"{v.id}: the proof has no index, differentiate, reduce or chain step to blank")
        return Exercise(v, d, blank=eligible[randomize.draw(v.seed, 1) % len(eligible)])
    return Exercise(v, d)


def numeric(v: Variant, d: Derivation) -> tuple[dict[str, Fraction2D], Fraction2D]:
    """Seeded integer data at which the expression is defined, and the derivative's exact value there."""
    for attempt in range(DATA_ATTEMPTS):
        data = randomize.numeric_data(v, attempt)
        value = exact_value(d.closed_form, data)
        if value is None or _zero(value) or any(_zero(rows) for rows in data.values()):
            continue  # undefined there, or a zero that makes the exercise trivial
        if _defined(d.statement.expr, d.closed_form, data, d.scope):
            return data, value
    raise GeneratorError(f"{v.id}: found no integer values at which {v.expr} and its derivative are defined")


def exact_value(closed_form: Expr, data: Mapping[str, Fraction2D]) -> Fraction2D | None:
    """The closed form at rational data, exactly (sympy); None when it is undefined there (singular, 0/0)."""
    subs = {}
    for name, rows in data.items():
        cells = [[sp.Rational(x.numerator, x.denominator) for x in row] for row in rows]
        if len(rows) == 1 and len(rows[0]) == 1:
            subs[sp.Symbol(name, real=True)] = cells[0][0]
        else:
            subs[sp.MatrixSymbol(name, len(rows), len(rows[0]))] = sp.ImmutableMatrix(cells)
    try:
        value = to_sympy(inline(closed_form)).xreplace(subs)
        value = value.replace(lambda n: isinstance(n, Reduction) and n.args[0].name == "sum",
                              lambda n: sum(sp.ImmutableMatrix(n.args[1].doit().as_explicit())))
        value = value.replace(lambda n: isinstance(n, AsScalar), lambda n: n.args[0].doit().as_explicit()[0, 0])
        value = value.doit()
        matrix = value.as_explicit() if hasattr(value, "as_explicit") else sp.ImmutableMatrix([[value]])
    except (ZeroDivisionError, ValueError, sp.matrices.exceptions.NonInvertibleMatrixError):
        return None
    if not all(x.is_Rational for x in matrix):
        return None
    return tuple(tuple(Fraction(int(x.p), int(x.q)) for x in matrix.row(r)) for r in range(matrix.rows))


def _zero(rows: Fraction2D) -> bool:
    return all(x == 0 for row in rows for x in row)


def _floats(data: Mapping[str, Fraction2D]) -> dict[str, np.ndarray]:
    return {name: np.array([[float(x) for x in row] for row in rows]) for name, rows in data.items()}


def _defined(expr: Expr, closed: Expr, data: Mapping[str, Fraction2D], scope: Scope) -> bool:
    """Finite there, and every inverse well conditioned, so finite differences at the data are conclusive."""
    values = _floats(data)
    with np.errstate(all="ignore"):
        try:
            if not np.all(np.isfinite(evaluate(expr, values, scope))):
                return False
            inverses = [n.arg for e in (expr, closed) for n in e.walk() if isinstance(n, Inverse)]
            return all(np.linalg.cond(evaluate(arg, values, scope)) <= MAX_CONDITION for arg in inverses)
        except np.linalg.LinAlgError:
            return False


# ---------------------------------------------------------------- the key check

def check_key(ex: Exercise) -> Exercise:
    """The exercise with its residual, after its key passed finite differences of the ORIGINAL expression.

    The variant's text is parsed afresh, so nothing of the derivation but the closed form (and the
    exact value of a numeric exercise) takes part: a wrong key fails here whatever produced it.
    """
    v, closed = ex.variant, ex.derivation.closed_form
    scope = Scope.build(v.shapes, v.assume, v.functions)
    original = parse(v.expr, scope, v.id).expr
    wrt, kind = scope.symbols[v.wrt], ex.derivation.kind
    what = f"{v.id} ({v.source})"
    try:
        worst = check(original, wrt, closed, v.layout, scope, kind, f"{what}: the key", seed=v.seed)
        if ex.data:
            worst = max(worst, _check_value(ex, original, scope, what))
    except VerificationError as err:
        message = str(err)
        raise VerificationError(message if message.startswith(what) else f"{what}: the key: {message}") from None
    return replace(ex, residual=worst)


def _check_value(ex: Exercise, original: Expr, scope: Scope, what: str) -> float:
    """Finite differences at the given integer data against the closed form there, and its exact value."""
    v, closed = ex.variant, ex.derivation.closed_form
    values = _floats(ex.data)
    sizes = sizes_for(scope)
    gap = gap_at(original, scope.symbols[v.wrt], closed, v.layout, scope, ex.derivation.kind, values, sizes)
    exact = np.array([[float(x) for x in row] for row in ex.value])
    approx = evaluate(closed, values, scope, sizes)
    gap = max(gap, float(np.abs(exact - approx).max(initial=0)) / max(1.0, float(np.abs(approx).max(initial=0))))
    limit = TOLERANCE[ex.derivation.kind]
    if not gap <= limit:
        raise VerificationError(f"{what}: the numeric answer disagrees with finite differences at the given "
                                f"values (largest relative error {gap:.2e}, tolerance {limit:.0e})")
    return gap


# ---------------------------------------------------------------- views: what the templates read

TASKS = {
    "closed-form": "Find ${asked}${layout} and prove it.",
    "numeric": "Compute ${asked}${layout} exactly, at the values below.",
    "shape": r"What is the shape of ${asked}${layout}? Answer as rows $\times$ columns.",
    "fill-step": "The proof below finds ${asked}${layout}. Fill in the missing step {blank}.",
}
SPACE = {"closed-form": 14, "numeric": 10, "shape": 3, "fill-step": 5}  # answer lines left on the sheet
BLANK = r"\boxed{\rule{0pt}{1.4em}\hspace{10em}}"


@dataclass(frozen=True)
class StepLine:
    """One proof step: its reason, its LaTeX, and the LaTeX the sheet shows (right-hand side blanked)."""

    reason: str
    latex: str
    sheet: str
    blank: bool


@dataclass(frozen=True)
class ExerciseView:
    """One exercise as sheet and key show it: strings of LaTeX (maths) and plain text (words)."""

    id: str
    title: str
    kind: str
    statement: tuple[str, ...]
    shapes: tuple[str, ...]
    givens: tuple[str, ...]
    task: str  # LaTeX text with inline maths
    data: tuple[str, ...]  # numeric: W = [[…]]
    steps: tuple[StepLine, ...]
    answer: str  # LaTeX of the closed form
    result: str  # asked = closed form
    shape: str
    value: str  # numeric: asked = [[…]]
    residual: str
    space: int

    @property
    def question(self) -> str:
        """The whole question as one LaTeX paragraph (inline maths and displays): the manifest's `question`."""
        given = [f"${line}$" for line in (*self.shapes, *self.givens)]
        text = f"Let {', '.join(given)} and " + " and ".join(f"${s}$" for s in self.statement) + ". " + self.task
        text += "".join(f" \\[ {d} \\]" for d in self.data)
        return text + "".join(f" \\[ {s.sheet} \\]" for s in self.steps if self.kind == "fill-step")


@dataclass(frozen=True)
class PageView:
    """One sheet variant: its number, its student (when there is a roster) and its exercises."""

    number: int
    student_id: str
    student_name: str
    exercises: tuple[ExerciseView, ...]


def split_equation(text: str) -> tuple[str, str]:
    """LaTeX `lhs = rhs` split at its first '=' outside braces; ('', text) when there is none."""
    depth = 0
    for k, char in enumerate(text):
        depth += (char == "{") - (char == "}")
        if char == "=" and depth == 0:
            return text[:k].rstrip(), text[k + 1:].lstrip()
    return "", text


def matrix_latex(rows: Fraction2D) -> str:
    """Exact numbers as a bracketed matrix (a plain number when 1×1)."""
    cells = sp.ImmutableMatrix([[sp.Rational(x.numerator, x.denominator) for x in row] for row in rows])
    return latex(cells[0, 0]) if cells.shape == (1, 1) else latex(cells)


def exercise_view(ex: Exercise) -> ExerciseView:
    """The strings sheet and key print for one checked exercise."""
    v, d = ex.variant, ex.derivation
    answer = latex(d.closed_form)  # of the closed form the check passed, never a stale copy
    steps = []
    for k, step in enumerate(d.steps):
        lhs, _ = split_equation(step.latex)
        blank = k == ex.blank
        steps.append(StepLine(step.reason, step.latex, f"{lhs} = {BLANK}" if blank else step.latex, blank))
    layout = "" if d.kind == "hessian" else f" in the {d.layout} layout"
    blank_number = "" if ex.blank is None else str(ex.blank + 1)
    task = TASKS[v.kind].format(asked=derivative_latex(d), layout=layout, blank=blank_number)
    data = tuple(f"{symbol_latex(name, v.shapes[name])} = {matrix_latex(rows)}" for name, rows in ex.data.items())
    return ExerciseView(
        id=v.id, title=v.title, kind=v.kind, statement=statement_lines(d), shapes=shape_lines(d),
        givens=given_lines(d), task=task, data=data, steps=tuple(steps),
        answer=answer, result=f"{derivative_latex(d)} = {answer}", shape=shape_latex(d.shape),
        value=f"{derivative_latex(d)} = {matrix_latex(ex.value)}" if ex.value else "",
        residual=residual_latex(ex.residual), space=SPACE[v.kind])


def pages(p: Plan, exercises: Sequence[Exercise], views: Sequence[ExerciseView]) -> tuple[PageView, ...]:
    """The exercise views grouped by sheet variant, in the plan's order."""
    by_number: dict[int, list[ExerciseView]] = {}
    for ex, view in zip(exercises, views):
        by_number.setdefault(ex.variant.number, []).append(view)
    out = []
    for number, views in sorted(by_number.items()):
        student = p.student(number)
        out.append(PageView(number, student.id if student else "", student.name if student else "", tuple(views)))
    return tuple(out)


# ---------------------------------------------------------------- the manifest

def _function_spec(spec: FunctionSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": spec.kind}
    if spec.shape:
        out["shape"] = list(spec.shape)
    if spec.gradient:
        out["gradient"] = spec.gradient
    return out


def _cells(rows: Fraction2D) -> list[list[str]]:
    return [[str(x) for x in row] for row in rows]


def manifest_entry(p: Plan, ex: Exercise, view: ExerciseView) -> dict[str, Any]:
    """What a grader needs to re-derive and grade one variant."""
    v, d = ex.variant, ex.derivation
    entry: dict[str, Any] = {
        "id": v.id, "problem": v.problem, "number": v.number, "seed": v.seed, "kind": v.kind,
        "title": v.title, "question": view.question, "expr": v.expr, "wrt": v.wrt,
        "shapes": {n: list(s) for n, s in v.shapes.items()}, "layout": v.layout, "assume": dict(v.assume),
        "functions": {n: _function_spec(f) for n, f in v.functions.items()},
        "answer": d.answer, "answer_latex": view.answer, "shape": list(d.shape),
        "residual": float(f"{ex.residual:.3g}"),
    }
    if v.hessian:
        entry["hessian"] = True
    student = p.student(v.number)
    if student:
        entry["student"] = student.id
    if ex.data:
        entry["values"] = {n: _cells(rows) for n, rows in ex.data.items()}
        entry["value"] = _cells(ex.value)
    if ex.blank is not None:
        step = d.steps[ex.blank]
        entry["blank"] = {"step": ex.blank + 1, "kind": step.kind, "latex": split_equation(step.latex)[1]}
    return entry


def manifest(p: Plan, exercises: Sequence[Exercise], views: Sequence[ExerciseView]) -> str:
    """manifest.json: sorted keys, two-space indent, one trailing newline (byte-stable for a seed)."""
    data = {"version": VERSION, "seed": p.seed, "problems": [q.name for q in p.problems],
            "variants": [manifest_entry(p, ex, view) for ex, view in zip(exercises, views)]}
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- all at once

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
    from .render import render

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
