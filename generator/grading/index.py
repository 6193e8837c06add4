"""Index expressions (Σ, entries, Kronecker δ) read by a grammar of their own and evaluated as arrays over named indices.

An expression's value is an array with one axis per free index (i, j, …): two index
expressions are equivalent when these arrays agree for every value of the free indices, at
random values of the matrices, whatever the summed indices are called.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
from lark import Lark, Token, Tree
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from ..check.numeric import evaluate
from ..errors import GeneratorError
from ..ops import OPS
from ..tree.nodes import Apply, Sym
from ..tree.scope import Scope
from ..vocabulary import GREEK_NAMES, greek_grammar
from .index_spelling import normal

MAX_LENGTH = 2000
MAX_CELLS = 200_000  # entries of any intermediate array: Σ nested over many large indices is refused


class IndexAnswerError(GeneratorError):
    """An index expression that cannot be read or evaluated: the message says where and why."""


@dataclass(frozen=True)
class Tensor:
    """A value over named index axes: `axes[k]` names axis k of `array` (a 0-d array when there are none)."""

    array: np.ndarray
    axes: tuple[str, ...]


@dataclass(frozen=True)
class Names:
    """What an index expression may mention: entries' sizes, and their values at one point."""

    shapes: Mapping[str, tuple[int, int]]  # symbol → concrete (rows, cols)
    values: Mapping[str, np.ndarray]  # symbol → its value (floats, or Python ints in an object array)
    sizes: Mapping[str, int]  # dimension name → size, for sum bounds such as ^{n}
    exact: bool = False
    opaque: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # ∂f/∂A: random, made when first met

    def size_text(self, size: int) -> str:
        """A size as the question writes it: the dimension's name (n) where a sampled size stands for one, else the
        number itself (a size the question fixes); never the sample's stand-in number for a named dimension."""
        named = [name for name, n in self.sizes.items() if n == size]
        return named[0] if len(named) == 1 else str(size)

    def derivative(self, top: str, bottom: str) -> tuple[list[int], np.ndarray]:
        """The entries of ∂top/∂bottom, an unknown: seeded random values over top's then bottom's non-1 dimensions."""
        for name in (top, bottom):
            if name not in self.shapes:
                raise IndexAnswerError(f"unknown name {name!r} (declared: {', '.join(sorted(self.shapes))})")
        dims = [d for d in self.shapes[top] if d != 1] + [d for d in self.shapes[bottom] if d != 1]
        if (top, bottom) not in self.opaque:
            rng = np.random.default_rng([len(top), len(bottom), *map(ord, top + "/" + bottom)])
            cells = rng.integers(1, 5, size=dims) * rng.choice([-1, 1], size=dims) if self.exact else \
                rng.standard_normal(dims)
            self.opaque[(top, bottom)] = np.array(cells, dtype=object) if self.exact else cells
        return dims, self.opaque[(top, bottom)]


@cache
def _parser() -> Lark:
    # σ is the logistic function in an index expression, and a capital would read as a name (Pi as P i)
    leave_out = frozenset({"sigma", *(n for n in GREEK_NAMES if n[0].isupper())})
    grammar = greek_grammar((Path(__file__).parent / "index.lark").read_text(encoding="utf-8"), leave_out)
    return Lark(grammar, parser="lalr")


def read_index(text: str) -> Tree:
    """The parse tree of an index expression; IndexAnswerError naming the column on anything else."""
    if len(text) > MAX_LENGTH:
        raise IndexAnswerError(f"the answer has {len(text)} characters; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise IndexAnswerError("column 1: expected an index expression, found nothing")
    try:
        return normal(_parser().parse(text))
    except UnexpectedInput as err:
        if isinstance(err, UnexpectedEOF) or isinstance(err, UnexpectedToken) and err.token.type == "$END":
            raise IndexAnswerError(f"column {len(text) + 1}: the expression is not finished") from None
        position = err.pos_in_stream if isinstance(err, UnexpectedCharacters) else err.token.start_pos
        found = text[position:position + 10].split()[0] if text[position or 0:].strip() else "the end"
        raise IndexAnswerError(f"column {(position or 0) + 1}: expected an index expression "
                          f"(such as \\sum_{{k=1}}^{{n}} A_{{ik}} x_{{k}}), found {found!r}") from None


def name_of(node: Tree) -> str:
    """`\\mathbf{x}`, `x` → 'x'; `\\boldsymbol{\\delta}` → 'delta'."""
    token = node.children[-1]
    return str(token).lstrip("\\")


def indices_of_index(node: Tree) -> str:
    """The letter or number an `index` node holds."""
    return str(node.children[0])


def indices_of(node: Tree) -> list[str]:
    """An entry's subscript as index names and fixed positions ('1', '2', …)."""
    if len(node.children) < 2:
        return []
    return [str(t) for t in node.children[1].scan_values(lambda v: isinstance(v, Token))]


def free_indices(tree: Tree) -> dict[str, list[tuple[str, int]]]:
    """Every index not bound by a Σ, with where it is used: (entry name, position 0 or 1)."""
    bound = {str(s.children[1].children[0]) for s in tree.find_data("bigsum")}
    uses: dict[str, list[tuple[str, int]]] = {}
    for entry in tree.find_data("entry"):
        for k, index in enumerate(indices_of(entry)):
            if index.isalpha() and index not in bound:
                uses.setdefault(index, []).append((name_of(entry.children[0]), k))
    return uses


def has_functions(tree: Tree) -> bool:
    """True when exact rational evaluation is impossible: a function, a root, e^…, or a non-integer power."""
    kinds = {"call", "sqrt", "power_of_e"}
    if any(t.data in kinds for t in tree.iter_subtrees()):
        return True
    return any(t.data == "exponent" and not (len(t.children) == 1 and isinstance(t.children[0], Token)
                                              and t.children[0].type == "INT") for t in tree.iter_subtrees())


class Evaluator:
    """An index expression's value over its free indices, at one point (`names.values`)."""

    def __init__(self, names: Names, ranges: Mapping[str, int]):
        self.names, self.ranges = names, dict(ranges)

    def __call__(self, node: Tree | Token) -> Tensor:
        if isinstance(node, Token):
            return self.scalar(_number(node, self.names.exact))
        method: Callable[[Tree], Tensor] | None = getattr(self, f"do_{node.data}", None)
        if method is None:
            raise IndexAnswerError(f"cannot evaluate {node.data}")
        return method(node)

    def scalar(self, x: Any) -> Tensor:
        return Tensor(np.array(x, dtype=object if self.names.exact else float), ())

    # ------------------------------------------------------------ leaves
    def do_number(self, node: Tree) -> Tensor:
        return self.scalar(_number(node.children[0], self.names.exact))

    def do_entry(self, node: Tree) -> Tensor:
        name, indices = name_of(node.children[0]), indices_of(node)
        if name == "delta" and len(indices) == 2 and 1 in self.names.shapes.get(name, (1, 1)):
            return self.kronecker(*indices)  # δ_ij; a gradient vector named δ has one index
        if name not in self.names.shapes:
            known = ", ".join(sorted(self.names.shapes)) or "none"
            raise IndexAnswerError(f"unknown name {name!r} (declared: {known})")
        rows, cols = self.names.shapes[name]
        value = self.names.values[name]
        dims = [d for d in (rows, cols) if d != 1] if len(indices) < 2 else [rows, cols]
        if rows == 1 and cols == 1 and not indices:
            return Tensor(value.reshape(()), ())
        return self.indexed(name, indices, dims, value, ["rows", "columns"] if len(dims) == 2 else ["entries"])

    def do_indicator(self, node: Tree) -> Tensor:
        """𝕀_{i=k} (or 𝕀[i = k]), the Kronecker delta as the proofs write it."""
        a, b = (indices_of_index(c) for c in node.children if isinstance(c, Tree))
        return self.kronecker(a, b)

    def do_partial(self, node: Tree) -> Tensor:
        """∂f_k/∂A_ij: an entry of the unknown derivative ∂f/∂A, indexed by the numerator's then the denominator's."""
        top, bottom = node.children[2], node.children[4]
        dims, value = self.names.derivative(name_of(top.children[0]), name_of(bottom.children[0]))
        indices = indices_of(top) + indices_of(bottom)
        name = rf"∂{name_of(top.children[0])}/∂{name_of(bottom.children[0])}"
        sides = [f"entries along its axis {k + 1}" for k in range(len(dims))]
        return self.indexed(name, indices, dims, value, sides) if dims else Tensor(value.reshape(()), ())

    def indexed(self, name: str, indices: list[str], dims: list[int], value: np.ndarray, sides: list[str]) -> Tensor:
        """The entries of `value` (of the sizes `dims`) at the given indices: free ones become axes."""
        if len(indices) != len(dims):
            raise IndexAnswerError(f"{name} takes {len(dims)} index(es), found {len(indices)}")
        array = value.reshape(dims)
        for k, (index, size) in enumerate(zip(indices, dims)):
            if index.isdigit():
                if not 1 <= int(index) <= size:
                    raise IndexAnswerError(f"{name}: position {index} is outside 1..{self.names.size_text(size)}")
                continue
            if self.ranges.get(index, size) != size:
                raise IndexAnswerError(f"the index {index} runs over 1..{self.names.size_text(self.ranges[index])}, "
                                       f"but {name} has {self.names.size_text(size)} {sides[k]}")
            self.ranges.setdefault(index, size)
        picks = tuple(int(i) - 1 if i.isdigit() else slice(None) for i in indices)
        array = array[picks]
        kept = [i for i in indices if not i.isdigit()]
        if len(set(kept)) < len(kept):  # A_kk: the diagonal
            if len(kept) != 2:
                raise IndexAnswerError(f"an index repeated in {name}")
            return Tensor(np.diagonal(array).copy(), (kept[0],))
        return Tensor(array, tuple(kept))

    def kronecker(self, a: str, b: str) -> Tensor:
        if a == b:
            return self.scalar(1)
        sizes = [self.ranges.get(i) for i in (a, b)]
        if any(s is None for s in sizes if True):
            missing = a if sizes[0] is None else b
            raise IndexAnswerError(f"the range of the index {missing} in \\delta_{{{a}{b}}} is not known")
        eye = (np.arange(sizes[0])[:, None] == np.arange(sizes[1])[None, :]).astype(int)
        return Tensor(eye.astype(object) if self.names.exact else eye.astype(float), (a, b))

    # ------------------------------------------------------------ sums and products
    def do_add(self, node: Tree) -> Tensor:
        return _combine(self(node.children[0]), self(node.children[2]), np.add)

    def do_sub(self, node: Tree) -> Tensor:
        return _combine(self(node.children[0]), self(node.children[2]), np.subtract)

    def do_neg(self, node: Tree) -> Tensor:
        t = self(node.children[1])
        return Tensor(-t.array, t.axes)

    def do_product(self, node: Tree) -> Tensor:  # unary plus
        return self(node.children[-1])

    def do_factors(self, node: Tree) -> Tensor:
        out = self.scalar(1)
        for child in node.children:
            if isinstance(child, Token):  # \cdot, *
                continue
            out = _combine(out, self(child), np.multiply)
        return out

    def do_bigsum(self, node: Tree) -> Tensor:
        index = str(node.children[1].children[0])
        bounds = [c for c in node.children[2:-1] if isinstance(c, Tree) and c.data == "bound"]
        low = self.bound(bounds[0]) if len(bounds) == 2 else 1
        high = self.bound(bounds[-1]) if bounds else None
        outer = self.ranges.pop(index, None)
        if high is not None:
            self.ranges[index] = high
        body = self(node.children[-1])
        size = self.ranges.pop(index, high)
        if outer is not None:
            self.ranges[index] = outer
        if size is None:
            raise IndexAnswerError(f"the sum over {index} has no upper limit and {index} indexes nothing")
        if index not in body.axes:
            return Tensor(body.array * max(0, size - low + 1), body.axes)
        axis = body.axes.index(index)
        part = np.take(body.array, range(low - 1, size), axis=axis)
        return Tensor(part.sum(axis=axis), body.axes[:axis] + body.axes[axis + 1:])

    def bound(self, node: Tree) -> int:
        text = str(node.children[0])
        if text.isdigit():
            return int(text)
        if text not in self.names.sizes:
            raise IndexAnswerError(f"unknown size {text!r} as the limit of a sum")
        return self.names.sizes[text]

    # ------------------------------------------------------------ the rest
    def do_frac(self, node: Tree) -> Tensor:
        top, bottom = self(node.children[1]), self(node.children[2])
        if self.names.exact:
            bottom = Tensor(np.vectorize(Fraction, otypes=[object])(bottom.array), bottom.axes)
        return _combine(top, bottom, np.divide)

    def do_factor(self, node: Tree) -> Tensor:
        base, exponent = self(node.children[0]), node.children[1]
        power = self(exponent.children[0]) if isinstance(exponent.children[0], Tree) else \
            self.scalar(_number(exponent.children[0], self.names.exact))
        if power.axes:
            raise IndexAnswerError("an exponent cannot carry a free index")
        p = power.array.item()
        if self.names.exact and isinstance(p, int) and p < 0:
            base = Tensor(np.vectorize(Fraction, otypes=[object])(base.array), base.axes)
        if abs(float(p)) > 64:
            raise IndexAnswerError("an exponent larger than 64")
        return Tensor(np.power(base.array, p), base.axes)

    def do_call(self, node: Tree) -> Tensor:
        fn = function_name(str(node.children[0]))
        primes = next((c for c in node.children[1:] if isinstance(c, Token) and c.type == "PRIME"), None)
        order = 0 if primes is None else max(1, str(primes).count("'"))
        arg = self(node.children[-1])
        return Tensor(_apply(fn, order, np.asarray(arg.array, dtype=float)), arg.axes)

    def do_sqrt(self, node: Tree) -> Tensor:
        arg = self(node.children[1])
        with np.errstate(all="ignore"):
            return Tensor(np.sqrt(arg.array.astype(float)), arg.axes)

    def do_power_of_e(self, node: Tree) -> Tensor:
        arg = self(node.children[1])
        with np.errstate(all="ignore"):
            return Tensor(np.exp(arg.array.astype(float)), arg.axes)


def function_name(token: str) -> str:
    """The registry's name for a function token: \\tanh, \\operatorname{sigmoid}, sigma → tanh, sigma, sigma."""
    word = re.sub(r"[^A-Za-z]|operatorname|mathrm", "", token)
    name = OPS.spelled(word)
    if name is None or OPS.function(name) is None:
        raise IndexAnswerError(f"unknown function {word!r}")
    return name


def _apply(fn: str, order: int, x: np.ndarray) -> np.ndarray:
    """fn⁽ᵒʳᵈᵉʳ⁾ at every entry of x, as the numeric check computes it (from the ops registry)."""
    flat = x.reshape(1, -1) if x.size else np.zeros((1, 1))
    u = Sym("_u", (1, flat.shape[1]))
    try:
        with np.errstate(all="ignore"):
            out = evaluate(Apply(fn, u, order), {"_u": flat}, Scope({"_u": u}))
    except GeneratorError as err:
        raise IndexAnswerError(str(err)) from None
    return np.asarray(out, dtype=float).reshape(x.shape) if x.size else np.asarray(out).reshape(())


def _number(token: Token, exact: bool) -> Any:
    text = str(token)
    if len(text) > 30:
        raise IndexAnswerError("a number with more than 30 digits")
    if text.isdigit():
        return int(text) if exact else float(text)
    if text.isalpha():
        raise IndexAnswerError(f"an exponent {text!r}: expected a number")
    return Fraction(text) if exact else float(text)


def _combine(a: Tensor, b: Tensor, op: Callable[[Any, Any], Any]) -> Tensor:
    """a op b with axes of the same name aligned (no summation), others broadcast."""
    axes = a.axes + tuple(x for x in b.axes if x not in a.axes)
    cells = 1
    for x in axes:
        cells *= (a.array.shape[a.axes.index(x)] if x in a.axes else b.array.shape[b.axes.index(x)])
    if cells > MAX_CELLS:
        raise IndexAnswerError("the expression has too many free and summed indices at once")
    left, right = _align(a, axes), _align(b, axes)
    if any(l != r and l != 1 and r != 1 for l, r in zip(left.shape, right.shape)):
        raise IndexAnswerError("an index runs over two different ranges")
    with np.errstate(all="ignore"):
        return Tensor(op(left, right), axes)


def _align(t: Tensor, axes: tuple[str, ...]) -> np.ndarray:
    if not isinstance(t.array, np.ndarray):  # numpy hands back a bare scalar for some 0-d results
        t = Tensor(np.array(t.array, dtype=object if isinstance(t.array, (int, Fraction)) else float), t.axes)
    order = [t.axes.index(x) for x in axes if x in t.axes]
    array = np.transpose(t.array, order) if order else t.array
    shape = [t.array.shape[t.axes.index(x)] if x in t.axes else 1 for x in axes]
    return array.reshape(shape)


def evaluate_index(tree: Tree, names: Names, ranges: Mapping[str, int], axes: tuple[str, ...]) -> np.ndarray:
    """The expression's value as an array over `axes` (free indices it lacks are broadcast)."""
    value = Evaluator(names, ranges)(tree)
    extra = [x for x in value.axes if x not in axes]
    if extra:
        raise IndexAnswerError(f"the index {extra[0]} is neither summed nor on the left-hand side")
    shape = [ranges[x] for x in axes]
    return np.broadcast_to(_align(value, axes), shape)
