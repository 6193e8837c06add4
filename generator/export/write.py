"""`mcgen export`: one format's files from a source, every key checked before anything is written."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..render.latexmk import check_writable, write_all
from .items import Source
from .moodle import moodle_xml
from .prairielearn import prairielearn_files
from .qti import qti_zip
from .stack import stack_xml


def _moodle(source: Source) -> tuple[dict[str, bytes], list[str]]:
    return {"moodle.xml": moodle_xml(source)}, []


def _stack(source: Source) -> tuple[dict[str, bytes], list[str]]:
    xml, notes = stack_xml(source)
    return {"stack.xml": xml}, notes


def _qti(source: Source) -> tuple[dict[str, bytes], list[str]]:
    return {"qti.zip": qti_zip(source)}, []


def _prairielearn(source: Source) -> tuple[dict[str, bytes], list[str]]:
    return {f"prairielearn/{name}": data for name, data in prairielearn_files(source).items()}, []


FORMATS: dict[str, Callable[[Source], tuple[dict[str, bytes], list[str]]]] = {
    "moodle": _moodle, "stack": _stack, "qti": _qti, "prairielearn": _prairielearn}


def export(source: Source, fmt: str, out_dir: str | Path) -> tuple[tuple[Path, ...], list[str]]:
    """Write one format into out_dir (all files at once, after every question was built); the paths and notes."""
    out_dir = Path(out_dir)
    check_writable(out_dir)
    files, notes = FORMATS[fmt](source)
    return write_all(out_dir, files), notes
