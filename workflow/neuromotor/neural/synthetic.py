"""A synthetic session in the successor's layout with planted, known tuning (pure numpy; the network forward pass
that a ``layer`` plant needs is done by the caller, :func:`neuromotor.neural.stages.write_synthetic`).

Trials are centre-out reaches (``directions`` targets ``distance_cm`` away, minimum-jerk from movement onset at bin
``align`` to the trial's end, a per-trial curvature, hold before and after). Muscle lengths are a fixed smooth
nonlinear function of the hand position (mm), their velocities ``np.gradient`` at 0.01 s; joint angles likewise
(deg). Neurons fire as Poisson processes with rate ``baseline + modulation · drive`` (Hz, rectified at 0), counted
per 10-ms bin and smoothed by a 5-bin boxcar as the successor's files are; outside the trial's bins they are 0.
``drive`` is a unit-variance random combination of the planted signal: ``n_planted`` directions of one layer of a
known network (``layer``; those its linear read-out of the kinematics predicts worst), or the hand velocity
(``velocity``).
"""

from __future__ import annotations

import numpy as np

from neuromotor.neural.predict import pca_scores
from neuromotor.neural.session import ALIGN, N_BINS, Session, trial_mask

BIN_S = 0.01


def reach_kinematics(
    n_trials: int,
    durations: np.ndarray,
    rng: np.random.Generator,
    *,
    n_bins: int = N_BINS,
    align: int = ALIGN,
    directions: int = 8,
    distance_cm: float = 8.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Hand position and velocity (N, T, 2) (cm, cm/s) of centre-out reaches lasting ``durations`` bins."""
    position = np.zeros((n_trials, n_bins, 2))
    for trial in range(n_trials):
        angle = 2 * np.pi * (trial % directions) / directions
        end = min(n_bins, align + int(durations[trial]))
        tau = np.clip((np.arange(n_bins) - align) / max(1, end - align - 1), 0.0, 1.0)
        s = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
        bend = rng.normal(0.0, 0.15) * np.sin(np.pi * s)  # curvature: perpendicular excursion, fraction of distance
        direction = np.array([np.cos(angle), np.sin(angle)])
        normal = np.array([-direction[1], direction[0]])
        position[trial] = distance_cm * (s[:, None] * direction + bend[:, None] * normal)
    return position, np.gradient(position, BIN_S, axis=1)


def _limb_map(position: np.ndarray, n_out: int, rng: np.random.Generator, offset: float, gain: float) -> np.ndarray:
    """A smooth nonlinear map of hand position (N, T, 2) cm → (N, n_out, T): offset + linear + quadratic terms."""
    x, y = position[..., 0], position[..., 1]
    basis = np.stack([x, y, 0.05 * x * x, 0.05 * y * y, 0.05 * x * y], axis=-1)  # (N, T, 5)
    weights = rng.normal(0.0, gain, size=(5, n_out))
    offsets = offset * (1.0 + 0.2 * rng.random(n_out))
    return (basis @ weights + offsets).transpose(0, 2, 1)


def synthetic_limb(
    n_trials: int,
    n_muscles: int,
    rng: np.random.Generator,
    *,
    durations_range=(120, 250),
    n_joints: int = 4,
    n_bins: int = N_BINS,
    align: int = ALIGN,
) -> dict[str, np.ndarray]:
    """Durations (N,), hand (N, T, 2, 2) (pos cm, vel cm/s), muscles (N, M, T, 2) (mm, mm/s), joints (N, J, T, 2)."""
    low, high = durations_range
    durations = rng.integers(low, high + 1, size=n_trials)
    position, velocity = reach_kinematics(n_trials, durations, rng, n_bins=n_bins, align=align)
    lengths = _limb_map(position, n_muscles, rng, offset=100.0, gain=1.5)
    angles = _limb_map(position, n_joints, rng, offset=40.0, gain=3.0)
    return {
        "durations": durations,
        "endeffector": np.stack([position, velocity], axis=-1),
        "muscles": np.stack([lengths, np.gradient(lengths, BIN_S, axis=2)], axis=-1),
        "joints": np.stack([angles, np.gradient(angles, BIN_S, axis=2)], axis=-1),
    }


def private_components(values: np.ndarray, exclude: np.ndarray | None, n: int) -> np.ndarray:
    """(S, k) unit-variance, uncorrelated linear combinations of ``values`` (S, F): with ``exclude`` (S, P), the ``n``
    that the excluded regressors predict worst (the last canonical directions of ``values`` against ``exclude``),
    otherwise the top ``n`` principal components. Directions of variance below 1e-6 of the largest are dropped."""
    scores = pca_scores(values, values.shape[1], tolerance=1e-6)
    scores = scores / scores.std(axis=0)  # whitened: every direction of the layer counts the same
    if exclude is None:
        return scores[:, :n]
    design = np.column_stack([np.ones(len(exclude)), exclude])
    coefficients, *_ = np.linalg.lstsq(design, scores, rcond=None)
    fitted = design @ coefficients - scores.mean(axis=0)
    squared_correlations, directions = np.linalg.eigh(fitted.T @ fitted / len(scores))  # ascending
    return scores @ directions[:, :n]


def planted_drive(
    signal: np.ndarray,
    mask: np.ndarray,
    n_neurons: int,
    n_planted: int,
    rng: np.random.Generator,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-neuron drive (N, T, U), unit variance over the trials' bins: random unit combinations of ``n_planted``
    components of ``signal`` (N, T, F) at the trials' bins ``mask`` (:func:`private_components`: the layer's
    directions least predictable from ``exclude`` (N, T, P) when given); and the weights (U, k). The drive is an
    exact linear function of the signal."""
    components = private_components(
        signal[mask].astype(np.float64), None if exclude is None else exclude[mask].astype(np.float64), n_planted
    )
    weights = rng.normal(size=(n_neurons, components.shape[1]))
    weights /= np.linalg.norm(weights, axis=1, keepdims=True)
    drive = np.zeros(mask.shape + (n_neurons,))
    combined = components @ weights.T
    drive[mask] = combined / np.where(combined.std(axis=0) > 0, combined.std(axis=0), 1.0)
    return drive, weights


def spike_counts(
    drive: np.ndarray,
    mask: np.ndarray,
    rng: np.random.Generator,
    *,
    baseline_hz: float,
    modulation_hz: float,
    smoothing_bins: int = 5,
) -> np.ndarray:
    """Poisson counts per bin (N, T, U) at rate max(0, baseline + modulation · drive) Hz, boxcar-smoothed over
    ``smoothing_bins`` within each trial ('same' convolution), 0 outside the trials' bins."""
    rate = np.clip(baseline_hz + modulation_hz * drive, 0.0, None) * BIN_S
    counts = rng.poisson(rate).astype(np.float64) * mask[..., None]
    if smoothing_bins > 1:
        kernel = np.ones(smoothing_bins) / smoothing_bins
        counts = np.apply_along_axis(lambda column: np.convolve(column, kernel, mode="same"), 1, counts)
    return counts * mask[..., None]


def synthetic_session(
    limb: dict,
    drive: np.ndarray,
    rng: np.random.Generator,
    *,
    baseline_hz: float,
    modulation_hz: float,
    align: int = ALIGN,
) -> Session:
    """The session of ``limb`` (:func:`synthetic_limb`) with neurons driven by ``drive`` (N, T, U)."""
    mask = trial_mask(limb["durations"], align, drive.shape[1])
    spikes = spike_counts(drive, mask, rng, baseline_hz=baseline_hz, modulation_hz=modulation_hz)
    n = drive.shape[0]
    return Session(
        spikes,
        np.asarray(limb["durations"]),
        limb["muscles"],
        limb["endeffector"],
        limb["joints"],
        np.arange(1, n + 1),
        align,
    )
