"""Seeded variants of a problem: the space its [variation] table allows, enumerated and sampled without replacement."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping

from ..errors import GeneratorError
from ..ops import OPS
from ..parse.builder import parse
from ..parse.problem_file import Problem
from ..pipeline import rename
from ..pipeline.derivation import Derivation
from ..pipeline.run import derive
from ..tree.scope import Scope, Statement
from ..tree.nodes import (
    Add, Apply, Const, Diag, DiagPart, Dim, Expr, Hadamard, Identity, Inverse, Mul, Named, Ones, Power, Reduce,
    Shape, Sym, Transpose, Zero,
)
from ..tree.text import statement_text
from .data import Choice, Fraction2D, Variant, Variation
from .variation import declared_dims, variation_from

NUMERIC_SIZES = (2, 3, 4, 5)  # sizes a symbolic dimension takes in a numeric exercise
MAX_CHOICES = 100_000  # per axis (names, dims, functions): a pool product beyond this is a typo, not a plan
FILL_STEPS = ("index", "differentiate", "reduce", "chain")  # the proof steps a student may be asked to fill


def variant_seed(problem: str, seed: int, number: int) -> int:
    """The seed of variant `number`: sha256 of the three, 48 bits so JSON readers keep every digit."""
    digest = hashlib.sha256(f"mcgen variant\0{problem}\0{seed}\0{number}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def draw(seed: int, *parts: int) -> int:
    """A 64-bit number from sha256 of the seed and parts: stable across Python and numpy versions."""
    data = b"".join(p.to_bytes(16, "big", signed=True) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def permute(index: int, size: int, key: int) -> int:
    """A keyed permutation of range(size) (a Feistel network, cycle-walked): sampling without replacement."""
    half = 1
    while 4 ** half < size:
        half += 1
    mask = (1 << half) - 1
    x = index
    while True:
        left, right = x >> half, x & mask
        for rnd in range(4):
            left, right = right, left ^ (draw(key, rnd, right) & mask)
        x = (left << half) | right
        if x < size:
            return x


# ---------------------------------------------------------------- the space of variants

@dataclass(frozen=True)
class Block:
    """The choices that share a structure, a function choice and a kind; names × dims × layouts vary inside."""

    structure: int
    functions: tuple[tuple[str, str], ...]
    kind: str
    dims: tuple[tuple[tuple[str, Dim], ...], ...]


class Space:
    """Every distinct variant a problem allows, in a fixed order: blocks of (structure, functions, kind),
    inside each names × sizes × layouts; `choice(kind, k)` is the k-th variant of a kind."""

    def __init__(self, problem: Problem, variation: Variation | None = None):
        self.problem = problem
        self.variation = variation or variation_from(problem)
        self.where = f"{problem.source}: variation"
        scope = Scope.build(problem.shapes, problem.assume, problem.functions)
        self.statements = tuple(parse(text, scope, f"{self.where}.structures[{k}]")
                                for k, text in enumerate(self.variation.structures))
        self.probes: dict[tuple[int, tuple[tuple[str, str], ...]], Derivation] = {}
        self.names = _distinct(self.variation.names, f"{self.where}.names", "names")
        dims = _distinct(self.variation.dims, f"{self.where}.dims", "values")
        self.blocks = tuple(self._blocks(dims))
        self.size = sum(len(self.names) * len(b.dims) * len(self.variation.layouts) for b in self.blocks)
        if not self.size:
            raise GeneratorError(f"{self.where}.kinds: no variant fits: numeric needs a derivative that is "
                                 "rational at integer data, fill-step a proof with index or chain steps, slice a "
                                 "tensor (a vector or matrix by a matrix, a matrix by a vector)")

    def _blocks(self, dims: list[tuple[tuple[str, Dim], ...]]) -> Iterable[Block]:
        numeric = tuple(dict.fromkeys(concrete(d) for d in dims))  # numeric exercises need numbers
        fn_pools = self.variation.functions
        for s in range(len(self.statements)):
            for fns in itertools.product(*(pool for _, pool in fn_pools)):
                functions = tuple(zip((key for key, _ in fn_pools), fns))
                for kind in self.variation.kinds:
                    if self.offers(s, functions, kind):
                        yield Block(s, functions, kind, numeric if kind == "numeric" else tuple(dims))

    def offers(self, structure: int, functions: tuple[tuple[str, str], ...], kind: str) -> bool:
        """Whether a kind of exercise suits the structure with these functions (decided on one derivation)."""
        if kind in ("closed-form", "shape"):
            return True
        d = self.probe(structure, functions)
        if kind == "numeric":
            return is_rational(d.closed_form)
        if kind == "slice":  # ∂y_k/∂X or ∂Y/∂X_ij: only a tensor by a vector or a matrix has slices
            return d.tensor and not d.wrt.is_scalar
        return any(step.kind in FILL_STEPS for step in d.steps)

    def probe(self, structure: int, functions: tuple[tuple[str, str], ...]) -> Derivation:
        """The derivation of a structure, with these functions and the problem's own names and sizes."""
        key = (structure, functions)
        if key not in self.probes:
            p, where = self.problem, f"{self.where}.structures[{structure}]"
            text = renamed_text(self.statements[structure], {}, {}, dict(functions))
            try:
                self.probes[key] = derive(text, p.wrt, p.shapes, p.layout, p.assume, p.functions,
                                          hessian=p.hessian, source=where)
            except GeneratorError as err:
                message = str(err)
                raise GeneratorError(message if message.startswith(where) else f"{where}: {message}") from None
        return self.probes[key]

    def kind_size(self, kind: str) -> int:
        """How many distinct variants of one kind the space holds."""
        return sum(len(self.names) * len(b.dims) * len(self.variation.layouts) for b in self.blocks if b.kind == kind)

    def choice(self, kind: str, index: int) -> Choice:
        """The index-th variant of one kind, 0 ≤ index < kind_size(kind)."""
        layouts = self.variation.layouts
        for block in (b for b in self.blocks if b.kind == kind):
            count = len(self.names) * len(block.dims) * len(layouts)
            if index < count:
                rest, layout = divmod(index, len(layouts))
                name, dim = divmod(rest, len(block.dims))
                return Choice(self.names[name], block.dims[dim], block.functions, block.structure,
                              layouts[layout], block.kind)
            index -= count
        raise IndexError("choice index out of range")


def _distinct(pools: tuple[tuple[str, tuple[Any, ...]], ...], where: str, what: str) -> list[tuple[tuple[str, Any], ...]]:
    """Every combination of the pools whose values are pairwise different, in product order."""
    keys = [k for k, _ in pools]
    total = 1
    for _, pool in pools:
        total *= len(pool)
    if total > MAX_CHOICES:
        raise GeneratorError(f"{where}: {total} combinations; keep the pools under {MAX_CHOICES} in all")
    out = [tuple(zip(keys, values)) for values in itertools.product(*(p for _, p in pools))
           if len(set(values)) == len(values)]
    if not out:
        raise GeneratorError(f"{where}: no choice gives {', '.join(keys)} different {what}")
    return out


def concrete(dims: tuple[tuple[str, Dim], ...]) -> tuple[tuple[str, Dim], ...]:
    """The sizes a numeric exercise uses: given sizes kept, each name replaced by the smallest free size."""
    used = {v for _, v in dims if isinstance(v, int)}
    out = []
    for d, v in dims:
        if isinstance(v, str):
            v = next(n for n in itertools.count(NUMERIC_SIZES[0]) if n not in used)
            used.add(v)
        out.append((d, v))
    return tuple(out)


def is_rational(e: Expr) -> bool:
    """Whether the closed form is rational at rational data: sums, products, transposes, inverses, integer
    powers, tr, det, sum and diag; no element-wise or abstract functions, norms, logs or softmax."""
    plain = (Sym, Const, Identity, Zero, Ones, Add, Mul, Transpose, Inverse, Hadamard, Diag, DiagPart, Named)
    for node in e.walk():
        if isinstance(node, Power) and node.exponent.denominator == 1:
            continue
        if isinstance(node, Reduce) and OPS.reductions[node.op].exact is not None:
            continue
        if not isinstance(node, plain):
            return False
    return True


# ---------------------------------------------------------------- renaming through the tree

def swap_functions(e: Expr, functions: Mapping[str, str]) -> Expr:
    """The tree with element-wise functions swapped (sigma → tanh), nodes rebuilt raw."""
    if not functions or not e.args:
        return e
    node = e.with_args(tuple(swap_functions(a, functions) for a in e.args))
    return dataclasses.replace(node, fn=functions.get(node.fn, node.fn)) if isinstance(node, Apply) else node


def renamed_text(st: Statement, names: Mapping[str, str], dims: Mapping[str, Dim],
                 functions: Mapping[str, str]) -> str:
    """A statement in the expression language after renaming symbols, sizes and functions in its tree."""
    swapped = Statement(swap_functions(st.expr, functions), st.output,
                        tuple((n, swap_functions(e, functions)) for n, e in st.definitions), st.text)
    return statement_text(rename.statement(swapped, rename.Renaming(names, dims)))


def _key(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("\0".join(map(str, ("mcgen sheet", *parts))).encode()).digest()[:8], "big")


def schedule(space: Space, seed: int, count: int) -> list[Choice]:
    """The choices of variants 1…count: kinds take turns (so a sheet mixes them evenly), a kind whose
    variants are used up gives its turn to the next, and inside a kind a keyed permutation samples
    without replacement. Variant k depends on the problem, the seed and k only, never on count."""
    kinds = [k for k in space.variation.kinds if space.kind_size(k)]
    shift = _key(space.problem.name, seed) % len(kinds)
    kinds = kinds[shift:] + kinds[:shift]
    sizes = {k: space.kind_size(k) for k in kinds}
    used = dict.fromkeys(kinds, 0)
    out, turn = [], 0
    for _ in range(count):
        if all(used[k] >= sizes[k] for k in kinds):
            used = dict.fromkeys(kinds, 0)  # every variant has been given once: start again (they repeat)
        while used[kinds[turn % len(kinds)]] >= sizes[kinds[turn % len(kinds)]]:
            turn += 1
        kind = kinds[turn % len(kinds)]
        out.append(space.choice(kind, permute(used[kind], sizes[kind], _key(space.problem.name, seed, kind))))
        used[kind] += 1
        turn += 1
    return out


def variant(space: Space, seed: int, number: int, choice: Choice) -> Variant:
    """Variant `number` (1, 2, …) of the problem made from its choice (see `schedule`)."""
    p = space.problem
    names, dims, fns = dict(choice.names), dict(choice.dims), dict(choice.functions)
    if choice.kind == "numeric":
        dims = dict(concrete(tuple((d, dims.get(d, d)) for d in sorted(declared_dims(p)))))

    def shape(s: Shape) -> Shape:
        return tuple(dims.get(d, d) if isinstance(d, str) else d for d in s)  # type: ignore[return-value]

    functions = {n: dataclasses.replace(f, shape=shape(f.shape) if f.shape else None) for n, f in p.functions.items()}
    statement = space.statements[choice.structure]
    used = {e.name for e in statement.expr.walk() if isinstance(e, Sym)}  # a structure may leave one out
    return Variant(
        id=f"{p.name}-{number}", problem=p.name, number=number, seed=variant_seed(p.name, seed, number),
        kind=choice.kind, title=p.title,
        expr=renamed_text(statement, names, dims, fns),
        wrt=names.get(p.wrt, p.wrt),
        shapes={names.get(n, n): shape(s) for n, s in p.shapes.items() if n in used},
        layout="numerator" if p.hessian else choice.layout,
        assume={names.get(n, n): a for n, a in p.assume.items() if n in used},
        functions=functions, hessian=p.hessian, choice=choice, source=p.source)


def variants(problem: Problem, seed: int, count: int) -> tuple[tuple[Variant, ...], str | None]:
    """Variants 1…count of a problem, pairwise different while the space lasts; the note says when it does not."""
    space = Space(problem)
    note = None
    if count > space.size:
        note = f"{problem.source}: only {space.size} distinct variant{'s' * (space.size != 1)}; some repeat"
    choices = schedule(space, seed, count)
    return tuple(variant(space, seed, k, c) for k, c in enumerate(choices, 1)), note


def numeric_data(v: Variant, attempt: int) -> dict[str, Fraction2D]:
    """Small integer values for every symbol (seeded by the variant and the attempt), honouring assumptions."""
    out = {}
    for position, name in enumerate(sorted(v.shapes)):
        rows, cols = v.shapes[name]
        assert isinstance(rows, int) and isinstance(cols, int), "numeric variants have concrete sizes"

        def entry(r: int, c: int, low: int = -3, high: int = 3) -> int:
            return low + draw(v.seed, attempt, position, r, c) % (high - low + 1)

        kind = v.assume.get(name)
        if kind == "probability":
            weights = [entry(r, c, 1, 4) for r in range(rows) for c in range(cols)]
            flat = [Fraction(w, sum(weights)) for w in weights]
            grid = [flat[r * cols:(r + 1) * cols] for r in range(rows)]
        elif kind == "spd":
            b = [[entry(r, c, -2, 2) for c in range(cols)] for r in range(rows)]
            grid = [[Fraction(sum(b[r][k] * b[c][k] for k in range(cols)) + (r == c)) for c in range(cols)]
                    for r in range(rows)]
        elif kind == "symmetric":
            grid = [[Fraction(entry(min(r, c), max(r, c))) for c in range(cols)] for r in range(rows)]
        else:
            grid = [[Fraction(entry(r, c)) for c in range(cols)] for r in range(rows)]
        out[name] = tuple(tuple(row) for row in grid)
    return out
