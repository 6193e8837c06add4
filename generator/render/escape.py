"""Plain text made safe for LaTeX's text mode: titles, notes and the engine's reasons."""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from ..vocabulary import GREEK_LETTERS

# Plain text → LaTeX text. Unicode maths that authors and the engine's messages use (n×m, δ, ᵀ, ₖ)
# becomes inline maths, because pdfLaTeX's utf8 input cannot typeset those characters as text.
TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\textasciitilde{}", "<": r"\textless{}",
    ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''",
    "×": r"\ensuremath{\times}", "ᵀ": r"\ensuremath{^{\top}}", "⊤": r"\ensuremath{^{\top}}",
    "′": r"\ensuremath{'}", "∂": r"\ensuremath{\partial}", "⊙": r"\ensuremath{\odot}",
    "→": r"\ensuremath{\to}", "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}",
    "≠": r"\ensuremath{\ne}", "∈": r"\ensuremath{\in}", "∑": r"\ensuremath{\sum}",
    "−": "-", "–": "--", "—": "---", "…": r"\ldots{}", "·": r"\ensuremath{\cdot}",
    "ℝ": r"\ensuremath{\mathbb{R}}", "⁻": r"\ensuremath{^{-}}", "∇": r"\ensuremath{\nabla}",
    "≈": r"\ensuremath{\approx}", "⊗": r"\ensuremath{\otimes}", "∘": r"\ensuremath{\circ}",
    "ε": r"\ensuremath{\varepsilon}",
}
_SPECIAL = "|".join(re.escape(k) for k in sorted(TEXT_ESCAPES, key=len, reverse=True))
_ESCAPE = re.compile(f"{_SPECIAL}|[^\\x00-\\xff]|[\\xb2\\xb3\\xb9]")  # Latin-1's ² ³ ¹ too


def tex_escape(text: Any) -> str:
    """Plain text (titles, notes, reasons) made safe for LaTeX's text mode."""
    return _ESCAPE.sub(lambda m: TEXT_ESCAPES.get(m.group(0)) or _unicode(m.group(0)), str(text))


def tex_text(text: Any) -> str:
    """Engine-written prose (a step's reason): text escaped, its $…$ formulas kept as maths."""
    parts = str(text).split("$")
    return "".join(tex_escape(p) if k % 2 == 0 else f"${p}$" for k, p in enumerate(parts))


def _unicode(char: str) -> str:
    """Greek letters and sub/superscripts (δ, ₖ, ²) as inline maths; other characters unchanged."""
    name = unicodedata.name(char, "").replace("LAMDA", "LAMBDA")
    greek = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", name)
    if greek:
        letter = greek.group(2).lower() if greek.group(1) == "SMALL" else greek.group(2).capitalize()
        return rf"\ensuremath{{\{letter}}}" if letter in GREEK_LETTERS else char
    tag, _, _ = unicodedata.decomposition(char).partition(" ")
    if tag in ("<sub>", "<super>"):
        plain = tex_escape(unicodedata.normalize("NFKC", char))
        return rf"\ensuremath{{{'_' if tag == '<sub>' else '^'}{{\mathrm{{{plain}}}}}}}"
    return char

