"""Text or LaTeX in the expression language → a shaped expression tree, through grammar.lark (never eval).

The builder walks lark's parse tree with lark's own idiom (an Interpreter: one method per rule),
checking shapes as it builds; what a call means (a function of the registry, one of the
problem's, or a product such as W(x + b)) is `calls.py`'s business.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping

from lark import Token, Tree
from lark.visitors import Interpreter

from ..errors import ParseError, ShapeError
from ..tree import algebra as alg
from ..tree.nodes import Const, Expr, Identity, Shape, shape_text
from ..tree.scope import Scope, Statement
from .calls import Calls, ShapeMismatch, UnknownName
from .marks import MAX_DIGITS, Marks
from .names import Names, spelling
from .ones import read_with_ones
from .pending import Pending, Sizes, Value, negate
from .syntax import first_token, span, tree_of, where

__all__ = ["ShapeMismatch", "UnknownName", "parse", "parse_expression"]

MAX_EXPONENT = 64  # |p| in x^p
MAX_MATRIX_POWER = 16  # X^p is spelled out as p factors
MAX_NODES = 4000  # nodes of the built tree (shared subtrees once per use): bounds evaluation
MAX_CONSTANT_BITS = 1024  # exact constants folded by powers: (3^64)^64 would take seconds
MAX_FUNCTIONS = 32  # functions applied in a row (\log\log\log x): each one a level of every later walk
MULOPS = {"/": "/", r"\div": "/"}  # every other product sign (*, ·, ×, @, \cdot, \times, \ast) multiplies
UPRIGHT = {"mathrm", "rm", "text", "textrm", "operatorname"}  # fonts of \mathrm{e}, Euler's number


def parse(text: str, scope: Scope, source: str = "<input>", expect: Shape | None = None,
          bindings: Mapping[str, Expr] | None = None, layout: str = "denominator") -> Statement:
    """Parse `name = expr` statements (separated by ';' or new lines); the last one is the result.

    `expect` is the shape the result should have; it only sizes a lone `I`. `bindings` are names
    the text may use besides the scope's symbols: a problem's intermediates (f) and gradients (delta).
    `layout` is the one an answer is written in: it says which Jacobian a typed ∂u/∂x means.
    """
    tree = tree_of(text, source)

    def build(ones: frozenset[int]) -> Statement:
        return Builder(text, scope, source, expect, bindings, layout, ones).statements(tree)

    return read_with_ones(build, tree, expect)


def parse_expression(text: str, scope: Scope, source: str = "<input>") -> Expr:
    """Parse one expression and return its tree."""
    return parse(text, scope, source).expr


class Builder(Calls, Marks, Interpreter):
    """Walks the parse tree, looking names up in the scope and checking shapes as it builds."""

    def __init__(self, text: str, scope: Scope, source: str, expect: Shape | None = None,
                 bindings: Mapping[str, Expr] | None = None, layout: str = "denominator",
                 ones: frozenset[int] = frozenset()):
        self.text, self.scope, self.source, self.expect, self.layout = text, scope, source, expect, layout
        self.ones = ones  # where a bare 1 is read as \mathbf{1}, the vector of ones
        self.bindings: dict[str, Expr] = dict(bindings or {})
        self.names = Names(scope, self.bindings)
        self.sizes = Sizes()
        self.counted: dict[int, int] = {}

    # -- errors -------------------------------------------------------------------------------
    def fail(self, node: Tree | Token, message: str, kind: type[ParseError] = ParseError) -> ParseError:
        token = first_token(node)
        return kind(f"{self.source}: {where(self.text, token.line, token.column)}: {message}")

    def snippet(self, node: Tree | Token, last: Tree | Token | None = None) -> str:
        """The text from `node` to `last` (or the end of `node`)."""
        return self.text[span(self.text, node)[0]:span(self.text, last if last is not None else node)[1]].strip()

    def size(self, e: Expr) -> int:
        """Nodes of `e` counted as a walk meets them (shared subtrees once per use)."""
        key = id(e)
        if key not in self.counted:
            self.counted[key] = 1 + sum(self.size(a) for a in e.args)
        return self.counted[key]

    # -- statements ---------------------------------------------------------------------------
    def statements(self, tree: Tree) -> Statement:
        definitions: list[tuple[str, Expr]] = []
        output, expr = None, None
        statements = [s for s in tree.children if isinstance(s, Tree)]
        for i, stmt in enumerate(statements):
            name = stmt.children[0] if isinstance(stmt.children[0], Token) else None
            last = i == len(statements) - 1
            expr = self.resolved(self.visit(stmt.children[-1]), stmt, last)
            if self.size(expr) > MAX_NODES:
                raise self.fail(stmt, f"the expression expands to more than {MAX_NODES} terms")
            if name is None:
                if not last:
                    raise self.fail(stmt, "only the last statement may leave out 'name ='")
                continue
            if str(name) in self.scope.symbols or str(name) in self.bindings:
                raise self.fail(name, f"{name} is already defined")
            output = str(name)
            if not last:
                expr = alg.named(output, expr)
                definitions.append((output, expr))
                self.bindings[output] = expr
        assert expr is not None
        return Statement(expr, output, tuple(definitions), self.text, dict(self.bindings))

    def resolved(self, value: Value, node: Tree | Token, last: bool = False) -> Expr:
        """An expression; I or 1 still waiting for a size is sized by the expected shape, or refused."""
        if not isinstance(value, Pending):
            return value
        sized = self.sizes.expected(value, self.expect) if last and self.expect is not None \
            else self.sizes.finish(value)
        if not isinstance(sized, Expr):
            raise self.fail(node, f"cannot tell the size of {value.kind} here; write it next to a matrix",
                            ShapeMismatch)
        return sized

    # -- names --------------------------------------------------------------------------------
    def name(self, node: Tree) -> Value:
        found = spelling(node)
        assert found is not None
        word, token = found
        value = self.names.lookup(word)
        if value is not None:
            return value
        if word.startswith("K_") and "," in word:  # K_{m,n}, the commutation matrix
            return self.commutation_of(word[2:].split(","), node)
        if word == "I" or word.startswith("I_"):  # I, I_n, I_{3}
            size = self.names.dimension(word[2:])
            return self.sizes.identity() if size is None else Identity(size)
        if token.type == "NUMBER":  # \mathbf 0, \mathbf 1 (the all-ones vector)
            return self.sizes.ones() if str(token) == "1" else self.number_token(token)
        if self.names.function(word) is not None:
            raise self.fail(node, f"{word} is a function: write {word}(…)")
        pieces = self.names.split(word) if len(word) > 1 else None
        if pieces:  # Ax, \mathbf{Ax}: the declared names it spells, multiplied
            return self.pieces(pieces, node)
        known = ", ".join(sorted([*self.scope.symbols, *self.bindings])) or "none"
        shown = word if len(word) <= 24 else word[:24] + "…"
        raise self.fail(token, f"unknown name '{shown}' (declared: {known})", UnknownName)

    def piece(self, word: str) -> Value:
        return self.sizes.identity() if word == "I" else self.names.lookup(word)  # type: ignore[return-value]

    def pieces(self, words: list[str], node: Tree) -> Value:
        value = self.piece(words[0])
        for k, word in enumerate(words[1:], 1):
            value = self.combine("*", "".join(words[:k]), value, node, self.piece(word), word)
        return value

    def font(self, node: Tree) -> Value:
        if spelling(node) is not None:
            return self.name(node)
        inner = node.children[1]
        if any(isinstance(c, Token) and c.type == "SUBSCRIPT" for c in node.children):
            raise self.fail(node, "a subscript belongs to a name, such as W_{1}")
        value = self.visit(inner) if isinstance(inner, Tree) else self.number_token(inner)
        return self.sizes.ones() if value == alg.ONE else value  # \mathbf{1} is the all-ones vector

    def command(self, node: Tree) -> Value:
        word = str(node.children[0])
        if self.names.function(word[1:]) is not None:
            raise self.fail(node, f"{word} is a function: write {word}(…)")
        where_allowed = r" outside \frac{\partial u}{\partial x}" if word == r"\partial" else ""
        raise self.fail(node, f"expected a term, found {word!r} (not a command mcgen reads{where_allowed})")

    def number(self, node: Tree) -> Value:
        token = node.children[0]
        return self.sizes.ones() if token.start_pos in self.ones else self.number_token(token)

    # -- sums and products --------------------------------------------------------------------
    def group(self, node: Tree) -> Value:
        return self.visit(next(c for c in node.children if isinstance(c, Tree)))

    def sum(self, node: Tree) -> Value:
        items = node.children
        total = self.visit(items[0])
        for op, right_node in zip(items[1::2], items[2::2]):
            right = self.visit(right_node)
            if op.type == "MINUS":
                right = negate(self.sizes, right)
            total = self.combine("+", lambda op=op: self.text[span(self.text, items[0])[0]:op.start_pos],
                                 total, right_node, right)
        return total

    def signed(self, node: Tree) -> Value:
        *signs, operand = node.children
        value = self.visit(operand)
        if sum(1 for s in signs if s.type == "MINUS") % 2:
            value = negate(self.sizes, value)
        return value

    def hadamard(self, node: Tree) -> Value:
        """a ⊙ B c: the element-wise product (and ⊘, its division) binds looser than the matrix product."""
        items = node.children
        value = self.visit(items[0])
        for op, item in zip(items[1::2], items[2::2]):
            right = self.visit(item)
            if op.type == "HADAMARD_DIV":
                right = alg.power(self.resolved(right, item), -1)
            value = self.combine(".*", lambda op=op: self.text[span(self.text, items[0])[0]:op.start_pos],
                                 value, item, right)
        return value

    def kron(self, node: Tree) -> Value:
        """A ⊗ B: binds looser than products and ⊙, so A B ⊗ C is (A B) ⊗ C."""
        items = [c for c in node.children if isinstance(c, Tree)]
        return self.kron_of([self.visit(item) for item in items], items)

    def product(self, node: Tree) -> Value:
        items, value, op, previous = node.children, None, "*", None
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, Token):
                op = MULOPS.get(str(item), "*")
                i += 1
                continue
            heads = []  # \log \det X, \sigma'(z): function words apply to the operand after them
            while i + 1 < len(items) and isinstance(items[i + 1], Tree) and (
                    head := self.head(items[i], items[i + 1])):
                heads.append((head, items[i]))
                i += 1
                if len(heads) > MAX_FUNCTIONS:
                    raise self.fail(items[i], "the expression is nested too deeply")
            right = self.applied(heads, items[i]) if heads else self.visit(items[i])
            if value is None:
                value = right
            else:
                value = self.combine(op, lambda last=previous: self.snippet(items[0], last), value, items[i], right)
            op, previous = "*", items[i]
            i += 1
        assert value is not None
        return value

    def combine(self, op: str, left_text: str | Callable[[], str], left: Value, rn: Tree, right: Value,
                right_text: str | None = None) -> Value:
        """left op right for op in + * / .* ; a bare I or 1 takes its size from the other side.

        `left_text` may be a function: the text is only needed for an error message.
        """
        if isinstance(left, Pending) or isinstance(right, Pending):
            try:
                return self.sizes.combine(op, left, right)
            except ShapeError as err:
                raise self.fail(rn, f"cannot tell the size of I or 1 here ({err}); write it next to a matrix "
                                    "that fits", ShapeMismatch) from None

        def lhs() -> str:
            return f"{(left_text if isinstance(left_text, str) else left_text()).strip()} ({shape_text(left.shape)})"

        def rhs() -> str:
            return f"{right_text or self.snippet(rn)} ({shape_text(right.shape)})"

        fits = left.is_scalar or right.is_scalar
        if op == "+":
            if left.shape != right.shape and not fits:
                raise self.fail(rn, f"cannot add {lhs()} and {rhs()}", ShapeMismatch)
            return alg.add(left, right)
        if op == "/":
            if not right.is_scalar:
                raise self.fail(rn, f"can only divide by a scalar, but {rhs()} is not 1×1", ShapeMismatch)
            return alg.mul(left, alg.power(right, -1))
        if op == ".*":
            if left.shape != right.shape and not fits:
                raise self.fail(rn, f"cannot multiply element-wise {lhs()} and {rhs()}", ShapeMismatch)
            return alg.hadamard(left, right)
        if not fits and left.cols != right.rows:
            raise self.fail(rn, f"cannot multiply {lhs()} by {rhs()}: inner dimensions {left.cols} and "
                                f"{right.rows} differ", ShapeMismatch)
        return alg.mul(left, right)

    # -- postfix operators --------------------------------------------------------------------
    def postfix(self, node: Tree) -> Value:
        atom, *ops = node.children
        if ops and ops[0].data == "power" and self.is_euler(atom):  # e^{x} is exp(x)
            exponent = self.exponent_atom(ops[0])
            value: Value = self.apply_to("exp", 0, self.resolved(self.visit(exponent), exponent), atom, exponent)
            ops = ops[1:]
        elif ops and (words := self.juxtaposed(atom)):  # ab^T is a bᵀ: the postfix binds to the last letter
            last = self.piece(words[-1])
            for op in ops:
                last = self.postop(op, node, last)
            return self.combine("*", "".join(words[:-1]), self.pieces(words[:-1], atom), atom, last, words[-1])
        else:
            value = self.visit(atom)
        for op in ops:
            value = self.postop(op, node, value)
        return value

    def is_euler(self, atom: Tree) -> bool:
        """e, or an upright \\mathrm{e}, that is not a declared name: e^{x} is exp(x)."""
        if atom.data == "font" and str(atom.children[0]).lstrip("\\").rstrip("*") not in UPRIGHT:
            return False
        found = spelling(atom) if atom.data in ("name", "font") else None
        return found is not None and found[0] == "e" and self.names.lookup("e") is None

    def juxtaposed(self, atom: Tree) -> list[str] | None:
        """The declared names an undeclared name spells, when it spells more than one."""
        found = spelling(atom) if atom.data in ("name", "font") else None
        if found is None or self.names.lookup(found[0]) is not None or self.names.function(found[0]):
            return None
        pieces = self.names.split(found[0]) if len(found[0]) > 1 else None
        return pieces if pieces and len(pieces) > 1 else None

    def postop(self, op: Tree, node: Tree, value: Value) -> Value:
        if isinstance(value, Pending) and op.data == "transpose":
            return self.sizes.transpose(value)
        value = self.resolved(value, node)
        try:
            if op.data == "transpose":
                return alg.transpose(value)
            if op.data == "inverse":
                return alg.inverse(value)
            if op.data == "inverse_transpose":
                return alg.inverse(alg.transpose(value))
            if op.data == "prime":
                raise self.fail(op, "only a function takes a prime, such as sigma'(z)")
            return self.power(op, value)
        except ShapeError as err:
            raise self.fail(op, f"{self.snippet(node)}: {err}", ShapeMismatch) from None

    def power(self, op: Tree, value: Expr) -> Expr:
        p = self.exponent(op.children[-1])
        if op.data == "elementwise_power" or value.is_scalar:
            bits = max((max(c.value.numerator.bit_length(), c.value.denominator.bit_length())
                        for c in value.walk() if isinstance(c, Const)), default=0)
            if bits * abs(p.numerator) > MAX_CONSTANT_BITS:
                raise self.fail(op, "this power of a number is too large")
            return alg.power(value, p)
        if p.denominator != 1:
            raise ShapeError("use .^ for an element-wise power")
        if value.rows != value.cols:
            raise ShapeError(f"{shape_text(value.shape)} is not square; use .^ for an element-wise power")
        if abs(p) > MAX_MATRIX_POWER or self.size(value) * abs(p) > MAX_NODES:
            raise self.fail(op, f"matrix powers are limited to ±{MAX_MATRIX_POWER}")
        base = alg.inverse(value) if p < 0 else value
        return alg.mul(*[base] * abs(int(p))) if p else Identity(value.rows)

    @staticmethod
    def exponent_atom(op: Tree) -> Tree:
        exponent = op.children[-1]
        return exponent.children[0] if exponent.data == "exponent" else exponent

    def exponent(self, node: Tree) -> Fraction:
        """A number as an exponent: 2, -1, (1/2), {-\\frac{1}{2}}, or the sum in x^{\\circ 2}."""
        if node.data == "signed_exponent":
            digits = node.children[-1]
            if len(digits) > MAX_DIGITS:
                raise self.fail(node, "this exponent is not a usable number")
            p = -self.fraction(digits)
        else:
            value = self.visit(node.children[0] if node.data == "exponent" else node)
            if not isinstance(value, Const):
                raise self.fail(node, "this exponent is not a usable number (expected a number such as 2, -1 "
                                      "or 1/2)")
            p = value.value
        if abs(p.numerator) > MAX_EXPONENT or p.denominator > MAX_EXPONENT:
            raise self.fail(node, f"exponents are limited to ±{MAX_EXPONENT}")
        return p
