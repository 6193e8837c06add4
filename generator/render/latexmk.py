"""latexmk, the one process a build starts: run in a scratch directory, results moved into place atomically."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..errors import BuildError, GeneratorError

LATEXMK = ("latexmk", "-norc", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error")
TIMEOUT = 600  # seconds; a deck of a hundred frames takes well under a minute
MAX_LOG_LINES = 6
# Reproducible PDFs: fixed dates; long log lines so an error is one line, not wrapped at 79.
ENVIRONMENT = {"SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1", "max_print_line": "10000",
               "error_line": "254", "half_error_line": "238"}
ERROR_LINE = re.compile(r"^(?:\./)?[^\s:]+\.(?:tex|sty|cls):\d+: .*|^! .*|^l\.\d+ .*")
OVERFULL = re.compile(r"^Overfull \\[hv]box .*")


@dataclass(frozen=True)
class Compiled:
    """A compiled document: the PDF's bytes and the TeX log."""

    pdf: bytes
    log: str

    @property
    def overfull(self) -> tuple[str, ...]:
        """The log's `Overfull \\hbox`/`\\vbox` lines: content that runs off its box."""
        return overfull_boxes(self.log)


@dataclass(frozen=True)
class Built:
    """What `build` wrote, and the overfull boxes TeX reported in each document."""

    files: tuple[Path, ...]
    overfull: Mapping[str, tuple[str, ...]]


def overfull_boxes(log: str) -> tuple[str, ...]:
    """Every `Overfull \\hbox …` / `Overfull \\vbox …` line of a TeX log."""
    return tuple(line for line in log.splitlines() if OVERFULL.match(line))


def relevant_lines(log: str) -> list[str]:
    """The few lines of a failed run worth showing: `file:line: error`, `! error`, `l.N context`."""
    found: list[str] = []
    for line in log.splitlines():
        line = line.strip()
        if ERROR_LINE.match(line) and line not in found:
            found.append(line.removeprefix("./"))
        if len(found) >= MAX_LOG_LINES:
            break
    return found


def compile_tex(source: str, name: str, files: Mapping[str, bytes] | None = None) -> Compiled:
    """Compile LaTeX source with latexmk in a scratch directory; BuildError names `name`.tex on failure.

    `files` are written beside the source first (figures the source includes, by file name).
    """
    with tempfile.TemporaryDirectory(prefix="mcgen-") as scratch:
        work = Path(scratch)
        (work / f"{name}.tex").write_text(source, encoding="utf-8")
        for filename, data in (files or {}).items():
            (work / Path(filename).name).write_bytes(data)
        try:
            run = subprocess.run(
                [*LATEXMK, f"{name}.tex"], cwd=work, env={**os.environ, **ENVIRONMENT},
                stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace", timeout=TIMEOUT)
        except FileNotFoundError:
            raise BuildError(f"{name}.tex: latexmk is not installed; `make tex` installs TeX Live") from None
        except subprocess.TimeoutExpired:
            raise BuildError(f"{name}.tex: latexmk took longer than {TIMEOUT} s and was stopped") from None
        log_path = work / f"{name}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        pdf = work / f"{name}.pdf"
        if run.returncode != 0 or not pdf.exists():
            lines = relevant_lines(log) or [l for l in (run.stdout + run.stderr).splitlines() if l.strip()][-3:]
            raise BuildError(f"{name}.tex: LaTeX failed: " + " | ".join(lines))
        return Compiled(pdf.read_bytes(), log)


def build(documents: Mapping[str, str], out_dir: str | Path, pdf: bool = True) -> Built:
    """Write each document as `name.tex` (and compile it to `name.pdf`) in out_dir, all or nothing.

    Everything is compiled before anything is written, so a failure leaves out_dir untouched.
    """
    out_dir = Path(out_dir)
    check_writable(out_dir)
    contents: dict[str, bytes] = {}
    overfull: dict[str, tuple[str, ...]] = {}
    for name, source in documents.items():
        contents[f"{name}.tex"] = source.encode("utf-8")
        if pdf:
            compiled = compile_tex(source, name)
            contents[f"{name}.pdf"] = compiled.pdf
            overfull[name] = compiled.overfull
    return Built(write_all(out_dir, contents), overfull)


def check_writable(out_dir: Path) -> None:
    """Fail early, before any work, when out_dir cannot be created or written."""
    probe = out_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise GeneratorError(f"{out_dir}: cannot write output there: {probe} is not a directory")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise GeneratorError(f"{out_dir}: cannot write output there: {probe} is not writable")


def write_all(out_dir: Path, contents: Mapping[str, bytes]) -> tuple[Path, ...]:
    """Stage every file next to its target, then rename each into place; on error remove the staged ones."""
    staged: list[tuple[Path, Path]] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for filename, data in contents.items():
            target = out_dir / filename  # a name may hold folders (questions/q1/info.json)
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            with os.fdopen(handle, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            staged.append((Path(tmp), target))
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as err:
        raise GeneratorError(f"{out_dir}: cannot write output ({err.strerror or err})") from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return tuple(target for _, target in staged)
