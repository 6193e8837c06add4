"""The rules of differentials a step used, written with fresh letters that name nothing on the frame.

A differential proof of X⁻¹ cites d(P⁻¹) = −P⁻¹ dP P⁻¹ and nothing else; one of tanh(X⁻¹A) cites the
inverse, the product and d tanh(P) = tanh′(P) ⊙ dP. P and Q are letters the problem does not use (the
pipeline reserves them: a problem's own P pushes the rule to the next free letter), and the vec rule of
a Kronecker step reads vec(P R Q) = (Qᵀ ⊗ P) vec R in the same way.
"""
from __future__ import annotations

from ..calculus.rules import elementwise_derivative
from ..tree.edit import symbols
from ..tree.nodes import (
    Apply, Call, Const, Expr, Grad, Hadamard, Hess, Inverse, Kron, Mul, Reduce, Sym, Transpose, Vec,
)
from .context import Context
from .formula import Bracketed, Differential, InDifferential, Name, Part, Piece, Plus, Rule, Tree, equation

FRESH = "PQRSVZ"  # letters a rule may take; pipeline/run.py reserves a problem's own names among them
GENERIC = ("p", "q")  # the sizes of a generic letter: never printed
STAND_IN = "dzzrulezz"  # the differential of a generic letter while a rule is written; printed as dP


def fresh_letters(ctx: Context, n: int) -> list[str]:
    """n capital letters no name of the problem (nor of the proof) takes."""
    taken = {*ctx.taken, *ctx.scope.symbols}
    free = [c for c in FRESH if c not in taken]
    if len(free) < n:
        free += [f"{c}_{k}" for k in range(1, n + 1) for c in FRESH if f"{c}_{k}" not in taken]
    return free[:n]


def differential_rules(ctx: Context) -> list[Piece]:
    """The rules of differentials the output's path to the variable meets, each as an identity in fresh letters."""
    p_name, q_name = fresh_letters(ctx, 2)
    p, q = Sym(p_name, GENERIC), Sym(q_name, GENERIC)
    rules: list[Part] = []
    kinds = _kinds(ctx.output, ctx.wrt)
    if "product" in kinds:
        rules.append(equation(Differential(Bracketed(Tree(Mul((p, q))))),
                              Plus((_linear(Mul((_d(p), q)), p), _linear(Mul((p, _d(q))), q)))))
    if "inverse" in kinds:
        rules.append(equation(Differential(Bracketed(Tree(Inverse(p)))),
                              _linear(Mul((Const(-1), Inverse(p), _d(p), Inverse(p))), p)))
    for fn in sorted(kinds.get("functions", ())):
        rules.append(equation(Differential(Tree(Apply(fn, p))),
                              _linear(Hadamard((elementwise_derivative(fn, p, 0), _d(p))), p)))
    for op in sorted(kinds.get("reductions", ())):
        rules.append(equation(Differential(Tree(Reduce(op, p))), _linear(_reduction(op, p), p)))
    pieces: list[Piece] = []
    for k, rule in enumerate(rules):
        pieces += ([", "] if k else []) + [rule]
    if "abstract" in kinds:
        pieces += [", " if pieces else "", Rule("abstract")]
    return pieces


def vec_rule(ctx: Context) -> Part:
    """vec(P R Q) = (Qᵀ ⊗ P) vec R, in letters that name nothing else."""
    p_name, r_name, q_name = fresh_letters(ctx, 3)
    p, r, q = Sym(p_name, GENERIC), Sym(r_name, GENERIC), Sym(q_name, GENERIC)
    return equation(Tree(Vec(Mul((p, r, q)))), Tree(Mul((Kron((Transpose(q), p)), Vec(r)))))


def _d(letter: Sym) -> Sym:
    return Sym(STAND_IN + letter.name, letter.shape)


def _linear(e: Expr, letter: Sym) -> InDifferential:
    return InDifferential(e, STAND_IN + letter.name, Name(letter.name))


def _reduction(op: str, p: Sym) -> Expr:
    """d r(P) for the reductions whose differential a proof meets: det, logdet, tr."""
    trace = Reduce("tr", Mul((Inverse(p), _d(p)))) if op != "tr" else Reduce("tr", _d(p))
    return Mul((Reduce("det", p), trace)) if op == "det" else trace


def _kinds(e: Expr, wrt: Sym) -> dict:
    """Which rules the path from e to wrt meets: a product of two factors that vary, an inverse, the element-wise
    functions and the reductions whose differential is not linear."""
    kinds: dict = {}
    for node in e.walk():
        if wrt not in symbols(node):
            continue
        if isinstance(node, (Mul, Kron)) and sum(wrt in symbols(f) for f in node.factors) > 1:
            kinds["product"] = True
        elif isinstance(node, Inverse):
            kinds["inverse"] = True
        elif isinstance(node, Apply):
            kinds.setdefault("functions", set()).add(node.fn)
        elif isinstance(node, Reduce) and node.op in ("det", "logdet"):
            kinds.setdefault("reductions", set()).add(node.op)
        elif isinstance(node, (Call, Grad, Hess)):
            kinds["abstract"] = True
    return kinds
