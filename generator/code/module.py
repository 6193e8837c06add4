"""A derivation as a standalone NumPy module: the value and the derivative, random data, a finite-difference check."""
from __future__ import annotations

import numpy as np

from ..check.numeric import evaluate
from ..check.sampling import sample, sizes_for
from ..tree.nodes import Apply, Dim, Expr, Named, Shape, Sym
from ..tree.scope import Scope, Statement
from .numpy import NumpyPrinter, identifier, parameter_names

FUNCTION = "value_and_derivative"
INDENT = "    "


def numpy_module(statement: Statement, wrt: Sym, closed_form: Expr, scope: Scope, layout: str, kind: str,
                 title: str = "") -> str:
    """Python source of a module whose `value_and_derivative(...)` returns the value and the derivative."""
    return _Module(statement, wrt, closed_form, scope, layout, kind).source(title)


class _Module:
    """One generated module: names chosen once, then each function written from them."""

    def __init__(self, statement: Statement, wrt: Sym, closed_form: Expr, scope: Scope, layout: str, kind: str):
        self.statement, self.wrt, self.closed, self.scope = statement, wrt, closed_form, scope
        self.layout, self.kind = layout, kind
        exprs = (statement.expr, closed_form, *(e for _, e in statement.definitions))
        used = {n.name for e in exprs for n in e.walk() if isinstance(n, Sym)} | {wrt.name}
        self.symbols = [s for name, s in scope.symbols.items() if name in used]
        self.names: dict[str, str] = {}
        for s in self.symbols:
            self.names[s.name] = identifier(s.name, self.names.values())
        for name, _ in statement.definitions:
            self.names[name] = identifier(name, self.names.values())
        orders: dict[str, set[int]] = {}
        for e in exprs:
            for n in e.walk():
                if isinstance(n, Apply) and n.fn in scope.functions:
                    orders.setdefault(n.fn, set()).add(n.order)
        self.functions = [spec for name, spec in sorted(scope.functions.items())
                          if name in orders or any(getattr(n, "fn", None) == name for e in exprs for n in e.walk())]
        for spec in self.functions:
            for key, name in parameter_names(spec, sorted(orders.get(spec.name, ()))).items():
                self.names[key] = identifier(name, self.names.values())
        self.dim_names: dict[Dim, str] = {}
        # the sizes mcgen's own check samples at (check/verify.py → sample_for): an order of the sizes at which
        # every inverse, det and logdet argument can have full rank (XᵀX with X m×n needs m ≥ n)
        self.sizes = sizes_for(scope, None, [statement.expr, closed_form])
        for d in sorted({d for s in self.symbols for d in s.shape if isinstance(d, str)} |
                        {d for e in exprs for n in e.walk() for d in n.shape if isinstance(d, str)}):
            self.dim_names[d] = identifier(d, [*self.names.values(), *self.dim_names.values()])
        self.printer = NumpyPrinter(self.names, self.dim_names, scope.functions)

    # -- pieces -------------------------------------------------------------------------------------
    def parameters(self) -> str:
        """The signature: the symbols in declared order, then the abstract functions as keyword arguments."""
        args = [self.names[s.name] for s in self.symbols]
        keywords = [name for key, name in self.names.items() if key not in self.scope.symbols
                    and key not in dict(self.statement.definitions)]
        return ", ".join(args + (["*", *keywords] if keywords else []))

    def dim(self, d: Dim) -> str:
        """A size as code: its variable, the number, or a product of them."""
        return self.printer.dim(d)

    def shape_text(self, shape: Shape) -> str:
        """`(m, n)` in code."""
        return f"({self.dim(shape[0])}, {self.dim(shape[1])})"

    def assign(self, name: str, e: Expr) -> list[str]:
        """`name = code`, after the temporaries the code needs."""
        start = len(self.printer.temporaries)
        code = self.printer.code(e)
        return [f"{t} = {c}" for t, c in self.printer.temporaries[start:]] + [f"{name} = {code}"]

    def inputs(self, known: set[Dim]) -> list[str]:
        """Every argument as a float array of its shape, and the sizes read off (and checked against) them."""
        lines = []
        for s in self.symbols:
            name = self.names[s.name]
            rows, cols = s.shape
            reshape = {(1, 1): ".reshape(1, 1)"}.get((rows, cols), ".reshape(-1, 1)" if cols == 1 else
                                                   ".reshape(1, -1)" if rows == 1 else "")
            lines.append(f"{name} = np.asarray({name}, dtype=float){reshape}")
            lines += self.read_sizes(name, s.shape, known)
            lines.append(f"assert {name}.shape == {self.shape_text(s.shape)}, "
                         f"f\"{name} must be {self.shape_text(s.shape)}, not {{{name}.shape}}\"")
        return lines

    def read_sizes(self, name: str, shape: Shape, known: set[Dim]) -> list[str]:
        """`n = x.shape[0]` for each size first seen in the shape of `name`."""
        lines = []
        for k, d in enumerate(shape):
            if isinstance(d, str) and d not in known:
                lines.append(f"{self.dim(d)} = np.shape({name})[{k}]")
                known.add(d)
        return lines

    def body(self) -> list[str]:
        """The lines of value_and_derivative: inputs, intermediates, the value, the derivative."""
        known: set[Dim] = set()
        lines = self.inputs(known)
        for name, e in self.statement.definitions:
            lines += self.assign(self.names[name], e.arg if isinstance(e, Named) else e)
            lines += self.read_sizes(self.names[name], e.shape, known)  # the output size of an abstract function
        lines += self.assign("value", self.statement.expr)
        lines += self.read_sizes("value", self.statement.expr.shape, known)
        lines += self.assign("derivative", self.closed)
        out = self.statement.expr.shape
        lines.append("value = float(np.asarray(value).reshape(()))" if out == (1, 1) else
                     "value = np.asarray(value, dtype=float)")
        lines.append(f"derivative = np.broadcast_to(derivative, {self.shape_text(self.closed.shape)}).astype(float)")
        return lines + self.tensor() + ["return value, derivative"]

    def tensor(self) -> list[str]:
        """A tensor's closed form is its vec–Jacobian J = ∂vec(Y)/∂vec(X)ᵀ (column-major): J[p + P q, i + M j] =
        ∂Y_pq/∂X_ij, so a column-major reshape gives the array, whose axes then follow the layout."""
        if not self.is_tensor or self.wrt.is_scalar:
            return []
        out = self.wrt.shape if self.kind == "hessian" else self.statement.expr.shape
        full = ", ".join(self.dim(d) for d in (*out, *self.wrt.shape))
        kept = ", ".join(self.dim(d) for d in (*_axes(out), *_axes(self.wrt.shape))) + ","
        jacobian = "derivative.T" if self.layout == "denominator" and self.kind != "hessian" else "derivative"
        lines = [f'derivative = {jacobian}.reshape(({full}), order="F").reshape(({kept}))']
        if self.layout == "denominator" and self.kind != "hessian":  # the variable's axes first
            n_out, n_var = len(_axes(out)), len(_axes(self.wrt.shape))
            order = [*range(n_out, n_out + n_var), *range(n_out)]
            lines.append(f"derivative = derivative.transpose({tuple(order)})")
        return lines

    @property
    def is_tensor(self) -> bool:
        """Whether the derivative has more than two axes or is a matrix by a scalar (mcgen's kind tensor)."""
        return self.kind == "tensor" or self.kind == "hessian" and not (self.wrt.is_vector or self.wrt.is_scalar)

    def contraction(self) -> list[str]:
        """The derivative applied to a direction (what finite differences approximate), by kind and layout."""
        if self.is_tensor:
            return self.tensor_contraction()
        if self.kind == "hessian":
            return ["approx = (at(step) - 2 * at(0.0) + at(-step)) / step**2",
                    "exact = (direction.reshape(1, -1) @ derivative @ direction.reshape(-1, 1)).item()"]
        lines = ["approx = (at(step) - at(-step)) / (2 * step)"]
        if self.kind == "gradient":
            d = "derivative" if self.layout == "denominator" else "derivative.T"
            return lines + [f"exact = np.sum({d} * direction)"]
        d = "derivative.T" if self.layout == "denominator" else "derivative"
        return lines + [f"exact = ({d} @ direction.reshape(-1, 1)).reshape(np.shape(approx))"]

    def tensor_contraction(self) -> list[str]:
        """A tensor contracted with the direction over the variable's axes (np.tensordot)."""
        count = len(_axes(self.wrt.shape))
        along = {0: "direction.item()", 1: "direction.reshape(-1)"}.get(count, "direction")
        if self.kind == "hessian":
            return ["approx = (at(step) - 2 * at(0.0) + at(-step)) / step**2",
                    f"exact = float(np.tensordot(np.tensordot({along}, derivative, axes={count}), {along}, "
                    f"axes={count}))"]
        contracted = (f"np.tensordot({along}, derivative, axes={count})" if self.layout == "denominator"
                      else f"np.tensordot(derivative, {along}, axes={count})")
        return ["approx = (at(step) - at(-step)) / (2 * step)",
                f"exact = {contracted}.reshape(np.shape(approx))"]

    def check(self) -> list[str]:
        """The lines of check_derivative."""
        var = self.names[self.wrt.name]
        step = "1e-4" if self.kind == "hessian" else "1e-6"
        symmetric = ["direction = (direction + direction.T) / 2"] if self.wrt.props & {"symmetric", "spd"} else []
        return [
            "def check_derivative(data, functions=None, seed=0):",
            f'{INDENT}"""Relative error of the derivative against central finite differences along a random direction."""',
            f"{INDENT}functions = functions or {{}}",
            f"{INDENT}rng = np.random.default_rng(seed)",
            f"{INDENT}_, derivative = {FUNCTION}(**data, **functions)",
            f"{INDENT}point = np.asarray(data[{var!r}], dtype=float)",
            f"{INDENT}direction = rng.standard_normal(point.shape)",
            *(INDENT + line for line in symmetric),
            f"{INDENT}step = {step}",
            "",
            f"{INDENT}def at(t):",
            f"{INDENT * 2}moved = dict(data, {var}=point + t * direction)",
            f"{INDENT * 2}return np.asarray({FUNCTION}(**moved, **functions)[0], dtype=float)",
            "",
            *(INDENT + line for line in self.contraction()),
            f"{INDENT}return float(np.linalg.norm(approx - exact) / max(1.0, float(np.linalg.norm(exact))))",
        ]

    def random_data(self) -> list[str]:
        """The lines of random_data, with the sizes mcgen's own check uses as defaults."""
        positive = self.positive()
        dims = ", ".join(f"{self.dim_names[d]}={self.sizes[d]}" for d in sorted(self.dim_names))
        lines = [f"def random_data(rng{', ' + dims if dims else ''}):",
                 f'{INDENT}"""Random values for every argument, honouring the assumptions."""',
                 f"{INDENT}data = {{}}"]
        for s in self.symbols:
            r, c = self.dim(s.shape[0]), self.dim(s.shape[1])
            if "probability" in s.props:
                code = [f"rng.dirichlet(np.ones({r} * {c})).reshape({r}, {c})"]
            elif s.props & {"spd", "symmetric"}:
                spd = "spd" in s.props
                shift = "" if not positive or spd else f" + 2 * np.eye({r})"
                code = [f"b = rng.standard_normal(({r}, {r}))",
                        f"b @ b.T / {r} + np.eye({r})" if spd else f"(b + b.T) / 2{shift}"]
            elif positive:
                square = f" + np.eye({r})" if s.shape[0] == s.shape[1] else ""
                code = [f"rng.uniform(0.3, 1.3, ({r}, {c})){square}"]
            elif s.shape[0] == s.shape[1] and s.shape != (1, 1):
                code = [f"np.eye({r}) + rng.standard_normal(({r}, {r})) / np.sqrt({r})"]
            else:
                code = [f"rng.standard_normal(({r}, {c}))"]
            lines += [INDENT + line for line in code[:-1]] + [f"{INDENT}data[{self.names[s.name]!r}] = {code[-1]}"]
        return lines + [f"{INDENT}return data"]

    def positive(self) -> bool:
        """Whether the data must be drawn positive (a log or a square root of the data), as mcgen's check draws it."""
        exprs = (self.statement.expr, self.closed)
        for seed in range(4):
            values = sample(self.scope, self.sizes, np.random.default_rng(seed))
            try:
                with np.errstate(all="ignore"):
                    if all(np.all(np.isfinite(evaluate(e, values, self.scope, self.sizes))) for e in exprs):
                        return False
            except np.linalg.LinAlgError:
                continue
        return True

    def examples(self) -> list[str]:
        """Example stand-ins for the abstract functions, used by the demonstration below."""
        lines = []
        for spec in self.functions:
            if spec.kind == "elementwise":
                waves = ["np.sin(t)", "np.cos(t)", "-np.sin(t)", "-np.cos(t)"]
                for key, name in parameter_names(spec, range(4)).items():
                    if key in self.names:
                        lines.append(f"{INDENT}{self.names[key]!r}: lambda t: {waves[len(key) - len(spec.name)]},")
            elif spec.kind == "scalar":
                lines += [f"{INDENT}{self.names[spec.name]!r}: lambda f: float(np.sum(np.sin(f))),",
                          f"{INDENT}{self.names['∂' + spec.name]!r}: lambda f: np.cos(f).reshape(-1, 1),"]
                if "∂²" + spec.name in self.names:
                    lines.append(f"{INDENT}{self.names['∂²' + spec.name]!r}: lambda f: np.diag(-np.sin(np.ravel(f))),")
            else:
                rows = self.sizes[spec.shape[0]] if isinstance(spec.shape[0], str) else spec.shape[0]
                weights = f"np.cos(np.arange({rows} * np.size(f)).reshape({rows}, -1) + 1.0)"
                lines += [f"{INDENT}{self.names[spec.name]!r}: lambda f: np.tanh({weights} @ np.reshape(f, (-1, 1))),",
                          f"{INDENT}{self.names['∂' + spec.name]!r}: lambda f: (1 - np.tanh({weights} @ "
                          f"np.reshape(f, (-1, 1))) ** 2) * {weights},"]
        return ["EXAMPLE_FUNCTIONS = {", *lines, "}"] if lines else ["EXAMPLE_FUNCTIONS = {}"]

    def source(self, title: str) -> str:
        """The whole module."""
        body = self.body()
        out = self.closed.shape
        what = {"gradient": "gradient", "jacobian": "Jacobian", "hessian": "Hessian"}.get(self.kind, self.kind)
        shape = f"{out[0]}×{out[1]}"
        if self.is_tensor and not self.wrt.is_scalar:
            var, top = _axes(self.wrt.shape), _axes(self.statement.expr.shape)
            axes = var + var if self.kind == "hessian" else var + top if self.layout == "denominator" else top + var
            shape = "×".join(map(str, axes)) + ", as an array with these axes"
        doc = (f"The value of {self.statement.text or 'the expression'} and its {what} by {self.wrt.name} "
               f"({self.layout} layout, {shape}).")
        lines = [
            f'"""{title or "Written by mcgen"}: the value and the derivative with NumPy, and a finite-difference check."""',
            "import numpy as np",
            "",
        ]
        if self.printer.needs_softmax:
            lines += ["", "def softmax(v):", f'{INDENT}"""exp(v) / sum(exp(v)), computed stably."""',
                      f"{INDENT}w = np.exp(v - np.max(v))", f"{INDENT}return w / np.sum(w)", ""]
        if self.printer.needs_commutation:
            lines += ["", "def commutation(m, n):",
                      f'{INDENT}"""K with K @ vec(A) = vec(A.T) for an m×n matrix A (vec stacks columns)."""',
                      f"{INDENT}k = np.zeros((m * n, m * n))", f"{INDENT}for p in range(m):",
                      f"{INDENT * 2}for q in range(n):", f"{INDENT * 3}k[q + n * p, p + m * q] = 1.0",
                      f"{INDENT}return k", ""]
        lines += ["", f"def {FUNCTION}({self.parameters()}):", f'{INDENT}"""{doc}"""',
                  *(INDENT + line for line in body), "", "", *self.check(), "", "", *self.random_data(), "", "",
                  *self.examples(), "", "",
                  'if __name__ == "__main__":',
                  f"{INDENT}data = random_data(np.random.default_rng(0))",
                  f"{INDENT}value, derivative = {FUNCTION}(**data, **EXAMPLE_FUNCTIONS)",
                  f'{INDENT}print("value =", value)',
                  f'{INDENT}print("derivative =", derivative)',
                  f'{INDENT}print("finite-difference check, relative error:", check_derivative(data, EXAMPLE_FUNCTIONS))']
        return "\n".join(lines) + "\n"



def _axes(shape: Shape) -> tuple[Dim, ...]:
    """A value's axes: a vector's unit axis dropped, none for a scalar (pipeline/derivation.axes)."""
    if shape == (1, 1):
        return ()
    if 1 in shape:
        return (shape[0] if shape[1] == 1 else shape[1],)
    return tuple(shape)
