"""A bare 1 read as the vector of ones when the number cannot fit: diag(p)(I - 1 p^T), (I - p 1^T) B, 1^T x.

The number comes first: `2 x`, `1 x`, `x + 1`, `1 - tanh(z).^2`, `1/2 x` read as they always have. Only when
that reading fails on shapes (I minus a row), or leaves an answer of the wrong shape where a 1 is transposed
or follows a factor (1^T x, x^T 1 for a scalar), is the text built again with the 1s that stand as factors
of a product, against a neighbour, read as \\mathbf{1}, sized by the pending-size machinery like the LaTeX.
"""
from __future__ import annotations

from typing import Callable

from lark import Token, Tree

from ..errors import ParseError
from ..tree.nodes import Shape
from ..tree.scope import Statement
from .calls import ShapeMismatch

MAX_SINGLE_ONES = 3  # bare 1s tried one at a time besides all together: a few more builds, never many
DIVISIONS = ("/", r"\div")

Build = Callable[[frozenset[int]], Statement]


def read_with_ones(build: Build, tree: Tree, expect: Shape | None) -> Statement:
    """build() with every number a number; if that fails on shapes or has the wrong shape, a reading
    with bare 1s as \\mathbf{1} that builds (and has the expected shape), else the first outcome."""
    try:
        statement = build(frozenset())
    except ShapeMismatch:  # I - 1 p^T: a bare 1 that cannot be the number may be the vector of ones
        statement = ones_reading(build, loose_ones(tree), None)
        if statement is None:
            raise
        return statement
    if expect is not None and statement.expr.shape != tuple(expect):  # 1^T x for a scalar: sum(x), not x
        return ones_reading(build, loose_ones(tree, plain=False), tuple(expect)) or statement
    return statement


def ones_reading(build: Build, ones: list[int], expect: Shape | None) -> Statement | None:
    """The reading with bare 1s as the vector of ones (all of them, else one at a time when they are few)
    that builds, and has the expected shape when one is given; None when there is none."""
    tries = [frozenset(ones)] if ones else []
    if 1 < len(ones) <= MAX_SINGLE_ONES:
        tries += [frozenset({one}) for one in ones]
    for chosen in tries:
        try:
            statement = build(chosen)
        except ParseError:
            continue
        if expect is None or statement.expr.shape == expect:
            return statement
    return None


def loose_ones(tree: Tree, plain: bool = True) -> list[int]:
    """Where (text offsets) a bare 1 or 1^T is a factor of a product, written against a neighbour (1 p^T,
    p 1^T, 1^T x) with no division beside it. Without `plain`, only a 1 that is transposed or follows a
    factor (1^T x, x^T 1): `1 x` stays x even where a scalar was expected."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        children = node.children
        stack.extend(c for c in children if isinstance(c, Tree))
        if node.data != "product":
            continue
        for i, item in enumerate(children):
            one = bare_one(item) if isinstance(item, Tree) else None
            before = children[i - 1] if i else None
            after = children[i + 1] if i + 1 < len(children) else None
            if one is None or not plain and item.data != "postfix" and not isinstance(before, Tree):
                continue
            if any(isinstance(side, Token) and str(side) in DIVISIONS for side in (before, after)):
                continue
            if isinstance(before, Tree) or isinstance(after, Tree):
                found.append(one.start_pos)
    return sorted(found)


def bare_one(node: Tree) -> Token | None:
    """The token of a plain 1, or of a 1 with only transposes after it."""
    if node.data == "postfix" and all(isinstance(op, Tree) and op.data == "transpose" for op in node.children[1:]):
        node = node.children[0]
    if isinstance(node, Tree) and node.data == "number" and str(node.children[0]) == "1":
        return node.children[0]
    return None
