"""Rewrites around the engine: identities before differentiating, textbook form after."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..tree import algebra as alg
from ..tree import kron as kr
from ..tree.text import to_text
from ..tree.nodes import (
    Add, Apply, Const, Diag, Expr, Hadamard, Inverse, Kron, Mul, Named, Ones, Power, Reduce, Softmax, Sym,
    Transpose,
)


@dataclass(frozen=True)
class Rewrite:
    """One identity `normalize` applied: its rule's name, the subexpression it met and what it wrote instead."""

    rule: str
    before: Expr
    after: Expr


def normalize(expr: Expr) -> Expr:
    """The identities a course uses before differentiating: log det X = logdet X,
    log softmax(v) = v − logsumexp(v)1, log exp u = u, exp log u = u, diag(v) u = v ∘ u,
    log(1 + e^u) = softplus(u), 1/(1 + e^{−u}) = σ(u), e^u/(1 + e^u) = σ(u)."""
    return _normalize(expr, [])


def rewrites(expr: Expr) -> tuple[Expr, tuple[Rewrite, ...]]:
    """`normalize(expr)` and the identities it applied, in order (a proof cites only those)."""
    used: list[Rewrite] = []
    out = _normalize(expr, used)
    return out, tuple(dict.fromkeys(used))


def _normalize(expr: Expr, used: list[Rewrite]) -> Expr:
    if not expr.args:
        return expr
    children = tuple(_normalize(a, used) for a in expr.args)
    node = expr if children == expr.args else _rebuild(expr, children)
    out, rule = _identity(node)
    if rule:
        used.append(Rewrite(rule, node, out))
        return out
    if isinstance(node, (Mul, Hadamard)):
        out = _exp_times_sigma(node)
        if out != node:
            used.append(Rewrite("exp-sigma", node, out))
            node = out
    if isinstance(node, Mul):
        out = _diag_times_vector(node, used)
        if out != node:
            used.append(Rewrite("diag-product", node, out))
        return out
    return node


def _identity(node: Expr) -> tuple[Expr, str]:
    """The node rewritten by the first identity that applies to it, and that identity's name ('' for none)."""
    if isinstance(node, Apply) and node.order == 0:
        inner = node.arg.arg if isinstance(node.arg, Named) else node.arg  # log(p) with p = softmax(v)
        if node.fn == "log" and isinstance(inner, Reduce) and inner.op == "det":
            return alg.reduce_("logdet", inner.arg), "log-det"
        if node.fn == "log" and isinstance(inner, Softmax):
            return alg.sub(inner.arg, alg.mul(alg.reduce_("logsumexp", inner.arg), Ones(inner.shape))), "log-softmax"
        if isinstance(inner, Apply) and inner.order == 0 and {node.fn, inner.fn} == {"log", "exp"}:
            return inner.arg, "log-exp" if node.fn == "log" else "exp-log"
        if node.fn == "log" and (u := _one_plus_exp(inner)) is not None:
            return alg.apply("softplus", u), "softplus"
        if node.fn == "log1p" and isinstance(inner, Apply) and inner.fn == "exp" and inner.order == 0:
            return alg.apply("softplus", inner.arg), "softplus"  # log1p(eᵘ) = log(1 + eᵘ)
    if isinstance(node, Power) and node.exponent == -1 and (u := _one_plus_exp(node.arg)) is not None:
        return alg.apply("sigma", alg.neg(u)), "sigma"
    return node, ""


def _one_plus_exp(e: Expr) -> Expr | None:
    """u when e is 1 + e^u (a number 1 or the ones matrix, plus exp(u)), else None."""
    if not (isinstance(e, Add) and len(e.terms) == 2):
        return None
    ones = [t for t in e.terms if t == alg.ONE or isinstance(t, Ones)]
    exps = [t for t in e.terms if isinstance(t, Apply) and t.fn == "exp" and t.order == 0]
    return exps[0].arg if ones and exps else None


def _exp_times_sigma(node: Mul | Hadamard) -> Expr:
    """e^u σ(−u) = e^u/(1 + e^u) = σ(u), in products and element-wise products."""
    factors = list(node.factors)
    for i, f in enumerate(factors):
        if not (isinstance(f, Apply) and f.fn == "exp" and f.order == 0):
            continue
        partner = alg.apply("sigma", alg.neg(f.arg))
        if partner in factors:
            factors[i] = alg.apply("sigma", f.arg)
            factors.remove(partner)
            return (alg.mul if isinstance(node, Mul) else alg.hadamard)(*factors)
    return node


def _diag_times_vector(node: Mul, used: list[Rewrite]) -> Expr:
    """diag(v) u = v ∘ u and wᵀ diag(v) = wᵀ ∘ vᵀ, so vector rules never meet the matrix diag(v)."""
    chain, scalars = node.chain, [f for f in node.factors if f.is_scalar]
    # A product's shape is read off the ends of its chain: building it for every diag(v) would make
    # a long chain quadratic.
    for i, f in enumerate(chain):
        if not isinstance(f, Diag):
            continue
        left, right = chain[:i], chain[i + 1:]
        if right and right[-1].cols == 1 and right[0].rows != 1:  # the rest is a column
            return _normalize(alg.mul(*scalars, *left, alg.hadamard(f.arg, alg.mul(*right))), used)
        if left and left[0].rows == 1 and left[-1].cols != 1:  # what comes before is a row
            return _normalize(alg.mul(*scalars, alg.hadamard(alg.mul(*left), alg.transpose(f.arg)), *right), used)
    return node


def tidy(expr: Expr, keep: frozenset[Expr] = frozenset()) -> Expr:
    """Textbook form: factored sums, σ′/σ = 1 − σ, and (AB)⁻¹ = B⁻¹A⁻¹ where that cancels something.

    Sums in `keep` (those the author wrote, such as A + XᵀCX) are left as written.
    """
    out = _tidy(expr, keep)
    split = _tidy(_split_inverses(out), keep)
    return _data_first(split if _size(split) < _size(out) else out)


def _data_first(e: Expr) -> Expr:
    """Element-wise products with the data before the functions of it: t ⊙ σ(−t ⊙ Xw), W₂ᵀδ ⊙ σ′(z)."""
    if not e.args:
        return e
    args = tuple(_data_first(a) for a in e.args)
    if isinstance(e, Hadamard):
        args = tuple(sorted(args, key=_applies))  # stable: data keeps its order, functions keep theirs
    return e if args == e.args else e.with_args(args)


def _tidy(expr: Expr, keep: frozenset[Expr]) -> Expr:
    """Bottom-up: rebuild through the smart constructors, factor sums, put positive terms first."""
    if not expr.args or expr in keep:
        return expr
    children = tuple(_tidy(a, keep) for a in expr.args)
    node = expr if children == expr.args else _rebuild(expr, children)
    if isinstance(node, (Mul, Hadamard)):
        node = _softmax(node) if isinstance(node, Mul) else node
        return _sigma_identities(node) if isinstance(node, (Mul, Hadamard)) else node
    return _factor(node) if isinstance(node, Add) and node not in keep else node


def _size(e: Expr) -> int:
    return sum(1 for _ in e.walk())


def _applies(e: Expr) -> bool:
    """Whether an element-wise function is applied anywhere in e (σ(z), sin x + cos x): not plain data."""
    return any(isinstance(n, Apply) for n in e.walk())


def _split_inverses(e: Expr) -> Expr:
    """(A X B)⁻¹ → B⁻¹ X⁻¹ A⁻¹ for square factors, so that neighbours can cancel."""
    if not e.args:
        return e
    children = tuple(_split_inverses(a) for a in e.args)
    node = e if children == e.args else _rebuild(e, children)
    if not isinstance(node, Inverse):
        return node
    flipped = isinstance(node.arg, Transpose)
    inner = node.arg.arg if flipped else node.arg
    if not isinstance(inner, Mul) or len(inner.chain) < 2 or any(f.rows != f.cols for f in inner.chain):
        return node
    split = alg.mul(*(alg.power(f, -1) for f in inner.factors if f.is_scalar),
                    *(alg.inverse(f) for f in reversed(inner.chain)))
    return alg.transpose(split) if flipped else split


def _softmax(node: Mul) -> Expr:
    """exp(v) / sum(exp(v)) = softmax(v) for a vector v: the gradient of logsumexp as courses write it."""
    for f in node.factors:
        if isinstance(f, Power) and f.exponent == -1 and isinstance(f.arg, Reduce) and f.arg.op == "sum":
            e = f.arg.arg
            if isinstance(e, Apply) and e.fn == "exp" and e.order == 0 and e.arg.is_column and e in node.factors:
                return alg.mul(*(alg.softmax(e.arg) if g == e else g for g in node.factors if g is not f))
    return node


def _sigma_identities(node: Expr) -> Expr:
    """σ′(u)/σ(u) = 1 − σ(u) and σ′(u)/(1 − σ(u)) = σ(u), in products and element-wise products."""
    factors = list(node.factors)
    for i, f in enumerate(factors):
        if not (isinstance(f, Apply) and f.fn == "sigma" and f.order == 1):
            continue
        s = alg.apply("sigma", f.arg)
        one_minus = alg.sub(alg.ONE, s)
        for j, g in enumerate(factors):
            if isinstance(g, Power) and g.exponent == -1 and g.arg in (s, one_minus):
                factors[i] = one_minus if g.arg == s else s
                del factors[j]
                built = (alg.mul if isinstance(node, Mul) else alg.hadamard)(*factors)
                return _sigma_identities(built) if isinstance(built, (Mul, Hadamard)) else built
    return node


def _rebuild(expr: Expr, children: tuple[Expr, ...]) -> Expr:
    if isinstance(expr, Add):
        return alg.add(*children)
    if isinstance(expr, Mul):
        return alg.mul(*children)
    return expr.with_args(children)


def _split(term: Expr) -> tuple[tuple[Expr, ...], tuple[Expr, ...]]:
    """(scalar factors with the number, chain) of a term; a lone matrix is its own chain."""
    if isinstance(term, Mul) and not (term.is_scalar and term.chain):
        return tuple(f for f in term.factors if f.is_scalar), term.chain
    return ((term,), ()) if term.is_scalar else ((), (term,))  # a 1×1 product aᵀx is one scalar


def _factor(node: Add) -> Expr:
    """Textbook form of a sum: multiplied out where that is shorter, then common factors pulled out."""
    expanded = _expand(node)
    if _size(expanded) < _size(node):  # −y(1 − σ) + (1 − y)σ = σ − y
        return _factor(expanded) if isinstance(expanded, Add) else expanded
    merged = _merge_diags(node.terms) or _common_kron(node.terms) or _common_hadamard(node.terms)
    if merged is not None:
        return merged
    terms = _positive_first(node.terms)
    number = _common_number(terms)
    if number != 1:  # −A − Aᵀ = −(A + Aᵀ), 2B − 2C = 2(B − C)
        return alg.mul(alg.const(number), _tidy_sum(alg.add(*(alg.mul(alg.const(1 / number), t) for t in terms))))
    common = _common_scalars(terms)
    if common:
        rest = alg.add(*(_divide(t, common) for t in terms))
        return alg.mul(*common, _tidy_sum(rest))
    for side in (-1, 0):
        factored = _common_end(terms, side)
        if factored is not None:
            return factored
    return Add(tuple(terms))


def _tidy_sum(e: Expr) -> Expr:
    return _factor(e) if isinstance(e, Add) else e


def _common_number(terms: list[Expr]) -> Fraction:
    """−1 when every term is negative; c when every term carries ±c."""
    coeffs = [alg.split_coeff(t)[0] for t in terms]
    sign = -1 if all(c < 0 for c in coeffs) else 1
    size = abs(coeffs[0]) if len({abs(c) for c in coeffs}) == 1 else Fraction(1)
    return sign * size


def _common_end(terms: list[Expr], side: int) -> Expr | None:
    """A chain factor that several terms end (side −1) or start (side 0) with: (A + Aᵀ)x, (σ − y)x."""
    def usable(t: Expr) -> bool:
        scalars, chain = _split(t)
        return len(chain) >= 2 or (len(chain) == 1 and any(not isinstance(f, Const) for f in scalars))
    # Terms are grouped by the factor and by what is left, so that matrices over different
    # scalars stay term by term (Cookbook 95) while (A + Aᵀ)x/(xᵀx) still forms.
    groups: dict[tuple[Expr, tuple], list[Expr]] = {}
    for t in filter(usable, terms):
        groups.setdefault((_split(t)[1][side], _kind(_drop_end(t, side))), []).append(t)
    for (f, _), group in groups.items():
        if len(group) < 2:
            continue
        rests = [_drop_end(t, side) for t in group]
        inner = _tidy_sum(alg.add(*rests))
        factored = alg.mul(inner, f) if side == -1 else alg.mul(f, inner)
        others = [t for t in terms if t not in group]
        return Add(tuple(_positive_first((factored, *others)))) if others else factored
    return None


def _kind(e: Expr) -> tuple[bool, frozenset[Expr]]:
    """What is left of a term once a factor is pulled out: a matrix or not, and its scalar denominators."""
    scalars, chain = _split(e)
    return bool(chain), frozenset(f for f in scalars if isinstance(f, Power) and f.exponent < 0)


def _positive_first(terms: tuple[Expr, ...] | list[Expr]) -> list[Expr]:
    """Positive terms first, lone symbols last, then fewer transposes, then those led by a scalar:
    (A + Aᵀ)x + b, v ∂u/∂x + ∂v/∂x uᵀ."""
    lone = [_is_lone(t) for t in terms]

    def key(t: Expr) -> tuple[bool, bool, int, bool]:
        scalars, chain = _split(t)
        led = any(not isinstance(f, Const) for f in scalars) and bool(chain)
        return alg.split_coeff(t)[0] < 0, _is_lone(t) and not all(lone), alg.transposes(t), not led
    return sorted(terms, key=key)


def _is_lone(t: Expr) -> bool:
    body = alg.split_coeff(t)[1]
    return isinstance(body, (Sym, Named)) or isinstance(body, Transpose) and isinstance(body.arg, (Sym, Named))


def _expand(e: Expr) -> Expr:
    """Scalar and element-wise products multiplied out over sums (matrix products are left alone)."""
    if isinstance(e, Add):
        return alg.add(*(_expand(t) for t in e.terms))
    if isinstance(e, Mul) and len(e.factors) == 2 and isinstance(e.factors[0], Const):
        inner = _expand(e.factors[1])
        terms = inner.terms if isinstance(inner, Add) else (inner,)
        return alg.add(*(alg.mul(e.factors[0], t) for t in terms))
    elementwise = isinstance(e, Hadamard) or (isinstance(e, Mul) and not e.chain)
    if not elementwise:
        return e
    factors = list(e.factors)
    for i, f in enumerate(factors):
        if isinstance(f, Add):
            build = alg.mul if isinstance(e, Mul) else alg.hadamard
            return alg.add(*(_expand(build(*factors[:i], t, *factors[i + 1:])) for t in f.terms))
    return e


def _merge_diags(terms: tuple[Expr, ...]) -> Expr | None:
    """c diag(u) + d diag(v) = diag(c u + d v)."""
    diags = [t for t in terms if isinstance(alg.split_coeff(t)[1], Diag)]
    if len(diags) < 2:
        return None
    inner = alg.add(*(alg.mul(alg.const(c), body.arg) for c, body in map(alg.split_coeff, diags)))
    merged = alg.diag(_factor(inner) if isinstance(inner, Add) else inner)
    others = [t for t in terms if t not in diags]
    return _factor(alg.add(merged, *others)) if others and isinstance(alg.add(merged, *others), Add) \
        else alg.add(merged, *others)


def _common_kron(terms: tuple[Expr, ...]) -> Expr | None:
    """c A ⊗ B + d A ⊗ C = A ⊗ (c B + d C), and likewise for a shared last factor: the vec Hessian
    x xᵀ ⊗ diag(u) − x xᵀ ⊗ diag(v) reads x xᵀ ⊗ diag(u − v)."""
    split = enumerate(map(alg.split_coeff, terms))
    parts = {i: (c, body.factors) for i, (c, body) in split if isinstance(body, Kron)}
    for side in (0, -1):
        groups: dict[tuple[Expr, int], list[int]] = {}
        for i, (_, fs) in parts.items():
            groups.setdefault((fs[side], len(fs)), []).append(i)
        for (shared, _), group in groups.items():
            if len(group) < 2:
                continue
            rests = [alg.mul(alg.const(parts[i][0]), kr.kron(*_drop(parts[i][1], side))) for i in group]
            inner = _tidy_sum(alg.add(*rests))
            merged = kr.kron(shared, inner) if side == 0 else kr.kron(inner, shared)
            return _tidy_sum(alg.add(merged, *(t for i, t in enumerate(terms) if i not in group)))
    return None


def _drop(factors: tuple[Expr, ...], side: int) -> tuple[Expr, ...]:
    return factors[1:] if side == 0 else factors[:-1]


def _common_hadamard(terms: tuple[Expr, ...]) -> Expr | None:
    """u ∘ v + u ∘ w = u ∘ (v + w), for element-wise products of vectors and matrices."""
    if terms[0].is_scalar:
        return None
    parts = []
    for t in terms:
        c, body = alg.split_coeff(t)
        parts.append((c, body.factors if isinstance(body, Hadamard) else (body,)))
    if all(len(fs) < 2 for _, fs in parts):
        return None
    shared = [f for f in parts[0][1] if all(f in fs for _, fs in parts[1:])]
    if not shared:
        return None
    f = shared[0]
    rests = [alg.mul(alg.const(c), alg.hadamard(*_without_one(fs, f))) for c, fs in parts]
    inner = alg.add(*rests)
    return alg.hadamard(f, _factor(inner) if isinstance(inner, Add) else inner)


def _without_one(factors: tuple[Expr, ...], f: Expr) -> tuple[Expr, ...]:
    i = factors.index(f)
    rest = factors[:i] + factors[i + 1:]
    return rest or (Ones(f.shape),)


def _common_scalars(terms: list[Expr]) -> list[Expr]:
    """Non-numeric scalar factors that every term carries (1/(xᵀx) in a quotient's gradient)."""
    sets = [set(f for f in _split(t)[0] if not isinstance(f, Const)) for t in terms]
    shared = set.intersection(*sets) if sets else set()
    return sorted(shared, key=to_text) if all(_split(t)[1] for t in terms) else []


def _divide(term: Expr, common: list[Expr]) -> Expr:
    scalars, chain = _split(term)
    return alg.mul(*(s for s in scalars if s not in common), *chain)


def _drop_end(term: Expr, side: int) -> Expr:
    scalars, chain = _split(term)
    return alg.mul(*scalars, *(chain[:-1] if side == -1 else chain[1:]))
