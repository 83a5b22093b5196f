"""A synthetic stand-in for ``dataset.mat`` with a planted, known drowsiness effect (docs/studies.md).

Every epoch (30 channels × 384 samples at 128 Hz, µV) is spatially smooth pink noise plus white sensor noise. Drowsy
epochs carry in addition one oscillation burst on the planted channels: a sine of random frequency within the planted
band and random phase, under a Hann envelope spanning the planted time window, with a subject-specific gain. Alert and
drowsy epochs differ by nothing else, so a faithful explanation of a drowsy prediction puts its relevance on the
planted channels inside the planted window. Classes are balanced within every subject; epochs are in subject order,
shuffled within the subject. Each subject draws from its own generator seeded by (seed, subject), so a subject's
epochs do not depend on the other subjects' counts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from neuromotor.io.eeg_mat import CHANNELS, N_TIMES, SFREQ, EEGDataset, eeg_info, write_eeg_mat

SUBJECT_COUNTS = (188, 132, 150, 148, 224, 166, 102, 264, 314, 108, 226)
"""Epochs per subject 1..11 of the original file (Cui et al. 2023, unverified; sum 2022)."""


@dataclass(frozen=True)
class PlantedEffect:
    """What distinguishes drowsy from alert epochs.

    Attributes:
        channels: names of the channels carrying the burst (from :data:`CHANNELS`).
        window_s: (start, end) of the burst's Hann envelope, seconds from the epoch start.
        band_hz: (low, high) of the burst frequency, drawn uniformly per epoch.
        amplitude_uv: peak amplitude of the burst at gain 1 (µV).
        gain_range: (low, high) of the subject-specific gain, drawn uniformly per subject.
    """

    channels: tuple[str, ...] = ("P3", "Pz", "P4", "O1", "Oz", "O2")
    window_s: tuple[float, float] = (1.0, 2.0)
    band_hz: tuple[float, float] = (6.0, 12.0)
    amplitude_uv: float = 20.0
    gain_range: tuple[float, float] = (0.6, 1.4)

    def __post_init__(self):
        unknown = [name for name in self.channels if name not in CHANNELS]
        if unknown:
            raise ValueError(f"planted channels {unknown} are not EEG channels of the dataset {CHANNELS}")
        if not 0 <= self.window_s[0] < self.window_s[1] <= N_TIMES / SFREQ:
            raise ValueError(f"planted window {self.window_s} s must lie within [0, {N_TIMES / SFREQ:g}] s")
        if not 0 < self.band_hz[0] <= self.band_hz[1] < SFREQ / 2:
            raise ValueError(f"planted band {self.band_hz} Hz must lie within (0, {SFREQ / 2:g}) Hz")

    @property
    def channel_indices(self) -> np.ndarray:
        return np.array([CHANNELS.index(name) for name in self.channels])

    @property
    def sample_window(self) -> tuple[int, int]:
        """(first, stop) sample of the envelope."""
        return int(round(self.window_s[0] * SFREQ)), int(round(self.window_s[1] * SFREQ))

    def mask(self) -> np.ndarray:
        """(30, 384) bool: where the burst is (planted channels × planted window)."""
        mask = np.zeros((len(CHANNELS), N_TIMES), dtype=bool)
        first, stop = self.sample_window
        mask[np.ix_(self.channel_indices, np.arange(first, stop))] = True
        return mask

    def as_dict(self) -> dict:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}


def subject_counts(scale: float = 1.0, counts: Sequence[int] = SUBJECT_COUNTS) -> list[int]:
    """Epochs per subject at ``scale`` times the original counts, rounded to an even number (balanced classes), at
    least 2."""
    return [max(2, 2 * int(np.floor(count * scale / 2 + 0.5))) for count in counts]


def spatial_mixing(width_m: float = 0.05) -> np.ndarray:
    """(30, 30) mixing matrix of a Gaussian kernel over electrode distance (standard 10-20 positions), rows scaled to
    unit norm so that mixing keeps the variance of independent unit sources."""
    positions = np.array([ch["loc"][:3] for ch in eeg_info()["chs"]])
    distance2 = ((positions[:, None, :] - positions[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-distance2 / (2 * width_m**2))
    return kernel / np.linalg.norm(kernel, axis=1, keepdims=True)


def pink_noise(rng: np.random.Generator, shape: tuple[int, ...], n_times: int = N_TIMES) -> np.ndarray:
    """Noise with a 1/f power spectrum above 1 Hz (flat below) along the last axis, unit standard deviation."""
    freqs = np.fft.rfftfreq(n_times, d=1 / SFREQ)
    spectrum = rng.standard_normal(shape + (len(freqs),)) + 1j * rng.standard_normal(shape + (len(freqs),))
    spectrum /= np.sqrt(np.maximum(freqs, 1.0))
    spectrum[..., 0] = 0.0
    noise = np.fft.irfft(spectrum, n=n_times)
    return noise / noise.std(axis=-1, keepdims=True)


def burst(rng: np.random.Generator, n: int, effect: PlantedEffect) -> np.ndarray:
    """(n, 384) unit-amplitude bursts: Hann envelope over the planted window times a sine of random frequency in the
    planted band and random phase."""
    first, stop = effect.sample_window
    envelope = np.zeros(N_TIMES)
    envelope[first:stop] = np.hanning(stop - first)
    freq = rng.uniform(*effect.band_hz, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    time = np.arange(N_TIMES) / SFREQ
    return envelope * np.sin(2 * np.pi * freq * time + phase)


def synthetic_subject(
    subject: int, n_epochs: int, effect: PlantedEffect, seed: int, noise_uv: float = 10.0, mixing=None
) -> tuple[np.ndarray, np.ndarray]:
    """One subject's epochs: data (n, 30, 384) µV and state (n,) 0/1, half drowsy, in random order."""
    from neuromotor.train.runtime import derived_seed  # imported here: planning (subject_counts) stays torch-free

    if n_epochs < 2 or n_epochs % 2:
        raise ValueError(f"subject {subject}: the number of epochs must be even and >= 2, got {n_epochs}")
    rng = np.random.default_rng(derived_seed(seed, "eeg-synthetic", subject))
    mixing = spatial_mixing() if mixing is None else mixing
    noise_gain = rng.uniform(0.8, 1.2)
    effect_gain = rng.uniform(*effect.gain_range)
    state = rng.permutation(np.repeat([0, 1], n_epochs // 2))
    sources = pink_noise(rng, (n_epochs, len(CHANNELS)))
    data = np.einsum("ij,njt->nit", mixing, sources) + 0.3 * rng.standard_normal((n_epochs, len(CHANNELS), N_TIMES))
    data *= noise_uv * noise_gain
    drowsy = np.flatnonzero(state == 1)
    amplitude = effect.amplitude_uv * effect_gain * rng.uniform(0.7, 1.3, size=(len(drowsy), 1))
    waves = amplitude * burst(rng, len(drowsy), effect)
    data[np.ix_(drowsy, effect.channel_indices)] += waves[:, None, :]
    return data, state


def synthetic_eeg(counts: Sequence[int], effect: PlantedEffect, seed: int, noise_uv: float = 10.0) -> EEGDataset:
    """Subjects 1..len(counts) with ``counts[i]`` epochs each (see the module docstring)."""
    mixing = spatial_mixing()
    parts = [synthetic_subject(i + 1, n, effect, seed, noise_uv, mixing) for i, n in enumerate(counts)]
    data = np.concatenate([d for d, _ in parts])
    state = np.concatenate([s for _, s in parts]).astype(np.int64)
    subject = np.repeat(np.arange(1, len(counts) + 1), counts).astype(np.int64)
    return EEGDataset(data, state, subject)


def write_synthetic_eeg(
    path: str | Path, counts: Sequence[int], effect: PlantedEffect, seed: int, noise_uv: float = 10.0
) -> EEGDataset:
    """Write a synthetic ``dataset.mat`` in the original layout and return what was written."""
    dataset = synthetic_eeg(counts, effect, seed, noise_uv)
    write_eeg_mat(path, dataset.data, dataset.state, dataset.subject)
    return dataset
