"""How an answer is read: the names it may use, the layout its ∂u/∂x means, and an echo of the reading."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import GeneratorError, ParseError
from ..latex.printer import latex
from ..parse.builder import ShapeMismatch, parse
from ..pipeline.derivation import Derivation
from ..tree import algebra as alg
from ..tree.nodes import Expr, Shape

COLUMN = re.compile(r"\bcolumn (\d+)")
SIZE_UNKNOWN = "cannot tell the size of"  # a bare I or 1 the expected shape did not size


@dataclass(frozen=True)
class Echo:
    """An answer as it was read: its LaTeX when it reads, else the one-line reason and the column."""

    ok: bool
    latex: str = ""
    message: str = ""
    column: int | None = None


class Reader:
    """Reads answers to one derivation: its symbols, named intermediates and gradient names, its layout."""

    def __init__(self, d: Derivation):
        self.scope, self.layout, self.shape = d.scope, d.layout, d.closed_form.shape  # a tensor: its vec form
        self.bindings = dict(d.statement.bindings)
        output = d.statement.output
        if output and output not in self.bindings and output not in d.scope.symbols:
            self.bindings[output] = alg.named(output, d.statement.expr)  # σ′(x) = z ∘ (1 − z) may use z

    def read(self, answer: str) -> Expr:
        """The answer's expression; `dy/dx = …`, `\\nabla_x y = …` and `y = …` are read after their '='.

        A bare I (or 1) is sized by the shape the answer should have; when that leaves its size open,
        by the other layout's shape (the transpose), so the other layout's answer reads as one.
        """
        try:
            return self._read(answer, self.shape)
        except ShapeMismatch as err:
            other = self.shape[::-1]
            if other == self.shape or SIZE_UNKNOWN not in str(err):
                raise
            try:
                return self._read(answer, other)
            except GeneratorError:
                raise err from None

    def _read(self, answer: str, shape: Shape) -> Expr:
        try:
            return parse(answer, self.scope, "answer", shape, self.bindings, self.layout).expr
        except ParseError as err:
            if type(err) is not ParseError or "=" not in answer:
                raise
            left, right = answer.rsplit("=", 1)
            if not right.strip():
                raise
            blank = re.sub(r"[^\n]", " ", left) + " "  # keeps the columns of the text after '='
            return parse(blank + right, self.scope, "answer", shape, self.bindings, self.layout).expr

    def echo(self, answer: str) -> Echo:
        """How the answer reads (its LaTeX), or why it does not (message and column): a live preview."""
        try:
            return Echo(True, latex(self.read(answer)))
        except GeneratorError as err:
            message = str(err).removeprefix("answer: ")
            found = COLUMN.search(message)
            return Echo(False, message=message, column=int(found.group(1)) if found else None)
        except (RecursionError, ArithmeticError, ValueError):
            return Echo(False, message="the answer could not be read")


def echo(answer: str, d: Derivation) -> Echo:
    """How `answer` to the derivation `d` reads: LaTeX of the parsed expression, or the parse error."""
    return Reader(d).echo(answer)
