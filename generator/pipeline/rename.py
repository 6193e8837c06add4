"""Canonical forms, so variants are derived once: symbols Qzq0, Qzq1, …, sizes Qzd0, Qzd1, … in order of appearance.

A statement is put in canonical form, derived and proved once per form, and renamed back for
each caller (renamed.py renames the derivation, its proof included).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Mapping

from ..tree import dims
from ..tree.nodes import Call, Commutation, Dim, Expr, Grad, Hess, Identity, Ones, Sym, Zero
from ..tree.scope import FunctionSpec, Scope, Statement

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
    return e if all(a is b for a, b in zip(args, e.args)) else e.with_args(args)


def placeholders(e: Expr) -> set[str]:
    """The placeholders in a tree: the names and sizes `tree` renames."""
    found: set[str] = set()
    for n in e.walk():
        if isinstance(n, Sym):
            held: tuple = (n.name, *n.shape)
        elif isinstance(n, Identity):
            held = (n.n,)
        elif isinstance(n, Commutation):
            held = (n.m, n.n)
        elif isinstance(n, (Zero, Ones, Call, Grad, Hess)):
            held = n.shape
        else:
            continue
        found.update(x for d in held for x in dims.names_of(d) if is_placeholder(x))
    return found


def scope(s: Scope, r: Renaming) -> Scope:
    symbols = {r.names.get(n, n): tree(sym, r) for n, sym in s.symbols.items()}
    functions = {n: replace(f, shape=_shape(f.shape, r)) if f.shape else f for n, f in s.functions.items()}
    return Scope(symbols, functions)


def _shape(shape: tuple[Dim, Dim] | None, r: Renaming) -> tuple[Dim, Dim] | None:
    return None if shape is None else (r.dims.get(shape[0], shape[0]), r.dims.get(shape[1], shape[1]))


def statement(st: Statement, r: Renaming) -> Statement:
    return Statement(tree(st.expr, r), st.output, tuple((n, tree(e, r)) for n, e in st.definitions), st.text,
                     {n: tree(e, r) for n, e in st.bindings.items()})


def functions_key(functions: Mapping[str, FunctionSpec], r: Renaming) -> tuple:
    return tuple(sorted((n, f.kind, _shape(f.shape, r), f.gradient, f.hessian) for n, f in functions.items()))


# ---------------------------------------------------------------- placeholders and messages

def is_placeholder(name: str) -> bool:
    """Whether a name is one of the canonical form's placeholders (Qzq…, Qzd…)."""
    return name[:3] in (SYMBOL, SIZE) and name[3:].isdigit()


_RAW = re.compile(r"\b(" + SYMBOL + "|" + SIZE + r")(\d+)\b")


def message(msg: str, back: Renaming) -> str:
    """An error message about placeholders, about the real names instead."""
    return _RAW.sub(lambda m: str(back.names.get(m.group(0)) or back.dims.get(m.group(0)) or m.group(0)), msg)
