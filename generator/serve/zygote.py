"""Imported once by the grading workers' fork server: the manifest derived there, so every worker forks warm."""
from __future__ import annotations

import gc
import os
from pathlib import Path

from ..grading.grade import credit_table
from ..grading.kinds import grade_variant
from ..grading.manifest import Manifest

VARIABLE = "MCGEN_GRADING_MANIFEST"  # the manifest the fork server derives, set by the pool before it starts


def _warm() -> Manifest | None:
    path = os.environ.get(VARIABLE)
    if not path:
        return None
    try:
        manifest = Manifest(Path(path))
        weights = credit_table(None)
        for vid, variant in manifest.variants.items():
            # Derived, and graded once so the grader's own tables for the variant (sample points, the
            # numeric key, the fill-step key) are built here too.
            grade_variant("0", manifest.derivation(vid), variant, weights)
    except Exception:  # noqa: BLE001 - never break the fork server: workers then derive on demand
        return None
    return manifest


MANIFEST = _warm()
gc.freeze()  # what the fork server built is shared with every worker: their collector leaves it (and its pages) alone


def manifest_for(path: str) -> Manifest:
    """The warm manifest when it is the one asked for (a worker forked from the server), else a fresh one."""
    if MANIFEST is not None and str(MANIFEST.path) == path:
        return MANIFEST
    return Manifest(Path(path))
