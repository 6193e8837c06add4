"""An index answer echoed as LaTeX rebuilt from its parse tree (never the typed text): for previews and reports."""
from __future__ import annotations

from lark import Token, Tree

from ..ops import OPS
from .index import function_name, indices_of, name_of


def index_latex(node: Tree | Token) -> str:
    """LaTeX rebuilt from the parse tree (never the typed text): what a preview or a report may show."""
    if isinstance(node, Token):
        return str(node) if node.type in ("INT", "DECIMAL", "LETTER", "NAME") else ""
    kids = node.children
    parts = [index_latex(k) for k in kids]
    if node.data == "add":
        return f"{parts[0]} + {parts[2]}"
    if node.data == "sub":
        return f"{parts[0]} - {_wrap(kids[2], parts[2])}"
    if node.data == "neg":
        return f"-{_wrap(kids[1], parts[1])}"
    if node.data == "product":
        return parts[-1]
    if node.data == "factors":
        return " ".join(_wrap(k, p) if isinstance(k, Tree) and k.data in ("add", "sub", "neg") else p
                        for k, p in zip(kids, parts) if not isinstance(k, Token))
    if node.data == "bigsum":
        index = index_latex(kids[1].children[0])
        bounds = [index_latex(b.children[0]) for b in kids[2:-1] if isinstance(b, Tree) and b.data == "bound"]
        low = bounds[0] if len(bounds) == 2 else "1"
        below = f"{index}={low}" if bounds else index
        high = f"^{{{bounds[-1]}}}" if bounds else ""
        return rf"\sum_{{{below}}}{high} {_wrap(kids[-1], parts[-1])}"
    if node.data == "factor":
        return f"{_wrap(kids[0], parts[0], always=isinstance(kids[0], Tree) and kids[0].data != 'entry')}^{{{parts[1]}}}"
    if node.data in ("exponent", "bound", "index_name", "number"):
        return parts[0]
    if node.data == "frac":
        return rf"\frac{{{parts[1]}}}{{{parts[2]}}}"
    if node.data == "sqrt":
        return rf"\sqrt{{{parts[1]}}}"
    if node.data == "partial":
        return rf"\frac{{\partial {parts[2]}}}{{\partial {parts[4]}}}"
    if node.data == "power_of_e":
        return rf"e^{{{parts[1]}}}"
    if node.data == "call":
        fn = function_name(str(kids[0]))
        primes = next((str(k).count("'") or 1 for k in kids[1:] if isinstance(k, Token) and k.type == "PRIME"), 0)
        return OPS.functions[fn].written(parts[-1], primes)
    if node.data == "indicator":
        a, b = (index_latex(k) for k in kids if isinstance(k, Tree))
        return rf"\mathbb{{I}}_{{{a} = {b}}}"
    if node.data == "entry":
        name = name_of(kids[0])
        head = rf"\{name}" if len(name) > 1 else name
        indices = indices_of(node)
        return head + (f"_{{{''.join(indices) if all(len(i) == 1 for i in indices) else ','.join(indices)}}}"
                       if indices else "")
    return " ".join(p for p in parts if p)


def _wrap(node: Tree | Token, text: str, always: bool = False) -> str:
    """Brackets around a sum (or any compound when `always`), so the LaTeX reads as the tree does."""
    compound = isinstance(node, Tree) and (node.data in ("add", "sub", "neg") or always and node.data != "number")
    return rf"\left({text}\right)" if compound else text
