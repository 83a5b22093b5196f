"""The successor study's recorded-neuron session files, read and written (Marin Vargas et al. 2024, Cell).

The successor (``amathislab/Task-driven-Proprioception``, ``generate_padded_datasets_monkey.py`` of its data processing)
turns each TrialData session into one aligned HDF5 file per movement type, named
``<Monkey>_<YYYYMMDD>_active_mvt_end_at100.hdf5``: every trial cut from movement onset to the trial end, placed at
bin ``align`` (100) of a 400-bin window of 10-ms bins, kinematics edge-padded, spikes zero-padded. Its keys:

==================  =============================  ==================================================================
key                 shape                          content
==================  =============================  ==================================================================
``spike_counts``    (trials, 400, neurons)         spike counts per 10-ms bin, smoothed by a 5-bin boxcar; 0 outside
                                                   the trial's bins
``trial_durations`` (trials,)                      bins from movement onset to the trial end (the trial's bins are
                                                   ``align .. align + duration``)
``muscle_coords``   (trials, muscles, 400, 2)      muscle length and its velocity (``np.gradient``, dt 0.01 s); the
                                                   active files hold them x 1000 (µm, µm/s), the original loader
                                                   divides by 1000 (``muscle_scale``)
``endeff_coords``   (trials, 400, 2, 2)            hand (x, y) position and velocity, as recorded (last axis: pos, vel)
``joint_coords``    (trials, joints, 400, 2)       joint angle and velocity (optional here)
``trial_ids``       (trials,)                      the TrialData ``trial_id`` (optional here)
``data_ids``        (trials,)                      row of the TrialData table (optional here)
==================  =============================  ==================================================================

:func:`read_session` validates the layout and fails with one :class:`~neuromotor.errors.DataFormatError` naming the
file, the key and what was expected; :func:`write_session` writes the same layout (gzip, atomically).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError

N_BINS = 400
"""Bins of the successor's aligned window (10 ms each: 4 s)."""
ALIGN = 100
"""Bin of movement onset in the successor's active files (``_at100``)."""
MUSCLE_SCALE = 1000.0
"""Stored muscle units per mm in the successor's active files (written x 1000, read / 1000)."""
REQUIRED = ("spike_counts", "trial_durations", "muscle_coords", "endeff_coords")
OPTIONAL = ("joint_coords", "trial_ids", "data_ids")
EXPECTED = {
    "spike_counts": "(trials, bins, neurons) spike counts per 10-ms bin",
    "trial_durations": "(trials,) whole numbers of bins >= 1",
    "muscle_coords": "(trials, muscles, bins, 2) muscle length and velocity",
    "endeff_coords": "(trials, bins, 2, 2) hand position and velocity",
    "joint_coords": "(trials, joints, bins, 2) joint angle and velocity",
    "trial_ids": "(trials,) trial identifiers",
    "data_ids": "(trials,) table rows",
}


@dataclass(frozen=True)
class Session:
    """One recording session in memory (float64; muscles in mm and mm/s).

    ``spikes`` (N, T, U) per bin; ``durations`` (N,) bins after ``align``; ``muscles`` (N, M, T, 2);
    ``endeffector`` (N, T, D, 2); ``joints`` (N, J, T, 2) or None; ``trial_ids`` (N,); ``bin_s`` the bin width.
    """

    spikes: np.ndarray
    durations: np.ndarray
    muscles: np.ndarray
    endeffector: np.ndarray
    joints: np.ndarray | None
    trial_ids: np.ndarray
    align: int = ALIGN
    bin_s: float = 0.01

    @property
    def n_trials(self) -> int:
        return int(self.spikes.shape[0])

    @property
    def n_bins(self) -> int:
        return int(self.spikes.shape[1])

    @property
    def n_neurons(self) -> int:
        return int(self.spikes.shape[2])

    def mask(self) -> np.ndarray:
        """(N, T) bool: the bins of each trial, ``align .. align + duration`` (clipped to the window)."""
        return trial_mask(self.durations, self.align, self.n_bins)


def trial_mask(durations: np.ndarray, align: int, n_bins: int) -> np.ndarray:
    """(N, T) bool, True at bins ``align <= t < align + duration`` of each trial (clipped to ``n_bins``)."""
    t = np.arange(n_bins)[None, :]
    durations = np.asarray(durations, dtype=np.int64)[:, None]
    return (t >= align) & (t < align + durations)


def _fail(path, key: str, message: str):
    raise DataFormatError(f"{path}: key {key!r}: {message}; expected {EXPECTED[key]}")


def read_session(
    path: str | Path, align: int = ALIGN, muscle_scale: float = MUSCLE_SCALE, bin_s: float = 0.01
) -> Session:
    """Read and validate one aligned session file (layout: module docstring). Muscles are divided by
    ``muscle_scale`` (the active files' 1000: mm, mm/s)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: session file not found (an HDF5 file with keys {', '.join(REQUIRED)})")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise DataFormatError(f"{path}: not an HDF5 file ({error})") from None
    with handle:
        values = {}
        for key in REQUIRED + OPTIONAL:
            if key not in handle:
                if key in REQUIRED:
                    raise DataFormatError(
                        f"{path}: missing key {key!r}; expected {EXPECTED[key]} (has {sorted(handle.keys())})"
                    )
                continue
            if not isinstance(handle[key], h5py.Dataset):
                _fail(path, key, "is a group, not an array")
            values[key] = handle[key][()]
    return _session(path, values, int(align), float(muscle_scale), float(bin_s))


def _numeric(path, key: str, values, ndim: int) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        _fail(path, key, f"holds {array.dtype} values, not numbers")
    if array.ndim != ndim:
        _fail(path, key, f"has shape {array.shape} ({array.ndim} axes, {ndim} expected)")
    return array.astype(np.float64)


def _session(path, values: dict, align: int, muscle_scale: float, bin_s: float) -> Session:
    spikes = _numeric(path, "spike_counts", values["spike_counts"], 3)
    n, n_bins, _ = spikes.shape
    if n < 2:
        _fail(path, "spike_counts", f"holds {n} trial(s); cross-validation over trials needs at least 2")
    if spikes.shape[2] < 1:
        _fail(path, "spike_counts", "holds no neuron")
    if not 0 <= align < n_bins:
        _fail(path, "spike_counts", f"has {n_bins} bins; the alignment bin {align} must lie inside")
    durations = _numeric(path, "trial_durations", values["trial_durations"], 1)
    if durations.shape[0] != n:
        _fail(path, "trial_durations", f"has {durations.shape[0]} trials, spike_counts {n}")
    if not np.all(np.isfinite(durations)) or np.any(durations != np.round(durations)) or np.any(durations < 1):
        _fail(path, "trial_durations", f"holds {durations[~(np.isfinite(durations) & (durations >= 1))][:3]} ...")
    durations = durations.astype(np.int64)
    muscles = _numeric(path, "muscle_coords", values["muscle_coords"], 4)
    if muscles.shape[0] != n or muscles.shape[2] != n_bins or muscles.shape[3] != 2:
        _fail(path, "muscle_coords", f"has shape {muscles.shape}; spike_counts has {n} trials of {n_bins} bins")
    endeffector = _numeric(path, "endeff_coords", values["endeff_coords"], 4)
    if endeffector.shape[0] != n or endeffector.shape[1] != n_bins or endeffector.shape[3] != 2:
        _fail(path, "endeff_coords", f"has shape {endeffector.shape}; spike_counts has {n} trials of {n_bins} bins")
    joints = None
    if "joint_coords" in values:
        joints = _numeric(path, "joint_coords", values["joint_coords"], 4)
        if joints.shape[0] != n or joints.shape[2] != n_bins or joints.shape[3] != 2:
            _fail(path, "joint_coords", f"has shape {joints.shape}; spike_counts has {n} trials of {n_bins} bins")
    trial_ids = np.arange(n)
    if "trial_ids" in values:
        trial_ids = np.asarray(values["trial_ids"]).reshape(-1)
        if trial_ids.shape[0] != n:
            _fail(path, "trial_ids", f"has {trial_ids.shape[0]} entries, spike_counts {n} trials")
    mask = trial_mask(durations, align, n_bins)
    for key, array in (("spike_counts", spikes), ("muscle_coords", muscles), ("endeff_coords", endeffector)):
        inside = array[mask] if key != "muscle_coords" else array.transpose(0, 2, 1, 3)[mask]
        if not np.all(np.isfinite(inside)):
            _fail(path, key, "holds NaN or infinite values inside the trials' bins")
    return Session(spikes, durations, muscles / muscle_scale, endeffector, joints, trial_ids, align, bin_s)


def write_session(path: str | Path, session: Session, muscle_scale: float = MUSCLE_SCALE) -> None:
    """Write ``session`` in the successor's layout (float32, gzip; muscles x ``muscle_scale``), atomically."""
    import h5py

    from neuromotor.io.store import atomic_file

    arrays = {
        "trial_ids": np.asarray(session.trial_ids),
        "data_ids": np.arange(session.n_trials),
        "trial_durations": np.asarray(session.durations, dtype=np.int64),
        "muscle_coords": (np.asarray(session.muscles) * muscle_scale).astype(np.float32),
        "endeff_coords": np.asarray(session.endeffector, dtype=np.float32),
        "spike_counts": np.asarray(session.spikes, dtype=np.float32),
    }
    if session.joints is not None:
        arrays["joint_coords"] = np.asarray(session.joints, dtype=np.float32)
    with atomic_file(path) as tmp:
        with h5py.File(tmp, "w") as handle:
            for key, array in arrays.items():
                handle.create_dataset(key, data=array, compression="gzip" if array.ndim else None)
