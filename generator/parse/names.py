"""How text and LaTeX spell a problem's names and functions: fonts, Greek letters, subscripts, spellings.

The rule, for answers and problem files alike: a font never matters (\\mathbf{x}, \\bm x and x
are one symbol); \\delta and δ are `delta`; a subscript joins its name with '_' (W_{1} → W_1);
a name matches a declared name exactly, or else with underscores ignored when only one declared
name matches (W_1 finds W1, W1 finds W_1, \\mathbf{y}_{0} finds y0). A name that is not declared
but splits into declared names is their product (Ax, \\mathbf{Ax} → A x). Which words are
functions is the registry's (ops/) and the problem's business: sigmoid is σ, \\ln is log.
"""
from __future__ import annotations

import re
from typing import Mapping

from lark import Token, Tree

from ..ops import OPS
from ..tree.dims import dim_mul
from ..tree.nodes import Dim, Expr
from ..tree.scope import Scope
from ..vocabulary import GREEK_SYMBOLS, GREEK_VARIANTS

STRUCTURAL = {"softmax": "softmax", "diag": "diag", "Diag": "diag", "inv": "inv",  # built-ins that are not ops
              "vec": "vec", "kron": "kron", "commutation": "commutation"}
MAX_SPLIT = 24  # Ax is A x; a 2000-letter word is a typo, not a product worth a quadratic search


def builtin(word: str) -> str | None:
    """The built-in function a word spells (sigmoid → sigma, Tr → tr, Diag → diag), if any."""
    return OPS.spelled(word) or STRUCTURAL.get(word)


class Names:
    """The names a text may use: the scope's symbols and functions, and bindings (f, delta, …)."""

    def __init__(self, scope: Scope, bindings: Mapping[str, Expr]):
        self.scope, self.bindings = scope, bindings  # bindings is shared: definitions add to it

    def lookup(self, word: str) -> Expr | None:
        """The value a name stands for, exactly or with underscores ignored when that is unambiguous."""
        for table in (self.bindings, self.scope.symbols):
            if word in table:
                return table[word]
        flat = word.replace("_", "")
        matches = {n for n in (*self.bindings, *self.scope.symbols) if n.replace("_", "") == flat}
        if len(matches) == 1:
            (name,) = matches
            return self.bindings.get(name) or self.scope.symbols[name]
        return None

    def function(self, word: str) -> str | None:
        """The function a word names when it is not a value: one of the problem's, or a built-in."""
        if word in self.scope.functions:
            return word
        return None if self.lookup(word) is not None else builtin(word)

    def split(self, word: str) -> list[str] | None:
        """The fewest declared names (or I) that spell `word` one after another, if any do."""
        if len(word) > MAX_SPLIT:
            return None
        longest = max((len(n) for n in (*self.bindings, *self.scope.symbols)), default=1)
        best: dict[int, list[str]] = {0: []}
        for end in range(1, len(word) + 1):
            for start in range(max(0, end - longest), end):
                piece = word[start:end]
                if start in best and (piece == "I" or self.lookup(piece) is not None):
                    candidate = best[start] + [piece]
                    if end not in best or len(candidate) < len(best[end]):
                        best[end] = candidate
        return best.get(len(word))

    def dimension(self, word: str) -> Dim | None:
        """A size written as a subscript of I (I_n, I_{3}) or in commutation(m, n): a declared dimension or a number."""
        if word.isdigit():
            return int(word) if int(word) > 0 else None
        dims = {str(d): d for s in self.scope.symbols.values() for d in s.shape}
        dims.update({str(d): d for f in self.scope.functions.values() if f.shape for d in f.shape})
        if word in dims:
            return dims[word]
        parts = re.findall(r"\d+|[A-Za-z]", word)  # I_{mn}: a product of one-letter sizes, as the LaTeX writes it
        if len(parts) > 1 and all(p.isdigit() and int(p) > 0 or p in dims for p in parts):
            return dim_mul(*(int(p) if p.isdigit() else dims[p] for p in parts))
        return None


def token_word(token: Token) -> str:
    """The name a NAME, GREEK, COMMAND or NUMBER token spells: \\delta and δ are 'delta', \\exp is 'exp'."""
    word = str(token).lstrip("\\")
    return GREEK_SYMBOLS.get(word, GREEK_VARIANTS.get(word, word))


def subscript(token: Token) -> str:
    """_1, _{1}, _{\\text{out}}, _{m,n} → 1, 1, out, m,n."""
    words = re.findall(r"[A-Za-z0-9]+", str(token))
    return ",".join(words[-2:]) if "," in str(token) else words[-1]


def call_head(token: Token) -> tuple[str, int]:
    """(name, number of primes) of a call written against its bracket: sigma'(, g\\left(."""
    text = str(token)
    word = re.match(r"[A-Za-z][A-Za-z0-9_]*", text).group(0)  # type: ignore[union-attr] - the grammar put it there
    return word, text.count("'")


def spelling(node: Tree) -> tuple[str, Token] | None:
    """The name a `name`, `font` or `command` node spells (subscripts joined by '_') and its token."""
    if node.data == "font":
        inner = node.children[1]
        if isinstance(inner, Token):
            found = (token_word(inner), inner)
        else:
            only = plain(inner)
            found = spelling(only) if only is not None else None
    elif node.data in ("name", "command"):
        found = (token_word(node.children[0]), node.children[0])
    else:
        return None
    if found is None:
        return None
    subscripts = [c for c in node.children if isinstance(c, Token) and c.type == "SUBSCRIPT"]
    return found[0] + "".join("_" + subscript(s) for s in subscripts), found[1]


def plain(node: Tree) -> Tree | None:
    """The name or font node a braced group is, if it is nothing more: {x}, {\\bm x}, {W_1}, {{x}}."""
    while node.data == "group" and len(node.children) == 1:
        node = node.children[0]
    return node if node.data in ("name", "font") else None
