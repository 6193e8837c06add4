"""Forward sweeps: what every node of the input tree carries when the variable moves (None: it does not move).

Two sweeps share this walk: `differential` carries dU along one direction, `vec` carries the
vec–Jacobian J_U. What they share is here: the variable carries the sweep's `seed`, constants carry
nothing, a named intermediate carries what its definition carries, an element-wise function or
power passes the change through its derivative (`elementwise`), and an abstract Hessian cannot be
differentiated again.
"""
from __future__ import annotations

from typing import Mapping

from ..errors import NotDerivable
from ..tree import algebra as alg
from ..tree.nodes import Apply, Call, Const, Expr, Hess, Named, Power, Sym
from ..tree.scope import FunctionSpec
from ..tree.text import to_text
from ..tree.visitor import Shared
from .rules import elementwise_derivative

Maybe = Expr | None  # None: the node does not depend on the variable


class Forward(Shared[Maybe]):
    """One forward sweep; each node of the input tree is visited once (a shared subtree too). A subclass
    names the family (`NODES`) and handles the rest of it."""

    def __init__(self, wrt: Sym, functions: Mapping[str, FunctionSpec]):
        super().__init__()
        self.wrt, self.functions = wrt, functions

    def seed(self) -> Expr:
        """What the variable itself carries."""
        raise NotImplementedError

    def elementwise(self, u: Expr, derivative: Expr) -> Maybe:
        """What f(U) carries, taken entry by entry, given f′(U)."""
        raise NotImplementedError

    def spec(self, fn: str) -> FunctionSpec:
        """The problem's declaration of an abstract function (a scalar function when it declares none)."""
        return self.functions.get(fn) or FunctionSpec(fn, "scalar")

    def argument(self, e: Call) -> Maybe:
        """What the argument of an abstract function carries; the argument must be a vector or a scalar."""
        d = self.once(e.arg)
        if d is not None and not (e.arg.is_vector or e.arg.is_scalar):
            raise NotDerivable(f"the abstract function {e.fn} takes a vector, not {to_text(e.arg)}")
        return d

    def visit_Sym(self, e: Sym) -> Maybe:
        return self.seed() if e == self.wrt else None

    def visit_Const(self, e: Expr) -> Maybe:
        return None

    visit_Identity = visit_Zero = visit_Ones = visit_Commutation = visit_Const

    def visit_Named(self, e: Named) -> Maybe:
        return self.once(e.arg)

    def visit_Power(self, e: Power) -> Maybe:
        p = e.exponent
        return self.elementwise(e.arg, alg.mul(Const(p), alg.power(e.arg, p - 1)))

    def visit_Apply(self, e: Apply) -> Maybe:
        return self.elementwise(e.arg, elementwise_derivative(e.fn, e.arg, e.order))

    def visit_Hess(self, e: Hess) -> Maybe:
        if self.once(e.arg) is None:
            return None
        raise NotDerivable(f"the third derivative of the abstract function {e.fn} is not defined")
