"""Walking and editing trees without re-canonicalising them: replace a subtree, inline names, count, find."""
from __future__ import annotations

from typing import Collection, Iterator

from .nodes import Expr, Named, Sym


def replace(e: Expr, target: Expr, by: Expr) -> Expr:
    """e with every occurrence of the subtree `target` replaced (raw: no re-canonicalisation)."""
    if e == target:
        return by
    if not e.args:
        return e
    args = tuple(replace(a, target, by) for a in e.args)
    return e if args == e.args else e.with_args(args)


def replace_at(e: Expr, path: tuple[int, ...], by: Expr) -> Expr:
    """e with the node at `path` (child indices from the root) replaced."""
    if not path:
        return by
    args = list(e.args)
    args[path[0]] = replace_at(args[path[0]], path[1:], by)
    return e.with_args(tuple(args))


def inline(e: Expr, names: Collection[str] | None = None) -> Expr:
    """The expression with every named intermediate (or those in `names`) replaced by its definition."""
    if isinstance(e, Named) and (names is None or e.name in names):
        return inline(e.arg, names)
    if not e.args:
        return e
    return e.with_args(tuple(inline(a, names) for a in e.args))


def occurrences(e: Expr, target: Expr, path: tuple[int, ...] = ()) -> Iterator[tuple[int, ...]]:
    """The paths at which `target` occurs in `e`, left to right."""
    if e == target:
        yield path
        return
    for i, a in enumerate(e.args):
        yield from occurrences(a, target, (*path, i))


def symbols(e: Expr) -> set[Sym]:
    """The declared symbols an expression mentions."""
    return {n for n in e.walk() if isinstance(n, Sym)}


def count(e: Expr, target: Expr) -> int:
    """How often `target` occurs in `e`."""
    return sum(1 for n in e.walk() if n == target)


def size(e: Expr) -> int:
    """Nodes of `e`, shared subtrees counted once per use."""
    return sum(1 for _ in e.walk())
