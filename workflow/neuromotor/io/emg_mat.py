"""The EMG ``.mat`` files of Aeles et al. 2021 (the layout of its public code): loader and writer.

One file holds one condition (e.g. ``Data_Pedalling_150W_Baseline_Day1.mat``) with three keys:

``Feature``
    N × 8 × 200 (muscle × time) cycle envelopes, values ≈ [0, 1]; the loader returns N × 200 × 8 (time, muscle).
``Feature_EMG_Label``
    a 1 × 1 cell whose element [0][0] is a cell of the 8 muscle names (VL, RF, VM, GL, GM, SOL, TA, BF).
``Target_Subject``
    N × P one-hot participant matrix; the column index is the participant's identity, empty columns are allowed
    (e.g. day-2 files, which hold only the returning participants).

The ``.mat`` extension of a path is optional, as in the original code. Every problem with a file raises
:class:`~neuromotor.errors.DataFormatError` naming the file, the key, what was expected and what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.io

from neuromotor.errors import DataFormatError
from neuromotor.io.matfile import unreadable
from neuromotor.io.store import atomic_file

FEATURE_KEY = "Feature"
LABEL_KEY = "Feature_EMG_Label"
TARGET_KEY = "Target_Subject"
MUSCLES = ("VL", "RF", "VM", "GL", "GM", "SOL", "TA", "BF")
"""Channel order of every file (index 0-7): vastus lateralis, rectus femoris, vastus medialis, gastrocnemius
lateralis and medialis, soleus, tibialis anterior, biceps femoris long head."""
N_TIME = 200
"""Points per time-normalised cycle."""
N_MUSCLES = len(MUSCLES)


@dataclass(frozen=True)
class EmgRecording:
    """The cycles of one condition file.

    Attributes:
        features: (N, 200, 8) float64, cycle envelopes (time, muscle), ≈ [0, 1].
        target: (N, P) uint8 one-hot participant matrix as in the file (column = participant identity).
        muscles: the 8 channel names of the file.
        path: the file it was read from ("" for recordings built in memory).
    """

    features: np.ndarray
    target: np.ndarray
    muscles: tuple[str, ...] = MUSCLES
    path: str = ""

    @property
    def n_cycles(self) -> int:
        return int(self.features.shape[0])

    @property
    def column(self) -> np.ndarray:
        """(N,) int: each cycle's participant column (0-based)."""
        return np.argmax(self.target, axis=1)

    @property
    def participants(self) -> np.ndarray:
        """Participant numbers (1-based column indices) of the non-empty columns, ascending."""
        return np.flatnonzero(self.target.sum(axis=0) > 0) + 1


def resolve_mat_path(path: str | Path) -> Path:
    """``path`` itself when it exists, else ``path`` with ``.mat`` appended (the extension is optional)."""
    path = Path(path)
    if path.is_file():
        return path
    with_extension = path.with_name(path.name + ".mat")
    if path.suffix != ".mat" and with_extension.is_file():
        return with_extension
    raise DataFormatError(f"{path}: EMG .mat file not found (also tried {with_extension.name})")


def _cell_strings(value, path: Path) -> tuple[str, ...]:
    """The muscle names of ``Feature_EMG_Label``: a 1 × 1 cell holding a cell of 8 strings."""
    try:
        inner = np.asarray(value, dtype=object)[0][0] if np.asarray(value).dtype == object else value
        names = tuple(str(np.asarray(item).ravel()[0]) for item in np.asarray(inner, dtype=object).ravel())
    except (IndexError, TypeError, ValueError):
        names = ()
    if len(names) != N_MUSCLES:
        raise DataFormatError(
            f"{path}: key '{LABEL_KEY}' must be a 1x1 cell holding a cell of {N_MUSCLES} muscle names, "
            f"found {np.asarray(value).shape} with {len(names)} names"
        )
    return names


def load_emg_mat(path: str | Path) -> EmgRecording:
    """Read one condition file of the original layout (module docstring); ``.mat`` may be omitted.

    Returns:
        :class:`EmgRecording` with features transposed to (N, 200, 8).
    Raises:
        DataFormatError: missing file or key, wrong shapes, non-finite values, or rows that are not one-hot.
    """
    path = resolve_mat_path(path)
    try:
        raw = scipy.io.loadmat(str(path))
    except Exception as error:  # scipy raises ValueError, TypeError or MatReadError on foreign or truncated files
        raise unreadable(path, "EMG .mat", error) from None
    missing = [key for key in (FEATURE_KEY, LABEL_KEY, TARGET_KEY) if key not in raw]
    if missing:
        found = sorted(key for key in raw if not key.startswith("__"))
        raise DataFormatError(f"{path}: missing key(s) {missing}; expected {FEATURE_KEY!r}, {LABEL_KEY!r}, "
                              f"{TARGET_KEY!r}, found {found}")
    feature = np.asarray(raw[FEATURE_KEY])
    if feature.ndim != 3 or feature.shape[1:] != (N_MUSCLES, N_TIME) or not np.issubdtype(feature.dtype, np.number):
        raise DataFormatError(
            f"{path}: key '{FEATURE_KEY}' must be numeric N x {N_MUSCLES} x {N_TIME} (cycles x muscles x time), "
            f"found shape {feature.shape} ({feature.dtype})"
        )
    if not np.all(np.isfinite(feature)):
        raise DataFormatError(f"{path}: key '{FEATURE_KEY}' holds {int(np.sum(~np.isfinite(feature)))} "
                              "non-finite values; expected finite envelopes")
    target = np.asarray(raw[TARGET_KEY])
    if target.ndim != 2 or target.shape[0] != feature.shape[0]:
        raise DataFormatError(
            f"{path}: key '{TARGET_KEY}' must be N x P with N = {feature.shape[0]} rows (one per cycle of "
            f"'{FEATURE_KEY}'), found shape {target.shape}"
        )
    if not np.issubdtype(target.dtype, np.number) or not np.all(np.isin(target, (0, 1))) or not np.all(
        target.sum(axis=1) == 1
    ):
        bad = np.flatnonzero(~(np.isin(target, (0, 1)).all(axis=1) & (target.sum(axis=1) == 1)))
        raise DataFormatError(
            f"{path}: key '{TARGET_KEY}' must be one-hot (one 1 per row, zeros elsewhere); rows {bad[:5].tolist()} "
            "are not"
        )
    muscles = _cell_strings(raw[LABEL_KEY], path)
    features = np.ascontiguousarray(feature.transpose(0, 2, 1), dtype=np.float64)
    return EmgRecording(features=features, target=target.astype(np.uint8), muscles=muscles, path=str(path))


def write_emg_mat(
    path: str | Path, features: np.ndarray, target: np.ndarray, muscles: Sequence[str] = MUSCLES
) -> None:
    """Write a condition file in the original layout (atomically).

    Args:
        features: (N, 200, 8) cycles as (time, muscle); stored as ``Feature`` N × 8 × 200.
        target: (N, P) one-hot participant matrix, stored as ``Target_Subject`` (float64, as MATLAB writes it).
        muscles: the 8 channel names, stored as a 1 × 1 cell holding a 1 × 8 cell.
    """
    features = np.asarray(features, dtype=np.float64)
    target = np.asarray(target)
    if features.ndim != 3 or features.shape[1:] != (N_TIME, N_MUSCLES):
        raise ValueError(f"write_emg_mat: features must have shape (N, {N_TIME}, {N_MUSCLES}), got {features.shape}")
    if target.shape[0] != features.shape[0] or target.ndim != 2:
        raise ValueError(f"write_emg_mat: target must have shape ({features.shape[0]}, P), got {target.shape}")
    names = np.empty((1, len(muscles)), dtype=object)
    for index, name in enumerate(muscles):
        names[0, index] = str(name)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = names
    content = {
        FEATURE_KEY: np.ascontiguousarray(features.transpose(0, 2, 1)),
        LABEL_KEY: cell,
        TARGET_KEY: target.astype(np.float64),
    }
    with atomic_file(path) as tmp:
        with open(tmp, "wb") as fh:
            scipy.io.savemat(fh, content, do_compression=True)


# ---------------------------------------------------------------------------------------------------------------
# The original subject-count subsets (Aeles et al. 2021): Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{m}_S{n}.mat

SUBSET_TASKS = {"pedalling": "Pedalling", "walking": "Walking"}
"""Task → the ``<Task>`` part of the original subset folder and file names."""


def subset_file_name(task: str, target: int, size: int, repetition: int) -> str:
    """The original path of one subset file, relative to the data folder:
    ``Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{m}_S{n}.mat``."""
    if task not in SUBSET_TASKS:
        raise ValueError(f"subset_file_name: task must be one of {sorted(SUBSET_TASKS)}, got {task!r}")
    name = SUBSET_TASKS[task]
    return f"Robustness/{name}/Data_{name}_Baseline_Day1_P{int(target)}_N{int(size)}_S{int(repetition)}.mat"


@dataclass(frozen=True)
class EmgSubset:
    """One subset file: its cycles (target = first label column) and the participants it holds.

    Attributes:
        recording: the file as read (:func:`load_emg_mat`); column 0 holds the target's cycles.
        members: (N,) participant numbers (1-based, ascending) of the subset, mapped back through the swap of
            columns 1 and k (column 0 → k, column k − 1 → participant 1, other columns c → c + 1).
    """

    recording: EmgRecording
    members: np.ndarray


def load_emg_subset(path: str | Path, target: int, size: int, min_cycles: int = 10) -> EmgSubset:
    """Read one original subset file (Aeles et al. 2021, Methods) and check its layout against (target k, size N).

    The file has the keys of a condition file, all label columns of the baseline file, and the label columns of
    participants 1 and k swapped, so the target's cycles are in the first column.

    Raises:
        DataFormatError: a problem of :func:`load_emg_mat` (missing file or key, truncated file, shapes), or a
            subset that does not match: fewer than ``target`` label columns, no or too few (< ``min_cycles``)
            cycles in the first label column (the target's), or not ``size`` participants with cycles.
    """
    recording = load_emg_mat(path)
    path = recording.path
    n_columns = recording.target.shape[1]
    if target > n_columns:
        raise DataFormatError(f"{path}: key '{TARGET_KEY}' has {n_columns} label columns; target participant "
                              f"{target} needs at least {target}")
    counts = recording.target.sum(axis=0)
    if counts[0] < min_cycles:
        filled = (np.flatnonzero(counts > 0) + 1).tolist()
        raise DataFormatError(
            f"{path}: key '{TARGET_KEY}' column 1 must hold target participant {target}'s cycles (the original "
            f"swaps label columns 1 and {target}); found {int(counts[0])} cycles there (at least {min_cycles} "
            f"expected), columns with cycles: {filled[:10]}{' ...' if len(filled) > 10 else ''}"
        )
    columns = np.flatnonzero(counts > 0)
    if columns.size != size:
        raise DataFormatError(f"{path}: key '{TARGET_KEY}' has cycles of {columns.size} participants; the file name "
                              f"says N = {size}")
    members = np.where(columns == 0, target, np.where(columns == target - 1, 1, columns + 1))
    return EmgSubset(recording=recording, members=np.sort(members))


def subset_file_paths(directory: str | Path, task: str, items) -> tuple[list[str], list[str]]:
    """The original subset file of each (target k, size N, repetition S) of ``items`` under ``directory`` (the
    ``.mat`` extension may be missing, as for the condition files): (paths found, paths missing)."""
    found, missing = [], []
    for k, n, s in items:
        path = Path(directory) / subset_file_name(task, k, n, s)
        if not path.is_file() and path.with_suffix("").is_file():
            path = path.with_suffix("")
        (found if path.is_file() else missing).append(str(path))
    return found, missing
