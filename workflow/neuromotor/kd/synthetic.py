"""A synthetic stand-in for the hybrid sEMG / A-mode ultrasound recordings (docs/studies.md), written in the
original text layout so that the real loaders read it.

Per subject, every 100-ms frame belongs to a gesture slot (or to the rest at the end of a trial) and has an
``effort`` (log-normal, shared by both modalities, so the pair of samples at one moment agree).

- sEMG (columns 4-7 of 8): amplitude-modulated white noise, the amplitude of channel c being the gesture's pattern
  (log-normal with spread ``emg_contrast``) x a per-trial electrode gain (``emg_trial_drift``) x the effort, plus
  additive noise; columns 0-3 are noise. Four amplitudes for all gestures overlap: sEMG is only partly informative.
- Ultrasound (4 transducers x 960 depth samples): radio-frequency echoes (5 MHz pulses sampled at 20 MHz, depth
  attenuation) of ``interfaces`` tissue boundaries per transducer, whose depths move with the gesture (shifts of
  sd ``us_shift`` samples, scaled by the effort) plus a per-trial probe offset and per-frame jitter, plus noise.
  Sixteen echo depths per gesture make the ultrasound far more informative than the sEMG, so a teacher can help.

Everything is drawn from generators seeded by (seed, subject, purpose): the files of a subject do not depend on
which other subjects are generated, nor on the job layout.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from neuromotor.io.kd_text import EMG_COLUMNS, EMG_USED_COLUMNS, US_DEPTH, US_TRANSDUCERS
from neuromotor.kd.data import STRIDE, Layout, window_indices


@dataclass(frozen=True)
class SyntheticSpec:
    """How strongly each modality carries the gesture (see the module docstring)."""

    emg_contrast: float = 0.5
    emg_trial_drift: float = 0.2
    emg_noise: float = 0.05
    effort_sd: float = 0.15
    interfaces: int = 4
    us_shift: float = 30.0
    us_trial_shift: float = 2.0
    us_jitter: float = 1.0
    us_noise: float = 0.1

    @classmethod
    def from_config(cls, section: dict) -> "SyntheticSpec":
        return cls(**{key: section[key] for key in cls.__dataclass_fields__ if key in section})


PULSE_CYCLES_PER_SAMPLE = 0.25
"""Carrier of the echoes: 5 MHz sampled at 20 MHz."""
PULSE_WIDTH = 4.0
"""Standard deviation of the pulse envelope, depth samples (0.15 mm)."""
ATTENUATION = 600.0
"""Depth (samples) over which echo amplitude falls by a factor e."""
REST_LEVEL = 0.1
"""sEMG amplitude at rest, relative to the mean gesture amplitude."""


def _rng(seed: int, subject: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, subject, zlib.crc32(purpose.encode())]))


def frame_gestures(layout: Layout) -> np.ndarray:
    """Gesture of every 100-ms frame of a subject's recording, (trials x trial_windows,) int; -1 = rest."""
    within = np.arange(layout.trials * layout.trial_windows) % layout.trial_windows
    slot = within // layout.slot_windows
    return np.where(slot < layout.gestures, slot, -1)


def frame_trials(layout: Layout) -> np.ndarray:
    return np.arange(layout.trials * layout.trial_windows) // layout.trial_windows


def frame_effort(layout: Layout, spec: SyntheticSpec, seed: int, subject: int) -> np.ndarray:
    """Effort of every frame, (trials x trial_windows,) float64, log-normal around 1."""
    rng = _rng(seed, subject, "effort")
    return np.exp(spec.effort_sd * rng.standard_normal(layout.trials * layout.trial_windows))


def synthetic_emg(layout: Layout, spec: SyntheticSpec, seed: int, subject: int) -> np.ndarray:
    """A subject's EMG file content: (emg_rows, 8) float64, rows at 1 kHz."""
    anatomy = _rng(seed, subject, "emg-patterns")
    n_used = len(EMG_USED_COLUMNS)
    patterns = np.exp(spec.emg_contrast * anatomy.standard_normal((layout.gestures, n_used)))
    gains = np.exp(spec.emg_trial_drift * anatomy.standard_normal((layout.trials, n_used)))
    gestures = frame_gestures(layout)
    amplitude = np.where(gestures[:, None] >= 0, patterns[np.maximum(gestures, 0)], REST_LEVEL)
    amplitude = amplitude * gains[frame_trials(layout)] * frame_effort(layout, spec, seed, subject)[:, None]
    noise = _rng(seed, subject, "emg-noise")
    rows = np.empty((layout.emg_rows, EMG_COLUMNS))
    rows[:] = 0.5 * noise.standard_normal(rows.shape)
    carrier = noise.standard_normal((layout.emg_rows, n_used))
    rows[:, list(EMG_USED_COLUMNS)] = np.repeat(amplitude, STRIDE, axis=0) * carrier + spec.emg_noise * (
        noise.standard_normal((layout.emg_rows, n_used))
    )
    return rows


def synthetic_us(layout: Layout, spec: SyntheticSpec, seed: int, subject: int) -> np.ndarray:
    """A subject's US file content: (n_samples, 3840) float64, the A-mode frame of every kept sample."""
    anatomy = _rng(seed, subject, "us-anatomy")
    shape = (US_TRANSDUCERS, spec.interfaces)
    base_depth = np.sort(anatomy.uniform(0.1 * US_DEPTH, 0.9 * US_DEPTH, shape), axis=1)
    base_amplitude = anatomy.uniform(0.5, 1.0, shape)
    gesture_shift = spec.us_shift * anatomy.standard_normal((layout.gestures, *shape))
    gesture_gain = np.exp(0.3 * anatomy.standard_normal((layout.gestures, *shape)))
    trial_shift = spec.us_trial_shift * anatomy.standard_normal((layout.trials, US_TRANSDUCERS, 1))

    frames = window_indices(layout)
    gestures = frame_gestures(layout)[frames]
    trials = frame_trials(layout)[frames]
    effort = frame_effort(layout, spec, seed, subject)[frames]
    noise = _rng(seed, subject, "us-noise")
    jitter = spec.us_jitter * noise.standard_normal((len(frames), *shape))
    depth = base_depth + gesture_shift[gestures] * effort[:, None, None] + trial_shift[trials] + jitter
    amplitude = base_amplitude * gesture_gain[gestures] * np.exp(-depth / ATTENUATION)

    echoes = np.empty((len(frames), US_TRANSDUCERS, US_DEPTH))
    for start in range(0, len(frames), 256):  # bounded memory: (256, 4, interfaces, 960) pulses at a time
        part = slice(start, start + 256)
        echoes[part] = _echoes(depth[part], amplitude[part])
    echoes += spec.us_noise * noise.standard_normal(echoes.shape)
    return echoes.reshape(len(frames), US_TRANSDUCERS * US_DEPTH)


def _echoes(depth: np.ndarray, amplitude: np.ndarray) -> np.ndarray:
    """Sum of the RF pulses of every interface, (n, transducers, 960), from depths and amplitudes (n, t, j)."""
    offset = np.arange(US_DEPTH, dtype=np.float64) - depth[..., None]
    pulses = np.exp(-0.5 * (offset / PULSE_WIDTH) ** 2) * np.cos(2 * np.pi * PULSE_CYCLES_PER_SAMPLE * offset)
    return np.einsum("ntj,ntjd->ntd", amplitude, pulses)


def subject_file_names(subjects: int) -> list[tuple[str, str]]:
    """(EMG, US) file names of the synthetic subjects, in subject order (= sorted order of the names, as the
    loader numbers subjects): ``s{n}_synthetic_EMG.txt`` with n from 1, zero-padded when there are 10 or more."""
    width = len(str(subjects)) if subjects >= 10 else 1
    return [(f"s{n:0{width}d}_synthetic_EMG.txt", f"s{n:0{width}d}_synthetic_US.txt") for n in range(1, subjects + 1)]
