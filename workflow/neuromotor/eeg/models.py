"""The two EEG drowsiness classifiers of Cui et al. 2023: InterpretableCNN (2,706 parameters) and the EEGNet variant
(1,714 parameters). Input (B, 1, 30, 384), output LogSoftmax over (alert, drowsy); :meth:`logits` gives the scores
before it. Every BatchNorm normalises with the statistics of the batch it sees (``track_running_stats=False``), also
in eval mode; :mod:`neuromotor.eeg.batchnorm` freezes them for attribution.

Convolutions are ordinary :class:`torch.nn.Conv2d` modules (same parameters, names and results), but those along time
compute by FFT (:class:`TimeConv2d`) and those spanning all channels by one matrix product (:class:`ChannelConv2d`):
torch's direct float64 convolutions on the CPU are 5-20 times slower for these shapes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

N_CHANNELS = 30
N_TIMES = 384
N_CLASSES = 2


def _fft_size(n: int) -> int:
    size = 1
    while size < n:
        size *= 2
    return size


def time_correlate(x: torch.Tensor, weight: torch.Tensor, padding: int, groups: int) -> torch.Tensor:
    """What ``F.conv2d(x, weight, padding=(0, padding), groups=groups)`` computes for a (1, K) kernel, by FFT.

    Args:
        x: (B, C, H, T). weight: (O, C / groups, 1, K). padding: zeros added at both ends of time, 0 <= padding < K.

    Returns:
        (B, O, H, T + 2 padding - K + 1).
    """
    batch, channels, height, length = x.shape
    out_channels, per_group, _, kernel = weight.shape
    if not 0 <= padding < kernel:
        raise ValueError(f"time_correlate: padding must be in [0, {kernel}), got {padding}")
    n_fft = _fft_size(length + kernel - 1)
    spectrum = torch.fft.rfft(x, n_fft).reshape(batch, groups, per_group, height, -1)
    kernels = torch.fft.rfft(weight.flip(-1)[:, :, 0], n_fft).reshape(groups, out_channels // groups, per_group, -1)
    product = torch.einsum("bgchf,gocf->bgohf", spectrum, kernels).reshape(batch, out_channels, height, -1)
    # full convolution with the flipped kernel = correlation; output t sits at t + K - 1 - padding
    start = kernel - 1 - padding
    return torch.fft.irfft(product, n_fft)[..., start : start + length + 2 * padding - kernel + 1]


class TimeConv2d(nn.Conv2d):
    """A Conv2d with a (1, K) kernel (stride 1, zero padding along time only), computed by FFT."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.kernel_size[0] != 1 or self.stride != (1, 1) or self.dilation != (1, 1) or self.padding[0] != 0:
            raise ValueError("TimeConv2d: needs a (1, K) kernel, stride 1, dilation 1 and padding (0, p)")
        if self.padding_mode != "zeros":
            raise ValueError("TimeConv2d: only zero padding")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = time_correlate(x, self.weight, self.padding[1], self.groups)
        return y if self.bias is None else y + self.bias[:, None, None]


class ChannelConv2d(nn.Conv2d):
    """A Conv2d with an (H, 1) kernel spanning all H rows of its input (output height 1), as a matrix product."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.kernel_size[1] != 1 or self.stride != (1, 1) or self.dilation != (1, 1) or self.padding != (0, 0):
            raise ValueError("ChannelConv2d: needs an (H, 1) kernel, stride 1, dilation 1, no padding")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, height, length = x.shape
        if height != self.kernel_size[0]:
            return super().forward(x)
        groups, per_group = self.groups, channels // self.groups
        weight = self.weight[..., 0].reshape(groups, self.out_channels // groups, per_group, height)
        y = torch.einsum("bgcht,goch->bgot", x.reshape(batch, groups, per_group, height, length), weight)
        y = y.reshape(batch, self.out_channels, 1, length)
        return y if self.bias is None else y + self.bias[:, None, None]


class InterpretableCNN(nn.Module):
    """Cui et al. 2023's InterpretableCNN: pointwise (30, 1) conv → depthwise (1, 64) conv → ReLU → BatchNorm →
    global average pool → linear → LogSoftmax. Shapes: (B, 1, 30, 384) → (B, 16, 1, 384) → (B, 32, 1, 321) → (B, 32)
    → (B, 2)."""

    activation_names = ("activ",)
    """The activation modules whose backward the attribution methods modify (Cui et al. 2023, Methods)."""

    def __init__(
        self,
        classes: int = N_CLASSES,
        channels: int = N_CHANNELS,
        length: int = N_TIMES,
        n1: int = 16,
        depth: int = 2,
        kernel: int = 64,
    ):
        super().__init__()
        self.pointwise = ChannelConv2d(1, n1, (channels, 1))
        self.depthwise = TimeConv2d(n1, depth * n1, (1, kernel), groups=n1)
        self.activ = nn.ReLU()
        self.batchnorm = nn.BatchNorm2d(depth * n1, track_running_stats=False)
        self.GAP = nn.AvgPool2d((1, length - kernel + 1))
        self.fc = nn.Linear(depth * n1, classes)
        self.softmax = nn.LogSoftmax(dim=1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        x = self.batchnorm(self.activ(self.depthwise(self.pointwise(x))))
        return self.fc(self.GAP(x).flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.logits(x))


class EEGNet(nn.Module):
    """Cui et al. 2023's EEGNet variant, hard-wired to 30 channels: temporal conv (1, 64) → BN → depthwise spatial conv
    (30, 1) → BN → ELU → avg-pool 4 → dropout → depthwise temporal conv (1, 16), no pointwise → BN → ELU → avg-pool 8
    → dropout (the same module) → linear. Shapes: (B, 8, 30, 385) → (B, 16, 1, 385) → 96 → 97 → 12 → 192 → 2.

    The first three modules are linear up to BN1's per-filter affine map, so the spatial sum can come first
    (:func:`spatial_first`): 16 temporal correlations instead of 8 × 30, with the same result. In training mode BN1's
    batch statistics then come from exact moments of the input (:func:`correlation_moments`); with BN1 frozen
    (:mod:`neuromotor.eeg.batchnorm`) its fixed map is used. Only in eval mode with batch statistics (while they are
    gathered) do the modules run one after the other."""

    activation_names = ("activ1", "activ2")
    spatial_first = True
    """False runs the first three modules one after the other always (the reference path of tests and benchmarks)."""

    def __init__(self, classes: int = N_CLASSES, channels: int = N_CHANNELS, dropout: float = 0.5):
        super().__init__()
        self.conv1 = TimeConv2d(1, 8, (1, 64), padding=(0, 32), bias=False)
        self.batchnorm1 = nn.BatchNorm2d(8, track_running_stats=False)
        self.depthwise = ChannelConv2d(8, 16, (channels, 1), groups=8, bias=False)
        self.batchnorm2 = nn.BatchNorm2d(16, track_running_stats=False)
        self.activ1 = nn.ELU()
        self.pooling1 = nn.AvgPool2d((1, 4))
        self.dropout = nn.Dropout(p=dropout)
        self.separable = TimeConv2d(16, 16, (1, 16), padding=(0, 8), groups=16, bias=False)
        self.batchnorm3 = nn.BatchNorm2d(16, track_running_stats=False)
        self.activ2 = nn.ELU()
        self.pooling2 = nn.AvgPool2d((1, 8))
        self.fc1 = nn.Linear(16 * 12, classes)
        self.softmax = nn.LogSoftmax(dim=1)

    def input_block(self, x: torch.Tensor) -> torch.Tensor:
        """``depthwise(batchnorm1(conv1(x)))``: (B, 1, 30, 384) → (B, 16, 1, 385)."""
        bn1 = self.batchnorm1
        if self.spatial_first and not isinstance(bn1, nn.BatchNorm2d):  # frozen: fixed map with .scale, .shift
            return affine_spatial_first(x, self.conv1, bn1.scale, bn1.shift, self.depthwise)
        if self.spatial_first and self.training and not bn1.track_running_stats:
            return batchnorm_spatial_first(x, self.conv1, bn1, self.depthwise)
        return self.depthwise(bn1(self.conv1(x)))  # module by module, so that hooks see BN1's input

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.pooling1(self.activ1(self.batchnorm2(self.input_block(x)))))
        x = self.dropout(self.pooling2(self.activ2(self.batchnorm3(self.separable(x)))))
        return self.fc1(x.flatten(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.logits(x))


def spatial_first(
    x: torch.Tensor, spatial: torch.Tensor, temporal: torch.Tensor, offset: torch.Tensor, padding: int
) -> torch.Tensor:
    """``temporal_o ⋆ (Σ_c spatial_oc x_c) + offset_o`` per output o.

    Args:
        x: (B, 1, C, T). spatial: (O, C). temporal: (O, 1, 1, K), each output's own kernel. offset: (O,).

    Returns:
        (B, O, 1, T + 2 padding − K + 1).
    """
    mixed = torch.einsum("oc,bct->bot", spatial, x[:, 0])[:, :, None, :]
    return time_correlate(mixed, temporal, padding, groups=temporal.shape[0]) + offset[:, None, None]


def correlation_moments(x: torch.Tensor, kernel: int, padding: int) -> tuple[int, torch.Tensor, torch.Tensor]:
    """Moments of the windows a (1, ``kernel``) correlation with zero ``padding`` reads from the rows of ``x``.

    With xp the zero-padded rows (length L = T + 2 padding) and outputs t = 0 .. L − kernel: count = rows × outputs,
    ``sums[i] = Σ_rows Σ_t xp[t + i]`` and ``second[i, j] = Σ_rows Σ_t xp[t + i] xp[t + j]``, so that the outputs
    u = k ⋆ x of any kernel k have Σ u = k·sums and Σ u² = kᵀ second k. ``second`` comes from the full
    autocorrelation (FFT) minus the lag products of the first and last ``kernel − 1`` positions, which the windows
    do not cover (two small Gram matrices); cost O(rows · (L log L + kernel²)) instead of O(rows · L · kernel²).

    Args:
        x: (..., T) rows.
    """
    rows = x.reshape(-1, x.shape[-1])
    padded = F.pad(rows, (padding, padding))
    length = padded.shape[1]
    outputs = length - kernel + 1
    cumulative = F.pad(torch.cumsum(padded.sum(0), 0), (1, 0))
    index = torch.arange(kernel, device=x.device)
    sums = cumulative[index + outputs] - cumulative[index]
    n_fft = _fft_size(2 * length)
    spectrum = torch.fft.rfft(padded, n_fft)
    lagged = torch.fft.irfft((spectrum.real**2 + spectrum.imag**2).sum(0), n_fft)[:kernel]  # Σ_m xp[m] xp[m + d]
    extended = F.pad(padded, (0, kernel))
    lags, edge = index[:, None], index[None, : kernel - 1]

    def lag_products(first: int) -> torch.Tensor:  # [d, q] = Σ_rows xp[first + q] xp[first + q + d], q < kernel - 1
        block = extended[:, first : first + 2 * kernel - 1]
        return (block.T @ block)[edge, edge + lags]

    head = F.pad(torch.cumsum(lag_products(0), 1), (1, 0))  # [d, i] = Σ_{m < i}
    tail = torch.flip(torch.cumsum(torch.flip(lag_products(outputs), [1]), 1), [1])
    tail = F.pad(tail, (0, 1))  # [d, i] = Σ_{m >= i + outputs}
    lag = (index[:, None] - index[None, :]).abs()  # second[i, j] depends on d = |i - j| and m = min(i, j)
    first = torch.minimum(index[:, None], index[None, :])
    second = lagged[lag] - head[lag, first] - tail[lag, first]
    return rows.shape[0] * outputs, sums, second


def batchnorm_spatial_first(
    x: torch.Tensor, conv: nn.Conv2d, batchnorm: nn.BatchNorm2d, depthwise: nn.Conv2d
) -> torch.Tensor:
    """``depthwise(batchnorm(conv(x)))`` with the batch normalised by its own statistics (BatchNorm in training),
    computed spatial-first: the statistics of ``conv(x)`` follow from :func:`correlation_moments` of x, the
    normalisation is then one affine map per temporal filter (module docstring of :class:`EEGNet`)."""
    kernels = conv.weight[:, 0, 0]  # (F, K)
    count, sums, second = correlation_moments(x[:, 0], kernels.shape[1], conv.padding[1])
    mean = kernels @ sums / count
    variance = torch.einsum("fi,ij,fj->f", kernels, second, kernels) / count - mean**2
    scale = batchnorm.weight / torch.sqrt(variance + batchnorm.eps)
    return affine_spatial_first(x, conv, scale, batchnorm.bias - mean * scale, depthwise)


def affine_spatial_first(
    x: torch.Tensor, conv: nn.Conv2d, scale: torch.Tensor, shift: torch.Tensor, depthwise: nn.Conv2d
) -> torch.Tensor:
    """``depthwise(scale_g · conv(x)_g + shift_g)`` per temporal filter g, spatial sum first: output o (of filter
    g = o // 2) is ``scale_g k_g ⋆ (Σ_c w_oc x_c) + shift_g Σ_c w_oc`` (zero padding commutes with the spatial sum)."""
    filters = torch.arange(depthwise.out_channels, device=x.device) // (depthwise.out_channels // depthwise.groups)
    spatial = depthwise.weight[:, 0, :, 0]
    temporal = conv.weight[filters] * scale[filters, None, None, None]
    return spatial_first(x, spatial, temporal, shift[filters] * spatial.sum(1), conv.padding[1])


MODELS = {"interpretable_cnn": InterpretableCNN, "eegnet": EEGNet}
"""Model names of the config (``eeg.models``) and their classes."""

PARAMETER_COUNTS = {"interpretable_cnn": 2706, "eegnet": 1714}
"""Trainable parameters per model (Cui et al. 2023)."""


def build_model(name: str) -> nn.Module:
    """A freshly initialised model (float64) by config name."""
    if name not in MODELS:
        raise ValueError(f"unknown EEG model {name!r}; known: {sorted(MODELS)}")
    return MODELS[name]().double()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
