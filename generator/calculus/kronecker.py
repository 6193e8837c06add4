"""Textbook form for vec–Jacobians: the Kronecker identities applied bottom-up, then the usual tidying."""
from __future__ import annotations

from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.nodes import Add, Commutation, Diag, Expr, Inverse, Kron, Mul, Transpose, Vec
from .simplify import tidy


def simplify(e: Expr) -> Expr:
    """(A ⊗ B)(C ⊗ D) = AC ⊗ BD, (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ, s ⊗ A = sA, I ⊗ I = I, …, then common factors pulled out."""
    once = canonical(e)
    return canonical(tidy(once))


def canonical(e: Expr) -> Expr:
    """The tree rebuilt bottom-up through the smart constructors that know the Kronecker identities."""
    if not e.args:
        return e
    children = tuple(canonical(a) for a in e.args)
    if isinstance(e, Add):
        return alg.add(*children)
    if isinstance(e, Mul):
        return kr.mul(*children)
    if isinstance(e, Kron):
        return kr.kron(*children)
    if isinstance(e, Vec):
        return kr.vec(children[0])
    if isinstance(e, Transpose) and isinstance(children[0], (Kron, Commutation, Mul)):
        return kr.transpose(children[0])
    if isinstance(e, Inverse) and isinstance(children[0], (Kron, Commutation)):
        return kr.inverse(children[0])
    if isinstance(e, Diag):
        return alg.diag(children[0])
    return e if children == e.args else e.with_args(children)
