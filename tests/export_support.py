"""What the export tests share: `make sheets`' manifest, built once per session, and the source read from it."""
from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.export.items import Source, from_manifest

ROOT = Path(__file__).parent.parent
SHEETS = sorted(str(p) for p in (ROOT / "problems" / "sheets").glob("*.toml"))
SHEET_ARGS = [*SHEETS, "--variants", "6", "--seed", "2024"]  # what `make sheets` runs


def run(*args: str):
    """The CLI as a user runs it (click's runner), with stderr apart."""
    return CliRunner().invoke(main, [str(a) for a in args])


@cache
def manifest() -> Path:
    """out/manifest.json of `make sheets` (without the PDFs), in a directory of its own."""
    out = Path(tempfile.mkdtemp(prefix="mcgen-export-"))
    made = run("sheet", *SHEET_ARGS, "-o", out, "--no-pdf")
    assert made.exit_code == 0, made.output
    return out / "manifest.json"


@cache
def source() -> Source:
    """The manifest's variants, re-derived and checked, as every export reads them."""
    return from_manifest(manifest())
