"""Time axes between the session's 10-ms bins and a network's steps (pure numpy).

A session bin ``i`` lies at ``i · bin_s``; a network input step ``j`` at ``j · dt``. Inputs are resampled from bins to
network steps (linear interpolation; past the session's last bin the last value is held, as the successor and
the PCRT windows hold-pad); a layer with ``T_l`` steps spreads them evenly over the input window (step ``k`` at
``k · (T_0 / T_l) · dt``: the successor interpolates every layer back to its 400 bins the same way) and is resampled
back to the bins.
"""

from __future__ import annotations

import numpy as np


def resample(values: np.ndarray, src_dt: float, dst_dt: float, n_out: int, axis: int = -1) -> np.ndarray:
    """``values`` sampled every ``src_dt`` s along ``axis`` → ``n_out`` samples every ``dst_dt`` s (linear
    interpolation; beyond the last sample its value is held). Returns float64 with ``axis`` of length ``n_out``."""
    values = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    n_in = values.shape[-1]
    if n_in < 1 or n_out < 1 or src_dt <= 0 or dst_dt <= 0:
        raise ValueError(f"resample: need samples and positive steps (n_in={n_in}, n_out={n_out})")
    position = np.arange(n_out) * (dst_dt / src_dt)
    lower = np.clip(np.floor(position).astype(np.int64), 0, n_in - 1)
    upper = np.minimum(lower + 1, n_in - 1)
    weight = np.where(position >= n_in - 1, 0.0, position - lower)
    out = values[..., lower] * (1.0 - weight) + values[..., upper] * weight
    return np.moveaxis(out, -1, axis)


def network_input(muscles: np.ndarray, bin_s: float, dt: float, window: int) -> np.ndarray:
    """Session muscles (N, M, T, 2) (length mm, velocity mm/s per bin) → the network layout (N, 2, M, window)
    float32 at the network's step ``dt``."""
    muscles = np.asarray(muscles)
    if muscles.ndim != 4 or muscles.shape[-1] != 2:
        raise ValueError(f"muscles must be (trials, muscles, bins, 2), got {muscles.shape}")
    steps = resample(muscles, bin_s, dt, window, axis=2)  # (N, M, window, 2)
    return np.ascontiguousarray(steps.transpose(0, 3, 1, 2), dtype=np.float32)


def layer_to_bins(layer: np.ndarray, window: int, dt: float, bin_s: float, n_bins: int) -> np.ndarray:
    """A layer (N, C, H, T_l) of a network run on ``window`` steps of ``dt`` s → features per session bin
    (N, n_bins, C·H) float32 (features ordered channel-major)."""
    layer = np.asarray(layer)
    if layer.ndim != 4:
        raise ValueError(f"layer must be (trials, channels, height, time), got {layer.shape}")
    n, c, h, t_layer = layer.shape
    step = (window / t_layer) * dt
    flat = layer.reshape(n, c * h, t_layer)
    return np.ascontiguousarray(resample(flat, step, bin_s, n_bins, axis=-1).transpose(0, 2, 1), dtype=np.float32)
