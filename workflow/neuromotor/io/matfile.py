"""Cheap reads of MATLAB v5 ``.mat`` files: the variables' names and shapes, and whether the file is complete.

A v5 file is a 128-byte header followed by one tagged data element per variable (a 4-byte type and a 4-byte byte
count, then the data, padded to 8 bytes unless compressed). Walking the tags reads a few bytes per variable, so the
workflow can check the users' files before any job runs without loading them; ``scipy.io.whosmat`` alone does not
notice a file cut short inside its last variable.
"""

from __future__ import annotations

import struct
from pathlib import Path

import scipy.io

from neuromotor.errors import DataFormatError

HEADER_BYTES = 128
MI_COMPRESSED = 15


def truncation(path: str | Path) -> str | None:
    """Why the v5 file at ``path`` is truncated (a sentence naming the byte counts), or None when it is complete.

    Files that are not MATLAB v5 (no ``MATLAB`` text header, or another byte-order mark) are not judged: None.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(HEADER_BYTES)
        if not header.startswith(b"MATLAB"):
            return None
        if len(header) < HEADER_BYTES:
            return f"{size} bytes, shorter than the {HEADER_BYTES}-byte MATLAB header"
        if header[126:128] == b"IM":
            order = "<"
        elif header[126:128] == b"MI":
            order = ">"
        else:
            return None
        position, index = HEADER_BYTES, 0
        while position < size:
            fh.seek(position)
            tag = fh.read(8)
            if len(tag) < 8:
                return f"the file ends at byte {size} inside the tag of variable {index + 1}"
            kind, nbytes = struct.unpack(order + "II", tag)
            if kind >> 16:  # small data element: 4 bytes of data packed into the tag
                end = position + 8
            else:
                padding = 0 if kind == MI_COMPRESSED else (-nbytes) % 8
                end = position + 8 + nbytes + padding
                if position + 8 + nbytes > size:
                    return (
                        f"the file ends at byte {size}, but variable {index + 1} needs bytes up to "
                        f"{position + 8 + nbytes}"
                    )
            position, index = end, index + 1
    return None


def mat_shapes(path: str | Path, what: str) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the variables of a complete MATLAB v5 file, reading headers only.

    Raises:
        DataFormatError: missing file, a truncated file (said so, with the byte counts) or one that is not MATLAB
            v5; ``what`` names the kind of file in the message.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: {what} file not found")
    cut = truncation(path)
    if cut:
        raise DataFormatError(f"{path}: truncated {what} file: {cut}")
    try:
        return {name: tuple(int(n) for n in shape) for name, shape, _ in scipy.io.whosmat(str(path))}
    except NotImplementedError:
        raise DataFormatError(f"{path}: MATLAB v7.3 {what} file, expected MATLAB v5/v7 (save -v7)") from None
    except Exception as error:
        raise DataFormatError(f"{path}: not a readable MATLAB v5 {what} file ({type(error).__name__}: {error})") from None


def unreadable(path: str | Path, what: str, error: Exception) -> DataFormatError:
    """The error for a file ``scipy.io.loadmat`` could not read: truncated (when it is), or the reader's reason."""
    try:
        cut = truncation(path)
    except OSError:
        cut = None
    if cut:
        return DataFormatError(f"{path}: truncated {what} file: {cut}")
    return DataFormatError(f"{path}: not a readable MATLAB v5/v7 {what} file ({type(error).__name__}: {error})")
