"""Seeded variants of a problem: its [variation] table checked, the space enumerated, sampled without replacement."""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from . import problems as pf
from .errors import GeneratorError
from .expr import Apply, Call, Dim, Expr, Grad, Identity, Ones, Shape, Sym, Zero
from .model import KINDS, LAYOUTS, Choice, Derivation, FunctionSpec, Problem, Scope, Statement, Variant, Variation
from .parse import BUILTINS, ELEMENTWISE, parse

KEYS = ("names", "dims", "functions", "structures", "layouts", "kinds")
INDEX_LETTERS = ("i", "j", "k", "l")  # the proofs' index letters: never a symbol's or a dimension's name
NUMERIC_SIZES = (2, 3, 4, 5)  # sizes a symbolic dimension takes in a numeric exercise
MAX_CHOICES = 100_000  # per axis (names, dims, functions): a pool product beyond this is a typo, not a plan
FILL_STEPS = ("index", "differentiate", "reduce", "chain")  # the proof steps a student may be asked to fill
RATIONAL_REDUCTIONS = ("tr", "det", "sum")


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


# ---------------------------------------------------------------- the [variation] table

def _pools(value: Any, where: str, item: str) -> list[tuple[str, list[Any]]]:
    if not isinstance(value, Mapping):
        raise GeneratorError(f"{where}: expected a table such as {item}")
    out = []
    for key, pool in value.items():
        if isinstance(pool, (str, bytes)) or not isinstance(pool, Sequence) or not pool:
            raise GeneratorError(f"{where}.{key}: expected a non-empty list such as {item}")
        for k, entry in enumerate(pool):
            if entry in pool[:k]:
                raise GeneratorError(f"{where}.{key}[{k}]: {entry!r} is listed twice")
        out.append((key, list(pool)))
    return out


def _options(value: Any, allowed: Sequence[str], where: str) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise GeneratorError(f"{where}: expected a non-empty list of {', '.join(allowed)}")
    for k, entry in enumerate(value):
        if entry not in allowed:
            raise GeneratorError(f"{where}[{k}]: expected one of {', '.join(allowed)}, found {entry!r}")
        if entry in value[:k]:
            raise GeneratorError(f"{where}[{k}]: {entry!r} is listed twice")
    return tuple(value)


def _declared_dims(problem: Problem) -> set[str]:
    shapes = [*problem.shapes.values(), *(f.shape for f in problem.functions.values() if f.shape)]
    return {d for shape in shapes for d in shape if isinstance(d, str)}


def _clash(name: str, taken: Mapping[str, str]) -> str | None:
    if name in INDEX_LETTERS:
        return "an index letter of the proofs (i, j, k, l)"
    if name in BUILTINS or name == "I":
        return "a built-in name of the expression language"
    return taken.get(name)


def variation_from(problem: Problem) -> Variation:
    """The problem's [variation] table, checked; a mistake is a one-line error naming the file and the key."""
    where = f"{problem.source}: variation"
    table = problem.extra.get("variation", {})
    if not isinstance(table, Mapping):
        raise GeneratorError(f"{where}: expected a table ([variation])")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise GeneratorError(f"{where}.{unknown[0]}: unknown key; expected {', '.join(KEYS)}")
    raw = table.get("structures", [problem.expr])
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or not raw or not all(
            isinstance(s, str) and s.strip() for s in raw):
        raise GeneratorError(f'{where}.structures: expected a non-empty list of expressions such as ["y = a^T X b"]')
    structures = tuple(raw)
    statements = [_statement(problem, text, f"{where}.structures[{k}]") for k, text in enumerate(structures)]
    names = _pools(table.get("names", {}), f"{where}.names", 'W = ["W", "A", "B"]')
    dims = _pools(table.get("dims", {}), f"{where}.dims", 'n = ["n", "m", 3]')
    functions = _pools(table.get("functions", {}), f"{where}.functions", 'sigma = ["sigma", "tanh"]')
    dims = [(d, [pf.dim_from(v, f"{where}.dims.{d}[{k}]") for k, v in enumerate(pool)]) for d, pool in dims]
    _check_names(problem, statements, names, dims, where)
    _check_functions(problem, statements, functions, where)
    if problem.hessian and "layouts" in table:
        raise GeneratorError(f"{where}.layouts: a Hessian is always given in one layout; remove the key")
    layouts = _options(table.get("layouts", [problem.layout]), LAYOUTS, f"{where}.layouts")
    kinds = _options(table.get("kinds", ["closed-form"]), KINDS, f"{where}.kinds")
    return Variation(tuple((k, tuple(p)) for k, p in names), tuple((k, tuple(p)) for k, p in dims),
                     tuple((k, tuple(p)) for k, p in functions), structures, layouts, kinds)


def _statement(problem: Problem, text: str, where: str) -> Statement:
    scope = Scope.build(problem.shapes, problem.assume, problem.functions)
    statement = parse(text, scope, where)
    if problem.wrt not in {s.name for s in statement.expr.walk() if isinstance(s, Sym)}:
        raise GeneratorError(f"{where}: the expression does not depend on {problem.wrt}")
    return statement


def _check_names(problem: Problem, statements: list[Statement], names: list[tuple[str, list[Any]]],
                 dims: list[tuple[str, list[Dim]]], where: str) -> None:
    declared = _declared_dims(problem)
    varied = {key for key, _ in names}
    taken: dict[str, str] = {}
    for s in statements:
        taken.update({n: f"the intermediate {n}" for n, _ in s.definitions})
        taken.update({s.output: f"the output {s.output}"} if s.output else {})
    for spec in problem.functions.values():
        taken[spec.name] = f"the function {spec.name}"
        if spec.gradient:
            taken[spec.gradient] = f"the gradient name {spec.gradient}"
    symbol_names = dict(taken)
    symbol_names.update({n: f"the symbol {n}" for n in problem.shapes if n not in varied})
    dim_names = dict(taken)
    dim_names.update({n: f"the symbol {n}" for n in problem.shapes})
    for key, pool in names:
        if key not in problem.shapes:
            raise GeneratorError(f"{where}.names.{key}: {key} is not declared under shapes")
        dim_names.update({v: f"a name in the pool of {key}" for v in pool if isinstance(v, str)})
    for d, pool in dims:
        if d not in declared:
            raise GeneratorError(f"{where}.dims.{d}: {d} is not a dimension of any shape "
                                 f"(dimensions: {', '.join(sorted(declared)) or 'none'})")
        for k, value in enumerate(pool):
            clash = _clash(value, dim_names) if isinstance(value, str) else None
            if clash:
                raise GeneratorError(f"{where}.dims.{d}[{k}]: {value!r} collides with {clash}")
            if value == 1:
                raise GeneratorError(f"{where}.dims.{d}[{k}]: a size of 1 would turn a matrix into a vector; use 2 or more")
    symbol_names.update({v: f"the dimension {v}" for v in declared})
    symbol_names.update({v: f"the dimension {v}" for _, pool in dims for v in pool if isinstance(v, str)})
    for key, pool in names:
        for k, value in enumerate(pool):
            if not isinstance(value, str) or not pf.DIM_NAME.fullmatch(value):
                raise GeneratorError(f"{where}.names.{key}[{k}]: expected a name such as \"W\", found {value!r}")
            clash = _clash(value, symbol_names)
            if clash:
                raise GeneratorError(f"{where}.names.{key}[{k}]: {value!r} collides with {clash}")


def _check_functions(problem: Problem, statements: list[Statement], functions: list[tuple[str, list[Any]]],
                     where: str) -> None:
    applied = {e.fn for s in statements for e in s.expr.walk() if isinstance(e, Apply)}
    elementwise = set(ELEMENTWISE) | {f for f, spec in problem.functions.items() if spec.kind == "elementwise"}
    for key, pool in functions:
        if key not in applied:
            raise GeneratorError(f"{where}.functions.{key}: the expression applies no element-wise function {key}")
        for k, value in enumerate(pool):
            if value not in elementwise:
                raise GeneratorError(f"{where}.functions.{key}[{k}]: expected an element-wise function "
                                     f"({', '.join(sorted(elementwise))}), found {value!r}")


# ---------------------------------------------------------------- the space of variants

@dataclass(frozen=True)
class Block:
    """The choices that share a structure, a function choice and a kind; names × dims × layouts vary inside."""

    structure: int
    functions: tuple[tuple[str, str], ...]
    kind: str
    dims: tuple[tuple[tuple[str, Dim], ...], ...]


class Space:
    """Every distinct variant a problem allows, in a fixed order; `choice(k)` is the k-th."""

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
                                 "rational at integer data, fill-step a proof with index or chain steps")

    def _blocks(self, dims: list[tuple[tuple[str, Dim], ...]]) -> Iterable[Block]:
        # Numbers become sizes in numeric exercises; proofs by index sums need names (a sum to 4 is
        # written out term by term), so closed-form and fill-step keep to names where the pools offer them.
        per_kind = {"numeric": tuple(dict.fromkeys(concrete(d) for d in dims)), "shape": tuple(dims)}
        named = tuple(d for d in dims if all(isinstance(v, str) for _, v in d)) or tuple(dims)
        fn_pools = self.variation.functions
        for s in range(len(self.statements)):
            for fns in itertools.product(*(pool for _, pool in fn_pools)):
                functions = tuple(zip((key for key, _ in fn_pools), fns))
                for kind in self.variation.kinds:
                    if self.offers(s, functions, kind):
                        yield Block(s, functions, kind, per_kind.get(kind, named))

    def offers(self, structure: int, functions: tuple[tuple[str, str], ...], kind: str) -> bool:
        """Whether a kind of exercise suits the structure with these functions (decided on one derivation)."""
        if kind in ("closed-form", "shape"):
            return True
        d = self.probe(structure, functions)
        if kind == "numeric":
            return is_rational(d.closed_form)
        return any(step.kind in FILL_STEPS for step in d.steps)

    def probe(self, structure: int, functions: tuple[tuple[str, str], ...]) -> Derivation:
        """The derivation of a structure, with these functions and the problem's own names and sizes."""
        from .pipeline import derive  # deferred: the pipeline is the heavy import, needed only for probes

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

    def choice(self, index: int) -> Choice:
        """The index-th variant of the space, 0 ≤ index < size."""
        layouts = self.variation.layouts
        for block in self.blocks:
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
    from .expr import Add, Const, Diag, DiagPart, Hadamard, Inverse, Mul, Named, Power, Reduce, Transpose

    plain = (Sym, Const, Identity, Zero, Ones, Add, Mul, Transpose, Inverse, Hadamard, Diag, DiagPart, Named)
    for node in e.walk():
        if isinstance(node, Power) and node.exponent.denominator == 1:
            continue
        if isinstance(node, Reduce) and node.op in RATIONAL_REDUCTIONS:
            continue
        if not isinstance(node, plain):
            return False
    return True


# ---------------------------------------------------------------- renaming through the tree

def rename(e: Expr, names: Mapping[str, str], dims: Mapping[str, Dim], functions: Mapping[str, str]) -> Expr:
    """The tree with symbols, dimensions and element-wise functions renamed (nodes rebuilt raw, no rewriting)."""
    def shape(s: Shape) -> Shape:
        return (dims.get(s[0], s[0]) if isinstance(s[0], str) else s[0],
                dims.get(s[1], s[1]) if isinstance(s[1], str) else s[1])

    if isinstance(e, Sym):
        return Sym(names.get(e.name, e.name), shape(e.shape), e.props)
    if isinstance(e, Identity):
        return Identity(shape((e.n, e.n))[0])
    if isinstance(e, (Zero, Ones)):
        return type(e)(shape(e.shape))
    node = e.with_args(tuple(rename(a, names, dims, functions) for a in e.args)) if e.args else e
    if isinstance(node, Apply):
        return dataclasses.replace(node, fn=functions.get(node.fn, node.fn))
    if isinstance(node, (Call, Grad)):
        return dataclasses.replace(node, shape=shape(node.shape))
    return node


def renamed_text(statement: Statement, names: Mapping[str, str], dims: Mapping[str, Dim],
                 functions: Mapping[str, str]) -> str:
    """A statement in the expression language after renaming: `f = …; y = …`."""
    lines = [f"{n} = {rename(e.args[0], names, dims, functions)}" for n, e in statement.definitions]
    last = str(rename(statement.expr, names, dims, functions))
    lines.append(f"{statement.output} = {last}" if statement.output else last)
    return "; ".join(lines)


def variant(space: Space, seed: int, number: int) -> Variant:
    """Variant `number` (1, 2, …) of the problem: a pure function of the problem, the seed and the number."""
    p = space.problem
    key = int.from_bytes(hashlib.sha256(f"mcgen sheet\0{p.name}\0{seed}".encode()).digest()[:8], "big")
    choice = space.choice(permute((number - 1) % space.size, space.size, key))
    names, dims, fns = dict(choice.names), dict(choice.dims), dict(choice.functions)
    if choice.kind == "numeric":
        dims = dict(concrete(tuple((d, dims.get(d, d)) for d in sorted(_declared_dims(p)))))

    def shape(s: Shape) -> Shape:
        return tuple(dims.get(d, d) if isinstance(d, str) else d for d in s)  # type: ignore[return-value]

    functions = {n: dataclasses.replace(f, shape=shape(f.shape) if f.shape else None) for n, f in p.functions.items()}
    return Variant(
        id=f"{p.name}-{number}", problem=p.name, number=number, seed=variant_seed(p.name, seed, number),
        kind=choice.kind, title=p.title,
        expr=renamed_text(space.statements[choice.structure], names, dims, fns),
        wrt=names.get(p.wrt, p.wrt),
        shapes={names.get(n, n): shape(s) for n, s in p.shapes.items()},
        layout="numerator" if p.hessian else choice.layout,
        assume={names.get(n, n): a for n, a in p.assume.items()},
        functions=functions, hessian=p.hessian, choice=choice, source=p.source)


def variants(problem: Problem, seed: int, count: int) -> tuple[tuple[Variant, ...], str | None]:
    """Variants 1…count of a problem, pairwise different while the space lasts; the note says when it does not."""
    space = Space(problem)
    note = None
    if count > space.size:
        note = f"{problem.source}: only {space.size} distinct variant{'s' * (space.size != 1)}; some repeat"
    return tuple(variant(space, seed, k) for k in range(1, count + 1)), note


def numeric_data(v: Variant, attempt: int) -> dict[str, tuple[tuple[Fraction, ...], ...]]:
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
