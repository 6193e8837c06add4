"""The code's architecture, checked: layers import only downward, no import cycles, small modules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "generator"
LONGEST = 400  # lines per module

# Bottom to top, as in the README's code layout; a module imports only from its own layer or below.
# Where the code says otherwise: ops/ is written over a kit of constructors and imports nothing of
# generator/, while tree/algebra reads the registry (reduce_'s canonical forms), so ops/ sits below tree/;
# code/ (the NumPy and Maxima printers) sits beside latex/, as its docstring says.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "vocabulary", "files"), ("ops",), ("tree",), ("parse",), ("calculus",), ("check",), ("proof",), ("latex", "code"),
    ("pipeline",), ("render",), ("sheets", "grading"), ("serve", "export"), ("api", "cli", ""),
]
LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def layer(name: str) -> int:
    """generator.tree.algebra → the level of tree; generator itself (it re-exports api) is the top."""
    parts = name.split(".")
    return LEVEL[parts[1] if len(parts) > 1 else ""]


def imports(name: str) -> list[tuple[str, int]]:
    """(module of generator, line) for every import the module makes: at the top, inside functions,
    under `if TYPE_CHECKING`, anywhere in its syntax tree."""
    found = []
    package = name if is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "generator"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").split(".")[0] == "generator":
                source = node.module or ""
            else:
                continue
            # `from .tree import algebra` imports the module generator.tree.algebra
            found += [(f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source, node.lineno)
                      for a in node.names]
    return [(target, line) for target, line in found if target in MODULES and target != name]


GRAPH = {name: sorted(set(imports(name))) for name in MODULES}


def describe(level: int) -> str:
    return f"layer {level} ({', '.join(part or 'generator' for part in LAYERS[level])})"


def test_every_module_has_a_layer():
    unknown = [name for name in MODULES if (name.split(".") + [""])[1] not in LEVEL]
    assert not unknown, f"modules outside the layers of the README's code layout: {unknown}; add their folder to LAYERS"


def upward(name: str) -> list[str]:
    """The imports of `name` from a higher layer, as messages."""
    return [f"{MODULES[name].relative_to(ROOT.parent)}:{line} imports {target}, {describe(layer(target))}, "
            f"from {describe(layer(name))}"
            for target, line in GRAPH[name] if layer(target) > layer(name)]


@pytest.mark.parametrize("name", list(MODULES))
def test_module_imports_only_from_its_layer_or_below(name):
    found = upward(name)
    assert not found, "imports from a higher layer:\n" + "\n".join(found)


def cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each as a list of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w, _ in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def shown_cycles() -> list[str]:
    """The import cycles, as messages naming each import that closes one."""
    shown = []
    for component in cycles(GRAPH):
        members = set(component)
        edges = [f"  {MODULES[a].relative_to(ROOT.parent)}:{line} imports {b}"
                 for a in component for b, line in GRAPH[a] if b in members]
        shown.append("cycle between " + ", ".join(component) + ":\n" + "\n".join(edges))
    return shown


def test_no_import_cycles():
    shown = shown_cycles()
    assert not shown, "\n".join(shown)


def test_cycle_finder_finds_a_cycle_and_leaves_a_chain_alone():
    assert cycles({"a": [("b", 1)], "b": [("c", 1)], "c": [("a", 1)], "d": [("a", 1)]}) == [["a", "b", "c"]]
    assert cycles({"a": [("b", 1)], "b": [("c", 1)], "c": []}) == []


@pytest.mark.parametrize("name", list(MODULES))
def test_module_is_short(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= LONGEST, f"{MODULES[name].relative_to(ROOT.parent)} has {lines} lines; split it"


@pytest.mark.parametrize("name", [name for name in MODULES if is_package(name)])
def test_package_says_its_job_in_one_line(name):
    doc = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8")), clean=False)
    assert doc and doc.strip() and "\n" not in doc.strip(), f"{MODULES[name]} needs a one-line docstring"
