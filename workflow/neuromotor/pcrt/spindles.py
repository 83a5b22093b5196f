"""Muscle-spindle inputs computed from muscle-length windows (Sandbrink et al. 2023, Methods).

``L`` is the muscle quantity (N, M, T) in mm on ``dt_s``-second steps (``pcrt.dt_s``: 0.015 s for DeepDraw, 0.01 s
for the successor; the default is DeepDraw's). Version 2 (``spindle_info``) stacks length and
velocity; version 1 (``spindle_firing``) is a rate-like signal with noise proportional to each trace's spread.
"""

from __future__ import annotations

import numpy as np

from neuromotor.pcrt.layout import DT_S

DEEPDRAW_LENGTH_GAIN = 2.0
VELOCITY_GAIN = 4.3
VELOCITY_EXPONENT = 0.6
PROCHAZKA_OFFSET_HZ = 82.0


def muscle_velocity(lengths_mm: np.ndarray, dt_s: float = DT_S) -> np.ndarray:
    """``np.gradient`` of (..., T) lengths along time in mm/s."""
    return np.gradient(lengths_mm, dt_s, axis=-1)


def spindle_info(lengths_mm: np.ndarray, dt_s: float = DT_S) -> np.ndarray:
    """Version-2 input (..., T, 2): last axis (length mm, velocity mm/s)."""
    return np.stack([lengths_mm, muscle_velocity(lengths_mm, dt_s)], axis=-1)


def _velocity_term(velocity: np.ndarray) -> np.ndarray:
    return VELOCITY_GAIN * np.sign(velocity) * np.abs(velocity) ** VELOCITY_EXPONENT


def firing_deepdraw(lengths_mm: np.ndarray, dt_s: float = DT_S) -> np.ndarray:
    """The original rate ``2 * gradient(L, 1) + 4.3 sign(v)|v|^0.6`` (..., T), without noise.

    As in the original, the length term is the per-step difference, not a displacement from a rest length.
    """
    per_step = np.gradient(lengths_mm, axis=-1)
    return DEEPDRAW_LENGTH_GAIN * per_step + _velocity_term(muscle_velocity(lengths_mm, dt_s))


def firing_prochazka(lengths_mm: np.ndarray, reference_mm: np.ndarray, dt_s: float = DT_S) -> np.ndarray:
    """``82 + 2 (L - L_ref) + 4.3 sign(v)|v|^0.6`` in Hz; ``reference_mm`` broadcasts against (..., M, 1)."""
    displacement = lengths_mm - np.asarray(reference_mm)[..., None]
    return PROCHAZKA_OFFSET_HZ + DEEPDRAW_LENGTH_GAIN * displacement + _velocity_term(muscle_velocity(lengths_mm, dt_s))


def add_proportional_noise(rates: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """``r + fraction * std_t(r) * eps`` with eps ~ N(0, 1); std over time per trace of (M, T)."""
    spread = rates.std(axis=-1, keepdims=True)
    return rates + fraction * spread * rng.standard_normal(rates.shape)


def spindle_firing(
    lengths_mm: np.ndarray,
    rngs: list[np.random.Generator],
    *,
    variant: str = "deepdraw",
    noise: float = 0.3,
    reference_mm: np.ndarray | None = None,
    dt_s: float = DT_S,
) -> np.ndarray:
    """Version-1 input (N, M, T) with noise; one generator per sample so the result is independent of batching."""
    if variant == "deepdraw":
        rates = firing_deepdraw(lengths_mm, dt_s)
    elif variant == "prochazka":
        if reference_mm is None:
            raise ValueError("the prochazka variant needs reference lengths (M,) or (N, M)")
        rates = firing_prochazka(lengths_mm, reference_mm, dt_s)
    else:
        raise ValueError(f"spindle variant must be 'deepdraw' or 'prochazka', got {variant!r}")
    if len(rngs) != len(rates):
        raise ValueError(f"need one generator per sample: {len(rngs)} generators for {len(rates)} samples")
    return np.stack([add_proportional_noise(r, noise, rng) for r, rng in zip(rates, rngs)])
