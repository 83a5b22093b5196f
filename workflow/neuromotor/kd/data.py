"""Samples of the KD study: windowing, labels, pairing of the modalities, normalisation, folds (Zeng et al. 2022).

A subject's recording is ``trials`` trials; each trial holds ``gestures`` gesture slots of ``slot_windows`` 100-ms
frames, then rest, ``trial_windows`` frames in all. From every slot the frames ``first_window`` ..
``first_window + windows_per_gesture - 1`` are kept. The original layout (the defaults of :class:`Layout`) is
8 trials x 20 gestures x 30 frames = 4,800 samples, slots of 50 frames (5 s) starting 1.0 s into the slot, and
1,250 frames (125 s) per trial; the synthetic stand-in may shrink every count.

Sample r (0 .. n_samples - 1) is ordered trial -> gesture -> frame: trial = r // (gestures x windows_per_gesture),
label = (r // windows_per_gesture) mod gestures. EMG sample r is the 256-ms window starting at the kept frame
(1 kHz rows [100 i, 100 i + 256), frame index i), US sample r is row r of the US file; both come from the same
moment of the synchronous armband.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from neuromotor.errors import ConfigError, DataFormatError

STRIDE = 100
"""EMG rows (1 kHz samples) per 100-ms frame, the period of the 10-Hz ultrasound."""
WINDOW = 256
"""EMG rows per sample (256 ms)."""
US_PADDED = 1024
"""Depth samples per transducer after zero padding (960 -> 1024)."""
EMG_CHANNELS = 4
US_TRANSDUCERS = 4
US_DEPTH = 960


@dataclass(frozen=True)
class Layout:
    """How trials, gesture slots and kept frames are laid out in a subject's files (counts of 100-ms frames)."""

    trials: int = 8
    gestures: int = 20
    windows_per_gesture: int = 30
    first_window: int = 10
    slot_windows: int = 50
    trial_windows: int = 1250

    def __post_init__(self) -> None:
        problems = []
        if self.trials < 2 or self.trials % 2:
            problems.append(f"trials must be even and at least 2 (a fold tests 2 trials), got {self.trials}")
        if self.gestures < 2:
            problems.append(f"gestures must be at least 2, got {self.gestures}")
        if self.windows_per_gesture < 1 or self.first_window < 0:
            problems.append("windows_per_gesture must be >= 1 and first_window >= 0")
        if self.first_window + self.windows_per_gesture > self.slot_windows:
            problems.append(
                f"first_window + windows_per_gesture = {self.first_window + self.windows_per_gesture} frames do not "
                f"fit in a slot of slot_windows = {self.slot_windows}"
            )
        if self.gestures * self.slot_windows > self.trial_windows:
            problems.append(
                f"gestures x slot_windows = {self.gestures * self.slot_windows} frames exceed trial_windows = "
                f"{self.trial_windows}"
            )
        if problems:
            raise ConfigError("invalid KD layout: " + "; ".join(problems))

    @classmethod
    def from_config(cls, section: dict) -> "Layout":
        return cls(**{key: int(section[key]) for key in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def emg_rows(self) -> int:
        """Rows of an EMG file (1 kHz samples): trials x trial_windows x 100 (1,000,000 in the original)."""
        return self.trials * self.trial_windows * STRIDE

    @property
    def n_windows(self) -> int:
        """EMG windows after padding the file with WINDOW - STRIDE zero rows (10,000 in the original)."""
        padded_rows = self.emg_rows + WINDOW - STRIDE
        return (padded_rows - WINDOW) // STRIDE + 1

    @property
    def samples_per_trial(self) -> int:
        return self.gestures * self.windows_per_gesture

    @property
    def n_samples(self) -> int:
        """Kept samples = rows of a US file (4,800 in the original)."""
        return self.trials * self.samples_per_trial

    @property
    def n_folds(self) -> int:
        """Folds of the within-subject cross-validation: fold k tests trials 2k and 2k + 1."""
        return self.trials // 2


def window_indices(layout: Layout) -> np.ndarray:
    """Frame index of every kept sample, (n_samples,) int64: t x trial_windows + g x slot_windows + k."""
    t, g, k = np.meshgrid(
        np.arange(layout.trials),
        np.arange(layout.gestures),
        np.arange(layout.first_window, layout.first_window + layout.windows_per_gesture),
        indexing="ij",
    )
    return (t * layout.trial_windows + g * layout.slot_windows + k).ravel().astype(np.int64)


def sample_labels(layout: Layout) -> np.ndarray:
    """Gesture label 0 .. gestures - 1 of every sample, (n_samples,) int64."""
    rows = np.arange(layout.n_samples)
    return (rows // layout.windows_per_gesture) % layout.gestures


def sample_trials(layout: Layout) -> np.ndarray:
    """Trial 0 .. trials - 1 of every sample, (n_samples,) int64."""
    return np.arange(layout.n_samples) // layout.samples_per_trial


def fold_rows(layout: Layout, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) sample rows of ``fold``: test = trials 2 fold and 2 fold + 1, train = the others (ascending)."""
    if not 0 <= fold < layout.n_folds:
        raise ValueError(f"fold must be in 0..{layout.n_folds - 1}, got {fold}")
    trials = sample_trials(layout)
    test = np.isin(trials, (2 * fold, 2 * fold + 1))
    return np.flatnonzero(~test), np.flatnonzero(test)


def normalise_columns(values: np.ndarray, source: str = "data") -> np.ndarray:
    """The original loaders' normalisation of a whole file (CMKD-MINDS ``dataset/*Dataloader.py``, test trials
    included): z-score each column (std with ddof 1), then divide everything by
    the largest absolute value, so the result lies in [-1, 1] with max |value| = 1. float64 (rows, columns).

    Raises :class:`DataFormatError` naming ``source`` and the column when a column is constant.
    """
    values = np.asarray(values, dtype=np.float64)
    std = values.std(axis=0, ddof=1)
    constant = np.flatnonzero(~(std > 0))
    if constant.size:
        raise DataFormatError(
            f"{source}: column {int(constant[0])} is constant; the z-score normalisation needs variation in every "
            "used column"
        )
    z = (values - values.mean(axis=0)) / std
    return z / np.abs(z).max()


def emg_windows(emg: np.ndarray, layout: Layout) -> np.ndarray:
    """EMG samples (n_samples, 1, channels, 256) float32 from normalised rows (emg_rows, channels).

    The rows are padded with 156 zero rows (as the original, so that every one of the n_windows windows exists),
    then window i = rows [100 i, 100 i + 256) is cut at every kept frame i and put channels-first.
    """
    if emg.ndim != 2 or emg.shape[0] != layout.emg_rows:
        raise ValueError(f"EMG rows must have shape ({layout.emg_rows}, channels), got {emg.shape}")
    padded = np.concatenate([emg, np.zeros((WINDOW - STRIDE, emg.shape[1]), dtype=emg.dtype)])
    starts = window_indices(layout) * STRIDE
    windows = padded[starts[:, None] + np.arange(WINDOW)]  # (n, 256, channels)
    return np.ascontiguousarray(windows.transpose(0, 2, 1)[:, None], dtype=np.float32)


def us_frames(us: np.ndarray) -> np.ndarray:
    """US samples (frames, 1, 4, 1024) float32 from normalised rows (frames, 3840): each row reshaped
    transducer-major to (4, 960) and zero-padded at the deep end to 1024."""
    if us.ndim != 2 or us.shape[1] != US_TRANSDUCERS * US_DEPTH:
        raise ValueError(f"US rows must have shape (frames, {US_TRANSDUCERS * US_DEPTH}), got {us.shape}")
    frames = np.zeros((us.shape[0], 1, US_TRANSDUCERS, US_PADDED), dtype=np.float32)
    frames[:, 0, :, :US_DEPTH] = us.reshape(-1, US_TRANSDUCERS, US_DEPTH)
    return frames


def subject_samples(emg: np.ndarray, us: np.ndarray, layout: Layout, sources: tuple[str, str] = ("EMG", "US")):
    """Everything a training job needs from one subject's raw files, paired by row.

    Parameters
    ----------
    emg : (emg_rows, 4) the used EMG columns as read.
    us : (n_samples, 3840) the US file as read.

    Returns
    -------
    dict with ``emg`` (n, 1, 4, 256) float32, ``us`` (n, 1, 4, 1024) float32 (both normalised per file),
    ``label`` (n,) int64 and ``trial`` (n,) int64.
    """
    if us.shape[0] != layout.n_samples:
        raise DataFormatError(f"{sources[1]}: expected {layout.n_samples} US rows, found {us.shape[0]}")
    return {
        "emg": emg_windows(normalise_columns(emg, sources[0]), layout),
        "us": us_frames(normalise_columns(us, sources[1])),
        "label": sample_labels(layout),
        "trial": sample_trials(layout),
    }
