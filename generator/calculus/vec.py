"""The vec–Jacobian engine (Magnus and Neudecker): a forward sweep carrying ∂vec(U)/∂vec(X)ᵀ for every node U.

Every node U that depends on the variable X gets the matrix J_U = ∂vec(U)/∂vec(X)ᵀ, one row per
entry of vec(U) (column-major) and one column per entry of vec(X); a node that does not depend on
X gets None (its J is zero). Each rule is one identity of matrix differential calculus:

    X → I;  U + V → J_U + J_V;  L U R → (Rᵀ ⊗ L) J_U;  s U → vec(U) J_s;  Uᵀ → K J_U;
    U⁻¹ → −(U⁻ᵀ ⊗ U⁻¹) J_U;  f(U) → diag(vec f′(U)) J_U;  U ∘ V → diag(vec V) J_U + diag(vec U) J_V;
    r(U) → vec(∂r/∂U)ᵀ J_U (the gradient from the registry).

This is what mcgen uses for derivatives that are tensors (a matrix or a vector by a matrix, a
matrix by a vector or a scalar) and for vector outputs that depend on the variable through a
matrix, where the vector-by-vector rules stop.
"""
from __future__ import annotations

from typing import Mapping

from ..errors import NotDerivable
from ..ops import OPS
from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.dims import dim_mul
from ..tree.kit import TREE
from ..tree.nodes import (
    NODES, Add, Call, Diag, DiagPart, Expr, Grad, Hadamard, Hess, Identity, Inverse, Kron, Mul, Ones, Reduce,
    Softmax, Sym, Transpose, Vec,
)
from ..tree.scope import FunctionSpec
from ..tree.text import to_text
from .forward import Forward, Maybe
from .kronecker import simplify


def vec_jacobian(expr: Expr, wrt: Sym, functions: Mapping[str, FunctionSpec] | None = None) -> Expr:
    """∂vec(expr)/∂vec(wrt)ᵀ in closed form, tidied with the Kronecker identities."""
    j = _Sweep(wrt, functions or {}).jac(expr)
    if j is None:
        return alg.zero((dim_mul(expr.rows, expr.cols), dim_mul(*wrt.shape)))
    return simplify(j)


def entries(e: Expr) -> Expr:
    """The number of entries of a node, as the row count of its J."""
    return dim_mul(e.rows, e.cols)  # type: ignore[return-value]


def hessian_of(fn: str, f: Expr, spec: FunctionSpec) -> Expr:
    """∂²g/∂f∂fᵀ of an abstract scalar function g at a vector f, by the name its spec gives it."""
    if spec.kind != "scalar":
        raise NotDerivable(f"the second derivative of the vector function {fn} is a third-order tensor; "
                           "mcgen takes second derivatives of scalar and element-wise functions")
    if not spec.hessian:
        raise NotDerivable(f"the second derivative of the abstract function {fn} needs a name for its Hessian: "
                           f"declare {fn} = {{ kind = \"scalar\", hessian = \"H\" }} "
                           f"(or --function {fn}=scalar:delta:H)")
    if not (f.is_vector or f.is_scalar):
        raise NotDerivable(f"the Hessian of {fn} by the matrix {to_text(f)} is a fourth-order tensor")
    return Hess(fn, f, (f.length, f.length), spec.hessian)


class _Sweep(Forward):
    """One forward sweep; J of each node of the input tree computed once."""

    family = NODES

    def __init__(self, wrt: Sym, functions: Mapping[str, FunctionSpec]):
        super().__init__(wrt, functions)
        self.size = dim_mul(*wrt.shape)

    jac = Forward.once  # J of a node of the input tree

    def seed(self) -> Expr:
        return kr.eye(self.size)

    # -- sums and products ------------------------------------------------------------------------
    def visit_Add(self, e: Add) -> Maybe:
        parts = []
        for t in e.terms:
            j = self.jac(t)
            if j is not None:
                # a scalar added to a matrix is broadcast: vec(s 1) = 1 s
                parts.append(kr.mul(Ones((entries(e), 1)), j) if t.is_scalar and not e.is_scalar else j)
        return alg.add(*parts) if parts else None

    def visit_Mul(self, e: Mul) -> Maybe:
        chain = e.chain
        offset = len(e.factors) - len(chain)
        scalars = alg.mul(*(f for f in e.factors if f.is_scalar))
        parts = []
        for i, f in enumerate(e.factors):
            j = self.jac(f)
            if j is None:
                continue
            if f.is_scalar:  # vec(s U) = vec(U) s: the rest of the product times ∂s
                parts.append(kr.mul(kr.vec(alg.mul(*e.factors[:i], *e.factors[i + 1:])), j))
                continue
            c = i - offset
            left = alg.mul(*chain[:c]) if c else kr.eye(f.rows)
            right = alg.mul(*chain[c + 1:]) if c + 1 < len(chain) else kr.eye(f.cols)
            parts.append(kr.mul(scalars, kr.kron(kr.transpose(right), left), j))  # vec(L dU R) = (Rᵀ ⊗ L) vec(dU)
        return alg.add(*parts) if parts else None

    def visit_Hadamard(self, e: Hadamard) -> Maybe:
        parts = []
        for i, f in enumerate(e.factors):
            j = self.jac(f)
            if j is not None:
                others = alg.hadamard(*e.factors[:i], *e.factors[i + 1:])
                parts.append(kr.mul(alg.diag(kr.vec(others)), j))
        return alg.add(*parts) if parts else None

    def visit_Kron(self, e: Kron) -> Maybe:
        """vec(A ⊗ B) = (I_q ⊗ K_{s,p} ⊗ I_r)(vec A ⊗ vec B) for A p×q and B r×s."""
        a = e.factors[0]
        b = e.factors[1] if len(e.factors) == 2 else Kron(e.factors[1:])
        ja = self.jac(a)
        jb = self.jac(b) if len(e.factors) == 2 else self.visit(b)  # a temporary node is not memoised
        if ja is None and jb is None:
            return None
        (p, q), (r, s) = a.shape, b.shape
        parts = []
        if ja is not None:
            parts.append(kr.mul(kr.kron(kr.eye(entries(a)), kr.vec(b)), ja))
        if jb is not None:
            parts.append(kr.mul(kr.kron(kr.vec(a), kr.eye(entries(b))), jb))
        shuffle = kr.kron(kr.eye(q), kr.commutation(s, p), kr.eye(r))
        return kr.mul(shuffle, alg.add(*parts))

    # -- one argument -----------------------------------------------------------------------------
    def visit_Transpose(self, e: Transpose) -> Maybe:
        j = self.jac(e.arg)
        return None if j is None else kr.mul(kr.commutation(e.arg.rows, e.arg.cols), j)

    def visit_Inverse(self, e: Inverse) -> Maybe:
        j = self.jac(e.arg)
        if j is None:
            return None
        return alg.neg(kr.mul(kr.kron(alg.transpose(e), e), j))

    def elementwise(self, u: Expr, derivative: Expr) -> Maybe:
        """f(U) entry by entry: diag(vec f′(U)) J_U, or f′(u) J_u for a scalar."""
        j = self.jac(u)
        if j is None:
            return None
        return kr.mul(derivative, j) if u.is_scalar else kr.mul(alg.diag(kr.vec(derivative)), j)

    def visit_Reduce(self, e: Reduce) -> Maybe:
        j = self.jac(e.arg)
        if j is None:
            return None
        gradient = OPS.reductions[e.op].gradient(e, e.arg, TREE)
        return kr.mul(gradient if e.arg.is_scalar else kr.transpose(kr.vec(gradient)), j)

    def visit_Softmax(self, e: Softmax) -> Maybe:
        j = self.jac(e.arg)
        if j is None:
            return None
        s = kr.vec(e)
        return kr.mul(alg.sub(alg.diag(s), alg.mul(s, alg.transpose(s))), j)

    def visit_Diag(self, e: Diag) -> Maybe:
        """vec(diag(v)) = diag(vec I)(1 ⊗ I) v: v copied into every column, then all but the diagonal masked."""
        j = self.jac(e.arg)
        if j is None:
            return None
        n = e.rows
        return kr.mul(alg.diag(kr.vec(Identity(n))), kr.kron(Ones((n, 1)), Identity(n)), j)

    def visit_DiagPart(self, e: DiagPart) -> Maybe:
        """diag(A) = (1ᵀ ⊗ I) diag(vec I) vec(A): the diagonal entries picked out of vec(A)."""
        j = self.jac(e.arg)
        if j is None:
            return None
        n = e.rows
        return kr.mul(kr.kron(Ones((1, n)), Identity(n)), alg.diag(kr.vec(Identity(n))), j)

    def visit_Vec(self, e: Vec) -> Maybe:
        return self.jac(e.arg)

    # -- abstract functions -----------------------------------------------------------------------
    def visit_Call(self, e: Call) -> Maybe:
        f, j = e.arg, self.argument(e)
        if j is None:
            return None
        if e.is_scalar:
            gradient = Grad(e.fn, f, f.shape, self.spec(e.fn).gradient)
            return kr.mul(kr.transpose(kr.vec(gradient)), j)
        jacobian = Grad(e.fn, f, (f.length, e.length), None)  # denominator layout: len f × len u
        return kr.mul(alg.transpose(jacobian), j)

    def visit_Grad(self, e: Grad) -> Maybe:
        j = self.jac(e.arg)
        if j is None:
            return None
        return kr.mul(hessian_of(e.fn, e.arg, self.spec(e.fn)), j)
