"""A non-editable install works from any folder: the wheel carries the templates and the grammar.

The wheel is built and installed offline: `pip wheel --no-build-isolation --no-index` with the
setuptools of the project's venv (the `test` extra pins a recent one), then `pip install --no-deps
--target` into a folder of its own. The installed `mcgen` runs with the venv's interpreter (for
numpy, sympy, …) and that folder first on its path, from a temporary directory.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = ROOT / "problems" / "lecture-1-wx.toml"


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the built wheel was installed into."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"  # a copy, so that building leaves nothing in the repository
    shutil.copytree(ROOT / "generator", source / "generator", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(work / "dist"), str(source)], work)
    wheels = list((work / "dist").glob("mcgen-*.whl"))
    assert len(wheels) == 1, wheels
    run([*pip, "install", "--no-deps", "--no-index", "--target", str(work / "site"), str(wheels[0])], work)
    shutil.rmtree(source)  # nothing may be read from the copy either
    return work / "site"


def elsewhere(tmp_path: Path, site: Path) -> tuple[Path, dict[str, str]]:
    """An empty folder outside the repository, and an environment that finds the installed package first."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    return folder, {**env, "PYTHONPATH": str(site)}


def test_installed_package_is_the_one_that_runs(installed, tmp_path):
    folder, env = elsewhere(tmp_path, installed)
    probe = ("import generator, generator.render.env as e, generator.parse.syntax as s; "
             "print(generator.__file__); print(e.TEMPLATES); print(s.__file__)")
    paths = [Path(line) for line in run([sys.executable, "-c", probe], folder, env).splitlines()]
    for path in paths:
        assert path.resolve().is_relative_to(installed.resolve()), f"{path} is not from the installed package"
    assert sorted(p.name for p in paths[1].glob("*.tex")) == ["identities.tex", "key.tex", "sheet.tex", "slides.tex"]
    assert (paths[2].parent / "grammar.lark").is_file()


def test_every_data_file_is_installed(installed):
    """Grammars, templates, anything of generator/ that is not Python: a file left out of package-data fails here."""
    data = sorted(p.relative_to(ROOT) for p in (ROOT / "generator").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)
    assert data, "the templates and grammars are missing from the source tree"
    missing = [str(p) for p in data if not (installed / p).is_file()]
    assert not missing, f"not in the wheel: {missing}; add them to [tool.setuptools.package-data]"


def test_installed_mcgen_builds_slides_from_another_folder(installed, tmp_path, monkeypatch):
    folder, env = elsewhere(tmp_path, installed)
    shutil.copy(PROBLEM, folder / PROBLEM.name)
    mcgen = installed / "bin" / "mcgen"
    run([str(mcgen), "slides", PROBLEM.name, "-o", "out"], folder, env)
    assert (folder / "out" / "slides.pdf").stat().st_size > 0
    # The same slides as the source tree makes: the templates and the grammar are the same files.
    monkeypatch.chdir(tmp_path)
    main(["slides", str(PROBLEM), "-o", str(tmp_path / "here"), "--no-pdf"])
    assert (folder / "out" / "slides.tex").read_bytes() == (tmp_path / "here" / "slides.tex").read_bytes()
