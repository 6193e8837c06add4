"""Text → parse tree with grammar.lark: size and nesting limits, the ‖·‖ post-lexer, errors with positions."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex

from .errors import ParseError

MAX_LENGTH = 2000
MAX_NESTING = 32
MAX_DEPTH = 6 * MAX_NESTING  # parse-tree levels: brackets and prefix commands such as \log\log x

COMMAND = re.compile(r"\\([A-Za-z]+)")
EXPECTED = {  # terminal → words for "expected …"
    "NAME": "a name", "NUMBER": "a number", "SIGNED_NUMBER": "a number", "OPEN": "'('", "CLOSE": "')'",
    "LBRACE": "'{'", "RBRACE": "'}'", "PLUS": "'+'", "MINUS": "'-'", "MULOP": "an operator",
    "TRANSPOSE": "'^T'", "INVERSE_T": "'^-T'", "INVERSE": "'⁻¹'", "CIRCUMFLEX": "'^'",
    "__ANON_0": "'.^'", "EQUAL": "'='", "SEMICOLON": "';'", "NEWLINE": "a new line", "SLASH": "'/'",
    "NORM_CLOSE": "a closing '\\|'", "NORM_SUB": "a subscript", "SUBSCRIPT": "a subscript", "$END": "the end",
}
# The many ways to start a term (\mathbf, \exp(, \frac, \|, …) read as "a name, a number or '('".
TERM_STARTS = {"GREEK", "FONT", "CALL", "LCALL", "LFUNC", "FRAC", "FRAC_DIGITS", "NORM_OPEN", "NORM_BAR"}


class _Norms(PostLex):
    """\\| and || both open and close a norm: one that follows a complete operand inside a norm closes it."""

    always_accept = ("NORM_BAR",)
    ENDS = {"NAME", "GREEK", "NUMBER", "SIGNED_NUMBER", "CLOSE", "RBRACE", "NORM_CLOSE", "NORM_SUB",
            "TRANSPOSE", "INVERSE_T", "INVERSE", "SUBSCRIPT", "FRAC_DIGITS"}

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth, previous = 0, None
        for token in stream:
            if token.type == "NORM_BAR":
                closes = depth > 0 and previous in self.ENDS
                token = Token.new_borrow_pos("NORM_CLOSE" if closes else "NORM_OPEN", token, token)
            depth += (token.type == "NORM_OPEN") - (token.type == "NORM_CLOSE")
            previous = token.type
            yield token


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, postlex=_Norms())


def tree_of(text: str, source: str) -> Tree:
    """The parse tree of `text`, or a ParseError naming `source` and the position."""
    if len(text) > MAX_LENGTH:
        raise ParseError(f"{source}: the expression has {len(text)} characters; the limit is {MAX_LENGTH}")
    depth = 0
    for column, char in enumerate(text, 1):
        depth += (char in "({[") - (char in ")}]")
        if depth > MAX_NESTING:
            raise ParseError(f"{source}: column {column}: brackets nested deeper than {MAX_NESTING}")
    if not text.strip():
        raise ParseError(f"{source}: column 1: expected an expression, found nothing")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        raise ParseError(_message(err, text, source)) from None
    _check_depth(tree, text, source)
    return tree


def _check_depth(tree: Tree, text: str, source: str) -> None:
    """Refuse trees deep enough to exhaust the recursion of the walks that follow."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"{source}: {where(text, node.meta.line, node.meta.column)}: "
                             "the expression is nested too deeply")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _message(err: UnexpectedInput, text: str, source: str) -> str:
    if isinstance(err, UnexpectedCharacters):
        command = COMMAND.match(text, err.pos_in_stream)
        found = repr(command.group(0)) + " (not a command mcgen reads)" if command else repr(text[err.pos_in_stream])
        expected = err.allowed
    elif isinstance(err, UnexpectedEOF):
        found, expected = "the end", err.expected
    elif isinstance(err, UnexpectedToken):
        found = "the end" if err.token.type == "$END" else repr(str(err.token))
        expected = err.expected
    else:  # pragma: no cover - lark has no other kinds
        found, expected = "something else", set()
    expected = set(expected or ())
    if expected & TERM_STARTS:
        expected = (expected - TERM_STARTS) | {"NAME", "NUMBER", "OPEN"}
    if expected - {"SEMICOLON", "NEWLINE"}:  # blank statements are allowed but never what was meant
        expected -= {"SEMICOLON", "NEWLINE"}
    words = sorted({EXPECTED.get(t, repr(t.lower())) for t in expected})
    want = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else (words or ["nothing"])[0]
    return f"{source}: {where(text, getattr(err, 'line', 1), getattr(err, 'column', len(text) + 1))}: " \
           f"expected {want}, found {found}"


def where(text: str, line: int, column: int) -> str:
    """'column C', or 'line L, column C' when the text has several lines."""
    if line in (None, -1) or column in (None, -1):
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return f"line {line}, column {column}" if "\n" in text.strip() else f"column {column}"
