"""Problem files (TOML) → Problem, and the checks on shapes, assumptions and functions they share with the API."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import GeneratorError
from ..files import read_text
from ..tree.edit import inline
from ..tree.nodes import Dim, Shape
from ..tree.scope import FunctionSpec, Scope, Statement
from ..tree.text import statement_text
from ..vocabulary import ASSUMPTIONS, FUNCTION_KINDS, LAYOUTS
from .builder import parse

KEYS = {"title", "expr", "wrt", "shapes", "layout", "assume", "functions", "notes", "hessian", "expand"}
DIM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Problem:
    """One problem file: what to differentiate, by what, with which shapes and in which layout."""

    name: str
    title: str
    expr: str
    wrt: str
    shapes: Mapping[str, Shape]
    layout: str = "denominator"
    assume: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, FunctionSpec] = field(default_factory=dict)
    notes: str = ""
    source: str = "<input>"
    hessian: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)  # sections later stages read (variation, …)


def load(path: str | Path) -> Problem:
    """Read one problem file; every mistake in it is a GeneratorError naming the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as err:
        raise GeneratorError(f"{path}: {_toml_message(err)}") from None
    return from_mapping(data, str(path), name=path.stem)


def _toml_message(err: tomllib.TOMLDecodeError) -> str:
    match = re.search(r"\(at line (\d+), column (\d+)\)", str(err))
    text = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
    return f"line {match.group(1)}, column {match.group(2)}: {text}" if match else str(err)


def from_mapping(data: Mapping[str, Any], source: str, name: str = "problem") -> Problem:
    """A Problem from parsed TOML (or any mapping of the same form)."""
    extra = {k: v for k, v in data.items() if k not in KEYS}
    for key in ("expr", "wrt"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise GeneratorError(f"{source}: '{key}' is missing; expected a string such as "
                                 + ('"z = W x"' if key == "expr" else '"x"'))
    shapes = shapes_from(data.get("shapes"), f"{source}: shapes")
    assume = assumptions_from(data.get("assume"), shapes, f"{source}: assume")
    functions = functions_from(data.get("functions"), f"{source}: functions")
    expr = data["expr"]
    if "expand" in data:
        expr = _expanded(expr, data["expand"], Scope.build(shapes, assume, functions), source)
    return Problem(
        name=name,
        title=_string(data, "title", source, default=data["expr"]),
        expr=expr,
        wrt=data["wrt"],
        shapes=shapes,
        layout=layout_from(data.get("layout", "denominator"), f"{source}: layout"),
        assume=assume,
        functions=functions,
        notes=_string(data, "notes", source, default=""),
        source=source,
        hessian=_boolean(data, "hessian", source),
        extra=extra,
    )


def _expanded(text: str, names: Any, scope: Scope, source: str) -> str:
    """The statement with the named intermediates in `names` written out where they are used, in the
    expression language: a problem that asks for softmax(K q) in the proof and result, not p."""
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise GeneratorError(f"{source}: 'expand' should be a list of names such as [\"p\"], found {names!r}")
    st = parse(text, scope, f"{source}: expr")
    defined = [n for n, _ in st.definitions]
    for n in names:
        if n not in defined:
            listed = ", ".join(defined) or "none"
            raise GeneratorError(f"{source}: expand: '{n}' is not a name the expression defines (it defines: {listed})")
    kept = tuple((n, e.with_args((inline(e.arg, names),))) for n, e in st.definitions if n not in names)
    return statement_text(Statement(inline(st.expr, names), st.output, kept, st.text))


def _string(data: Mapping[str, Any], key: str, source: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise GeneratorError(f"{source}: '{key}' should be a string, found {type(value).__name__}")
    return value


def _boolean(data: Mapping[str, Any], key: str, source: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise GeneratorError(f"{source}: '{key}' should be true or false, found {value!r}")
    return value


def layout_from(value: Any, where: str) -> str:
    if value not in LAYOUTS:
        raise GeneratorError(f"{where}: expected 'denominator' or 'numerator', found {value!r}")
    return value


def dim_from(value: Any, where: str) -> Dim:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise GeneratorError(f"{where}: expected a size such as 3 or a name such as \"n\", found {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise GeneratorError(f"{where}: a size must be at least 1, found {value}")
        return value
    if value.isdigit():
        return dim_from(int(value), where)
    if not DIM_NAME.fullmatch(value):
        raise GeneratorError(f"{where}: expected a size such as 3 or a name such as \"n\", found {value!r}")
    return value


def shapes_from(value: Any, where: str) -> dict[str, Shape]:
    """{"W": ["n", "m"], "x": ["m", 1]} checked and turned into shapes."""
    if not isinstance(value, Mapping) or not value:
        raise GeneratorError(f"{where}: expected a table such as W = [\"n\", \"m\"], x = [\"m\", 1]")
    shapes: dict[str, Shape] = {}
    for name, shape in value.items():
        if not DIM_NAME.fullmatch(name):
            raise GeneratorError(f"{where}: {name!r} is not a valid symbol name")
        if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 2:
            raise GeneratorError(f"{where}.{name}: expected two dimensions such as [\"n\", 1], found {shape!r}")
        shapes[name] = (dim_from(shape[0], f"{where}.{name}"), dim_from(shape[1], f"{where}.{name}"))
    return shapes


def assumptions_from(value: Any, shapes: Mapping[str, Shape], where: str) -> dict[str, str]:
    """{"A": "symmetric"}: each assumption names a declared symbol of a fitting shape."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GeneratorError(f"{where}: expected a table such as A = \"symmetric\"")
    out: dict[str, str] = {}
    for name, kind in value.items():
        if name not in shapes:
            raise GeneratorError(f"{where}.{name}: {name} is not declared under shapes")
        if kind not in ASSUMPTIONS:
            raise GeneratorError(f"{where}.{name}: expected one of {', '.join(ASSUMPTIONS)}, found {kind!r}")
        rows, cols = shapes[name]
        if kind in ("symmetric", "spd") and rows != cols:
            raise GeneratorError(f"{where}.{name}: a {kind} matrix must be square, but {name} is {rows}×{cols}")
        if kind == "probability" and 1 not in (rows, cols):
            raise GeneratorError(f"{where}.{name}: a probability vector must be a vector, but {name} is {rows}×{cols}")
        out[name] = kind
    return out


def functions_from(value: Any, where: str) -> dict[str, FunctionSpec]:
    """{"g": "elementwise"}, {"g": {kind = "scalar", gradient = "delta", hessian = "H"}} or
    {"u": {kind = "vector", shape = ["r", 1]}}."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GeneratorError(f"{where}: expected a table such as g = {{ kind = \"scalar\", gradient = \"delta\" }}")
    out: dict[str, FunctionSpec] = {}
    for name, spec in value.items():
        if isinstance(spec, FunctionSpec):
            out[name] = spec
            continue
        spec = {"kind": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, Mapping) or spec.get("kind") not in FUNCTION_KINDS:
            raise GeneratorError(f"{where}.{name}: expected kind = one of {', '.join(FUNCTION_KINDS)}")
        unknown = set(spec) - {"kind", "shape", "gradient", "hessian"}
        if unknown:
            raise GeneratorError(f"{where}.{name}: unknown key {sorted(unknown)[0]!r}")
        shape = None
        if spec["kind"] == "vector":
            shape = shapes_from({name: spec.get("shape")}, where)[name]
            if 1 not in shape:
                raise GeneratorError(f"{where}.{name}: a vector-valued function needs a vector shape such as [\"r\", 1]")
        gradient = spec.get("gradient")
        if gradient is not None and (spec["kind"] != "scalar" or not DIM_NAME.fullmatch(str(gradient))):
            raise GeneratorError(f"{where}.{name}: 'gradient' names the gradient of a scalar function, e.g. \"delta\"")
        hessian = spec.get("hessian")
        if hessian is not None and (spec["kind"] != "scalar" or not DIM_NAME.fullmatch(str(hessian))
                                    or hessian == gradient):
            raise GeneratorError(f"{where}.{name}: 'hessian' names the Hessian of a scalar function, e.g. \"H\", "
                                 "different from its gradient's name")
        out[name] = FunctionSpec(name, spec["kind"], shape, gradient, hessian)
    return out
