"""The budget of one answer: size, depth and work, checked before the costly steps; and the work counter tests read.

The parser bounds the text (2,000 characters, brackets 32 deep). Once an answer is read, its
tree must have at most MAX_NODES distinct nodes and MAX_DEPTH levels, and evaluating it at the
sample points must cost at most MAX_WORK multiply-adds, counted from the shapes before any
number is computed (a shared subtree counts each time it is met, as evaluation meets it).
`measure` is the deterministic work counter: the Python calls one grading makes, the same on
every run and every machine, so tests and bench/grade.py can bound it without a clock.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any, Callable, Mapping, TypeVar

from ..tree.nodes import Dim, Expr, Inverse, Mul, Reduce

MAX_NODES = 1500
MAX_DEPTH = 200
MAX_WORK = 2_000_000  # multiply-adds per sample point: a thousand 9×9 products, far beyond any answer on a sheet

T = TypeVar("T")


class OverBudget(Exception):
    """The answer is too large or too costly to check; the message says which bound it passed."""


@dataclass(frozen=True)
class Cost:
    """What an answer's tree costs: distinct nodes, depth, and multiply-adds to evaluate it once."""

    nodes: int
    depth: int
    work: int


def cost(e: Expr, sizes: Mapping[Dim, int]) -> Cost:
    """The cost of evaluating `e` at these sizes, found in time linear in its distinct nodes."""
    depth: dict[int, int] = {id(e): 1}
    order: list[Expr] = []
    stack = [e]
    while stack:  # iterative: a deep tree must not exhaust the recursion limit here
        node = stack.pop()
        order.append(node)
        below = depth[id(node)] + 1
        for child in node.args:
            if id(child) not in depth:
                if len(depth) >= MAX_NODES:
                    raise OverBudget(f"the answer has more than {MAX_NODES} parts")
                stack.append(child)
            elif depth[id(child)] >= below:
                continue
            if below > MAX_DEPTH:
                raise OverBudget(f"the answer is nested more than {MAX_DEPTH} levels deep")
            depth[id(child)] = below
    work: dict[int, int] = {}
    for node in reversed(order):  # children first (a child is pushed after its parent)
        total = _own(node, sizes)
        for child in node.args:
            total += work.get(id(child), 0)
        work[id(node)] = min(total, MAX_WORK * 1000)
    return Cost(len(depth), max(depth.values()), work[id(e)])


def check(e: Expr, sizes: Mapping[Dim, int]) -> Cost:
    """The cost of `e`, or OverBudget when it passes a bound."""
    found = cost(e, sizes)
    if found.work > MAX_WORK:
        raise OverBudget(f"evaluating the answer would take about {found.work:,} operations; the limit is {MAX_WORK:,}")
    return found


def _own(node: Expr, sizes: Mapping[Dim, int]) -> int:
    """Multiply-adds of one node beyond its children: a chain of products, an inverse or a determinant."""
    def n(d: Dim) -> int:
        return d if isinstance(d, int) else sizes.get(d, 9)
    rows, cols = n(node.shape[0]), n(node.shape[1])
    if isinstance(node, Mul):
        chain = [(n(f.shape[0]), n(f.shape[1])) for f in node.factors if not f.is_scalar]
        total, width = 0, chain[0][1] if chain else 1
        for r, c in chain[1:]:
            total += chain[0][0] * r * c  # left to right, as evaluation multiplies
            width = c
        return total + rows * cols * (len(node.factors) - len(chain)) + width
    if isinstance(node, Inverse) or isinstance(node, Reduce) and node.op in ("det", "logdet"):
        side = n(node.arg.shape[0])
        return side ** 3
    return rows * cols


def measure(fn: Callable[..., T], *args: Any) -> tuple[T, int]:
    """fn(*args) and the number of Python calls it made: a deterministic count of its work."""
    calls = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        calls += 1
        return None  # no line events: only calls are counted

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        result = fn(*args)
    finally:
        sys.settrace(previous)
    return result, calls
