"""Text → parse tree with grammar.lark: size and nesting limits, the ‖·‖ post-lexer, errors with positions."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Iterator

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex

from ..errors import ParseError
from ..vocabulary import greek_grammar

MAX_LENGTH = 2000
MAX_NESTING = 32
MAX_DEPTH = 7 * MAX_NESTING  # parse-tree levels: a bracket costs a handful (sum, sign, ⊙, product, postfix, atom)

COMMAND = re.compile(r"\\([A-Za-z]+)")
CLOSING_BRACE = re.compile(r"\s*\}")
# What the parser would have accepted, in a student's words: the dozens of terminals fall in a few kinds.
TOKEN_KINDS = (
    ({"NAME", "NUMBER", "OPEN", "LBRACE", "GREEK", "FONT", "COMMAND", "CALL", "FRAC", "FRAC_DIGITS",
      "NORM_OPEN", "NORM_BAR", "BAR_OPEN", "BAR"}, "a term"),
    ({"PLUS", "MINUS", "MULOP", "HADAMARD", "KRON", "HADAMARD_DIV", "TRANSPOSE", "INVERSE_T", "INVERSE", "CIRCUMFLEX", "SUBSCRIPT",
      "HADAMARD_POWER", "NORM_SUB", "NORM_POWER", "PRIME", "DOT_CIRCUMFLEX"}, "an operator"),
    ({"CLOSE"}, "')'"), ({"RBRACE"}, "'}'"), ({"NORM_CLOSE"}, "a closing '\\|'"), ({"BAR_CLOSE"}, "a closing '|'"),
    ({"EQUAL"}, "'='"), ({"COMMA"}, "','"), ({"$END"}, "the end"),
)


class _Bars(PostLex):
    """\\| and | both open and close (a norm, an absolute value): one that follows a complete operand
    inside an open pair closes it."""

    always_accept = ("NORM_BAR", "BAR")
    PAIRS = {"NORM_BAR": ("NORM_OPEN", "NORM_CLOSE"), "BAR": ("BAR_OPEN", "BAR_CLOSE")}
    ENDS = {"NAME", "GREEK", "NUMBER", "CLOSE", "RBRACE", "NORM_CLOSE", "NORM_SUB", "NORM_POWER", "BAR_CLOSE",
            "TRANSPOSE", "INVERSE_T", "INVERSE", "SUBSCRIPT", "FRAC_DIGITS", "PRIME"}

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = {"NORM_BAR": 0, "BAR": 0}
        previous = None
        for token in stream:
            if token.type in self.PAIRS:
                opening, closing = self.PAIRS[token.type]
                closes = depth[token.type] > 0 and previous in self.ENDS
                depth[token.type] += -1 if closes else 1
                token = Token.new_borrow_pos(closing if closes else opening, token, token)
            else:
                for bar, (opening, closing) in self.PAIRS.items():
                    depth[bar] += (token.type == opening) - (token.type == closing)
            previous = token.type
            yield token


@cache
def _parser() -> Lark:
    grammar = greek_grammar((Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8"))
    # Positions are read off the tokens when a message needs them: propagating them costs a third.
    return Lark(grammar, parser="lalr", propagate_positions=False, postlex=_Bars())


TREES_KEPT = 2048  # parse trees of recent texts (a sheet parses each variant's text twice: derive, key check)
_trees: dict[str, Tree] = {}


def forget_trees() -> None:
    """Drop the parse trees kept so far (for measuring the work of a parse from scratch)."""
    _trees.clear()


def tree_of(text: str, source: str) -> Tree:
    """The parse tree of `text`, or a ParseError naming `source` and the position.

    A text's tree is kept: the grammar is fixed, so the tree depends on the text alone, and no reader
    changes a tree. A text that fails is not kept, so its message names each source anew.
    """
    tree = _trees.get(text)
    if tree is None:
        tree = _parsed(text, source)
        if len(_trees) >= TREES_KEPT:
            del _trees[next(iter(_trees))]
        _trees[text] = tree
    return tree


def _parsed(text: str, source: str) -> Tree:
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
            token = first_token(node)
            raise ParseError(f"{source}: {where(text, token.line, token.column)}: "
                             "the expression is nested too deeply")
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _message(err: UnexpectedInput, text: str, source: str) -> str:
    position = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedCharacters):
        command = COMMAND.match(text, err.pos_in_stream)
        found = repr(command.group(0)) + " (not a command mcgen reads)" if command else repr(text[err.pos_in_stream])
        expected = err.allowed
    elif isinstance(err, UnexpectedEOF):
        found, expected, position = "the end", err.expected, len(text)
    elif isinstance(err, UnexpectedToken):
        found = "the end" if err.token.type == "$END" else repr(str(err.token))
        if err.token.type in ("PARTIAL_OF", "PARTIAL"):  # \partial only inside \frac{\partial u}{\partial x}
            found = repr("\\partial") + " (not a command mcgen reads outside \\frac{\\partial u}{\\partial x})"
        expected = err.expected
        position = len(text) if err.token.type == "$END" else err.token.start_pos
    else:  # pragma: no cover - lark has no other kinds
        found, expected = "something else", set()
    expected = set(expected or ()) - _unopened(text[:position if isinstance(position, int) else len(text)])
    words = [word for terminals, word in TOKEN_KINDS if terminals & expected]
    want = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else (words or ["nothing"])[0]
    if "PRIME" in expected:  # just after ^
        want = "an exponent such as 2, -1 or {T}"
    return f"{source}: {where(text, getattr(err, 'line', 1), getattr(err, 'column', len(text) + 1))}: " \
           f"expected {want}, found {found}"


def _unopened(before: str) -> set[str]:
    """Closers with nothing open before them: LALR shares states, so lark lists them anyway."""
    count = lambda chars: sum(before.count(c) for c in chars)  # noqa: E731 - a local shorthand
    bars = count(("\\|", "||", "‖", "\\Vert")) - count(("\\lVert", "\\rVert"))
    single = before.count("|") - 2 * before.count("||") - before.count("\\|")
    return ({"CLOSE"} if count("([") <= count(")]") else set()) | ({"RBRACE"} if count("{") <= count("}") else set()) \
        | ({"NORM_CLOSE"} if bars % 2 == 0 and count(("\\lVert",)) <= count(("\\rVert",)) else set()) \
        | ({"BAR_CLOSE"} if single % 2 == 0 else set())


def first_token(node: Tree | Token) -> Token:
    """The first token under a node (the node itself if it is one)."""
    while isinstance(node, Tree):
        node = node.children[0]
    return node


def last_token(node: Tree | Token) -> Token:
    """The last token under a node."""
    while isinstance(node, Tree):
        node = node.children[-1]
    return node


def span(text: str, node: Tree | Token) -> tuple[int, int]:
    """Where a node's text starts and ends, read off its tokens (only messages need it: positions cost)."""
    start, end = first_token(node).start_pos, last_token(node).end_pos
    depth = text.count("{", start, end) - text.count("}", start, end)
    while depth > 0 and (brace := CLOSING_BRACE.match(text, end)):  # braces are not tokens: take them back
        end, depth = brace.end(), depth - 1
    return start, end


def where(text: str, line: int, column: int) -> str:
    """'column C', or 'line L, column C' when the text has several lines."""
    if line in (None, -1) or column in (None, -1):
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return f"line {line}, column {column}" if "\n" in text.strip() else f"column {column}"
