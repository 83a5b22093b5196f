"""Faithfulness tests of heatmaps and their post-processing (Cui et al. 2023, Methods).

- Perturbation test (raw heatmaps H): zero a patch of one channel (5 lengths × 100 random patches) or a whole
  channel, and correlate the relevance inside it (sum of H; time-mean for channels) with the drop of the explained
  logit. The drops depend only on the model and the sample, so :func:`perturbation_effects` computes them once and
  :func:`perturbation_scores` correlates them with any number of heatmaps.
- Post-processing (:func:`postprocess`): channel relevance, z-scores, thresholds, colour-map floor, smoothing.
- Deletion test (processed maps): delete the points and the channels the maps mark, report the probability left.

Arrays: heatmaps (N, C, T) = (samples, channels, time points); models take (N, 1, C, T). Only the two functions
that run a model import torch, so the summary and figure jobs load without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

if TYPE_CHECKING:
    import torch

LogitFn = Callable[["torch.Tensor"], "torch.Tensor"]
"""Maps a (B, 1, C, T) input to (B, classes) scores (logits or log-probabilities); samples must be independent."""


def patch_lengths(n_times: int = 384, levels: int = 5) -> np.ndarray:
    """Patch lengths 2 · round(0.1 · l · n_times / 2), l = 1..levels: 38, 76, 116, 154, 192 for 384 samples."""
    return np.array([2 * int(np.floor(0.1 * level * n_times / 2 + 0.5)) for level in range(1, levels + 1)])


def draw_patches(
    rng: np.random.Generator, lengths: np.ndarray, n_patches: int = 100, n_channels: int = 30, n_times: int = 384
) -> tuple[np.ndarray, np.ndarray]:
    """Random patches per length: channel ~ U{0..n_channels−1}, start ~ U{0, …, n_times − length − 1}.

    Returns:
        channels, starts: (len(lengths), n_patches) int64, drawn length by length (channels, then starts).
    """
    channels, starts = [], []
    for length in lengths:
        channels.append(rng.integers(0, n_channels, n_patches))
        starts.append(rng.integers(0, n_times - length, n_patches))
    return np.array(channels, dtype=np.int64), np.array(starts, dtype=np.int64)


@dataclass
class PerturbationEffects:
    """Logit drops of one set of samples.

    Attributes:
        reference: (N,) the explained logit of the unperturbed input.
        patch: (N, L, P) reference − logit with the patch zeroed.
        channel: (N, C) reference − logit with the channel zeroed.
    """

    reference: np.ndarray
    patch: np.ndarray
    channel: np.ndarray


def perturbation_effects(
    logits: LogitFn,
    x: torch.Tensor,
    target: torch.Tensor,
    channels: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    batch_size: int = 256,
) -> PerturbationEffects:
    """Drops of ``logits(x)[target]`` when each patch (per sample: ``channels``, ``starts`` of shape (N, L, P)) or
    each channel is set to 0; 1 + L·P + C forward passes per sample, ``batch_size`` inputs per pass."""
    import torch

    with torch.no_grad():
        return _perturbation_drops(logits, x, target, channels, starts, lengths, batch_size)


def _perturbation_drops(logits, x, target, channels, starts, lengths, batch_size) -> PerturbationEffects:
    import torch

    n, _, n_channels, n_times = x.shape
    n_lengths, n_patches = channels.shape[1:]
    reference = np.empty(n)
    patch = np.empty((n, n_lengths, n_patches))
    channel = np.empty((n, n_channels))
    time = torch.arange(n_times, device=x.device)
    for i in range(n):
        ch = torch.as_tensor(channels[i].reshape(-1), device=x.device)
        start = torch.as_tensor(starts[i].reshape(-1), device=x.device)
        length = torch.as_tensor(np.repeat(lengths, n_patches), device=x.device)
        # keep[k, c, t] is False inside perturbation k: patches first, then whole channels (elementwise masks only,
        # no indexed writes, so the same code is deterministic on a GPU)
        inside = (time >= start[:, None]) & (time < (start + length)[:, None])
        on_channel = ch[:, None] == torch.arange(n_channels, device=x.device)
        patches = ~(on_channel[:, :, None] & inside[:, None, :])
        channels_off = ~torch.eye(n_channels, dtype=torch.bool, device=x.device)[:, :, None].expand(-1, -1, n_times)
        keep = torch.cat([patches, channels_off])
        scores = [logits(x[i : i + 1])[0, target[i]]]
        for first in range(0, keep.shape[0], batch_size):
            perturbed = x[i, 0] * keep[first : first + batch_size]
            scores.append(logits(perturbed[:, None])[:, target[i]])
        values = torch.cat([s.reshape(-1) for s in scores]).cpu().numpy().astype(np.float64)
        reference[i] = values[0]
        drops = values[0] - values[1:]
        patch[i] = drops[: len(ch)].reshape(n_lengths, n_patches)
        channel[i] = drops[len(ch) :]
    return PerturbationEffects(reference, patch, channel)


def patch_relevance(heatmaps: np.ndarray, channels: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N, L, P) sums of the heatmaps (N, C, T) inside each patch (channels, starts: (N, L, P))."""
    cumulative = np.concatenate([np.zeros(heatmaps.shape[:2] + (1,)), np.cumsum(heatmaps, axis=2)], axis=2)
    rows = np.arange(heatmaps.shape[0])[:, None, None]
    stops = starts + np.asarray(lengths)[None, :, None]
    return cumulative[rows, channels, stops] - cumulative[rows, channels, starts]


def pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r along the last axis; NaN where either side is constant."""
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    denominator = np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(-1) / np.where(denominator > 0, denominator, 1), np.nan)


def perturbation_scores(
    heatmaps: np.ndarray, effects: PerturbationEffects, channels: np.ndarray, starts: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Faithfulness of heatmaps (N, C, T): per sample the Pearson r between patch relevance and logit drop for each
    patch length, (N, L), and between channel relevance (time-mean of H) and logit drop over the channels, (N,)."""
    patch = pearson(patch_relevance(heatmaps, channels, starts, lengths), effects.patch)
    channel = pearson(heatmaps.mean(axis=2), effects.channel)
    return patch, channel


# ---------------------------------------------------------------------------------------------------------------
# post-processing (order matters, Cui et al. 2023, Methods)


@dataclass(frozen=True)
class PostProcessing:
    """Thresholds of the original: ``heatmap_sample_thres`` 2, ``heatmap_channel_thres`` 1, floor −1,
    ``smooth_factor`` 5."""

    sample_threshold: float = 2.0
    channel_threshold: float = 1.0
    floor: float = -1.0
    smooth_radius: int = 5


def zscore(values: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """(values − mean) / population std over ``axes``; 0 where the values are constant."""
    mean = values.mean(axis=axes, keepdims=True)
    std = values.std(axis=axes, keepdims=True)
    return np.where(std > 0, (values - mean) / np.where(std > 0, std, 1), 0.0)


def smooth_time(values: np.ndarray, radius: int) -> np.ndarray:
    """S[..., j] = mean of values[..., max(0, j − r) : min(T, j + r)] (the original's asymmetric window of 2r points
    in the interior, truncated at the edges). Summed term by term, not by cumulative sums, so a window of equal
    values (e.g. the floor −1) averages to exactly that value and the deletion threshold sees no rounding."""
    n_times = values.shape[-1]
    total = np.zeros(values.shape)
    count = np.zeros(n_times)
    for offset in range(-radius, radius):
        low, high = max(0, -offset), min(n_times, n_times - offset)
        total[..., low:high] += values[..., low + offset : high + offset]
        count[low:high] += 1
    return total / count


def postprocess(heatmaps: np.ndarray, settings: PostProcessing = PostProcessing()) -> tuple[np.ndarray, np.ndarray]:
    """Processed maps of heatmaps (N, C, T).

    Returns:
        smoothed: (N, C, T) S = smoothed max(z(H) − sample_threshold, floor), z over all C·T values of a sample.
        channel: (N, C) ĉ = z(time-mean of H) − channel_threshold, z over the C channels of a sample.
    """
    channel = zscore(heatmaps.mean(axis=2), axes=(1,)) - settings.channel_threshold
    shifted = np.maximum(zscore(heatmaps, axes=(1, 2)) - settings.sample_threshold, settings.floor)
    return smooth_time(shifted, settings.smooth_radius), channel


# ---------------------------------------------------------------------------------------------------------------
# deletion test (Cui et al. 2023, Methods)


@dataclass
class DeletionResult:
    """Per sample: probability of the explained class after deleting the marked points (``p_sample``) and the
    marked channels (``p_channel``); the deleted points (``sample_mask`` (N, C, T)) and channels
    (``channel_mask`` (N, C))."""

    p_sample: np.ndarray
    p_channel: np.ndarray
    sample_mask: np.ndarray
    channel_mask: np.ndarray

    @property
    def fraction_deleted(self) -> np.ndarray:
        """(N,) fraction of all points deleted."""
        return self.sample_mask.mean(axis=(1, 2))

    @property
    def channel_fraction_deleted(self) -> np.ndarray:
        """(N, C) fraction of each channel's points deleted."""
        return self.sample_mask.mean(axis=2)


def deletion_test(
    log_probabilities: LogitFn,
    x: torch.Tensor,
    target: torch.Tensor,
    smoothed: np.ndarray,
    channel: np.ndarray,
    sample_threshold: float = -1.0,
    channel_threshold: float = 0.0,
    batch_size: int = 256,
) -> DeletionResult:
    """Zero x where S > ``sample_threshold`` (``samplethres``), and separately every channel with
    ĉ > ``channel_threshold`` (``channelthres``); report exp(log_probabilities)[target] of each."""
    import torch

    sample_mask = smoothed > sample_threshold
    channel_mask = channel > channel_threshold
    keep_points = torch.as_tensor(~sample_mask, device=x.device)[:, None]
    keep_channels = torch.as_tensor(~channel_mask, device=x.device)[:, None, :, None]

    def probability(inputs):
        with torch.no_grad():
            out = [log_probabilities(inputs[s : s + batch_size]) for s in range(0, inputs.shape[0], batch_size)]
            return torch.cat(out).exp().gather(1, target[:, None])[:, 0].cpu().numpy()

    return DeletionResult(
        p_sample=probability(x * keep_points),
        p_channel=probability(x * keep_channels),
        sample_mask=sample_mask,
        channel_mask=channel_mask,
    )
