"""Text or LaTeX in the expression language → a shaped expression tree, through grammar.lark (never eval)."""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Callable, Mapping

from lark import Token, Tree

from ..errors import ParseError, ShapeError
from ..tree import algebra as alg
from ..tree.nodes import Const, Expr, Grad, Identity, Shape, shape_text
from ..tree.scope import FunctionSpec, Scope, Statement
from .names import ALIASES, BUILTINS, ELEMENTWISE, Names, function_name, spelling
from .pending import Pending, Value, combine as combine_pending, negate
from .syntax import first_token, span, tree_of, where

MAX_DIGITS = 24  # characters in one number
MAX_EXPONENT = 64  # |p| in x^p
MAX_MATRIX_POWER = 16  # X^p is spelled out as p factors
MAX_NODES = 4000  # nodes of the built tree (shared subtrees once per use): bounds evaluation
MAX_CONSTANT_BITS = 1024  # exact constants folded by powers: (3^64)^64 would take seconds
MULOPS = {r"\cdot": "*", r"\times": "*", r"\ast": "*", "·": "*", "×": "*", r"\div": "/",
          r"\odot": ".*", r"\circ": ".*", "⊙": ".*", "∘": ".*"}  # \times between matrices is a product


class UnknownName(ParseError):
    """A name or function the problem does not declare."""


class ShapeMismatch(ParseError):
    """Operands whose shapes do not fit: the text reads, but means no matrix."""


def parse(text: str, scope: Scope, source: str = "<input>", expect: Shape | None = None,
          bindings: Mapping[str, Expr] | None = None, layout: str = "denominator") -> Statement:
    """Parse `name = expr` statements (separated by ';' or new lines); the last one is the result.

    `expect` is the shape the result should have; it only sizes a lone `I`. `bindings` are names
    the text may use besides the scope's symbols: a problem's intermediates (f) and gradients (delta).
    `layout` is the one an answer is written in: it says which Jacobian a typed ∂u/∂x means.
    """
    tree = tree_of(text, source)
    return _Builder(text, scope, source, expect, bindings, layout).statements(tree)


def parse_expression(text: str, scope: Scope, source: str = "<input>") -> Expr:
    """Parse one expression and return its tree."""
    return parse(text, scope, source).expr


class _Builder:
    """Walks the parse tree, looking names up in the scope and checking shapes as it builds."""

    def __init__(self, text: str, scope: Scope, source: str, expect: Shape | None = None,
                 bindings: Mapping[str, Expr] | None = None, layout: str = "denominator"):
        self.text, self.scope, self.source, self.expect, self.layout = text, scope, source, expect, layout
        self.bindings: dict[str, Expr] = dict(bindings or {})
        self.names = Names(scope, self.bindings)
        self.sizes: dict[int, int] = {}

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
        if key not in self.sizes:
            self.sizes[key] = 1 + sum(self.size(a) for a in e.args)
        return self.sizes[key]

    # -- statements ---------------------------------------------------------------------------
    def statements(self, tree: Tree) -> Statement:
        definitions: list[tuple[str, Expr]] = []
        output, expr = None, None
        statements = [s for s in tree.children if isinstance(s, Tree)]
        for i, stmt in enumerate(statements):
            name = stmt.children[0] if isinstance(stmt.children[0], Token) else None
            last = i == len(statements) - 1
            expr = self.resolved(self.build(stmt.children[-1]), stmt, last)
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

    def resolved(self, value: Value, node: Tree, last: bool = False) -> Expr:
        if not isinstance(value, Pending):
            return value
        sized = value.expected(self.expect) if last and self.expect is not None else None
        if sized is None:
            raise self.fail(node, f"cannot tell the size of {value.kind} here; write it next to a matrix",
                            ShapeMismatch)
        return sized

    # -- names --------------------------------------------------------------------------------
    def _name(self, node: Tree) -> Value:
        found = spelling(node)
        assert found is not None
        name, token = found
        value = self.names.lookup(name)
        if value is not None:
            return value
        if name == "I" or name.startswith("I_"):  # I, I_n, I_{3}
            size = self.names.dimension(name[2:])
            return Pending() if size is None else Identity(size)
        if token.type == "NUMBER":  # \mathbf 0, \mathbf 1 (the all-ones vector)
            return Pending("1") if str(token) == "1" else self._number_token(token)
        if self.names.is_function(name):
            raise self.fail(node, f"{name} is a function: write {name}(…)")
        pieces = self.names.split(name) if len(name) > 1 else None
        if pieces:  # Ax, \mathbf{Ax}: the declared names it spells, multiplied
            value: Value = Pending() if pieces[0] == "I" else self.names.lookup(pieces[0])
            for k, piece in enumerate(pieces[1:], 1):
                right = Pending() if piece == "I" else self.names.lookup(piece)
                value = self.combine("*", "".join(pieces[:k]), value, node, right, piece)
            return value
        known = ", ".join(sorted([*self.scope.symbols, *self.bindings])) or "none"
        shown = name if len(name) <= 24 else name[:24] + "…"
        raise self.fail(token, f"unknown name '{shown}' (declared: {known})", UnknownName)

    def _font(self, node: Tree) -> Value:
        if spelling(node) is not None:
            return self._name(node)
        inner = node.children[1]
        if any(isinstance(c, Token) and c.type == "SUBSCRIPT" for c in node.children):
            raise self.fail(node, "a subscript belongs to a name, such as W_{1}")
        value = self.build(inner) if isinstance(inner, Tree) else self._number_token(inner)
        return Pending("1") if value == alg.ONE else value  # \mathbf{1} is the all-ones vector

    # -- the tree -----------------------------------------------------------------------------
    def build(self, node: Tree) -> Value:
        return getattr(self, f"_{node.data}")(node)

    def _group(self, node: Tree) -> Value:
        return self.build(next(c for c in node.children if isinstance(c, Tree)))

    def _sum(self, node: Tree) -> Value:
        items = node.children
        total = self.build(items[0])
        for op, right_node in zip(items[1::2], items[2::2]):
            right = self.build(right_node)
            if op.type == "MINUS":
                right = negate(right)
            total = self.combine("+", lambda op=op: self.text[span(self.text, items[0])[0]:op.start_pos],
                                 total, right_node, right)
        return total

    def _signed(self, node: Tree) -> Value:
        *signs, product = node.children
        value = self.build(product)
        if sum(1 for s in signs if s.type == "MINUS") % 2:
            value = negate(value)
        return value

    def _product(self, node: Tree) -> Value:
        items, value, op, previous = node.children, None, "*", None
        i = 0
        while i < len(items):
            item = items[i]
            if isinstance(item, Token):
                op = MULOPS.get(str(item), str(item))
                i += 1
                continue
            fn = self.function_word(item)
            if fn is not None and i + 1 < len(items) and isinstance(items[i + 1], Tree):
                # \sigma \mathbf{x}: a function name followed by an operand applies to it
                i += 1
                right = self.apply_to_operand(fn, 0, item, items[i])
            else:
                right = self.build(item)
            if value is None:
                value = right
            else:
                value = self.combine(op, lambda last=previous: self.snippet(items[0], last), value, item, right)
            op, previous = "*", items[i]
            i += 1
        assert value is not None
        return value

    def function_word(self, node: Tree) -> str | None:
        """The function a bare name such as \\sigma or \\exp stands for, when it is not a value."""
        found = spelling(node) if node.data in ("name", "font") else None
        if found is None or self.names.lookup(found[0]) is not None or not self.names.is_function(found[0]):
            return None
        return ALIASES.get(found[0], found[0])

    def combine(self, op: str, left_text: str | Callable[[], str], left: Value, rn: Tree, right: Value,
                right_text: str | None = None) -> Value:
        """left op right for op in + * / .* ; a bare I takes its size from the other side.

        `left_text` may be a function: the text is only needed for an error message.
        """
        if isinstance(left, Pending) or isinstance(right, Pending):
            pending = combine_pending(op, left, right)
            if pending is not None:
                return pending
            sized = (None if isinstance(right, Pending) else left.beside(right, op, True)) \
                if isinstance(left, Pending) else right.beside(left, op, False)
            if sized is None:
                raise self.fail(rn, "cannot tell the size of I or 1 here; write it next to a matrix", ShapeMismatch)
            left, right = (sized, right) if isinstance(left, Pending) else (left, sized)
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

    def _postfix(self, node: Tree) -> Value:
        atom, *ops = node.children
        value = self.build(atom)
        for op in ops:
            if isinstance(value, Pending) and op.data == "transpose":
                value = value.transposed()
                continue
            value = self.postfix(op, node, self.resolved(value, node))
        return value

    def postfix(self, op: Tree, node: Tree, value: Expr) -> Expr:
        try:
            if op.data == "transpose":
                return alg.transpose(value)
            if op.data == "inverse":
                return alg.inverse(value)
            if op.data == "inverse_transpose":
                return alg.inverse(alg.transpose(value))
            p = self.exponent(next(c for c in op.children if isinstance(c, Tree)))
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
        except ShapeError as err:
            raise self.fail(op, f"{self.snippet(node)}: {err}", ShapeMismatch) from None

    def exponent(self, node: Tree) -> Fraction:
        numbers = [t for t in node.children if t.type in ("SIGNED_NUMBER", "NUMBER")]
        if any(len(t) > MAX_DIGITS for t in numbers) or (len(numbers) == 2 and Fraction(str(numbers[1])) == 0):
            raise self.fail(node, "this exponent is not a usable number")
        p = Fraction(str(numbers[0])) / (Fraction(str(numbers[1])) if len(numbers) == 2 else 1)
        if abs(p.numerator) > MAX_EXPONENT or p.denominator > MAX_EXPONENT:
            raise self.fail(node, f"exponents are limited to ±{MAX_EXPONENT}")
        return p

    def _number(self, node: Tree) -> Expr:
        return self._number_token(node.children[0])

    def _number_token(self, token: Token) -> Expr:
        if len(token) > MAX_DIGITS:
            raise self.fail(token, f"numbers are limited to {MAX_DIGITS} characters")
        return alg.const(Fraction(str(token)))

    def _frac(self, node: Tree) -> Value:
        _, top, bottom = node.children
        numerator = self.build(top)
        return self.combine("/", self.snippet(top), numerator, bottom, self.build(bottom))

    def _partial(self, node: Tree) -> Expr:
        """∂u/∂x of an abstract function of the problem, as the Jacobian in the answer's layout."""
        top, bottom = node.children[1], node.children[-1]
        fn = re.sub(r"\\partial|\\(mathbf|boldsymbol|bm|mathit|mathrm|vec)|[{}\s\\]", "", str(top))
        spec = self.scope.functions.get(fn)
        if spec is None or spec.kind == "elementwise":
            raise self.fail(top, f"∂{fn}: only an abstract scalar or vector function of the problem has a "
                                 "derivative written this way" + (f"; write {fn}'(…)" if spec else ""))
        arg = self.resolved(self.build(bottom), bottom)
        if spec.kind == "scalar":
            grad = Grad(fn, arg, arg.shape, spec.gradient)
        elif arg.is_vector or arg.is_scalar:
            out = spec.shape or (1, 1)
            grad = Grad(fn, arg, (arg.length, out[0] if out[1] == 1 else out[1]))
        else:
            raise self.fail(bottom, f"∂{fn}/∂{self.snippet(bottom)}: the function takes a vector")
        return grad if self.layout == "denominator" else alg.transpose(grad)

    def _frac_digits(self, node: Tree) -> Expr:
        top, bottom = (int(d) for d in re.findall(r"\d", str(node.children[0])))
        if bottom == 0:
            raise self.fail(node, "division by zero")
        return alg.const(Fraction(top, bottom))

    def _norm(self, node: Tree) -> Expr:
        arg = self.resolved(self.build(node.children[1]), node)
        sub = node.children[3] if len(node.children) > 3 else None
        if sub is not None and "2" in sub and not (arg.is_vector or arg.is_scalar):
            raise self.fail(sub, "the 2-norm of a matrix is its spectral norm, which mcgen does not "
                                 "support; use the Frobenius norm ‖·‖_F")
        return alg.reduce_("norm", arg)

    # -- functions ----------------------------------------------------------------------------
    def _call(self, node: Tree) -> Expr:
        token, body = node.children[0], node.children[1]
        fn, order = function_name(token)
        arg = self.resolved(self.build(body), body)
        return self.apply_to(fn, order, arg, token, body)

    def _prefix_call(self, node: Tree) -> Value:
        """\\det X, \\log\\det X, \\sqrt{x^T x}: the function applied to the operand after it."""
        token, operand = node.children
        fn, order = function_name(token)
        return self.apply_to_operand(fn, order, token, operand)

    def apply_to_operand(self, fn: str, order: int, token: Token | Tree, operand: Tree) -> Expr:
        """f applied to an operand; a bracketed one takes the function first, then its postfixes:
        \\mathbf{u}(\\mathbf{x})^\\top is u(x)ᵀ, as u(x)^T is."""
        if operand.data == "postfix" and operand.children[0].data == "group":
            group, *ops = operand.children
            value = self.apply_to(fn, order, self.resolved(self.build(group), group), token, group)
            for op in ops:
                value = self.postfix(op, operand, value)
            return value
        return self.apply_to(fn, order, self.resolved(self.build(operand), operand), token, operand)

    def apply_to(self, fn: str, order: int, arg: Expr, token: Token | Tree, body: Tree) -> Expr:
        try:
            return self.call(fn, order, arg, token)
        except ShapeError as err:
            raise self.fail(token, f"{fn}({self.snippet(body)}): {err}", ShapeMismatch) from None

    def call(self, fn: str, order: int, arg: Expr, token: Token | Tree) -> Expr:
        spec = self.scope.functions.get(fn)
        value = None if spec or fn in BUILTINS else self.names.lookup(fn)
        if value is not None:  # W(x + b) written without a space: a product, primes are transposes
            for _ in range(order):
                value = alg.transpose(value)
            if not (value.is_scalar or arg.is_scalar) and value.cols != arg.rows:
                raise ShapeError(f"cannot multiply {shape_text(value.shape)} by {shape_text(arg.shape)}")
            return alg.mul(value, arg)
        fn = fn if spec else ALIASES.get(fn, fn)
        if fn in ELEMENTWISE or (spec and spec.kind == "elementwise"):
            return alg.apply(fn, arg, order)
        if order:
            raise self.fail(token, f"{fn}' is not defined: only element-wise functions take a prime")
        if fn in alg.REDUCTIONS:
            return alg.reduce_(fn, arg)
        if fn in ("softmax", "diag", "inv"):
            return {"softmax": alg.softmax, "diag": alg.diag, "inv": alg.inverse}[fn](arg)
        if spec is not None:
            return self.abstract(spec, arg)
        raise self.fail(token, f"unknown function '{fn}'", UnknownName)

    def abstract(self, spec: FunctionSpec, arg: Expr) -> Expr:
        if spec.kind == "scalar" and spec.gradient:
            grad = Grad(spec.name, arg, arg.shape, spec.gradient)
            bound = self.bindings.get(spec.gradient)
            if bound is not None and bound != grad:
                raise ShapeError(f"{spec.name} is applied to two different arguments, "
                                 f"so the name {spec.gradient} would be ambiguous")
            self.bindings[spec.gradient] = grad
        shape: Shape = (1, 1) if spec.kind == "scalar" else (spec.shape or (1, 1))
        return alg.call(spec.name, arg, shape)
