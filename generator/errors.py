"""One base error for everything mcgen refuses; the CLI prints it as a single line."""
from __future__ import annotations


class GeneratorError(Exception):
    """Base of every error mcgen raises on purpose: bad input, unsupported maths, failed checks."""


class ParseError(GeneratorError):
    """Text that the expression grammar or a problem file does not accept."""


class ShapeError(GeneratorError):
    """Operands whose shapes do not fit the operation."""


class NotDerivable(GeneratorError):
    """A derivative the engine cannot put in closed form; names the sub-expression."""


class VerificationError(GeneratorError):
    """A closed form that disagrees with finite differences."""


class BuildError(GeneratorError):
    """LaTeX that latexmk could not compile; carries the relevant log lines."""
