"""Reader and writer of the EEG driver drowsiness dataset ``dataset.mat`` (figshare 14273687; Cui et al. 2023),
and its conversion to :class:`mne.EpochsArray`.

Layout of the original file (MATLAB v5/v7, ``scipy.io.loadmat``-readable):

- ``EEGsample``: (N, 30, 384) — N epochs × 30 channels (:data:`CHANNELS`, in this order) × 3 s at 128 Hz, in µV.
- ``substate``: (N, 1) — 0 = alert, 1 = drowsy.
- ``subindex``: (N, 1) — subject 1..11.

The writer produces exactly this layout (all three as MATLAB doubles), so synthetic and test files go through the same
reader as the real one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from neuromotor.errors import DataFormatError
from neuromotor.io.matfile import unreadable
from neuromotor.io.store import atomic_file

log = logging.getLogger(__name__)

CHANNELS = (
    "Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "FT7", "FC3", "FCz", "FC4", "FT8", "T3", "C3", "Cz", "C4", "T4",
    "TP7", "CP3", "CPz", "CP4", "TP8", "T5", "P3", "Pz", "P4", "T6", "O1", "Oz", "O2",
)  # fmt: skip
"""The 30 channel names in the file's order (old-style T3/T4/T5/T6)."""

SFREQ = 128.0
"""Sampling rate (Hz)."""

N_TIMES = 384
"""Samples per epoch (3 s)."""

STATES = ("alert", "drowsy")
"""Class names; ``substate`` holds their index."""

KEYS = ("EEGsample", "substate", "subindex")

MODERN_NAMES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
"""Where a montage lacks an old-style name, the electrode at the same position under its modern name."""


@dataclass(frozen=True)
class EEGDataset:
    """The contents of one ``dataset.mat``.

    Attributes:
        data: (N, 30, 384) float64, µV.
        state: (N,) int64, 0 = alert, 1 = drowsy.
        subject: (N,) int64, subject numbers as in the file (1..11 in the original).
        path: the file it was read from.
    """

    data: np.ndarray
    state: np.ndarray
    subject: np.ndarray
    path: str = ""

    def of_subject(self, subject: int) -> "EEGDataset":
        """The epochs of one subject, in file order."""
        keep = self.subject == subject
        return EEGDataset(self.data[keep], self.state[keep], self.subject[keep], self.path)

    def without_subject(self, subject: int) -> "EEGDataset":
        """The epochs of every other subject, in file order."""
        keep = self.subject != subject
        return EEGDataset(self.data[keep], self.state[keep], self.subject[keep], self.path)


def load_eeg_mat(path: str | Path) -> EEGDataset:
    """Read ``dataset.mat`` (module docstring) and log the epochs per subject and the class balance.

    Raises:
        DataFormatError: missing or unreadable file, a missing key, ``EEGsample`` not (N, 30, 384), ``substate`` or
            ``subindex`` not N values (shape (N, 1) or (N,)), labels other than 0/1, non-integer or non-positive
            subjects, non-finite samples. The message names the file, the key, what was expected and what was found.
    """
    path = Path(path)
    contents = _read_mat(path)
    missing = [key for key in KEYS if key not in contents]
    if missing:
        present = sorted(key for key in contents if not key.startswith("__"))
        raise DataFormatError(f"{path}: key(s) {missing} missing; expected {list(KEYS)}, found {present}")
    data = _numeric(contents["EEGsample"], "EEGsample", path)
    if data.ndim != 3 or data.shape[1:] != (len(CHANNELS), N_TIMES):
        raise DataFormatError(
            f"{path}: key 'EEGsample' must have shape (N, {len(CHANNELS)}, {N_TIMES}) (epochs, channels, samples "
            f"at {SFREQ:g} Hz), found shape {data.shape}"
        )
    if not np.all(np.isfinite(data)):
        raise DataFormatError(f"{path}: key 'EEGsample' holds NaN or infinite values")
    n = data.shape[0]
    state = _per_epoch_integers(contents["substate"], "substate", n, path)
    if not np.isin(state, (0, 1)).all():
        raise DataFormatError(f"{path}: key 'substate' must hold 0 (alert) or 1 (drowsy), found {np.unique(state)}")
    subject = _per_epoch_integers(contents["subindex"], "subindex", n, path)
    if n and subject.min() < 1:
        raise DataFormatError(f"{path}: key 'subindex' must hold subject numbers >= 1, found {subject.min()}")
    dataset = EEGDataset(data.astype(np.float64), state, subject, str(path))
    _log_balance(dataset)
    return dataset


def write_eeg_mat(path: str | Path, data: np.ndarray, state: np.ndarray, subject: np.ndarray) -> None:
    """Write epochs in the layout of the original file (module docstring), atomically.

    Args:
        data: (N, 30, 384) µV. state: (N,) 0/1. subject: (N,) subject numbers >= 1.
    """
    path = Path(path)
    data = np.asarray(data, dtype=np.float64)
    if data.ndim != 3 or data.shape[1:] != (len(CHANNELS), N_TIMES):
        raise ValueError(f"{path}: data must have shape (N, {len(CHANNELS)}, {N_TIMES}), got {data.shape}")
    columns = {}
    for key, values in (("substate", state), ("subindex", subject)):
        values = np.asarray(values)
        if values.shape != (data.shape[0],):
            raise ValueError(f"{path}: {key} must have shape ({data.shape[0]},), got {values.shape}")
        columns[key] = values.astype(np.float64).reshape(-1, 1)
    with atomic_file(path) as temporary:
        with open(temporary, "wb") as handle:
            scipy.io.savemat(handle, {"EEGsample": data, **columns}, format="5", do_compression=False)


def montage_name() -> str:
    """The name of mne's standard 10-20 montage (``standard_1020``, renamed ``colin27_1020`` in mne 1.13)."""
    import mne

    builtin = mne.channels.get_builtin_montages()
    return "colin27_1020" if "colin27_1020" in builtin else "standard_1020"


def eeg_info(channels: tuple[str, ...] = CHANNELS, sfreq: float = SFREQ):
    """:class:`mne.Info` of EEG channels with the standard 10-20 montage. Old-style names the montage lacks are
    placed at their modern equivalents (:data:`MODERN_NAMES`; logged); the channel names stay as given."""
    import mne

    info = mne.create_info(list(channels), sfreq=sfreq, ch_types="eeg")
    montage = mne.channels.make_standard_montage(montage_name())
    known = {name.lower() for name in montage.ch_names}
    renamed = {
        name: MODERN_NAMES[name]
        for name in channels
        if name.lower() not in known and name in MODERN_NAMES and MODERN_NAMES[name].lower() in known
    }
    if renamed:
        log.info("montage %s lacks %s; placed at %s", montage_name(), sorted(renamed), renamed)
        positions = montage.get_positions()["ch_pos"]
        lookup = {name.lower(): xyz for name, xyz in positions.items()}
        ch_pos = {name: lookup[renamed.get(name, name).lower()] for name in channels}
        montage = mne.channels.make_dig_montage(ch_pos=ch_pos, coord_frame="head")
    info.set_montage(montage, match_case=False)
    return info


def to_epochs(dataset: EEGDataset):
    """The dataset as :class:`mne.EpochsArray` (volts, 10-20 montage). Events are tagged by state and subject, e.g.
    ``drowsy/sub01`` (code 100 * subject + state), so ``epochs["drowsy"]`` or ``epochs["sub03"]`` select by either."""
    import mne

    n = len(dataset.state)
    codes = 100 * dataset.subject + dataset.state
    events = np.column_stack([np.arange(n) * N_TIMES, np.zeros(n, dtype=int), codes]).astype(int)
    event_id = {f"{STATES[code % 100]}/sub{code // 100:02d}": int(code) for code in np.unique(codes)}
    return mne.EpochsArray(dataset.data * 1e-6, eeg_info(), events=events, event_id=event_id, tmin=0.0, verbose=False)


def _read_mat(path: Path) -> dict:
    if not path.is_file():
        raise DataFormatError(f"{path}: EEG dataset file not found (expected a MATLAB v5/v7 .mat file with {KEYS})")
    try:
        return scipy.io.loadmat(str(path), squeeze_me=False)
    except NotImplementedError as error:  # loadmat's answer to MATLAB v7.3 (HDF5-based) files
        raise DataFormatError(f"{path}: MATLAB v7.3 file, expected MATLAB v5/v7 (save -v7)") from error
    except Exception as error:  # truncated or foreign files fail inside loadmat with assorted exception types
        raise unreadable(path, "EEG dataset", error) from error


def _numeric(values, key: str, path: Path) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise DataFormatError(f"{path}: key '{key}' must be a numeric array, found dtype {values.dtype}")
    return values


def _per_epoch_integers(values, key: str, n: int, path: Path) -> np.ndarray:
    values = _numeric(values, key, path)
    if values.shape not in ((n, 1), (n,)):
        raise DataFormatError(
            f"{path}: key '{key}' must have shape ({n}, 1), one value per epoch of 'EEGsample', found shape "
            f"{values.shape}"
        )
    values = values.reshape(-1).astype(np.float64)
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise DataFormatError(f"{path}: key '{key}' must hold integers")
    return values.astype(np.int64)


def _log_balance(dataset: EEGDataset) -> None:
    subjects, counts = np.unique(dataset.subject, return_counts=True)
    log.info(
        "%s: %d epochs; per subject %s", dataset.path, len(dataset.state), dict(zip(subjects.tolist(), counts.tolist()))
    )
    for subject in subjects:
        states = dataset.state[dataset.subject == subject]
        log.info("subject %d: %d alert, %d drowsy", subject, int((states == 0).sum()), int((states == 1).sum()))
