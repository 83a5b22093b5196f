"""The visualisation technique of the InterpretableCNN paper (Cui et al., IEEE TNNLS 2022, eqs. 12–15; the sibling
``VisTechnique.py`` of Cui et al. 2023's code) and the relative band power shown next to it.

- Class-activation map (CAM) of :class:`~neuromotor.eeg.models.InterpretableCNN` for one sample: the BatchNorm output
  (32 feature maps × 321 positions) weighted by the classifier's weights of the explained class; its
  :data:`CAM_TOP` largest positions (whose BatchNorm output and depthwise output have the same sign) are traced back
  to the input: each to the channel contributing most (in the direction of the depthwise output) to that position's
  depthwise sum, at the centre of its receptive window (position + kernel / 2); a Gaussian of width
  :data:`CAM_RADIUS` (half the kernel length) around every traced point, summed, gives the map: its mean removed,
  divided by its root mean square (taken before removing the mean). :func:`cam_map` composes
  :func:`cam_activations`, :func:`cam_positions`, :func:`trace_to_input` and :func:`gaussian_map`.
- Relative band power per channel (:func:`relative_band_power`): multitaper PSD (``mne``, adaptive weights, full
  normalisation), band integrals over the total integral, both by Simpson's rule (``scipy.integrate.simpson``).

Differences from ``VisTechnique.py``: it keeps the positions strictly above the 100th largest CAM value (99 of them
when there are no ties); here the 100 largest (ties in index order). Everything else as there.

Arrays: one sample x is (C, T) = (30 channels, 384 time points at 128 Hz), µV. Only :func:`cam_activations` and
:func:`cam_map` need torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:
    import torch

CAM_TOP = 100
"""Number of CAM positions traced back to the input (``VisTechnique.py``)."""

CAM_RADIUS = 32
"""Width (σ, time points) and half-extent of the Gaussian around each traced point: half the kernel length 64."""

BANDS = {"delta": (1.0, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 12.0), "beta": (12.0, 30.0)}
"""Frequency bands (Hz, both ends included, as in ``VisTechnique.py``)."""

FLAT_POWER = 1e-8
"""Total power (µV²) below which a channel counts as flat: its relative band powers are 0 (``VisTechnique.py``)."""


def _checked(where: str, name: str, values, ndim: int) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != ndim:
        raise ValueError(f"{where}: {name} must have {ndim} dimensions, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{where}: {name} must be finite, found {array[tuple(bad)]} at index {tuple(int(i) for i in bad)}"
        )
    return array


# ---------------------------------------------------------------------------------------------------------------
# class-activation map


@dataclass(frozen=True)
class CamPositions:
    """The CAM positions kept for tracing, in decreasing CAM order (K ≤ ``top``).

    Attributes:
        filters: (K,) feature map (depthwise output channel, 0..31). times: (K,) position in the feature map (0..320).
        values: (K,) CAM value there.
    """

    filters: np.ndarray
    times: np.ndarray
    values: np.ndarray


def cam_activations(model, x) -> tuple[np.ndarray, np.ndarray]:
    """Depthwise output (before ReLU) and BatchNorm output of one sample through an InterpretableCNN whose
    BatchNorm is frozen (:func:`neuromotor.eeg.batchnorm.freeze`: one sample's own statistics mean nothing).

    Args:
        model: :class:`~neuromotor.eeg.models.InterpretableCNN` with frozen BatchNorm. x: (C, T) one sample.

    Returns:
        pre, post: (F, T − K + 1) each, F = depthwise filters (32), K = kernel length (64).
    """
    import torch
    from torch import nn

    if not all(hasattr(model, name) for name in ("pointwise", "depthwise", "activ", "batchnorm", "fc")):
        raise ValueError(f"cam_activations: needs an InterpretableCNN, got {type(model).__name__}")
    if isinstance(model.batchnorm, nn.BatchNorm2d):
        raise ValueError("cam_activations: freeze the model's BatchNorm first (neuromotor.eeg.batchnorm.freeze)")
    x = _checked("cam_activations", "x", x, 2)
    channels = model.pointwise.kernel_size[0]
    if x.shape[0] != channels:
        raise ValueError(f"cam_activations: x must have shape ({channels}, T), got shape {x.shape}")
    reference = model.fc.weight
    with torch.no_grad():
        tensor = torch.as_tensor(x, dtype=reference.dtype, device=reference.device)[None, None]
        pre = model.depthwise(model.pointwise(tensor))
        post = model.batchnorm(model.activ(pre))
    return pre[0, :, 0].cpu().numpy().astype(np.float64), post[0, :, 0].cpu().numpy().astype(np.float64)


def cam_positions(pre, post, class_weights, top: int = CAM_TOP) -> CamPositions:
    """The ``top`` largest positions of the class-activation map ``post · w`` (per feature map), less those where
    the BatchNorm output and the depthwise output have opposite signs (no consistent direction to trace).

    Args:
        pre: (F, P) depthwise output. post: (F, P) BatchNorm output. class_weights: (F,) classifier weights of the
            explained class (a row of ``fc.weight``). top: positions kept before the sign check.
    """
    where = "cam_positions"
    pre, post = _checked(where, "pre", pre, 2), _checked(where, "post", post, 2)
    weights = _checked(where, "class_weights", class_weights, 1)
    if pre.shape != post.shape or weights.shape != (post.shape[0],):
        raise ValueError(
            f"{where}: pre and post must have the same shape (F, P) and class_weights (F,), got {pre.shape}, "
            f"{post.shape}, {weights.shape}"
        )
    if not 1 <= top <= post.size:
        raise ValueError(f"{where}: top must be in [1, {post.size}], got {top}")
    cam = post * weights[:, None]
    order = np.argsort(-cam, axis=None, kind="stable")[:top]
    filters, times = np.unravel_index(order, cam.shape)
    consistent = pre[filters, times] * post[filters, times] >= 0
    filters, times = filters[consistent], times[consistent]
    return CamPositions(filters.astype(np.int64), times.astype(np.int64), cam[filters, times])


def trace_to_input(
    x, pre, positions: CamPositions, pointwise_weights, depthwise_weights
) -> tuple[np.ndarray, np.ndarray]:
    """Input channel and time of every CAM position (InterpretableCNN paper, eqs. 13–15): the contribution of channel
    c to feature map i at position j is ``(Σ_t x[c, j + t] k_i[t]) · w_{i // d, c}`` (k_i the depthwise kernel, w the
    pointwise weights of the filter i reads, d = depthwise outputs per pointwise filter; biases left out); the
    channel is the one contributing most in the direction of ``pre[i, j]``, the time ``j + K // 2``.

    Args:
        x: (C, T) the sample. pre: (F, T − K + 1) depthwise output. pointwise_weights: (F / d, C).
            depthwise_weights: (F, K).

    Returns:
        channels, times: (len(positions.filters),) each, indices into x.
    """
    where = "trace_to_input"
    x, pre = _checked(where, "x", x, 2), _checked(where, "pre", pre, 2)
    pointwise = _checked(where, "pointwise_weights", pointwise_weights, 2)
    depthwise = _checked(where, "depthwise_weights", depthwise_weights, 2)
    n_channels, n_times = x.shape
    n_filters, kernel = depthwise.shape
    if pre.shape != (n_filters, n_times - kernel + 1) or pointwise.shape[1] != n_channels:
        raise ValueError(
            f"{where}: need pre (F, T − K + 1) = ({n_filters}, {n_times - kernel + 1}) and pointwise_weights "
            f"(F / d, C) with C = {n_channels}, got {pre.shape} and {pointwise.shape}"
        )
    if n_filters % pointwise.shape[0]:
        raise ValueError(f"{where}: {n_filters} depthwise filters do not split over {pointwise.shape[0]} inputs")
    per_input = n_filters // pointwise.shape[0]
    filters, times = positions.filters, positions.times
    windows = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=1)[:, times]  # (C, K', kernel)
    contribution = np.einsum("ckl,kl->kc", windows, depthwise[filters]) * pointwise[filters // per_input]
    channels = np.argmax(contribution * np.sign(pre[filters, times])[:, None], axis=1)
    return channels.astype(np.int64), (times + kernel // 2).astype(np.int64)


def gaussian_map(channels, times, shape: tuple[int, int], radius: int = CAM_RADIUS) -> np.ndarray:
    """Sum of Gaussians ``exp(−(t − q)² / (2 r²)) / (r √(2π))`` over t ∈ [q − r, q + r) ∩ [0, T) on row p, one per
    distinct traced point (p, q), then ``(map − mean(map)) / sqrt(mean(map²))``, the root mean square taken before
    the mean is removed (InterpretableCNN paper, eq. 12, and the normalisation of ``VisTechnique.py``). All zeros when
    no point was traced.

    Args:
        channels, times: (K,) traced points. shape: (C, T). radius: r, time points.

    Returns:
        (C, T) the map (dimensionless).
    """
    n_channels, n_times = shape
    channels, times = np.asarray(channels, dtype=np.int64), np.asarray(times, dtype=np.int64)
    if channels.shape != times.shape or channels.ndim != 1:
        raise ValueError(f"gaussian_map: channels and times must be (K,) each, got {channels.shape}, {times.shape}")
    inside = (channels >= 0) & (channels < n_channels) & (times >= 0) & (times < n_times)
    if not inside.all():
        raise ValueError(f"gaussian_map: traced points must lie in a ({n_channels}, {n_times}) map")
    if radius < 1:
        raise ValueError(f"gaussian_map: radius must be >= 1 time point, got {radius}")
    heat = np.zeros(shape)
    offsets = np.arange(-radius, radius)
    bump = np.exp(-(offsets**2) / (2.0 * radius**2)) / (radius * np.sqrt(2 * np.pi))
    for p, q in sorted(set(zip(channels.tolist(), times.tolist()))):
        t = q + offsets
        inside = (t >= 0) & (t < n_times)
        heat[p, t[inside]] += bump[inside]
    if not heat.any():
        return heat
    return (heat - heat.mean()) / np.sqrt(np.mean(heat**2))  # RMS of the map before its mean is removed


@dataclass(frozen=True)
class CamMap:
    """One sample's CAM map and how it was made.

    Attributes:
        heatmap: (C, T) the map: zero mean, divided by the root mean square of the summed Gaussians (zeros if no
            position survived the sign check).
        positions: the CAM positions traced (:class:`CamPositions`, K of them).
        channels, times: (K,) the input channel and time each position was traced to.
    """

    heatmap: np.ndarray
    positions: CamPositions
    channels: np.ndarray
    times: np.ndarray


def cam_map(model, x, state: int, top: int = CAM_TOP, radius: int = CAM_RADIUS) -> CamMap:
    """CAM map of one sample for class ``state`` (the predicted class in ``VisTechnique.py``).

    Args:
        model: InterpretableCNN with frozen BatchNorm. x: (C, T) the sample, µV. state: class index.
        top: CAM positions traced. radius: Gaussian width, time points.
    """
    pre, post = cam_activations(model, x)
    weights = model.fc.weight.detach().cpu().numpy().astype(np.float64)
    if not 0 <= int(state) < weights.shape[0]:
        raise ValueError(f"cam_map: state must be a class index in [0, {weights.shape[0]}), got {state}")
    positions = cam_positions(pre, post, weights[int(state)], top)
    pointwise = model.pointwise.weight.detach().cpu().numpy()[:, 0, :, 0]
    depthwise = model.depthwise.weight.detach().cpu().numpy()[:, 0, 0, :]
    channels, times = trace_to_input(x, pre, positions, pointwise, depthwise)
    return CamMap(gaussian_map(channels, times, np.shape(x), radius), positions, channels, times)


# ---------------------------------------------------------------------------------------------------------------
# band power


def relative_band_power(x, sfreq: float = 128.0, bands: Mapping[str, tuple[float, float]] = BANDS) -> np.ndarray:
    """Power in each band over the total power, per channel: multitaper PSD
    (``mne.time_frequency.psd_array_multitaper``, adaptive, full normalisation), integrated by Simpson's rule at the
    PSD's frequency spacing. Flat channels (constant, or total power < :data:`FLAT_POWER` µV²) get 0 in every band.

    Args:
        x: (C, T) one sample, µV. sfreq: Hz. bands: name → (low, high) Hz, both included, high ≤ sfreq / 2.

    Returns:
        (len(bands), C) fractions in [0, 1], bands in the mapping's order.
    """
    from mne.time_frequency import psd_array_multitaper
    from scipy.integrate import simpson

    where = "relative_band_power"
    x = _checked(where, "x", x, 2)
    if x.shape[1] < 16:
        raise ValueError(f"{where}: x must be (C, T) with T >= 16 time points, got shape {x.shape}")
    if not sfreq > 0:
        raise ValueError(f"{where}: sfreq must be positive, got {sfreq}")
    for name, (low, high) in bands.items():
        if not 0 <= low < high <= sfreq / 2:
            raise ValueError(
                f"{where}: band {name!r} must satisfy 0 <= low < high <= {sfreq / 2} Hz, got ({low}, {high})"
            )
    varying = np.ptp(x, axis=1) > 0  # constant channels: no spectrum (mne's adaptive weights divide by 0)
    out = np.zeros((len(bands), x.shape[0]))
    if not varying.any():
        return out
    psd, freqs = psd_array_multitaper(x[varying], sfreq, adaptive=True, normalization="full", verbose=0)
    step = freqs[1] - freqs[0]
    total = simpson(psd, dx=step, axis=-1)
    flat = total < FLAT_POWER
    for row, (low, high) in enumerate(bands.values()):
        inside = (freqs >= low) & (freqs <= high)
        if inside.sum() < 2:
            raise ValueError(
                f"{where}: band ({low}, {high}) Hz holds {inside.sum()} PSD frequencies (step {step:.3g} Hz)"
            )
        out[row, varying] = np.where(flat, 0.0, simpson(psd[:, inside], dx=step, axis=-1) / np.where(flat, 1.0, total))
    return out
