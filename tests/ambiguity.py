"""Which lexer patterns can make a backtracking regex engine take exponential time: a static check, no clock.

A pattern backtracks exponentially on some failing input when its position automaton (Glushkov:
one state per character class in the pattern, no ε-moves) has exponential degree of ambiguity:
a state p and a word with two different paths from p back to p. Pumping that word n times gives
2ⁿ paths for the engine to try. In the product of the automaton with itself (pairs of states
reading the same characters), that is a strongly connected component holding both a pair (p, p)
and a pair (q, r) with q ≠ r (Weber & Seidl, 1991). Lookarounds and anchors read nothing and are
skipped; a bounded repeat is unrolled up to three times and treated as unbounded beyond.
"""
from __future__ import annotations

import re
from re import _constants as C  # noqa: PLC2701 - the standard library's own regex parse tree
from re import _parser as P  # noqa: PLC2701
from typing import Any

ALPHABET = frozenset(range(129))  # ASCII, and 128 standing for every other character
CATEGORIES = {
    C.CATEGORY_DIGIT: frozenset(range(48, 58)),
    C.CATEGORY_SPACE: frozenset((9, 10, 11, 12, 13, 32, 128)),
    C.CATEGORY_WORD: frozenset([*range(48, 58), *range(65, 91), *range(97, 123), 95, 128]),
}
CATEGORIES[C.CATEGORY_NOT_DIGIT] = ALPHABET - CATEGORIES[C.CATEGORY_DIGIT] | {128}
CATEGORIES[C.CATEGORY_NOT_SPACE] = ALPHABET - CATEGORIES[C.CATEGORY_SPACE] | {128}
CATEGORIES[C.CATEGORY_NOT_WORD] = ALPHABET - CATEGORIES[C.CATEGORY_WORD] | {128}
UNROLL = 3


def _char(code: int) -> int:
    return code if code < 128 else 128


class Glushkov:
    """The position automaton of one pattern: classes[k] is what position k reads, follow[k] where it may go next."""

    def __init__(self, pattern: str, flags: int = 0):
        self.classes: list[frozenset[int]] = [frozenset()]  # position 0 is the start and reads nothing
        self.follow: dict[int, list[int]] = {0: []}  # a list: two routes to one position are two paths
        self.fold = bool(flags & re.IGNORECASE)
        _, first, _ = self.walk(list(P.parse(pattern, flags)))
        self.follow[0] += sorted(first)

    def position(self, chars: frozenset[int]) -> int:
        if self.fold:
            chars = chars | {c ^ 32 for c in chars if 65 <= (c | 32) - 32 <= 90 or 97 <= c <= 122}
        self.classes.append(chars)
        self.follow[len(self.classes) - 1] = []
        return len(self.classes) - 1

    def walk(self, items: list[tuple[Any, Any]]) -> tuple[bool, set[int], set[int]]:
        """(nullable, first positions, last positions) of a sequence, adding its follow edges."""
        nullable, first, last = True, set(), set()
        for item in items:
            n, f, l_ = self.item(*item)
            for p in last:
                self.follow[p] += sorted(f)
            if nullable:
                first |= f
            last = l_ | (last if n else set())
            nullable = nullable and n
        return nullable, first, last

    def item(self, op: Any, av: Any) -> tuple[bool, set[int], set[int]]:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            k = self.position(_class(op, av))
            return False, {k}, {k}
        if op == C.SUBPATTERN:
            return self.walk(list(av[-1]))
        if op == C.ATOMIC_GROUP:
            return self.walk(list(av))
        if op == C.BRANCH:
            parts = [self.walk(list(alt)) for alt in av[1]]
            return any(p[0] for p in parts), set().union(*(p[1] for p in parts)), set().union(*(p[2] for p in parts))
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, body = av
            copies = max(1, min(low, UNROLL)) if high == C.MAXREPEAT or high > UNROLL else max(high, 1)
            nullable, first, last = True, set(), set()
            unbounded = high == C.MAXREPEAT or high > UNROLL
            for k in range(copies):
                n, f, l_ = self.walk(list(body))
                if unbounded and k == copies - 1:
                    for p in l_:
                        self.follow[p] += sorted(f)
                for p in last:
                    self.follow[p] += sorted(f)
                if nullable:
                    first |= f
                optional = k >= low
                last = l_ | (last if n or optional else set())
                nullable = nullable and (n or optional)
            return nullable or low == 0, first, last
        return True, set(), set()  # AT, ASSERT, ASSERT_NOT, GROUPREF: read nothing here


def _class(op: Any, av: Any) -> frozenset[int]:
    if op == C.LITERAL:
        return frozenset({_char(av)})
    if op == C.NOT_LITERAL:
        return ALPHABET - {_char(av)} | {128}
    if op == C.ANY:
        return ALPHABET - {10}
    chars: set[int] = set()
    negate = False
    for kind, value in av:
        if kind == C.NEGATE:
            negate = True
        elif kind == C.LITERAL:
            chars.add(_char(value))
        elif kind == C.RANGE:
            chars |= {_char(c) for c in range(value[0], min(value[1], 200) + 1)}
        elif kind == C.CATEGORY:
            chars |= CATEGORIES[value]
    return frozenset(ALPHABET - chars | {128}) if negate else frozenset(chars)


def exponentially_ambiguous(pattern: str, flags: int = 0) -> bool:
    """True when some input makes a backtracking engine try exponentially many paths through `pattern`.

    The product's states are pairs of positions; a move is a pair of edges reading a common
    character. Exponential: a strongly connected component with a diagonal state (p, p) and
    either a state (q, r), q ≠ r, or a move between diagonal states along two different edges.
    """
    a = Glushkov(pattern, flags)

    def moves(pair: tuple[int, int]) -> list[tuple[tuple[int, int], bool]]:
        p, q = pair
        return [((x, y), p == q and k != m) for k, x in enumerate(a.follow[p]) for m, y in enumerate(a.follow[q])
                if a.classes[x] & a.classes[y]]

    for component in _components((0, 0), lambda pair: [m for m, _ in moves(pair)]):
        if not any(p == q for p, q in component):
            continue
        if any(p != q for p, q in component):
            return True
        if any(split and target in component for pair in component for target, split in moves(pair)):
            return True
    return False


def _components(root: Any, children: Any) -> list[set[Any]]:
    """The strongly connected components with a cycle, of the graph reachable from root (iterative Tarjan)."""
    index: dict[Any, int] = {root: 0}
    low: dict[Any, int] = {root: 0}
    stack, on_stack, found = [root], {root}, []
    work = [(root, iter(children(root)))]
    while work:
        node, rest = work[-1]
        child = next(rest, None)
        if child is not None:
            if child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(children(child))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[node])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in children(node):
                found.append(component)
    return found
