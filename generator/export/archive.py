"""Zip files that are byte-identical for identical contents: sorted entries, one fixed date, fixed permissions."""
from __future__ import annotations

import io
import zipfile
from typing import Mapping

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of the files (name → bytes), in sorted order, each dated EPOCH with mode 0644."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # unix, so the mode above is read as one
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()
