"""How text and LaTeX spell a problem's names: fonts, Greek letters, subscripts, function aliases.

The rule, for answers and problem files alike: a font never matters (\\mathbf{x}, \\bm x and x
are one symbol); \\delta and δ are `delta`; a subscript joins its name with '_' (W_{1} → W_1);
a name matches a declared name exactly, or else with underscores ignored when only one declared
name matches (W_1 finds W1, W1 finds W_1, \\mathbf{y}_{0} finds y0). A name that is not declared
but splits into declared names is their product (Ax, \\mathbf{Ax} → A x).
"""
from __future__ import annotations

import re
from typing import Mapping

from lark import Token, Tree

from ..tree import algebra as alg
from ..tree.nodes import Dim, Expr
from ..tree.scope import Scope

ELEMENTWISE = ("exp", "log", "tanh", "sigma", "sin", "cos", "tan", "sqrt")
BUILTINS = ELEMENTWISE + alg.REDUCTIONS + ("softmax", "diag", "inv")
ALIASES = {"ln": "log", "Tr": "tr", "trace": "tr", "Diag": "diag", "Det": "det"}
GREEK = dict(zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ", (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()))
VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi"}
FONT_WRAPPER = re.compile(r"\\(?:operatorname\*?|mathrm|text|textrm|rm|mathit)\s*\{\s*([A-Za-z0-9]+)\s*\}")
COMMAND = re.compile(r"\\([A-Za-z]+)")
MAX_SPLIT = 24  # Ax is A x; a 2000-letter word is a typo, not a product worth a quadratic search


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

    def is_function(self, word: str) -> bool:
        """Whether `word` names a built-in, an alias (ln, Tr) or one of the problem's functions."""
        return word in BUILTINS or word in ALIASES or word in self.scope.functions

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
        """A size written as a subscript of I (I_n, I_{3}): a declared dimension or a number."""
        if word.isdigit():
            return int(word) if int(word) > 0 else None
        dims = {str(d): d for s in self.scope.symbols.values() for d in s.shape}
        return dims.get(word)


def token_word(token: Token) -> str:
    """The name a NAME, GREEK or NUMBER token spells: \\delta and δ are 'delta'."""
    word = str(token).lstrip("\\")
    return GREEK.get(word, VARIANTS.get(word, word))


def subscript(token: Token) -> str:
    """_1, _{1}, _{\\text{out}} → 1, 1, out."""
    return re.findall(r"[A-Za-z0-9]+", str(token))[-1]


def function_name(token: Token) -> tuple[str, int]:
    """(name, number of primes) of sigma'(, \\exp(, \\operatorname{tr}\\left(, \\sigma^{\\prime}(."""
    text = str(token)
    order = text.count("'") + text.count(r"\prime")
    wrapped = FONT_WRAPPER.match(text)
    if wrapped:
        word = wrapped.group(1)
    elif text.startswith("\\"):
        word = COMMAND.match(text).group(1)  # type: ignore[union-attr] - the grammar put it there
    else:
        word = re.match(r"[A-Za-z][A-Za-z0-9_]*", text).group(0)  # type: ignore[union-attr]
    return VARIANTS.get(word, word), order


def spelling(node: Tree) -> tuple[str, Token] | None:
    """The name a `name` or `font` node spells (subscripts joined by '_') and its token, if it spells one."""
    if node.data == "font":
        inner = node.children[1]
        if isinstance(inner, Token):
            found = (token_word(inner), inner)
        else:
            only = plain(inner)
            found = spelling(only) if only is not None else None
    elif node.data == "name":
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
