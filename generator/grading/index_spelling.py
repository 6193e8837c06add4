"""Spellings of an index expression read as their usual form: \\sum_{k,l}, \\tanh^2(…), M_ij (M taking two indices)."""
from __future__ import annotations

from typing import Mapping

from lark import Token, Tree


def normal(node: Tree | Token) -> Tree | Token:
    """One index to a Σ (\\sum_{k,l} → \\sum_{k} \\sum_{l}, the limits for each) and \\tanh^2(…) as (\\tanh(…))^2."""
    if isinstance(node, Token):
        return node
    kids = [normal(k) for k in node.children]
    if node.data == "bigsum":
        names = [k for k in kids if isinstance(k, Tree) and k.data == "index_name"]
        bounds = [k for k in kids[1:-1] if isinstance(k, Tree) and k.data == "bound"]
        body = kids[-1]
        for name in reversed(names):
            body = Tree(node.data, [kids[0], name, *bounds, body])
        return body
    if node.data == "powered_call":
        fn, power, arg = kids[0], kids[1], kids[-1]
        return Tree(Token("RULE", "factor"), [Tree(Token("RULE", "call"), [fn, arg]),
                                              Tree(Token("RULE", "exponent"), [power.children[0]])])
    return Tree(node.data, kids)


def joined_subscripts(tree: Tree, shapes: Mapping[str, tuple[int, int]]) -> Tree:
    """M_ij read as M_{ij} where M takes two indices: LaTeX's M_i j, with j (no name declared) typed right after i."""
    def two(entry: Tree) -> bool:
        name = str(entry.children[0].children[-1]).lstrip("\\")  # \delta → delta, as index.name_of
        if name == "delta" and 1 in shapes.get(name, (1, 1)):
            return True  # the Kronecker δ_ij (a gradient vector named δ has one index)
        return name in shapes and 1 not in shapes[name]

    def bare(node: Tree | Token) -> Token | None:  # a one-letter entry without subscript, not a declared name
        if isinstance(node, Tree) and node.data == "entry" and len(node.children) == 1:
            token = node.children[0].children[0]
            if len(node.children[0].children) == 1 and token.type == "LETTER" and str(token) not in shapes:
                return token
        return None

    def walk(node: Tree | Token) -> Tree | Token:
        if isinstance(node, Token):
            return node
        kids = [walk(k) for k in node.children]
        if node.data != "factors":
            return Tree(node.data, kids)
        out: list[Tree | Token] = []
        for kid in kids:
            last = out[-1] if out else None
            head = kid.children[0] if isinstance(kid, Tree) and kid.data == "factor" else kid
            letter = bare(head)
            if (letter is not None and isinstance(last, Tree) and last.data == "entry" and len(last.children) == 2
                    and len(last.children[1].children) == 1 and isinstance(last.children[1].children[0], Token)
                    and last.children[1].children[0].type == "LETTER" and two(last)
                    and last.children[1].children[0].end_pos == letter.start_pos):
                first = last.children[1].children[0]
                entry = Tree(last.data, [last.children[0], Tree(last.children[1].data, [
                    Tree(Token("RULE", "index"), [first]), Tree(Token("RULE", "index"), [letter])])])
                out[-1] = entry if head is kid else Tree(kid.data, [entry, *kid.children[1:]])
                continue
            out.append(kid)
        return Tree(node.data, out)

    return walk(tree)
