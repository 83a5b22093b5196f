"""Tab-separated tables: one header line, one row per record, written atomically.

Numbers are written exactly (``repr`` of the float, so a table read back gives the same values bit for bit) and
parsed back by :func:`read_tsv`: a cell that reads as an int is an int, then float, ``true``/``false`` are booleans,
anything else stays a string.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_file


def format_cell(value, float_format: str | None = None) -> str:
    """One value as table text: floats round-trip exactly unless ``float_format`` (a format spec such as ``".6f"``)
    is given; NaN as ``nan``."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "nan"
        return repr(float(value)) if float_format is None else format(float(value), float_format)
    return str(value)


def parse_cell(text: str):
    """The value a cell written by :func:`format_cell` holds."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def write_tsv(
    path: str | Path,
    rows: Sequence[Mapping],
    columns: Sequence[str] | None = None,
    float_formats: Mapping[str, str] | None = None,
) -> None:
    """Write ``rows`` (mappings with at least ``columns``; default: the keys of the first row) to ``path``.

    ``float_formats`` maps a column to the format spec of its floats (e.g. ``{"accuracy": ".6f"}``); floats of the
    other columns are written exactly."""
    float_formats = float_formats or {}
    if columns is None:
        if not rows:
            raise ValueError(f"{path}: no rows and no columns given")
        columns = list(rows[0])
    with atomic_file(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
            writer.writerow(columns)
            for number, row in enumerate(rows):
                missing = [c for c in columns if c not in row]
                if missing:
                    raise ValueError(f"{path}: row {number} lacks columns {missing}")
                writer.writerow([format_cell(row[c], float_formats.get(c)) for c in columns])


def read_tsv(path: str | Path, columns: Sequence[str] | None = None) -> list[dict]:
    """Rows of a table, values parsed by :func:`parse_cell`; every name in ``columns`` must be in the header."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: table not found")
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        header = reader.fieldnames or []
        missing = [c for c in (columns or ()) if c not in header]
        if missing:
            raise DataFormatError(f"{path}: missing columns {missing}; has {header}")
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row or any(value is None for value in row.values()):
                raise DataFormatError(f"{path}: line {line} has {len(header)} columns expected, found another count")
            rows.append({key: parse_cell(value) for key, value in row.items()})
    return rows
