"""Words every layer shares, defined once: layouts, assumptions, function kinds, Greek letters, precedence."""
from __future__ import annotations

LAYOUTS = ("denominator", "numerator")
ASSUMPTIONS = ("symmetric", "spd", "probability")
FUNCTION_KINDS = ("elementwise", "scalar", "vector")

# The Greek letters mcgen reads and writes by name (\delta, δ and `delta` are one name).
GREEK_LETTERS = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega").split()
GREEK_SYMBOLS = dict(zip("αβγδεζηθικλμνξπρστυφχψωΓΔΘΛΞΠΣΥΦΨΩ", GREEK_LETTERS))  # δ → delta
GREEK_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi"}
GREEK_NAMES = (*GREEK_LETTERS, *GREEK_VARIANTS)  # as the grammars' GREEK tokens spell them (@GREEK@ in a .lark file)


def greek_grammar(grammar: str, leave_out: frozenset[str] = frozenset()) -> str:
    """A .lark grammar with its @GREEK@ placeholder replaced by the Greek names it reads (but `leave_out`)."""
    return grammar.replace("@GREEK@", "|".join(n for n in GREEK_NAMES if n not in leave_out))

# Precedence of printed forms, loosest first: a part below the level its place needs is bracketed.
SUM, PRODUCT, POSTFIX, ATOM = 1, 2, 3, 4


def other_layout(layout: str) -> str:
    """The layout that is not `layout`: numerator for denominator and back."""
    return LAYOUTS[1] if layout == LAYOUTS[0] else LAYOUTS[0]
