"""The LaTeX pieces every document shows of a derivation: what is asked, the statement, shapes, givens."""
from __future__ import annotations

import math
import re

from ..errors import GeneratorError
from ..latex.names import name_latex, space_latex, symbol_latex
from ..latex.printer import latex
from ..parse.builder import parse
from ..pipeline.derivation import Derivation
from ..pipeline.display import closed_form_latex, derivative_latex, output_latex  # noqa: F401 - re-exported
from ..tree.nodes import Apply, Call, Grad, Hess, Named, Sym
from ..tree.scope import FunctionSpec
from .escape import tex_escape


def statement_lines(d: Derivation) -> tuple[str, ...]:
    """`f = W^T a` and `y = g(f)` as LaTeX lines."""
    lines = [f"{symbol_latex(name, e.shape)} = {latex(e.arg if isinstance(e, Named) else e)}"
             for name, e in d.statement.definitions]
    lines.append(f"{output_latex(d)} = {latex(d.statement.expr)}")
    return tuple(lines)


def definition_lines(d: Derivation) -> tuple[str, ...]:
    """`p = softmax(K q)` for every name the author gave that the closed form is written in (and the names those
    are written in), as LaTeX lines: a result frame says what its letters stand for."""
    named = {n.name for n in d.closed_form.walk() if isinstance(n, Named)}
    return tuple(f"{symbol_latex(name, e.shape)} = {latex(e.arg if isinstance(e, Named) else e)}"
                 for name, e in d.statement.definitions if name in named)


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
    hessians = {e.fn: e for e in d.statement.bindings.values() if isinstance(e, Hess)}
    for spec in d.scope.functions.values():
        if spec.name in calls:  # a declared function the expression never uses needs no line
            lines.extend(_function_lines(spec, calls[spec.name], grads.get(spec.name)))
            if spec.name in hessians and d.kind == "hessian":  # its Hessian is named only where it appears
                h = hessians[spec.name]
                arg = latex(h.arg)
                row = rf"{arg}^{{\top}}" if isinstance(h.arg, (Sym, Named)) else rf"\left({arg}\right)^{{\top}}"
                lines.append(rf"{latex(h)} = \frac{{\partial^{{2}} {name_latex(spec.name)}}}"
                             rf"{{\partial {arg}\, \partial {row}}}")
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



NOTE_PART = re.compile(r"(\$[^$]*\$|`[^`]*`)")


def notes_latex(notes: str, d: Derivation, source: str = "<input>") -> tuple[str, tuple[str, ...]]:
    """A problem's notes as LaTeX text: words escaped, $…$ kept as maths, `…` read in the expression
    language (with the problem's names) and typeset; also the maths alone. A `…` that does not read
    is a GeneratorError naming the file."""
    text, maths = [], []
    for k, part in enumerate(NOTE_PART.split(notes)):
        if k % 2 == 0:
            text.append(tex_escape(part))
            continue
        if part.startswith("$"):
            maths.append(part[1:-1])
        else:
            try:
                expr = parse(part[1:-1], d.scope, f"{source}: notes", d.shape, d.statement.bindings,
                             d.layout).expr  # a lone I is sized like the derivative
            except GeneratorError as err:
                raise GeneratorError(f"{err} (in `{part[1:-1]}`)") from None
            maths.append(latex(expr))
        text.append(f"${maths[-1]}$")
    return "".join(text), tuple(maths)
