"""The NumPy export: every shipped problem's generated module runs, agrees with d.numeric, and passes its own check."""
from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generator import derive, derive_problem, load
from generator.cli import main
from generator.check.numeric import abstract_elementwise, evaluate
from generator.check.sampling import sample_for
from generator.code.numpy import identifier, parameter_names
from generator.ops import OPS
from generator.tree.nodes import Call, Grad, Hess, Sym
from generator.tree.scope import Scope

ROOT = Path(__file__).parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.toml"))


def _module(source: str, path: Path):
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _functions(d, sizes) -> dict:
    """mcgen's own stand-ins for the abstract functions (check/numeric.py), under the module's parameter names."""
    out = {}
    for name, spec in d.scope.functions.items():
        names = parameter_names(spec, range(4))
        if spec.kind == "elementwise":
            for key, param in names.items():
                out[param] = lambda t, n=name, k=len(key) - len(name): abstract_elementwise(n, np.asarray(t), k)
            continue
        rows = 1 if spec.kind == "scalar" else sizes.get(spec.shape[0], spec.shape[0])

        def at(node, f, n=name, s=spec):
            f = np.reshape(np.asarray(f, dtype=float), (-1, 1))
            scope = Scope({"f": Sym("f", (f.shape[0], 1))}, {n: s})
            return evaluate(node(Sym("f", (f.shape[0], 1)), f.shape[0]), {"f": f}, scope, sizes)

        if spec.kind == "scalar":
            out[names[name]] = lambda f, n=name, at=at: float(at(lambda F, k: Call(n, F, (1, 1)), f)[0, 0])
            out[names["∂" + name]] = lambda f, n=name, at=at: at(lambda F, k: Grad(n, F, (k, 1)), f)
            if "∂²" + name in names:  # a named Hessian, for second derivatives through g
                out[names["∂²" + name]] = lambda f, n=name, h=spec.hessian, at=at: at(
                    lambda F, k: Hess(n, F, (k, k), h), f)
        else:
            out[names[name]] = lambda f, n=name, r=rows, at=at: at(lambda F, k: Call(n, F, (r, 1)), f)
            out[names["∂" + name]] = lambda f, n=name, r=rows, at=at: at(
                lambda F, k: Grad(n, F, (r, k), None, "numerator"), f)
    return out


def _used(d) -> set[str]:
    exprs = [d.statement.expr, d.closed_form, *(e for _, e in d.statement.definitions)]
    return {n.name for e in exprs for n in e.walk() if isinstance(n, Sym)} | {d.wrt.name}


def _accepted(module, functions: dict) -> dict:
    params = inspect.signature(module.value_and_derivative).parameters
    return {k: v for k, v in functions.items() if k in params}


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_generated_module_agrees_with_numeric_and_checks_itself(path, tmp_path):
    d = derive_problem(load(path))
    module = _module(d.to_numpy(), tmp_path / "generated.py")
    values, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=11)
    functions = _accepted(module, _functions(d, sizes))
    args = {identifier(name): values[name] for name in d.scope.symbols if name in _used(d)}
    value, derivative = module.value_and_derivative(**args, **functions)
    # d.numeric reads the sizes off the values; a size only an abstract function's output has (u: ℝⁿ → ℝᵈ) is not there
    read_off = {dim for s in d.scope.symbols.values() for dim in s.shape}
    expected = d.numeric(values) if set(sizes) <= read_off else evaluate(d.closed_form, values, d.scope, sizes)
    assert derivative.shape == expected.shape
    assert np.allclose(derivative, expected, rtol=1e-9, atol=1e-12)
    want = evaluate(d.statement.expr, values, d.scope, sizes)
    assert np.allclose(value, want.item() if want.size == 1 else want, rtol=1e-9, atol=1e-12)
    limit = 1e-3 if d.kind == "hessian" else 1e-5
    assert module.check_derivative(args, functions) < limit


@pytest.mark.parametrize("name", sorted(OPS.functions))
def test_every_registered_function_writes_as_numpy(name, tmp_path):
    """The registry's numpy_code and its derivative formulas, written as code, through one module per function."""
    d = derive(f"y = sum({name}(W x))", "W", {"W": ("n", "m"), "x": ("m", 1)})
    module = _module(d.to_numpy(), tmp_path / "generated.py")
    values, _ = sample_for([d.statement.expr, d.closed_form], d.scope, seed=3)
    _, derivative = module.value_and_derivative(**values)
    assert np.allclose(derivative, d.numeric(values), rtol=1e-9, atol=1e-12)
    assert module.check_derivative(values) < 1e-5


@pytest.mark.parametrize("name", sorted(OPS.reductions))
def test_every_reduction_writes_as_numpy(name, tmp_path):
    shapes = {"X": ("n", "n")} if OPS.reductions[name].square else {"X": ("n", "m")}
    d = derive(f"y = {name}(X)", "X", shapes, assume={"X": "spd"} if name == "logdet" else None)
    module = _module(d.to_numpy(), tmp_path / "generated.py")
    values, _ = sample_for([d.statement.expr, d.closed_form], d.scope, seed=5)
    value, derivative = module.value_and_derivative(**values)
    assert value == pytest.approx(OPS.reductions[name].numpy(values["X"]), rel=1e-12)
    assert np.allclose(derivative, d.numeric(values), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("args", [
    ["problems/lecture-6-g-of-f.toml"],
    ["problems/model-hessian-logsumexp.toml"],
    ["y = lambda^2 sum(x)", "--wrt", "x", "--shape", "x=n,1", "--shape", "lambda=1,1"],
    # defined only at some sizes: XᵀX needs m ≥ n, XXᵀ needs m ≥ n the other way round
    ["y = log(det(X^T X))", "--wrt", "X", "--shape", "X=m,n"],
    ["y = tr((X X^T)^-1)", "--wrt", "X", "--shape", "X=n,m"],
    ["y = logdet(X^T X) + tr(A X)", "--wrt", "X", "--shape", "X=r,s", "--shape", "A=s,r"],
])
def test_cli_writes_a_module_that_runs_and_checks_itself(args, tmp_path):
    """`mcgen derive … --format numpy` as a user runs it: the script prints the value, derivative and a small error."""
    made = CliRunner().invoke(main, ["derive", *[str(ROOT / a) if a.endswith(".toml") else a for a in args],
                                     "--format", "numpy"])
    assert made.exit_code == 0, made.output
    script = tmp_path / "derivative.py"
    script.write_text(made.output, encoding="utf-8")
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    error = float(ran.stdout.strip().splitlines()[-1].rsplit(" ", 1)[1])
    assert "value =" in ran.stdout and error < 1e-4


@pytest.mark.parametrize("expr, shapes", [
    ("y = log(det(X^T X))", {"X": ("m", "n")}),
    ("y = tr((X X^T)^-1)", {"X": ("n", "m")}),
    ("y = logdet(X^T X) + tr(A X)", {"X": ("r", "s"), "A": ("s", "r")}),
])
def test_random_data_defaults_are_the_sizes_of_mcgens_own_check(expr, shapes, tmp_path):
    """random_data's default sizes are the ones mcgen's check sampled at, where the expression is defined."""
    d = derive(expr, "X", shapes)
    module = _module(d.to_numpy(), tmp_path / "generated.py")
    _, sizes = sample_for([d.statement.expr, d.closed_form], d.scope, seed=0)
    defaults = {k: p.default for k, p in inspect.signature(module.random_data).parameters.items() if k != "rng"}
    assert defaults == sizes
    data = module.random_data(np.random.default_rng(0))
    assert module.check_derivative(data) < 1e-5
    assert d.to_numpy() == d.to_numpy()


@pytest.mark.parametrize("name", sorted(OPS.functions))
def test_numpy_templates_compute_the_registered_values_even_at_kinks(name, tmp_path):
    """The code template (what exports write) and the numpy value (what mcgen checks with) agree everywhere."""
    entry = OPS.functions[name]
    x = np.array([[0.0], [0.4], [2.0], [-1.3]])
    x = np.abs(x) + 0.1 if entry.positive else x
    module = _module(f"import numpy as np\n\ndef f(x):\n    return {entry.numpy_code.format('x')}\n", tmp_path / "f.py")
    assert np.allclose(module.f(x), entry.numpy(x), rtol=1e-12, atol=0)
