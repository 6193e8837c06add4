"""Numeric answers: a matrix of exact numbers read by a grammar of its own, compared entry by entry with the key."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from ..errors import GeneratorError
from ..vocabulary import other_layout
from .verdict import Verdict

MAX_LENGTH = 4000  # characters: a 20×20 matrix of fractions fits
MAX_DIGITS = 40  # per integer, so no entry costs more than a few big-number operations
MAX_ENTRIES = 400
MAX_SHOWN = 6  # wrong entries named in the feedback; the Verdict lists them all

Rows = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class Literal:
    """A numeric answer as read: its rows of exact numbers; `flat` when one bracket of numbers leaves the orientation open."""

    rows: Rows
    flat: bool = False
    decimals: bool = False  # some entry was written as a decimal (0.333): a rounding is worth naming

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])


class _Build(Transformer):
    """Parse tree → rows of Fractions; a ragged matrix or an oversized number is a GeneratorError."""

    decimals = False

    @v_args(inline=True)
    def whole(self, token: Token) -> Fraction:
        return Fraction(int(_digits(token)))

    @v_args(inline=True)
    def decimal(self, token: Token) -> Fraction:
        self.decimals = True
        return Fraction(_digits(token))

    @v_args(inline=True)
    def ratio(self, top: Token, bottom: Token) -> Fraction:
        return _divide(Fraction(int(_digits(top))), Fraction(int(_digits(bottom))))

    def frac(self, items: list[Any]) -> Fraction:
        top, bottom = _signed(items[: _split(items)]), _signed(items[_split(items):])
        return _divide(top, bottom)

    def braced(self, items: list[Any]) -> Fraction:
        return _signed(items)

    def entry(self, items: list[Any]) -> Fraction:
        return _signed(items)

    def row(self, items: list[Any]) -> tuple[Fraction, ...]:
        return tuple(x for x in items if isinstance(x, Fraction))

    tex_row = row

    def inner(self, items: list[Any]) -> tuple[Fraction, ...]:
        return items[0]

    def grid(self, items: list[Any]) -> tuple[Rows, bool]:
        return _rectangle([r for r in items if isinstance(r, tuple)]), False

    def rows(self, items: list[Any]) -> tuple[Rows, bool]:
        rows = [r for r in items if isinstance(r, tuple)]
        return _rectangle(rows), len(rows) == 1  # [1, 2, 3]: a vector, as a column or a row

    def env(self, items: list[Any]) -> tuple[Rows, bool]:
        return _rectangle([r for r in items if isinstance(r, tuple)]), False


def _digits(token: Token) -> str:
    if sum(c.isdigit() for c in token) > MAX_DIGITS:
        raise GeneratorError(f"column {token.column}: a number with more than {MAX_DIGITS} digits")
    return str(token)


def _split(items: list[Any]) -> int:
    """Where \\frac's numerator ends: after its first number (signs are Tokens, numbers Fractions)."""
    first = next(k for k, x in enumerate(items) if isinstance(x, Fraction))
    return first + 1


def _signed(items: Sequence[Any]) -> Fraction:
    value = next(x for x in items if isinstance(x, Fraction))
    negative = sum(1 for x in items if isinstance(x, Token) and x.type == "SIGN" and str(x) != "+") % 2
    return -value if negative else value


def _divide(top: Fraction, bottom: Fraction) -> Fraction:
    if bottom == 0:
        raise GeneratorError("a fraction with denominator 0")
    return top / bottom


def _rectangle(rows: list[tuple[Fraction, ...]]) -> Rows:
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        lengths = ", ".join(str(len(r)) for r in rows)
        raise GeneratorError(f"the rows have different lengths ({lengths}); every row needs as many entries")
    if len(rows) * len(rows[0]) > MAX_ENTRIES:
        raise GeneratorError(f"more than {MAX_ENTRIES} entries")
    return tuple(rows)


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "matrix.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr")


def read_literal(answer: str) -> Literal:
    """The numbers of an answer such as [[1, 2], [3, 4]], [1 2; 3 4], \\begin{bmatrix}…\\end{bmatrix}, 3/7 or -\\frac{3}{7}.

    A left-hand side (`dy/dx = …`) is read past. Raises GeneratorError with the column on anything else.
    """
    text = answer.rsplit("=", 1)[-1] if "=" in answer else answer
    offset = len(answer) - len(text)
    if len(answer) > MAX_LENGTH:
        raise GeneratorError(f"the answer has {len(answer)} characters; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise GeneratorError(f"column {offset + 1}: expected a number or a matrix, found nothing")
    build = _Build()
    try:
        tree = _parser().parse(text)
        value = build.transform(tree)
    except UnexpectedInput as err:
        raise GeneratorError(_message(err, text, offset)) from None
    except VisitError as err:
        raise err.orig_exc if isinstance(err.orig_exc, GeneratorError) else GeneratorError(str(err.orig_exc)) from None
    if isinstance(value, Fraction):
        return Literal(((value,),), flat=False, decimals=build.decimals)
    rows, flat = value
    return Literal(rows, flat, build.decimals)


def _message(err: UnexpectedInput, text: str, offset: int) -> str:
    if isinstance(err, UnexpectedEOF) or isinstance(err, UnexpectedToken) and err.token.type == "$END":
        return f"column {offset + len(text) + 1}: the matrix is not finished (a ']' or '\\end' is missing?)"
    position = err.pos_in_stream if isinstance(err, UnexpectedCharacters) else getattr(err.token, "start_pos", 0)
    position = position or 0
    found = text[position:position + 12].split()[0] if text[position:].strip() else "the end"
    return (f"column {offset + position + 1}: expected a number (such as 3, -1/2 or \\frac{{3}}{{7}}), "
            f"a separator or a bracket, found {found!r}")


def literal_latex(rows: Rows) -> str:
    """Exact numbers as LaTeX: a plain number when 1×1, else a bmatrix."""
    def cell(x: Fraction) -> str:
        if x.denominator == 1:
            return str(x.numerator)
        sign = "-" if x < 0 else ""
        return rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}"
    if len(rows) == 1 and len(rows[0]) == 1:
        return cell(rows[0][0])
    body = r" \\ ".join(" & ".join(cell(x) for x in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def key_rows(cells: Sequence[Sequence[Any]]) -> Rows:
    """The manifest's `value` (rows of strings such as "-3/7") as exact numbers; GeneratorError when malformed."""
    try:
        rows = tuple(tuple(Fraction(str(x)) for x in row) for row in cells)
    except (TypeError, ValueError, ZeroDivisionError):
        raise GeneratorError("\"value\" must be rows of exact numbers such as \"3\" or \"-3/7\"") from None
    if not rows or not rows[0] or len({len(r) for r in rows}) != 1:
        raise GeneratorError("\"value\" must be a non-empty rectangle of numbers")
    return rows


def _transpose(rows: Rows) -> Rows:
    return tuple(zip(*rows))


def _wrong(got: Rows, want: Rows) -> tuple[tuple[int, int], ...]:
    return tuple((r + 1, c + 1) for r, row in enumerate(want) for c, x in enumerate(row) if got[r][c] != x)


def _factor(got: Rows, want: Rows) -> Fraction | None:
    """The c with got = c·want entry by entry (None when there is none or want is zero)."""
    pairs = [(g, w) for gr, wr in zip(got, want) for g, w in zip(gr, wr)]
    pivot = next(((g, w) for g, w in pairs if w != 0), None)
    if pivot is None:
        return None
    c = pivot[0] / pivot[1]
    return c if all(g == c * w for g, w in pairs) else None


def _positions(wrong: Sequence[tuple[int, int]], want: Rows) -> str:
    vector = len(want) == 1 or len(want[0]) == 1
    names = [str(max(r, c)) if vector else f"({r}, {c})" for r, c in wrong[:MAX_SHOWN]]
    more = f" and {len(wrong) - MAX_SHOWN} more" if len(wrong) > MAX_SHOWN else ""
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 and not more else ", ".join(names)
    noun = "Entry" if len(wrong) == 1 else "Entries"
    return f"{noun} {listed}{more} {'is' if len(wrong) == 1 else 'are'} wrong"


def _rounded(got: Rows, want: Rows, wrong: Sequence[tuple[int, int]]) -> bool:
    """Every wrong entry is the right one rounded to a few decimals (0.333 for 1/3)."""
    return all(abs(got[r - 1][c - 1] - want[r - 1][c - 1]) <= Fraction(1, 200) for r, c in wrong)


def compare(answer: Literal, want: Rows, layout: str) -> tuple[str | None, str, tuple[tuple[int, int], ...]]:
    """(mistake, feedback, wrong entries) of a numeric answer against the key's exact value in `layout`."""
    got = answer.rows
    if answer.flat and (len(want) == 1 or len(want[0]) == 1) and len(got[0]) == len(want) * len(want[0]):
        got = got if len(want) == 1 else _transpose(got)  # a bare list of numbers takes the key's orientation
    shape, target = (len(got), len(got[0])), (len(want), len(want[0]))
    asked = f"the question asks for the {layout} layout"
    if shape == target and got == want:
        return None, "Correct.", ()
    if shape == target[::-1] and _transpose(got) == want:
        return "layout", f"This is the transpose: the {other_layout(layout)} layout; {asked}.", ()
    if shape != target:
        return "shape", (f"Your answer is {shape[0]}×{shape[1]}, but the derivative is "
                         f"{target[0]}×{target[1]}."), ()
    wrong = _wrong(got, want)
    c = _factor(got, want)
    if c == -1:
        return "sign", "Check the sign: every entry is the negative of the right one.", wrong
    if c is not None and c != 0:
        return "scale", "Every entry is off by the same factor.", wrong
    if answer.decimals and _rounded(got, want, wrong):
        return "other", (_positions(wrong, want) + ": they are rounded; give exact values "
                         "(fractions such as 1/3, not 0.333)."), wrong
    return "other", _positions(wrong, want) + ".", wrong


def grade_numeric(answer: str, key: Rows, layout: str, weights: Mapping[str, float]) -> Verdict:
    """A numeric answer against the key's exact rational value, with the wrong entries named."""
    try:
        literal = read_literal(answer)
    except GeneratorError as err:
        text = str(err)
        return Verdict(False, "parse", text[:1].upper() + text[1:].rstrip(".") + ".", weights.get("parse", 0.0),
                       answer)
    tag, feedback, wrong = compare(literal, key, layout)
    score = 1.0 if tag is None else weights.get(tag, 0.0)
    return Verdict(tag is None, tag, feedback, score, answer, literal_latex(literal.rows), wrong)
