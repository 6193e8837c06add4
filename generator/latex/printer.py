"""One LatexPrinter subclass: bold vectors, ^\\top, ⊙, σ′, index names i, j, k, and sums from 1."""
from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.printing.latex import LatexPrinter

from ..ops import OPS
from ..proof import entries as S
from ..proof.symbolic import to_sympy
from ..tree.nodes import Expr
from ..vocabulary import ATOM, POSTFIX, PRODUCT, SUM
from .names import entry_name, name_latex

MEMO_SIZE = 20_000  # printed objects a memoising printer keeps before it starts afresh


def _is_vector(m: sp.Basic) -> bool:
    shape = getattr(m, "shape", (1, 1))
    return (shape[0] == 1) != (shape[1] == 1)


class MatrixLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, taught the conventions of a matrix-calculus lecture."""

    def __init__(self, settings: dict | None = None, memo: bool = False):
        super().__init__({"order": "none", **(settings or {})})
        self._memo: dict[sp.Basic, str] | None = {} if memo else None

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """sympy's dispatch; with `memo`, each object is printed once (proof steps repeat W_{ik}, δ_{kj}, …)."""
        if self._memo is None or kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        text = self._memo.get(expr)
        if text is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            text = self._memo[expr] = super()._print(expr)
        return text

    # -- precedence -------------------------------------------------------------------------
    def level(self, e: sp.Basic) -> int:
        if isinstance(e, (sp.MatAdd, sp.Add)):
            return SUM
        if isinstance(e, (sp.MatMul, sp.Mul)):
            coeff = e.args[0] if e.args and e.args[0].is_Number else 1
            return SUM if coeff < 0 else PRODUCT
        if isinstance(e, sp.HadamardProduct):
            return PRODUCT
        if isinstance(e, S.AsScalar):  # a 1×1 product such as aᵀx is bracketed among other factors
            inner = self.level(e.args[0])
            return min(inner, PRODUCT) if isinstance(e.args[0], sp.MatMul) else inner
        if isinstance(e, sp.Rational) and (e < 0 or not e.is_Integer):
            return SUM if e < 0 else PRODUCT
        if isinstance(e, (sp.Transpose, sp.Inverse, sp.Pow, sp.HadamardPower)):
            return POSTFIX
        if isinstance(e, sp.Sum):
            return PRODUCT  # bracketed inside a product unless it comes last: a_j Σ_k B_ik x_k
        if isinstance(e, S.KronOf):
            return SUM  # A B ⊗ C reads (A B) ⊗ C: bracketed as a factor, not as a term
        return ATOM

    def wrap(self, e: sp.Basic, least: int) -> str:
        text = self._print(e)
        return text if self.level(e) >= least else rf"\left({text}\right)"

    # -- names --------------------------------------------------------------------------------
    def _print_MatrixSymbol(self, e: sp.MatrixSymbol) -> str:
        return name_latex(str(e.name), bold=_is_vector(e))

    def _print_Symbol(self, e: sp.Symbol, style: str = "plain") -> str:
        return name_latex(e.name) if re.fullmatch(r"[A-Za-z]+_?\w*", e.name) else super()._print_Symbol(e)

    def _print_Dummy(self, e: sp.Dummy) -> str:
        return e.name

    def _print_Identity(self, e: sp.Identity) -> str:
        return "I"

    def _print_ZeroMatrix(self, e: sp.ZeroMatrix) -> str:
        return r"\mathbf{0}"

    def _print_OneMatrix(self, e: sp.OneMatrix) -> str:
        rows, cols = e.shape
        return r"\mathbf{1}^{\top}" if rows == 1 and cols != 1 else r"\mathbf{1}"  # a row of ones is 1ᵀ

    # -- sums and products ----------------------------------------------------------------------
    def _print_MatAdd(self, e: sp.MatAdd) -> str:
        return self._terms(e.args)

    def _print_Add(self, e: sp.Add, order: str | None = None) -> str:
        # sympy puts a number first (−1 + j); a course writes a subtracted number last (j − 1), 1 − σ as it is
        terms = sorted(e.args, key=lambda t: t.is_Number and t.is_negative) if len(e.args) > 1 else e.args
        return self._terms(tuple(terms))

    def _terms(self, terms: tuple[sp.Basic, ...]) -> str:
        out = ""
        for i, t in enumerate(terms):
            text = self.wrap(t, SUM)
            if i and text.startswith("-"):
                out += " - " + text[1:].lstrip()
            else:
                out += (" + " if i else "") + text
        return out

    def _print_MatMul(self, e: sp.MatMul) -> str:
        return self._product(e.args)

    def _print_Mul(self, e: sp.Mul) -> str:
        return self._product(e.args)

    def _product(self, factors: tuple[sp.Basic, ...]) -> str:
        coeff = sp.Integer(1)
        numerator, denominator = [], []
        # Kronecker deltas last, as written by hand: W_{ik} δ_{kj}.
        factors = sorted(factors, key=lambda f: isinstance(f, sp.KroneckerDelta))
        for f in factors:
            if f.is_Number:
                coeff *= f
            elif isinstance(f, sp.Pow) and f.exp.is_negative:
                denominator.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp, evaluate=False))
            else:
                numerator.append(f)
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        num_parts = [self.wrap(f, POSTFIX if len(numerator) > 1 else PRODUCT) if not isinstance(f, sp.Sum)
                     else self.wrap(f, PRODUCT if i == len(numerator) - 1 else POSTFIX)
                     for i, f in enumerate(numerator)]
        if len(numerator) == 1 and isinstance(numerator[0], S.KronOf):
            num_parts[0] = self._print(numerator[0])  # −(A ⊗ B) = (−A) ⊗ B: a number needs no brackets
        den_parts = [self.wrap(f, POSTFIX if len(denominator) > 1 else PRODUCT) for f in denominator]
        if coeff.q != 1 and not denominator and any(isinstance(f, sp.MatrixExpr) for f in numerator):
            return sign + rf"\frac{{{coeff.p}}}{{{coeff.q}}} " + " ".join(num_parts)  # ½Σ⁻¹, not Σ⁻¹ over 2
        if coeff.q != 1:
            den_parts.insert(0, str(coeff.q))
        if coeff.p != 1 or not num_parts:
            num_parts.insert(0, str(coeff.p))
        num = " ".join(num_parts)
        if den_parts:
            return sign + rf"\frac{{{num}}}{{{' '.join(den_parts)}}}"
        return sign + num

    def _print_HadamardProduct(self, e: sp.HadamardProduct) -> str:
        """x ⊙ y, and x ⊘ s for a factor raised to a negative power (when something stays above the bar)."""
        below = [f for f in e.args if isinstance(f, sp.HadamardPower) and f.exp.is_negative]
        above = [f for f in e.args if f not in below]
        if not above:
            above, below = list(e.args), []
        text = r" \odot ".join(self.wrap(f, POSTFIX) for f in above)
        for f in below:
            shown = f.base if f.exp == -1 else sp.HadamardPower(f.base, -f.exp)
            text += r" \oslash " + self.wrap(shown, POSTFIX)
        return text

    # -- postfix --------------------------------------------------------------------------------
    def _print_Transpose(self, e: sp.Transpose) -> str:
        if isinstance(e.arg, S.AbstractGrad) and not e.arg.args[4].name:
            return rf"\left({self._print(e.arg)}\right)^{{\top}}"  # a fraction ∂y/∂u, transposed
        return self.wrap(e.arg, ATOM) + r"^{\top}"

    def _print_Inverse(self, e: sp.Inverse) -> str:
        if isinstance(e.arg, sp.Transpose):
            return self.wrap(e.arg.arg, ATOM) + r"^{-\top}"
        return self.wrap(e.arg, ATOM) + "^{-1}"

    def _print_HadamardPower(self, e: sp.HadamardPower) -> str:
        return self.wrap(e.base, ATOM) + rf"^{{\circ {self._print(e.exp)}}}"

    def _print_Pow(self, e: sp.Pow) -> str:
        if e.exp == sp.Rational(1, 2):
            return rf"\sqrt{{{self._print(e.base)}}}"
        if e.exp.is_negative:
            return self._product((e,))
        base = self._print(e.base)
        if self.level(e.base) < ATOM or isinstance(e.base, (sp.Sum, sp.exp, sp.Pow)):
            base = rf"\left({base}\right)"  # Σ…², e^{x}² and x²² would read wrongly or not compile
        return base + f"^{{{self._print(e.exp)}}}"

    def _print_AsScalar(self, e: S.AsScalar) -> str:
        return self._print(e.args[0])

    # -- functions ------------------------------------------------------------------------------
    def function(self, fn: str, order: int, arg: sp.Basic) -> str:
        """A registry function as it declares itself (\\sigma'\\left(z\\right), \\sqrt{x}); an abstract one by name."""
        entry = OPS.function(fn)
        if entry is not None:
            return entry.written(self._print(arg), order)
        return rf"{name_latex(fn)}{chr(39) * order}\left({self._print(arg)}\right)"

    def _print_ElementwiseFn(self, e: S.ElementwiseFn) -> str:
        return self.function(e.args[0].name, int(e.args[2]), e.args[1])

    def _print_ScalarFn(self, e: S.ScalarFn) -> str:
        return self.function(e.args[0].name, int(e.args[2]), e.args[1])

    def _print_Reduction(self, e: S.Reduction) -> str:
        r, arg = OPS.reductions[e.args[0].name], e.args[1]
        matrix = not _is_vector(arg) and getattr(arg, "shape", (1, 1)) != (1, 1)
        return r.latex.format(self._print(arg), r.matrix_subscript if matrix else "")

    def _print_SoftmaxOf(self, e: S.SoftmaxOf) -> str:
        return rf"\operatorname{{softmax}}\left({self._print(e.args[0])}\right)"

    def _print_DiagOf(self, e: S.DiagOf) -> str:
        return rf"\operatorname{{diag}}\left({self._print(e.args[0])}\right)"

    _print_DiagPartOf = _print_DiagOf

    def _print_AbstractCall(self, e: S.AbstractCall) -> str:
        return self.function(e.args[0].name, 0, e.args[1])

    def _print_AbstractValue(self, e: S.AbstractValue) -> str:
        return rf"{name_latex(e.args[0].name, bold=True)}\left({self._print(e.args[1])}\right)"

    def _print_AbstractGrad(self, e: S.AbstractGrad) -> str:
        fn, arg, name = e.args[0].name, e.args[1], e.args[4].name
        if name:
            return name_latex(name, bold=_is_vector(e))
        top = name_latex(fn, bold=isinstance(e.args[2], sp.Basic) and _is_vector(arg) and e.shape[1] != 1)
        return rf"\frac{{\partial {top}}}{{\partial {self._print(arg)}}}"

    def _print_AbstractHess(self, e: S.AbstractHess) -> str:
        return name_latex(e.args[4].name)

    # -- Kronecker products ---------------------------------------------------------------------
    def _print_KronOf(self, e: S.KronOf) -> str:
        # nothing beside a Kronecker factor tells the size of I, so it is written: a ⊗ I_m
        return r" \otimes ".join(self._sized_identity(f) if isinstance(f, sp.Identity) else self.wrap(f, PRODUCT)
                                  for f in e.args)

    def _sized_identity(self, e: sp.Identity) -> str:
        """I with its size, I_{n}; a product of one-letter sizes joined as it is read back, I_{mn}."""
        size = self._print(e.shape[0])
        return rf"I_{{{size.replace(' ', '') if re.fullmatch(r'[A-Za-z0-9]( [A-Za-z0-9])*', size) else size}}}"

    def _print_VecOf(self, e: S.VecOf) -> str:
        arg = e.args[0]  # nothing beside vec(I) tells the size of I either
        shown = self._sized_identity(arg) if isinstance(arg, sp.Identity) else self._print(arg)
        return rf"\operatorname{{vec}}\left({shown}\right)"

    def _print_CommutationOf(self, e: S.CommutationOf) -> str:
        return rf"K_{{{self._print(e.args[0])},{self._print(e.args[1])}}}"

    # -- index notation -------------------------------------------------------------------------
    def _print_MatrixElement(self, e: MatrixElement) -> str:
        parent = e.parent
        rows, cols = parent.shape
        if cols == 1:
            index = self._print(e.i)
        elif rows == 1:
            index = self._print(e.j)
        else:
            index = self._print(e.i) + self._print(e.j)
        if isinstance(parent, sp.MatrixSymbol):
            return entry_name(str(parent.name), index)
        return rf"\left({self._print(parent)}\right)_{{{index}}}"

    def _print_IndexCall(self, e: sp.Expr) -> str:
        return self.function(e.args[0].name, 0, e.args[1])

    def _print_IndexValue(self, e: sp.Expr) -> str:
        fn, arg, _, i = e.args
        return rf"{entry_name(fn.name, self._print(i))}\left({self._print(arg)}\right)"

    def _print_KroneckerDelta(self, e: sp.KroneckerDelta, exp: str | None = None) -> str:
        # The indicator 𝕀_{i=k}, not δ_{ik}: the lecture's δ is a gradient (the deck's notation table says so).
        return rf"\mathbb{{I}}_{{{self._print(e.args[0])} = {self._print(e.args[1])}}}"

    def _print_Sum(self, e: sp.Sum) -> str:
        tex = ""
        for var, low, high in e.limits:
            tex += rf"\sum_{{{self._print(var)}={self._print(low)}}}^{{{self._print(high)}}} "
        return tex + self.wrap(e.function, PRODUCT)

    def _print_Function(self, e: sp.Function, exp: str | None = None) -> str:
        fn = getattr(type(e), "mcgen_fn", None)
        if fn is not None:
            return self.function(fn, type(e).mcgen_order, e.args[0])
        return super()._print_Function(e, exp)


_PRINTER = MatrixLatexPrinter()
# Trees and proof steps hold integers and rationals only (never a float, which could compare equal
# to an integer and share its memo entry), and variants of a sheet print the same ones many times.
MEMO_PRINTER = MatrixLatexPrinter(memo=True)
_TREES: dict[Expr, str] = {}


def forget_printed() -> None:
    """Drop the LaTeX kept so far (for measuring the work of printing from scratch)."""
    _TREES.clear()
    if MEMO_PRINTER._memo is not None:
        MEMO_PRINTER._memo.clear()


def latex(e: Expr | sp.Basic) -> str:
    """LaTeX for an expression tree or a sympy object."""
    if not isinstance(e, Expr):
        return _PRINTER.doprint(e)
    text = _TREES.get(e)
    if text is None:
        if len(_TREES) >= MEMO_SIZE:
            _TREES.clear()
        text = _TREES[e] = MEMO_PRINTER.doprint(to_sympy(e))
    return text

