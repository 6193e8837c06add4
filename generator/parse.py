"""Text in the expression language → a shaped expression tree, through grammar.lark (never eval)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from . import algebra as alg
from .errors import ParseError, ShapeError
from .expr import Dim, Expr, Grad, Identity, Shape, shape_text
from .model import FunctionSpec, Scope, Statement

MAX_LENGTH = 2000
MAX_NESTING = 32

ELEMENTWISE = ("exp", "log", "tanh", "sigma", "sin", "cos", "tan", "sqrt")
BUILTINS = ELEMENTWISE + alg.REDUCTIONS + ("softmax", "diag", "inv")

EXPECTED = {  # terminal → words for "expected …"
    "NAME": "a name", "NUMBER": "a number", "SIGNED_NUMBER": "a number", "CALL": "a function",
    "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'", "PLUS": "'+'", "MINUS": "'-'",
    "MULOP": "an operator", "TRANSPOSE": "'^T'", "INVERSE_T": "'^-T'", "CIRCUMFLEX": "'^'",
    "__ANON_0": "'.^'", "EQUAL": "'='", "SEMICOLON": "';'", "NEWLINE": "a new line",
    "SLASH": "'/'", "$END": "the end",
}


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True)


def parse(text: str, scope: Scope, source: str = "<input>", expect: Shape | None = None) -> Statement:
    """Parse `name = expr` statements (separated by ';' or new lines); the last one is the result.

    `expect` is the shape the result should have; it only sizes a lone `I`.
    """
    tree = _syntax(text, source)
    return _Builder(text, scope, source, expect).statements(tree)


def parse_expr(text: str, scope: Scope, source: str = "<input>") -> Expr:
    """Parse one expression and return its tree."""
    return parse(text, scope, source).expr


def _syntax(text: str, source: str) -> Tree:
    if len(text) > MAX_LENGTH:
        raise ParseError(f"{source}: the expression has {len(text)} characters; the limit is {MAX_LENGTH}")
    depth = 0
    for column, char in enumerate(text, 1):
        depth += (char in "({") - (char in ")}")
        if depth > MAX_NESTING:
            raise ParseError(f"{source}: column {column}: brackets nested deeper than {MAX_NESTING}")
    if not text.strip():
        raise ParseError(f"{source}: column 1: expected an expression, found nothing")
    try:
        return _parser().parse(text)
    except UnexpectedInput as err:
        raise ParseError(_syntax_message(err, text, source)) from None


def _syntax_message(err: UnexpectedInput, text: str, source: str) -> str:
    if isinstance(err, UnexpectedCharacters):
        found, expected = repr(text[err.pos_in_stream]), err.allowed
    elif isinstance(err, UnexpectedEOF):
        found, expected = "the end", err.expected
    elif isinstance(err, UnexpectedToken):
        found = "the end" if err.token.type == "$END" else repr(str(err.token))
        expected = err.expected
    else:  # pragma: no cover - lark has no other kinds
        found, expected = "something else", set()
    words = sorted({EXPECTED.get(t, repr(t.lower())) for t in expected or ()})
    want = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else (words or ["nothing"])[0]
    where = _where(text, getattr(err, "line", 1), getattr(err, "column", len(text) + 1))
    return f"{source}: {where}: expected {want}, found {found}"


def _where(text: str, line: int, column: int) -> str:
    if line in (None, -1) or column in (None, -1):
        line, column = text.count("\n") + 1, len(text.rsplit("\n", 1)[-1]) + 1
    return f"line {line}, column {column}" if "\n" in text.strip() else f"column {column}"


@dataclass(frozen=True)
class _Eye:
    """c·I before a neighbour tells its size."""

    coeff: Expr = alg.ONE

    def sized(self, n: Dim) -> Expr:
        return alg.mul(self.coeff, Identity(n))


Value = Expr | _Eye


class _Builder:
    """Walks the parse tree, looking names up in the scope and checking shapes as it builds."""

    def __init__(self, text: str, scope: Scope, source: str, expect: Shape | None = None):
        self.text, self.scope, self.source, self.expect = text, scope, source, expect
        self.bindings: dict[str, Expr] = {}

    # -- errors -------------------------------------------------------------------------------
    def fail(self, node: Tree | Token, message: str) -> ParseError:
        meta = getattr(node, "meta", node)
        line, column = getattr(meta, "line", 1), getattr(meta, "column", 1)
        return ParseError(f"{self.source}: {_where(self.text, line, column)}: {message}")

    def snippet(self, node: Tree) -> str:
        return self.text[node.meta.start_pos:node.meta.end_pos].strip()

    def described(self, node: Tree, expr: Expr) -> str:
        return f"{self.snippet(node)} ({shape_text(expr.shape)})"

    # -- statements ---------------------------------------------------------------------------
    def statements(self, tree: Tree) -> Statement:
        definitions: list[tuple[str, Expr]] = []
        output, expr = None, None
        statements = [s for s in tree.children if isinstance(s, Tree)]
        for i, stmt in enumerate(statements):
            name = stmt.children[0] if isinstance(stmt.children[0], Token) else None
            last = i == len(statements) - 1
            expr = self.resolved(self.build(stmt.children[-1]), stmt, last)
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
        if not isinstance(value, _Eye):
            return value
        if last and self.expect is not None and self.expect[0] == self.expect[1]:
            return value.sized(self.expect[0])
        raise self.fail(node, "cannot tell the size of I here; write it next to a matrix")

    # -- the tree -----------------------------------------------------------------------------
    def build(self, node: Tree) -> Value:
        return getattr(self, f"_{node.data}")(node)

    def _sum(self, node: Tree) -> Value:
        items = node.children
        total = self.build(items[0])
        for op, right_node in zip(items[1::2], items[2::2]):
            right = self.build(right_node)
            if op.type == "MINUS":
                right = _negate(right)
            left_text = self.text[items[0].meta.start_pos:op.start_pos].strip()
            total = self.combine("+", left_text, total, right_node, right)
        return total

    def _signed(self, node: Tree) -> Value:
        *signs, product = node.children
        value = self.build(product)
        if sum(1 for s in signs if s.type == "MINUS") % 2:
            value = _negate(value)
        return value

    def _product(self, node: Tree) -> Value:
        items = node.children
        value = self.build(items[0])
        start, end, op = items[0].meta.start_pos, items[0].meta.end_pos, "*"
        for item in items[1:]:
            if isinstance(item, Token):
                op = str(item)
                continue
            value = self.combine(op, self.text[start:end].strip(), value, item, self.build(item))
            end, op = item.meta.end_pos, "*"
        return value

    def combine(self, op: str, left_text: str, left: Value, rn: Tree, right: Value) -> Value:
        """left op right for op in + * / .* ; a bare I takes its size from the other side."""
        if isinstance(left, _Eye) or isinstance(right, _Eye):
            eye = _combine_identity(op, left, right)
            if eye is not None:
                return eye
            if isinstance(left, _Eye):
                left = left.sized(right.rows)
            else:
                right = right.sized(left.cols if op == "*" else left.rows)
        lhs, rhs = f"{left_text} ({shape_text(left.shape)})", self.described(rn, right)
        if op == "+":
            if left.shape != right.shape and not (left.is_scalar or right.is_scalar):
                raise self.fail(rn, f"cannot add {lhs} and {rhs}")
            return alg.add(left, right)
        if op == "/":
            if not right.is_scalar:
                raise self.fail(rn, f"can only divide by a scalar, but {rhs} is not 1×1")
            return alg.mul(left, alg.power(right, -1))
        if op == ".*":
            if left.shape != right.shape:
                raise self.fail(rn, f"cannot multiply element-wise {lhs} and {rhs}")
            return alg.hadamard(left, right)
        if not (left.is_scalar or right.is_scalar) and left.cols != right.rows:
            raise self.fail(rn, f"cannot multiply {lhs} by {rhs}: inner dimensions {left.cols} and {right.rows} differ")
        return alg.mul(left, right)

    def _postfix(self, node: Tree) -> Value:
        atom, *ops = node.children
        value = self.build(atom)
        for op in ops:
            if isinstance(value, _Eye) and op.data == "transpose":
                continue
            value = self.postfix(op, node, self.resolved(value, node))
        return value

    def postfix(self, op: Tree, node: Tree, value: Expr) -> Expr:
        try:
            if op.data == "transpose":
                return alg.transpose(value)
            if op.data == "inverse_transpose":
                return alg.inverse(alg.transpose(value))
            p = _exponent(op.children[0])
            if op.data == "elementwise_power" or value.is_scalar:
                return alg.power(value, p)
            if p.denominator != 1:
                raise ShapeError("use .^ for an element-wise power")
            if value.rows != value.cols:
                raise ShapeError(f"{shape_text(value.shape)} is not square; use .^ for an element-wise power")
            base = alg.inverse(value) if p < 0 else value
            return alg.mul(*[base] * abs(int(p))) if p else Identity(value.rows)
        except ShapeError as err:
            raise self.fail(op, f"{self.snippet(node)}: {err}") from None

    def _number(self, node: Tree) -> Expr:
        return alg.const(Fraction(str(node.children[0])))

    def _name(self, node: Tree) -> Value:
        name = str(node.children[0])
        if name in self.bindings:
            return self.bindings[name]
        if name in self.scope.symbols:
            return self.scope.symbols[name]
        if name == "I":
            return _Eye()
        if name in BUILTINS or name in self.scope.functions:
            raise self.fail(node, f"{name} is a function: write {name}(…)")
        known = ", ".join(sorted([*self.scope.symbols, *self.bindings])) or "none"
        raise self.fail(node, f"unknown name '{name}' (declared: {known})")

    def _call(self, node: Tree) -> Expr:
        token, body = node.children
        fn = str(token)[:-1]
        order = len(fn) - len(fn.rstrip("'"))
        fn = fn.rstrip("'")
        arg = self.resolved(self.build(body), body)
        try:
            return self.call(fn, order, arg, token)
        except ShapeError as err:
            raise self.fail(token, f"{fn}({self.snippet(body)}): {err}") from None

    def call(self, fn: str, order: int, arg: Expr, token: Token) -> Expr:
        spec = self.scope.functions.get(fn)
        if fn in ELEMENTWISE or (spec and spec.kind == "elementwise"):
            return alg.apply(fn, arg, order)
        value = self.bindings.get(fn) or self.scope.symbols.get(fn)
        if value is not None:  # W(x + y) written without a space: a product, primes are transposes
            for _ in range(order):
                value = alg.transpose(value)
            if not (value.is_scalar or arg.is_scalar) and value.cols != arg.rows:
                raise ShapeError(f"cannot multiply {shape_text(value.shape)} by {shape_text(arg.shape)}")
            return alg.mul(value, arg)
        if order:
            raise self.fail(token, f"{fn}' is not defined: only element-wise functions take a prime")
        if fn in alg.REDUCTIONS:
            return alg.reduce_(fn, arg)
        if fn in ("softmax", "diag", "inv"):
            return {"softmax": alg.softmax, "diag": alg.diag, "inv": alg.inverse}[fn](arg)
        if spec is not None:
            return self.abstract(spec, arg)
        raise self.fail(token, f"unknown function '{fn}'")

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


def _negate(value: Value) -> Value:
    return _Eye(alg.neg(value.coeff)) if isinstance(value, _Eye) else alg.neg(value)


def _exponent(node: Tree) -> Fraction:
    numbers = [Fraction(str(t)) for t in node.children]
    return numbers[0] / numbers[1] if len(numbers) == 2 else numbers[0]


def _combine_identity(op: str, left: Value, right: Value) -> _Eye | None:
    """The combinations that leave the size of I open: c·I, I/c, I + I, I·I."""
    lc = left.coeff if isinstance(left, _Eye) else left
    rc = right.coeff if isinstance(right, _Eye) else right
    if isinstance(left, _Eye) and isinstance(right, _Eye):
        return _Eye(alg.add(lc, rc) if op == "+" else alg.mul(lc, rc)) if op != "/" else None
    if isinstance(left, _Eye) and rc.is_scalar and op in ("*", "/"):
        return _Eye(alg.mul(lc, alg.power(rc, -1) if op == "/" else rc))
    if isinstance(right, _Eye) and lc.is_scalar and op == "*":
        return _Eye(alg.mul(lc, rc))
    return None
