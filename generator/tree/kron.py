"""Smart constructors for Kronecker products, vec and the commutation matrix, and the identities between them.

They keep the canonical form of tree/algebra.py and add the Kronecker identities of Magnus and
Neudecker that the vec engine's results need to read as in a textbook: s ⊗ A = sA, I_m ⊗ I_n =
I_{mn}, a column and a row multiply (a ⊗ bᵀ = a bᵀ), bᵀ ⊗ vec(C) aᵀ = vec(C) vec(a bᵀ)ᵀ,
(A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ, (A ⊗ B)⁻¹ = A⁻¹ ⊗ B⁻¹, K_{m,1} = I, the mixed product (A ⊗ B)(C ⊗ D) = AC ⊗ BD
and (C ⊗ A) vec(B) = vec(A B Cᵀ).
"""
from __future__ import annotations

from . import algebra as alg
from .dims import Dim, dim_mul
from .nodes import Add, Commutation, Expr, Identity, Inverse, Kron, Mul, Ones, Transpose, Vec, Zero


def eye(n: Dim) -> Expr:
    """I_n, or the number 1 when n is 1 (a 1×1 identity is a scalar)."""
    return alg.ONE if n == 1 else Identity(n)


def kron(*factors: Expr) -> Expr:
    """A ⊗ B ⊗ …, flattened; scalar factors come out as a product, identities merge, a column and a row multiply."""
    flat = [g for f in factors for g in (f.factors if isinstance(f, Kron) else (f,))]
    flat = [g for f in flat for g in _scalars_apart(f)]
    scalars = [f for f in flat if f.is_scalar]
    mats = [f for f in flat if not f.is_scalar]
    shape = (dim_mul(*(f.rows for f in flat)), dim_mul(*(f.cols for f in flat)))
    if any(alg.is_zero(f) for f in flat):
        return alg.zero(shape)
    merged: list[Expr] = []
    for f in mats:
        joined = _join(merged[-1], f) if merged else None
        if joined is None:
            merged.append(f)
        else:
            merged[-1] = joined
    if not merged:
        return alg.mul(*scalars)
    body = merged[0] if len(merged) == 1 else _outer(*merged) if len(merged) == 2 else None
    return alg.mul(*scalars, body or Kron(tuple(merged)))


def _outer(a: Expr, b: Expr) -> Expr | None:
    """a ⊗ b as an outer product of vecs, when one factor is a vec times a row and the other a row:
    bᵀ ⊗ vec(C) aᵀ = vec(C) (bᵀ ⊗ aᵀ) = vec(C) vec(a bᵀ)ᵀ (and the transpose, for columns)."""
    for side, wanted in ((-1, True), (0, False)):
        (la, ea), (lb, eb) = _ends(a, side), _ends(b, side)
        if ea is None or eb is None or (la is None) == (lb is None):
            continue
        lead = la if lb is None else lb
        if wanted and isinstance(_body(lead), Vec):  # x ⊗ y = (Lx ⊗ Ly)(rx ⊗ ry), rx ⊗ ry = vec(ryᵀ rx)ᵀ
            return alg.mul(lead, alg.transpose(vec(alg.mul(alg.transpose(eb), ea))))
        if not wanted and isinstance(_body(lead), Transpose) and isinstance(_body(lead).arg, Vec):
            return alg.mul(vec(alg.mul(eb, alg.transpose(ea))), lead)
    return None


def _ends(e: Expr, side: int) -> tuple[Expr | None, Expr | None]:
    """(the rest, the end) of a product whose end on `side` is a row (−1) or a column (0); (None, e) for a
    lone row or column; (None, None) otherwise."""
    vector = (lambda f: f.is_row) if side == -1 else (lambda f: f.is_column)
    if isinstance(e, Mul) and len(e.chain) >= 2 and vector(e.chain[side]):
        rest = e.chain[:-1] if side == -1 else e.chain[1:]
        return alg.mul(*(f for f in e.factors if f.is_scalar), *rest), e.chain[side]
    return (None, e) if vector(e) and not isinstance(e, Mul) else (None, None)


def _body(e: Expr) -> Expr:
    """A product's matrix part when it is one factor (2 vec(C) → vec(C))."""
    return e.chain[0] if isinstance(e, Mul) and len(e.chain) == 1 else e


def _scalars_apart(f: Expr) -> tuple[Expr, ...]:
    """A factor sA as (s, A), so that (sA) ⊗ B = s(A ⊗ B) brings the number out front."""
    if isinstance(f, Mul) and not f.is_scalar and len(f.chain) < len(f.factors):
        return (*(g for g in f.factors if g.is_scalar), alg.mul(*f.chain))
    return (f,)


def _join(a: Expr, b: Expr) -> Expr | None:
    """Two neighbouring Kronecker factors as one, when an identity says so."""
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(dim_mul(a.n, b.n))
    if isinstance(a, Ones) and isinstance(b, Ones):
        return Ones((dim_mul(a.rows, b.rows), dim_mul(a.cols, b.cols)))
    if a.is_column and b.is_row:  # a ⊗ bᵀ = a bᵀ
        return alg.mul(a, b)
    if a.is_row and b.is_column:  # aᵀ ⊗ b = b aᵀ
        return alg.mul(b, a)
    return None


def vec(e: Expr) -> Expr:
    """vec(A), the columns of A stacked; vec(x) = x for a column, the transpose for a row, scalars come out."""
    if e.is_scalar or e.is_column:
        return e
    if e.is_row:
        return alg.transpose(e)
    if isinstance(e, (Zero, Ones)):
        return type(e)((dim_mul(e.rows, e.cols), 1))
    if isinstance(e, Mul) and len(e.chain) < len(e.factors):
        return alg.mul(*(f for f in e.factors if f.is_scalar), vec(alg.mul(*e.chain)))
    return Vec(e)


def commutation(m: Dim, n: Dim) -> Expr:
    """K_{m,n}, which maps vec(A) to vec(Aᵀ) for an m×n matrix A; the identity when A is a vector."""
    if m == 1 or n == 1:
        return eye(dim_mul(m, n))
    return Commutation(m, n)


def transpose(e: Expr) -> Expr:
    """Aᵀ, pushed through Kronecker products ((A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ) and commutation matrices (K_{m,n}ᵀ = K_{n,m})."""
    if isinstance(e, Kron):
        return kron(*(transpose(f) for f in e.factors))
    if isinstance(e, Commutation):
        return commutation(e.n, e.m)
    if isinstance(e, Mul):
        scalars = [f for f in e.factors if f.is_scalar]
        return mul(*scalars, *(transpose(f) for f in reversed(e.chain)))
    if isinstance(e, Add) and any(_kronecker(t) for t in e.terms):
        return alg.add(*(transpose(t) for t in e.terms))  # (x ⊗ I + I ⊗ x)ᵀ = xᵀ ⊗ I + I ⊗ xᵀ
    return alg.transpose(e)


def _kronecker(e: Expr) -> bool:
    """Whether an expression holds a Kronecker product, a commutation matrix or a vec."""
    return any(isinstance(n, (Kron, Commutation, Vec)) for n in e.walk())


def inverse(e: Expr) -> Expr:
    """A⁻¹, pushed through Kronecker products ((A ⊗ B)⁻¹ = A⁻¹ ⊗ B⁻¹) when every factor is square."""
    if isinstance(e, Kron) and all(f.rows == f.cols for f in e.factors):
        return kron(*(inverse(f) for f in e.factors))
    if isinstance(e, Commutation):
        return commutation(e.n, e.m)
    return alg.inverse(e)


def mul(*factors: Expr) -> Expr:
    """The product, with the mixed-product rule (A ⊗ B)(C ⊗ D) = AC ⊗ BD and K_{n,m} K_{m,n} = I applied."""
    product = alg.mul(*factors)
    if not isinstance(product, Mul):
        return product
    chain = list(product.chain)
    k = 0
    while k + 1 < len(chain):
        merged = _mixed(chain[k], chain[k + 1])
        if merged is None:
            k += 1
            continue
        chain[k:k + 2] = [merged]
        k = max(k - 1, 0)
    if len(chain) == len(product.chain):
        return product
    return alg.mul(*(f for f in product.factors if f.is_scalar), *chain)


def _mixed(a: Expr, b: Expr) -> Expr | None:
    """One factor for two neighbours of a product, when a Kronecker identity joins them."""
    if isinstance(a, Commutation) and isinstance(b, Commutation) and (a.m, a.n) == (b.n, b.m):
        return Identity(a.rows)
    for kron_side, other, join in ((a, b, lambda t: mul(a, t)), (b, a, lambda t: mul(t, b))):
        # (A ⊗ B)(C ⊗ D + E ⊗ F): multiplied out when every term then joins by the mixed product
        if _kron_factors(kron_side) is not None and isinstance(other, Add) and all(
                _kron_factors(alg.split_coeff(t)[1]) is not None for t in other.terms):
            terms = [join(t) for t in other.terms]
            if all(not _has_kron_pair(t) for t in terms):
                return alg.add(*terms)
    swapped = _swap(a, b) or _absorb(a, b) or _vec_product(a, b)
    if swapped is not None:
        return swapped
    left, right = _kron_factors(a), _kron_factors(b)
    if left is None or right is None or len(left) != len(right) or len(left) < 2:
        return None
    if any(x.cols != y.rows for x, y in zip(left, right)):
        return None
    return kron(*(mul(x, y) for x, y in zip(left, right)))


def _swap(a: Expr, b: Expr) -> Expr | None:
    """K_{p,m}(A ⊗ B)K_{n,q} = B ⊗ A for A m×n and B p×q, used where the other commutation matrix is I:
    (aᵀ ⊗ I)K = I ⊗ aᵀ, K(a ⊗ I) = I ⊗ a."""
    if isinstance(a, Kron) and len(a.factors) == 2 and isinstance(b, Commutation):
        x, y = a.factors
        if (b.m, b.n) == (x.cols, y.cols) and 1 in (x.rows, y.rows):
            return kron(y, x)
    if isinstance(b, Kron) and len(b.factors) == 2 and isinstance(a, Commutation):
        x, y = b.factors
        if (a.m, a.n) == (y.rows, x.rows) and 1 in (x.cols, y.cols):
            return kron(y, x)
    return None


def _absorb(a: Expr, b: Expr) -> Expr | None:
    """A matrix beside a Kronecker product with a vector factor joins the other factor: (x ⊗ B) M = x ⊗ BM and
    (B ⊗ x) M = BM ⊗ x for a column x (M (xᵀ ⊗ B) = xᵀ ⊗ MB for a row), the mixed product with 1 ⊗ M."""
    if isinstance(a, Kron) and len(a.factors) == 2 and _kron_factors(b) is None and not b.is_scalar:
        x, y = a.factors
        if x.cols == 1 and y.cols == b.rows:
            return kron(x, mul(y, b))
        if y.cols == 1 and x.cols == b.rows:
            return kron(mul(x, b), y)
    if isinstance(b, Kron) and len(b.factors) == 2 and _kron_factors(a) is None and not a.is_scalar:
        x, y = b.factors
        if x.rows == 1 and a.cols == y.rows:
            return kron(x, mul(a, y))
        if y.rows == 1 and a.cols == x.rows:
            return kron(mul(a, x), y)
    return None


def _vec_product(a: Expr, b: Expr) -> Expr | None:
    """(C ⊗ A) vec(B) = vec(A B Cᵀ) and vec(B)ᵀ(C ⊗ A) = vec(Aᵀ B C)ᵀ, the identity the vec engine is built on."""
    if isinstance(a, Kron) and len(a.factors) == 2 and isinstance(b, Vec):
        (c, m), inner = a.factors, b.arg
        if (inner.rows, inner.cols) == (m.cols, c.cols):
            return vec(mul(m, inner, transpose(c)))
    if isinstance(b, Kron) and len(b.factors) == 2 and isinstance(a, Transpose) and isinstance(a.arg, Vec):
        (c, m), inner = b.factors, a.arg.arg
        if (inner.rows, inner.cols) == (m.rows, c.rows):
            return transpose(vec(mul(transpose(m), inner, c)))
    return None


def _has_kron_pair(e: Expr) -> bool:
    """Whether a term is still a product with two Kronecker products side by side (the mixed product failed)."""
    _, body = alg.split_coeff(e)
    chain = body.chain if isinstance(body, Mul) else (body,)
    return any(_kron_factors(x) is not None and _kron_factors(y) is not None for x, y in zip(chain, chain[1:]))


def _kron_factors(e: Expr) -> tuple[Expr, ...] | None:
    """The factors of a Kronecker product, also of an inverse or a transpose of one; None for anything else."""
    if isinstance(e, Kron):
        return e.factors
    if isinstance(e, (Inverse, Transpose)) and isinstance(e.arg, Kron):
        pushed = inverse(e.arg) if isinstance(e, Inverse) else transpose(e.arg)
        return pushed.factors if isinstance(pushed, Kron) else None
    return None
