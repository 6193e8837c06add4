"""Derivations → LaTeX through the one Jinja environment; templates see strings and frozen views, never sympy."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import jinja2

from .errors import GeneratorError
from .expr import Apply, Call, Dim, Grad, Named, Shape
from .latex import latex, name_latex, symbol_latex
from .model import Derivation, FunctionSpec, Problem

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Plain text → LaTeX text. Unicode maths that authors and the engine's messages use (n×m, δ, ᵀ, ₖ)
# becomes inline maths, because pdfLaTeX's utf8 input cannot typeset those characters as text.
TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''",
    "×": r"\ensuremath{\times}", "ᵀ": r"\ensuremath{^{\top}}", "⊤": r"\ensuremath{^{\top}}",
    "′": r"\ensuremath{'}", "∂": r"\ensuremath{\partial}", "⊙": r"\ensuremath{\odot}",
    "→": r"\ensuremath{\to}", "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}",
    "≠": r"\ensuremath{\ne}", "∈": r"\ensuremath{\in}", "∑": r"\ensuremath{\sum}",
    "−": "-", "–": "--", "—": "---", "…": r"\ldots{}", "·": r"\ensuremath{\cdot}",
    "ℝ": r"\ensuremath{\mathbb{R}}", "⁻": r"\ensuremath{^{-}}", "∇": r"\ensuremath{\nabla}",
    "≈": r"\ensuremath{\approx}", "⊗": r"\ensuremath{\otimes}", "∘": r"\ensuremath{\circ}",
    "ε": r"\ensuremath{\varepsilon}",
}
GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau "
         "upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
_SPECIAL = "|".join(re.escape(k) for k in sorted(TEXT_ESCAPES, key=len, reverse=True))
_ESCAPE = re.compile(f"{_SPECIAL}|[^\\x00-\\xff]|[\\xb2\\xb3\\xb9]")  # Latin-1's ² ³ ¹ too


# A frame holds at most MAX_STEPS proof steps and at most FRAME_BUDGET of height, in rough lines:
# a reason and a flat formula weigh 1.2; fractions and sums 2; matrices and underbraces 3.
MAX_STEPS = 5
FRAME_BUDGET = 8.5
WEIGHTS = ((3.0, (r"\begin", r"\underbrace", r"\overbrace")), (2.0, (r"\frac", r"\sum", r"\prod")))
FLAT = 1.2


def tex_escape(text: Any) -> str:
    """Plain text (titles, notes, reasons) made safe for LaTeX's text mode."""
    return _ESCAPE.sub(lambda m: TEXT_ESCAPES.get(m.group(0)) or _unicode(m.group(0)), str(text))


def tex_text(text: Any) -> str:
    """Engine-written prose (a step's reason): text escaped, its $…$ formulas kept as maths."""
    parts = str(text).split("$")
    return "".join(tex_escape(p) if k % 2 == 0 else f"${p}$" for k, p in enumerate(parts))


def _unicode(char: str) -> str:
    """Greek letters and sub/superscripts (δ, ₖ, ²) as inline maths; other characters unchanged."""
    name = unicodedata.name(char, "").replace("LAMDA", "LAMBDA")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if greek:
        letter = greek.group(2).lower() if greek.group(1) == "SMALL" else greek.group(2).capitalize()
        return rf"\ensuremath{{\{letter}}}" if letter in GREEK else char
    tag, _, _ = unicodedata.decomposition(char).partition(" ")
    if tag in ("<sub>", "<super>"):
        plain = tex_escape(unicodedata.normalize("NFKC", char))
        return rf"\ensuremath{{{'_' if tag == '<sub>' else '^'}{{\mathrm{{{plain}}}}}}}"
    return char


@cache
def environment() -> jinja2.Environment:
    """The one Jinja environment: LaTeX-friendly delimiters, StrictUndefined, no autoescape."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        autoescape=False, undefined=jinja2.StrictUndefined,
    )
    env.filters["tex_escape"] = tex_escape
    env.filters["tex_text"] = tex_text
    return env


def render(template: str, **context: Any) -> str:
    """Render one template of templates/; a missing variable is a GeneratorError naming the template."""
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateNotFound:
        raise GeneratorError(f"{TEMPLATES / template}: template not found") from None
    except jinja2.UndefinedError as err:
        raise GeneratorError(f"{TEMPLATES / template}: {err.message}") from None


# -- views: what the templates may read --------------------------------------------------------

@dataclass(frozen=True)
class StepView:
    """One proof step as the template shows it."""

    latex: str
    reason: str
    kind: str


@dataclass(frozen=True)
class DerivationView:
    """Everything a slide shows about one derivation, as LaTeX (maths) or plain text (words)."""

    title: str
    statement: tuple[str, ...]  # LaTeX lines: named intermediates first, then the output
    shapes: tuple[str, ...]  # W \in \mathbb{R}^{n\times m}
    givens: tuple[str, ...]  # LaTeX: assumptions and abstract functions
    asked: str  # LaTeX of the derivative asked for, e.g. \frac{\partial y}{\partial W}
    shape: str  # LaTeX of the derivative's shape
    kind: str  # gradient | jacobian | hessian
    layout: str
    pages: tuple[tuple[StepView, ...], ...]  # the proof, split over frames
    result: str  # LaTeX: asked = closed form
    notes: str
    residual: str  # LaTeX number, e.g. 7.4\times 10^{-11}

    @property
    def kind_name(self) -> str:
        """The word for what is asked: gradient, Jacobian or Hessian."""
        return {"jacobian": "Jacobian", "hessian": "Hessian"}.get(self.kind, self.kind)


def dim_latex(dim: Dim) -> str:
    """A dimension: 3, n, or n_{1} for n1."""
    return str(dim) if isinstance(dim, int) else name_latex(dim)


def shape_latex(shape: Shape) -> str:
    """`(n, m)` → n \\times m."""
    return rf"{dim_latex(shape[0])} \times {dim_latex(shape[1])}"


def space_latex(shape: Shape) -> str:
    """The set a value of this shape lives in: \\mathbb{R}, \\mathbb{R}^{n\\times m}."""
    return r"\mathbb{R}" if shape == (1, 1) else rf"\mathbb{{R}}^{{{shape_latex(shape)}}}"


def output_latex(d: Derivation) -> str:
    """The name of the differentiated quantity (y when the author gave none), as the proof uses it."""
    return symbol_latex(d.statement.output or "y", d.statement.expr.shape)


def derivative_latex(d: Derivation, top: str | None = None) -> str:
    """∂y/∂x, ∂y/∂X, or ∂²y/∂x∂xᵀ for a Hessian; `top` replaces the output's name."""
    top = output_latex(d) if top is None else top
    var = symbol_latex(d.wrt.name, d.wrt.shape)
    if d.kind == "hessian":
        return rf"\frac{{\partial^{{2}} {top}}}{{\partial {var}\, \partial {var}^{{\top}}}}"
    return rf"\frac{{\partial {top}}}{{\partial {var}}}"


def statement_lines(d: Derivation) -> tuple[str, ...]:
    """`f = W^T a` and `y = g(f)` as LaTeX lines."""
    lines = [f"{symbol_latex(name, e.shape)} = {latex(e.arg if isinstance(e, Named) else e)}"
             for name, e in d.statement.definitions]
    lines.append(f"{output_latex(d)} = {latex(d.statement.expr)}")
    return tuple(lines)


def shape_lines(d: Derivation) -> tuple[str, ...]:
    """W \\in \\mathbb{R}^{n\\times m} for every declared symbol, then for every named intermediate."""
    shapes = [(s.name, s.shape) for s in d.scope.symbols.values()]
    shapes += [(name, e.shape) for name, e in d.statement.definitions]
    return tuple(rf"{symbol_latex(n, s)} \in {space_latex(s)}" for n, s in shapes)


ASSUMPTION_LATEX = {
    "symmetric": "{0} = {0}^{{\\top}}",
    "spd": "{0} = {0}^{{\\top}} \\succ 0",
    "probability": "{0} \\ge 0,\\ \\mathbf{{1}}^{{\\top}} {0} = 1",
}


def given_lines(d: Derivation) -> tuple[str, ...]:
    """Assumptions on symbols and what each abstract function is, in LaTeX."""
    lines = [ASSUMPTION_LATEX[prop].format(symbol_latex(s.name, s.shape))
             for s in d.scope.symbols.values() for prop in sorted(s.props)]
    calls = {e.fn: e for e in d.statement.expr.walk() if isinstance(e, (Call, Apply))}
    grads = {e.fn: e for e in d.statement.bindings.values() if isinstance(e, Grad) and e.name}
    for spec in d.scope.functions.values():
        if spec.name in calls:  # a declared function the expression never uses needs no line
            lines.extend(_function_lines(spec, calls[spec.name], grads.get(spec.name)))
    return tuple(lines)


def _function_lines(spec: FunctionSpec, call: Call | Apply, grad: Grad | None) -> list[str]:
    fn = name_latex(spec.name, bold=spec.kind == "vector")
    if spec.kind == "elementwise":
        return [rf"{fn}\colon \mathbb{{R}} \to \mathbb{{R}} \text{{ applied element-wise}}"]
    target = space_latex(spec.shape) if spec.kind == "vector" and spec.shape else r"\mathbb{R}"
    lines = [rf"{fn}\colon {space_latex(call.arg.shape)} \to {target}"]
    if grad is not None:
        lines.append(rf"{latex(grad)} = \frac{{\partial {fn}}}{{\partial {latex(grad.arg)}}}")
    return lines


def residual_latex(value: float) -> str:
    """7.44e-11 → 7.4\\times 10^{-11}; an exact match prints as 0."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else r"\infty"
    mantissa, exponent = f"{value:.1e}".split("e")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def _weight(step: StepView) -> float:
    return next((w for w, marks in WEIGHTS if any(m in step.latex for m in marks)), FLAT)


def paginate(steps: Sequence[StepView]) -> tuple[tuple[StepView, ...], ...]:
    """Split a proof over as few frames as fit, balanced so no frame is left with one lonely step."""
    if not steps:
        return ()
    count = math.ceil(len(steps) / MAX_STEPS)
    while True:
        size, extra = divmod(len(steps), count)
        pages, start = [], 0
        for k in range(count):
            end = start + size + (k < extra)
            pages.append(tuple(steps[start:end]))
            start = end
        if count >= len(steps) or all(sum(map(_weight, p)) <= FRAME_BUDGET for p in pages):
            return tuple(pages)
        count += 1


def view(d: Derivation, problem: Problem | None = None) -> DerivationView:
    """The slide view of a derivation; the problem, when given, supplies title and notes."""
    steps = tuple(StepView(s.latex, s.reason, s.kind) for s in d.steps)
    return DerivationView(
        title=problem.title if problem else f"Derivative of {d.statement.output or 'y'} by {d.wrt.name}",
        statement=statement_lines(d),
        shapes=shape_lines(d),
        givens=given_lines(d),
        asked=derivative_latex(d),
        shape=shape_latex(d.shape),
        kind=d.kind,
        layout=d.layout,
        pages=paginate(steps),
        result=f"{derivative_latex(d)} = {d.latex}",
        notes=problem.notes if problem else "",
        residual=residual_latex(d.residual),
    )


def render_slides(derivations: Sequence[Derivation], title: str,
                  problems: Sequence[Problem] | None = None, subtitle: str = "") -> str:
    """The Beamer deck (templates/slides.tex); `problems`, parallel to `derivations`, give titles and notes."""
    if problems is not None and len(problems) != len(derivations):
        raise ValueError("render_slides: one problem per derivation")
    pairs = zip(problems or [None] * len(derivations), derivations)
    views = tuple(view(d, p) for p, d in pairs)
    return render("slides.tex", title=title, subtitle=subtitle, derivations=views)


# -- the identity table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RowView:
    """One identity: condition, the derivative asked for, and its value in each layout."""

    condition: str  # plain text
    where: tuple[str, ...]  # LaTeX: shapes, intermediates, abstract functions
    expression: str  # LaTeX, e.g. \frac{\partial W \mathbf{x}}{\partial \mathbf{x}}
    numerator: str
    denominator: str
    equation: str  # plain text, e.g. (70)
    residual: str  # LaTeX: the larger residual of the two layouts


@dataclass(frozen=True)
class TableView:
    """A named table of identities, rows in order."""

    name: str
    rows: tuple[RowView, ...]


@dataclass(frozen=True)
class TableEntry:
    """The table keys of a problem file: which table, which row, under which condition."""

    table: str
    row: int
    condition: str
    equation: str


def table_entry(problem: Problem) -> TableEntry | None:
    """The problem's table keys, checked; None when the problem belongs to no table."""
    extra = problem.extra
    if "table" not in extra:
        return None
    for key in ("table", "condition", "equation"):
        if key in extra and not (isinstance(extra[key], str) and (key != "table" or extra[key].strip())):
            raise GeneratorError(f"{problem.source}: '{key}' should be a non-empty string, found {extra[key]!r}")
    row = extra.get("row", 0)
    if isinstance(row, bool) or not isinstance(row, int):
        raise GeneratorError(f"{problem.source}: 'row' should be a whole number, found {row!r}")
    return TableEntry(extra["table"].strip(), row, extra.get("condition", ""), extra.get("equation", ""))


def row_view(entry: TableEntry, numerator: Derivation, denominator: Derivation) -> RowView:
    """A table row from the same problem derived in numerator and in denominator layout."""
    d = denominator
    where = shape_lines(d) + statement_lines(d)[:-1] + given_lines(d)
    return RowView(
        condition=entry.condition,
        where=where,
        expression=derivative_latex(d, top=latex(d.statement.expr)),
        numerator=numerator.latex,
        denominator=denominator.latex,
        equation=entry.equation,
        residual=residual_latex(max(numerator.residual, denominator.residual)),
    )


def render_table(rows: Iterable[tuple[TableEntry, Derivation, Derivation]], title: str) -> str:
    """The identity-table document (templates/identities.tex): tables in order of first appearance,
    rows by their `row` number; each item is (entry, numerator derivation, denominator derivation)."""
    tables: dict[str, list[tuple[int, int, RowView]]] = {}
    for position, (entry, num, den) in enumerate(rows):
        tables.setdefault(entry.table, []).append((entry.row, position, row_view(entry, num, den)))
    views = tuple(TableView(name, tuple(r for _, _, r in sorted(items, key=lambda t: t[:2])))
                  for name, items in tables.items())
    return render("identities.tex", title=title, tables=views)
