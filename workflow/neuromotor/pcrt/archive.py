"""Fitted muscle models as NumPy ``.npz`` archives (no pickles): one atomic writer and one checked reader.

Used by the polynomial surrogate (:mod:`neuromotor.pcrt.surrogate`) and the muscle table
(:mod:`neuromotor.pcrt.muscle_table`); each archive holds a ``format_version`` () int64 besides its own arrays.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError


def save_archive(path: str | Path, arrays: dict[str, np.ndarray], format_version: int, compressed: bool = False) -> None:
    """Write ``arrays`` and ``format_version`` to ``path`` atomically (temporary file in the same folder, then
    rename, so a reader never sees a partial file); the file is world-readable (0644)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    writer = np.savez_compressed if compressed else np.savez
    try:
        with os.fdopen(handle, "wb") as stream:
            writer(stream, format_version=np.int64(format_version), **arrays)
        os.chmod(temporary, 0o644)  # mkstemp creates the file private (0600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def load_archive(path: str | Path, what: str, expected: set[str], format_version: int) -> dict[str, np.ndarray]:
    """The arrays of an archive written by :func:`save_archive`.

    Args:
        path: the ``.npz`` file.
        what: what the file holds, for messages (e.g. ``"muscle table"``).
        expected: keys that must be present (besides ``format_version``).
        format_version: the version this reader understands.
    Raises:
        DataFormatError: naming the file, if it is missing, unreadable, lacks a key or has another version.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            fields = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataFormatError(f"{path}: cannot read the {what} ({error})") from None
    missing = sorted((set(expected) | {"format_version"}) - fields.keys())
    if missing:
        raise DataFormatError(f"{path}: {what} lacks {missing}")
    if int(fields["format_version"]) != format_version:
        raise DataFormatError(
            f"{path}: {what} format_version {int(fields['format_version'])}, expected {format_version}"
        )
    return fields
