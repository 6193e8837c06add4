"""`mcgen export`: one format's files from a source, every key checked before anything is written."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Mapping

from ..errors import GeneratorError
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
# A folder a format owns: an export replaces it whole, so questions of an earlier export do not linger there.
OWNED = {"prairielearn": "prairielearn/questions"}


def export(source: Source, fmt: str, out_dir: str | Path) -> tuple[tuple[Path, ...], list[str]]:
    """Write one format into out_dir (all files at once, after every question was built); the paths and notes."""
    out_dir = Path(out_dir)
    check_writable(out_dir)
    files, notes = FORMATS[fmt](source)
    owned = OWNED.get(fmt)
    if owned is None:
        return write_all(out_dir, files), notes
    prefix = owned + "/"
    inside = {name.removeprefix(prefix): data for name, data in files.items() if name.startswith(prefix)}
    rest = {name: data for name, data in files.items() if not name.startswith(prefix)}
    return replace_folder(out_dir / owned, inside) + write_all(out_dir, rest), notes


def replace_folder(folder: Path, contents: Mapping[str, bytes]) -> tuple[Path, ...]:
    """Put a folder holding exactly `contents` in the place of `folder`: written in full beside it first, then
    renamed into place, the old folder renamed aside and removed only after; on an error
    the old folder stays as it was and nothing staged is left behind."""
    parent = folder.parent
    aside: Path | None = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if folder.exists() and not folder.is_dir():
            raise GeneratorError(f"{folder}: cannot write output there: it is not a directory")
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=parent))
        try:
            os.chmod(staging, 0o755)
            for name, data in contents.items():  # a name may hold folders (q1/info.json)
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                os.chmod(target, 0o644)
            if folder.exists():
                aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=parent))
                os.replace(folder, aside)  # onto the empty folder just made: a rename, atomic
            try:
                os.replace(staging, folder)
            except OSError:
                if aside is not None:
                    os.replace(aside, folder)
                    aside = None
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as err:
        raise GeneratorError(f"{folder}: cannot write output ({err.strerror or err})") from None
    finally:
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
    return tuple(folder / name for name in contents)
