"""The tidying of a matrix chain as a stack that grows at its right end, in work linear in its length."""
from __future__ import annotations

from typing import Callable

from .nodes import Dim, Expr, Identity, Mul, Zero

Merge = Callable[[Expr, Expr], "Expr | None"]
Inverted = Callable[[Expr], "tuple[Expr, ...]"]

# A product whose chain is a finished stack keeps the stack's index here, in the node's __dict__
# as functools.cached_property keeps its values: not a dataclass field, so it is never compared,
# hashed or carried over by dataclasses.replace (with_args builds a node without it). The index is
# in a one-item list: the first stack that continues the product pops it (list.pop is atomic, so
# two threads never share it) and keeps adding to it; any later one indexes the chain afresh.
_KEPT = "_tidy_index"
Index = tuple[dict[int, tuple[Expr, ...]], dict[int, set[int]]]


class Stack:
    """The chain tidied so far: a pushed factor meets the top (I drops, A⁻¹A = I, diag(v)w = v∘w, …).

    (AB)⁻¹AB = I and AB(AB)⁻¹ = I cancel where the chain being built ends. The first is found
    without scanning back: `ends` maps a stack length to the positions of the inverses whose
    chain would end exactly there. A stack may start from a product built earlier (`base`) whose
    chain replays to itself, so that multiplying on the right never re-tidies the left.
    """

    def __init__(self, merge: Merge, inverted: Inverted, many: bool, base: Mul | None = None):
        self.merge, self.inverted, self.many = merge, inverted, many
        self.out: list[Expr] = list(base.chain) if base is not None else []
        self.at: dict[int, tuple[Expr, ...]]  # position → the chain the inverse there undoes
        self.ends: dict[int, set[int]]  # stack length → positions of inverses whose chain ends there
        try:
            self.at, self.ends = base.__dict__[_KEPT].pop() if base is not None else ({}, {})
        except IndexError:  # a base continued a second time: its index went to the first
            self.at, self.ends = {}, {}
            for j, f in enumerate(self.out):
                chain = inverted(f)
                if len(chain) > 1:
                    self._index(j, chain)
        self.low = len(self.out)  # out[:low] is the base's chain, untouched so far
        # Positions whose factor a replay of the finished chain would treat otherwise: a 1×1 factor
        # (the chain leaves it out), I, 0, or a merged factor that would merge with its new neighbour.
        self.suspects: list[int] = []

    def push(self, f: Expr) -> None:
        """One factor on the right, tidied against what is there."""
        out = self.out
        merged = self.merge(out[-1], f) if out and not out[-1].is_scalar else None
        if merged is not None:
            self._cut(len(out) - 1)
            f = merged
        if isinstance(f, Identity) and self.many:
            return
        suspect = f.is_scalar or isinstance(f, (Identity, Zero)) or (
            merged is not None and bool(out) and not out[-1].is_scalar and self.merge(out[-1], f) is not None)
        if len(out) in self.at:
            self._forget(len(out))
        out.append(f)
        if suspect:
            self.suspects.append(len(out) - 1)
        self._cancel()

    def _cancel(self) -> None:
        out = self.out
        top = len(out) - 1
        inverted = self.inverted(out[top])
        k = len(inverted)
        if k > 1 and len(out) > k and tuple(out[-k - 1:-1]) == inverted:
            self._cut(top - k)
            return
        if k > 1:
            self._index(top, inverted)
        ending = self.ends.get(len(out))
        if not ending:
            return
        for j in sorted(ending, reverse=True):  # the nearest inverse first: its chain is the shortest
            if self.at[j] == tuple(out[j + 1:]):
                self._cut(j)
                return

    def _index(self, j: int, chain: tuple[Expr, ...]) -> None:
        self.at[j] = chain
        self.ends.setdefault(j + 1 + len(chain), set()).add(j)

    def _forget(self, j: int) -> None:
        """Position j is about to hold a new factor: the inverse indexed there is gone."""
        chain = self.at.pop(j)
        self.ends[j + 1 + len(chain)].discard(j)

    def _cut(self, j: int) -> None:
        """Everything from position j on leaves the stack. Index entries up there stay until the
        position is pushed again: they end past any length the stack can reach before that."""
        del self.out[j:]
        self.low = min(self.low, j)
        while self.suspects and self.suspects[-1] >= j:
            self.suspects.pop()

    def finish(self, rows: Dim | None) -> tuple[list[Expr], list[Expr]]:
        """The matrices of the tidied chain and the 1×1 factors tidying made (1ᵀv = sum(v)), in order.

        If everything cancelled, the chain is the identity with `rows` rows (None: the chain was empty).
        """
        out = self.out
        if rows is not None and rows != 1 and all(f.is_scalar for f in out):  # stops at the first matrix
            out.append(Identity(rows))
            self.suspects.append(len(out) - 1)
        # out[:low] is the base's chain (matrices only) or empty: only what was pushed needs a look.
        new = out[self.low:]
        return out[:self.low] + [f for f in new if not f.is_scalar], [f for f in new if f.is_scalar]

    def keep(self, product: Mul, chain: list[Expr]) -> None:
        """Let a later product continue from `product`, whose chain (`chain`) is this finished stack."""
        if not self.suspects:
            product.__dict__[_KEPT] = [(self.at, self.ends)]
        product.__dict__["chain"] = tuple(chain)  # Mul.chain, known already: no second pass


def continues(e: Expr) -> bool:
    """True for a product whose chain is a finished stack that replays to itself."""
    return isinstance(e, Mul) and _KEPT in e.__dict__
