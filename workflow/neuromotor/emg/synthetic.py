"""Synthetic stand-in for the EMG condition files, with planted per-participant signatures (docs/studies.md).

Every participant gets, per muscle, a smooth cycle template: the task's burst pattern (1–2 Gaussian bumps per muscle
at pedalling- or walking-like phases) with individual timing, width and amplitude, plus 0–1 small individual bumps,
scaled into [0, 1]. On top of that, each participant carries ``signature_regions`` **planted signature regions**: a
Gaussian bump of ``signature_amplitude`` on one muscle at one phase, the (muscle, phase) slots distinct between
participants as far as the 8 × 8 slot grid allows. The planted mask marks the points within 1.5 σ of a planted
bump's centre: these are where a classifier must look to tell the participant apart, so LRP should find them.

Cycles are the template with per-cycle time jitter (circular shift), amplitude jitter per muscle and smoothed
noise (small negative values occur, as in the real envelopes). Conditions are small perturbations of the templates
(gain and timing per muscle; 80 W lower gain), walking uses another burst pattern with the same individual traits
and planted regions, day-2 files hold a seeded subset of the participants (all columns kept, as in the original).
Everything is seeded from (seed, participant, condition), so one participant's data do not depend on the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuromotor.emg.plan import CONDITIONS
from neuromotor.io.emg_mat import N_MUSCLES, N_TIME

# Burst pattern per muscle (VL, RF, VM, GL, GM, SOL, TA, BF): bumps as (phase centre in points, width σ, gain).
_PEDALLING = (
    ((30, 16, 1.0),), ((15, 16, 0.7), (185, 14, 0.5)), ((30, 15, 1.0),), ((75, 18, 0.9),),
    ((70, 18, 0.9),), ((60, 18, 1.0),), ((160, 22, 0.9),), ((100, 20, 0.8), (40, 12, 0.3)),
)  # fmt: skip
_WALKING = (
    ((20, 12, 1.0),), ((10, 10, 0.6), (120, 12, 0.6)), ((20, 12, 1.0),), ((90, 12, 1.0),),
    ((90, 12, 1.0),), ((80, 16, 1.0),), ((10, 10, 0.9), (150, 20, 0.7)), ((185, 14, 0.9),),
)  # fmt: skip
_SLOTS = 8
"""Phase slots per muscle for planted regions (8 muscles x 8 slots = 64 distinct regions)."""


@dataclass(frozen=True)
class SyntheticSettings:
    """Knobs of the generator (config ``emg_signatures.synthetic``)."""

    participants: int = 12
    cycles: int = 30
    day2_participants: int = 8
    noise: float = 0.03
    signature_regions: int = 2
    signature_amplitude: float = 0.4
    signature_width: float = 5.0
    amplitude_jitter: float = 0.08
    time_jitter: float = 2.0


def _circular_bump(centre: float, width: float) -> np.ndarray:
    """(200,) Gaussian on the cycle, periodic (distance wraps around 200 points)."""
    t = np.arange(N_TIME)
    distance = np.abs((t - centre + N_TIME / 2) % N_TIME - N_TIME / 2)
    return np.exp(-0.5 * (distance / width) ** 2)


def _circular_distance(centre: float) -> np.ndarray:
    t = np.arange(N_TIME)
    return np.abs((t - centre + N_TIME / 2) % N_TIME - N_TIME / 2)


@dataclass(frozen=True)
class _Traits:
    """A participant's individual traits, shared by all conditions and tasks."""

    shift: np.ndarray  # (8, 2) points, per muscle and burst
    width: np.ndarray  # (8, 2) factors
    gain: np.ndarray  # (8, 2) factors
    extra: tuple  # per muscle: () or ((centre, width, gain),)
    regions: tuple  # ((muscle, centre), ...) planted signature regions


def _slot_order(seed: int) -> np.ndarray:
    """A seeded order of the 64 (muscle, phase-slot) regions; participants take them in turn."""
    return np.random.default_rng([seed, 0xE316]).permutation(N_MUSCLES * _SLOTS)


def _traits(seed: int, participant: int, settings: SyntheticSettings) -> _Traits:
    rng = np.random.default_rng([seed, 0xE316, participant])
    extra = tuple(
        ((rng.uniform(0, N_TIME), rng.uniform(8, 20), rng.uniform(0.1, 0.3)),) if rng.random() < 0.5 else ()
        for _ in range(N_MUSCLES)
    )
    slots = _slot_order(seed)
    regions = []
    for j in range(settings.signature_regions):
        slot = int(slots[((participant - 1) * settings.signature_regions + j) % slots.size])
        muscle, phase = divmod(slot, _SLOTS)
        centre = (phase + 0.5) * N_TIME / _SLOTS + rng.uniform(-3, 3)
        regions.append((muscle, float(centre)))
    return _Traits(
        shift=rng.normal(0, 6, (N_MUSCLES, 2)),
        width=rng.uniform(0.8, 1.25, (N_MUSCLES, 2)),
        gain=rng.uniform(0.55, 0.85, (N_MUSCLES, 2)),
        extra=extra,
        regions=tuple(regions),
    )


def planted_mask(seed: int, participant: int, settings: SyntheticSettings) -> np.ndarray:
    """(200, 8) bool: the points within 1.5 σ of the participant's planted bumps (its known signature)."""
    mask = np.zeros((N_TIME, N_MUSCLES), dtype=bool)
    for muscle, centre in _traits(seed, participant, settings).regions:
        mask[:, muscle] |= _circular_distance(centre) <= 1.5 * settings.signature_width
    return mask


def template(seed: int, participant: int, condition: str, settings: SyntheticSettings) -> np.ndarray:
    """(200, 8) the participant's noise-free cycle in ``condition`` (values in [0, 1 + signature_amplitude])."""
    traits = _traits(seed, participant, settings)
    walking = condition.startswith("walking")
    pattern = _WALKING if walking else _PEDALLING
    rng = np.random.default_rng([seed, 0xE317, participant, list(CONDITIONS).index(condition)])
    baseline = condition in ("pedalling_150W_day1", "walking_day1")
    gain_change = np.ones(N_MUSCLES) if baseline else rng.uniform(0.9, 1.1, N_MUSCLES)
    shift_change = np.zeros(N_MUSCLES) if baseline else rng.normal(0, 1.5, N_MUSCLES)
    if condition == "pedalling_80W_day1":
        gain_change = gain_change * 0.85
    out = np.zeros((N_TIME, N_MUSCLES))
    for m in range(N_MUSCLES):
        curve = np.zeros(N_TIME)
        for b, (centre, width, gain) in enumerate(pattern[m]):
            curve += gain * traits.gain[m, b] * _circular_bump(
                centre + traits.shift[m, b] + shift_change[m], width * traits.width[m, b]
            )
        for centre, width, gain in traits.extra[m]:
            curve += gain * _circular_bump(centre + shift_change[m], width)
        curve = curve / max(1.0, curve.max())
        out[:, m] = gain_change[m] * curve
    for muscle, centre in traits.regions:
        out[:, muscle] += settings.signature_amplitude * _circular_bump(centre, settings.signature_width)
    return out


def _shift_cycle(values: np.ndarray, shift: float) -> np.ndarray:
    """Circularly shift a (200, 8) cycle by ``shift`` points (linear interpolation)."""
    t = np.arange(N_TIME)
    return np.stack([np.interp(t - shift, t, values[:, m], period=N_TIME) for m in range(N_MUSCLES)], axis=1)


def cycles(seed: int, participant: int, condition: str, settings: SyntheticSettings) -> np.ndarray:
    """(cycles, 200, 8) float64: noisy cycles of one participant in one condition."""
    base = template(seed, participant, condition, settings)
    rng = np.random.default_rng([seed, 0xE318, participant, list(CONDITIONS).index(condition)])
    kernel = np.ones(5) / 5
    out = np.empty((settings.cycles, N_TIME, N_MUSCLES))
    for c in range(settings.cycles):
        shifted = _shift_cycle(base, rng.normal(0, settings.time_jitter))
        gain = 1 + settings.amplitude_jitter * rng.standard_normal(N_MUSCLES)
        white = rng.standard_normal((N_TIME + 4, N_MUSCLES))
        noise = np.stack([np.convolve(white[:, m], kernel, mode="valid") for m in range(N_MUSCLES)], axis=1)
        out[c] = shifted * gain + settings.noise * np.sqrt(5) * noise
    return out


def day2_participants(seed: int, settings: SyntheticSettings) -> np.ndarray:
    """Participant numbers (1-based, ascending) who 'returned' for the day-2 recordings."""
    rng = np.random.default_rng([seed, 0xE319])
    chosen = rng.choice(settings.participants, settings.day2_participants, replace=False) + 1
    return np.sort(chosen)


def condition_data(seed: int, condition: str, settings: SyntheticSettings) -> tuple[np.ndarray, np.ndarray]:
    """One condition file's content: features (N, 200, 8) and the one-hot target (N, participants).

    Rows are participant-major (all cycles of participant 1, then 2, ...); day-2 conditions hold only
    :func:`day2_participants`, with every column kept.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"unknown EMG condition {condition!r}; known: {list(CONDITIONS)}")
    present = (
        day2_participants(seed, settings) if condition.endswith("day2") else np.arange(1, settings.participants + 1)
    )
    features = np.concatenate([cycles(seed, int(p), condition, settings) for p in present])
    column = np.repeat(present - 1, settings.cycles)
    target = np.zeros((column.size, settings.participants), dtype=np.uint8)
    target[np.arange(column.size), column] = 1
    return features, target
