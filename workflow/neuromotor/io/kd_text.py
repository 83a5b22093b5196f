"""The original text files of the hybrid sEMG / A-mode ultrasound dataset (Zeng et al. 2022): readers and writers.

Both formats are comma-separated numbers without a header:

- ``data/EMG/s{n}_***_EMG.txt``: one row per sample at 1 kHz, one column per device channel (8); the study uses
  columns 4-7 (0-based). 1,000,000 rows = 8 trials x 125,000 samples in the original recordings.
- ``data/US/s{n}_***_US.txt``: one row per selected A-mode frame (10 Hz), 3,840 columns = 4 transducers x 960 depth
  samples, channel-major (columns 0-959 = transducer 0, ...). 4,800 rows in the original recordings.

Subjects are numbered by their position in the sorted list of file names (0-based), as in the original loaders.
The readers check the shape against what the caller expects and fail with the file, the line and what was
expected; they never silently pad, cut or reorder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_file

EMG_COLUMNS = 8
"""Columns of an EMG file (device channels)."""
EMG_USED_COLUMNS = (4, 5, 6, 7)
"""The 0-based columns the study uses (the device's valid channels 5-8)."""
US_TRANSDUCERS = 4
US_DEPTH = 960
US_COLUMNS = US_TRANSDUCERS * US_DEPTH
"""Columns of an ultrasound file: 4 transducers x 960 depth samples."""
EMG_SUFFIX = "_EMG.txt"
US_SUFFIX = "_US.txt"


def _first_line_columns(path: Path) -> int:
    with open(path) as fh:
        for line in fh:
            if line.strip():
                return len(line.rstrip("\r\n").split(","))
    raise DataFormatError(f"{path}: file is empty; expected comma-separated numbers")


def read_text_matrix(path: str | Path, n_rows: int, n_columns: int, what: str) -> np.ndarray:
    """Read a header-less comma-separated file of numbers into a float64 (n_rows, n_columns) array.

    Raises :class:`DataFormatError` naming the file when it is missing, when a row has another number of columns
    (with the line), when the row count differs from ``n_rows``, or when a value is not a finite number.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: {what} file not found")
    found = _first_line_columns(path)
    if found != n_columns:
        raise DataFormatError(f"{path}: {what} file must have {n_columns} comma-separated columns, found {found}")
    try:
        values = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError:  # ragged rows or text that is not a number: find the first one (1-based line and column)
        raise DataFormatError(
            f"{path}: {what} file must hold {n_columns} numbers per row: {_first_bad_value(path, n_columns)}"
        ) from None
    if values.shape[0] != n_rows:
        raise DataFormatError(f"{path}: {what} file must have {n_rows} rows, found {values.shape[0]}")
    if not np.all(np.isfinite(values)):
        row, column = np.argwhere(~np.isfinite(values))[0]
        line = _nonempty_line_numbers(path, row + 1)[row]
        raise DataFormatError(f"{path}: {what} file holds a non-finite value at line {line}, column {column + 1}")
    return values


def _nonempty_line_numbers(path: Path, count: int) -> list[int]:
    """1-based file line numbers of the first ``count`` non-empty lines (the rows numpy reads)."""
    numbers = []
    with open(path) as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                numbers.append(number)
                if len(numbers) == count:
                    break
    return numbers


def _first_bad_value(path: Path, n_columns: int) -> str:
    """Where the first row of another length or the first field that is not a number is: "line L, column C",
    both 1-based (columns are comma-separated fields)."""
    with open(path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split(",")
            if len(fields) != n_columns:
                return f"line {number} has {len(fields)} columns"
            for column, field in enumerate(fields, start=1):
                try:
                    float(field)
                except ValueError:
                    return f"line {number}, column {column} holds {field.strip()!r}, not a number"
    return "a value numpy cannot read"


def read_emg_text(
    path: str | Path, n_rows: int = 1_000_000, n_columns: int = EMG_COLUMNS, used_columns=EMG_USED_COLUMNS
) -> np.ndarray:
    """The used sEMG columns of an EMG file: float64 (n_rows, len(used_columns)), device units, 1 kHz rows."""
    values = read_text_matrix(path, n_rows, n_columns, "EMG")
    return values[:, list(used_columns)]


def read_us_text(path: str | Path, n_rows: int = 4800) -> np.ndarray:
    """An ultrasound file: float64 (n_rows, 3840), one A-mode frame per row, transducer-major columns."""
    return read_text_matrix(path, n_rows, US_COLUMNS, "US")


def write_text_matrix(path: str | Path, values: np.ndarray, significant: int = 6) -> None:
    """Write a 2-D array as header-less comma-separated text (``significant`` digits), atomically."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D array, got shape {values.shape}")
    with atomic_file(path) as tmp:
        np.savetxt(tmp, values, fmt=f"%.{significant}g", delimiter=",")


def write_emg_text(path: str | Path, values: np.ndarray) -> None:
    """Write an EMG file: (rows, 8) samples at 1 kHz."""
    if np.ndim(values) != 2 or np.shape(values)[1] != EMG_COLUMNS:
        raise ValueError(f"{path}: an EMG file holds (rows, {EMG_COLUMNS}) values, got shape {np.shape(values)}")
    write_text_matrix(path, values)


def write_us_text(path: str | Path, values: np.ndarray) -> None:
    """Write an ultrasound file: (frames, 3840) or (frames, 4, 960) values, transducer-major."""
    values = np.asarray(values)
    if values.ndim == 3 and values.shape[1:] == (US_TRANSDUCERS, US_DEPTH):
        values = values.reshape(len(values), US_COLUMNS)
    if values.ndim != 2 or values.shape[1] != US_COLUMNS:
        raise ValueError(
            f"{path}: a US file holds (frames, {US_COLUMNS}) or (frames, 4, 960) values, got shape {values.shape}"
        )
    write_text_matrix(path, values)


def find_subject_files(data_dir: str | Path) -> list[tuple[Path, Path]]:
    """The (EMG, US) file pair of every subject under ``data_dir`` (``EMG/s*_EMG.txt``, ``US/s*_US.txt``), in the
    original's order: subject i = position i in the sorted file names. The two lists must pair up by their
    ``s<n>`` prefix."""
    data_dir = Path(data_dir)
    emg = sorted((data_dir / "EMG").glob(f"s*{EMG_SUFFIX}"))
    us = sorted((data_dir / "US").glob(f"s*{US_SUFFIX}"))
    if not emg or not us:
        raise DataFormatError(
            f"{data_dir}: expected files EMG/s*{EMG_SUFFIX} and US/s*{US_SUFFIX}; found {len(emg)} EMG and "
            f"{len(us)} US files"
        )
    if len(emg) != len(us):
        raise DataFormatError(
            f"{data_dir}: {len(emg)} EMG files but {len(us)} US files; every subject needs one of each"
        )
    for emg_path, us_path in zip(emg, us):
        if emg_path.name.split("_")[0] != us_path.name.split("_")[0]:
            raise DataFormatError(
                f"{data_dir}: subject files do not pair up in sorted order: {emg_path.name} next to {us_path.name}"
            )
    return list(zip(emg, us))
