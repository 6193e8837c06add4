"""Derivations carried across a renaming of symbols and sizes, so variants are derived once.

A statement is put in canonical form — symbols Qzq0, Qzq1, …, sizes Qzd0, Qzd1, … in order
of appearance — derived and proved once per form, and renamed back for each caller. The
placeholders print as \\mathit{Qzq}_{k} and \\mathit{Qzd}_{k}, tokens no real name produces,
so the proof's LaTeX is renamed by pattern without being recomputed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Mapping

import sympy as sp
from sympy.core.symbol import Str

from ..latex.names import entry_name, name_latex
from ..latex.printer import latex
from ..proof.steps import Claim, Step
from ..proof.symbolic import dim, to_sympy
from ..tree import dims
from ..tree.nodes import Call, Commutation, Dim, Expr, Grad, Hess, Identity, Ones, Sym, Zero
from ..tree.scope import FunctionSpec, Scope, Statement
from ..tree.text import to_text
from .derivation import Derivation

SYMBOL, SIZE = "Qzq", "Qzd"


@dataclass(frozen=True)
class Renaming:
    """Real names → canonical names (and sizes), and the way back."""

    names: Mapping[str, str]
    dims: Mapping[Dim, Dim]

    def inverse(self) -> Renaming:
        return Renaming({v: k for k, v in self.names.items()}, {v: k for k, v in self.dims.items()})


def canonical(statement: Statement, scope: Scope) -> Renaming:
    """Placeholders for every symbol and size, numbered in order of appearance."""
    order: list[Sym] = []
    for e in [*(d for _, d in statement.definitions), statement.expr]:
        order += [n for n in e.walk() if isinstance(n, Sym) and n not in order]
    order += [s for _, s in sorted(scope.symbols.items()) if s not in order]
    names = {s.name: f"{SYMBOL}{k}" for k, s in enumerate(order)}
    sizes: list[Dim] = []
    shapes = [s.shape for s in order] + [f.shape for _, f in sorted(scope.functions.items()) if f.shape]
    for shape in shapes:
        sizes += [d for d in shape if d != 1 and d not in sizes]
    return Renaming(names, {d: f"{SIZE}{k}" for k, d in enumerate(sizes)})


# ---------------------------------------------------------------- expression trees and scopes

def tree(e: Expr, r: Renaming) -> Expr:
    """The tree with symbols and sizes renamed (a product of sizes factor by factor)."""
    def d(size: Dim, _: Dim | None = None) -> Dim:
        return dims.rename(size, r.dims)

    if isinstance(e, Sym):
        return Sym(r.names.get(e.name, e.name), (d(e.rows, e.rows), d(e.cols, e.cols)), e.props)
    if isinstance(e, Identity):
        return Identity(d(e.n, e.n))
    if isinstance(e, (Zero, Ones)):
        return type(e)((d(e.rows, e.rows), d(e.cols, e.cols)))
    if isinstance(e, Commutation):
        return Commutation(d(e.m), d(e.n))
    args = tuple(tree(a, r) for a in e.args)
    if isinstance(e, (Call, Grad, Hess)):
        return replace(e.with_args(args), shape=(d(e.rows, e.rows), d(e.cols, e.cols)))
    return e.with_args(args) if args != e.args else e


def scope(s: Scope, r: Renaming) -> Scope:
    symbols = {r.names.get(n, n): tree(sym, r) for n, sym in s.symbols.items()}
    functions = {n: replace(f, shape=_shape(f.shape, r)) if f.shape else f for n, f in s.functions.items()}
    return Scope(symbols, functions)


def _shape(shape: tuple[Dim, Dim] | None, r: Renaming) -> tuple[Dim, Dim] | None:
    return None if shape is None else (r.dims.get(shape[0], shape[0]), r.dims.get(shape[1], shape[1]))


def statement(st: Statement, r: Renaming) -> Statement:
    return Statement(tree(st.expr, r), st.output, tuple((n, tree(e, r)) for n, e in st.definitions), st.text,
                     {n: tree(e, r) for n, e in st.bindings.items()})


def text(st: Statement) -> str:
    """The statement in the expression language, definitions first."""
    lines = [f"{name} = {to_text(e.arg)}" for name, e in st.definitions]  # type: ignore[attr-defined]
    lines.append(f"{st.output} = {to_text(st.expr)}" if st.output else to_text(st.expr))
    return "; ".join(lines)


def functions_key(functions: Mapping[str, FunctionSpec], r: Renaming) -> tuple:
    return tuple(sorted((n, f.kind, _shape(f.shape, r), f.gradient, f.hessian) for n, f in functions.items()))


# ---------------------------------------------------------------- LaTeX and messages

_ENTRY = re.compile(r"\(\\mathit\{" + SYMBOL + r"\}_\{(\d+)\}\)_\{((?:[^{}]|\{[^{}]*\})*)\}")
_BOLD = re.compile(r"\\mathbf\{\\mathit\{" + SYMBOL + r"\}\}_\{(\d+)\}")
_PLAIN = re.compile(r"\\mathit\{" + SYMBOL + r"\}_\{(\d+)\}")
_SIZE_TEX = re.compile(r"\\mathit\{" + SIZE + r"\}_\{(\d+)\}")
_RAW = re.compile(r"\b(" + SYMBOL + "|" + SIZE + r")(\d+)\b")


def latex_text(tex: str, back: Renaming) -> str:
    """LaTeX written for placeholders, with the real names (and sizes) put in."""
    def real(kind: str, k: str) -> str:
        return str(back.names[f"{SYMBOL}{k}"] if kind == SYMBOL else back.dims[f"{SIZE}{k}"])

    tex = _SIZE_TEX.sub(lambda m: _size_latex(real(SIZE, m.group(1))), tex)
    tex = _ENTRY.sub(lambda m: entry_name(real(SYMBOL, m.group(1)), m.group(2)), tex)
    tex = _BOLD.sub(lambda m: name_latex(real(SYMBOL, m.group(1)), bold=True), tex)
    tex = _PLAIN.sub(lambda m: name_latex(real(SYMBOL, m.group(1))), tex)
    return _RAW.sub(lambda m: real(m.group(1), m.group(2)), tex)


def _size_latex(size: str) -> str:
    return size if size.isdigit() else name_latex(size)


def message(msg: str, back: Renaming) -> str:
    """An error message about placeholders, about the real names instead."""
    return _RAW.sub(lambda m: str(back.names.get(m.group(0)) or back.dims.get(m.group(0)) or m.group(0)), msg)


# ---------------------------------------------------------------- derivations

def derivation(d: Derivation, back: Renaming, st: Statement, real: Scope) -> Derivation:
    """A canonical derivation with the caller's names and sizes (residual left for the caller)."""
    steps = tuple(Step(latex_text(s.latex, back), latex_text(s.reason, back), s.kind,
                       None if s.claim is None else _LazyClaim(s.claim, back)) for s in d.steps)
    closed = tree(d.closed_form, back)
    return replace(d, statement=st, wrt=real.symbols[back.names[d.wrt.name]], closed_form=closed,
                   result=to_sympy(closed), latex=latex(closed), steps=steps, scope=real)


class _LazyClaim:
    """A claim renamed when first read. Only tests read claims, and renaming their sympy index
    expressions is most of the cost of a cache hit, so sheets of hundreds of variants skip it."""

    def __init__(self, claim: Claim, back: Renaming):
        self._source, self._back, self._claim = claim, back, None

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if self._claim is None:
            self._claim = _claim(self._source, self._back, _sympy_map(self._back))
        return getattr(self._claim, name)


def _claim(c: Claim, back: Renaming, subs: dict) -> Claim:
    values = {}
    for f in fields(c):
        v = getattr(c, f.name)
        if isinstance(v, Expr):
            v = tree(v, back)
        elif isinstance(v, sp.Basic):
            v = v.xreplace(subs)
        elif isinstance(v, tuple):
            v = tuple(x.xreplace(subs) if isinstance(x, sp.Basic) else x for x in v)
        values[f.name] = v
    return Claim(**values)


def _sympy_map(back: Renaming) -> dict:
    subs: dict = {}
    for canon, name in back.names.items():
        subs[Str(canon)] = Str(name)
        subs[sp.Symbol(canon, real=True)] = sp.Symbol(name, real=True)
    for canon, size in back.dims.items():
        subs[dim(canon)] = dim(size)
    return subs
