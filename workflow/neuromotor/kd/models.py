"""The five networks of the KD study, each for both modalities (Zeng et al. 2022).

Inputs are (B, 1, 4, W): 4 sensor channels (sEMG electrodes or ultrasound transducers) x W time or depth samples,
W = 256 for sEMG and 1024 for ultrasound. Every network returns (B, 20) raw scores (logits); those of MINDS and
XceptionTime pass a final ReLU and are non-negative, as in the original.

=============  ==================  ==================
network        parameters (EMG)    parameters (US)
=============  ==================  ==================
EUNet          228,084             1,079,668
MKCNN          613,844             1,793,492
MSCNN          484,948             3,090,836
XceptionTime   340,444             340,444
MINDS          3,862,156           3,862,156
=============  ==================  ==================
"""

from __future__ import annotations

import torch
from torch import nn

from neuromotor.kd.plan import MODEL_NAMES

MODALITIES = {"EMG": 256, "US": 1024}
"""Input width W per modality (sEMG: 256 ms at 1 kHz; US: 960 depth samples zero-padded to 1024)."""
N_CLASSES = 20
CHANNELS = 4


def _check_modality(modality: str) -> int:
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {sorted(MODALITIES)}, got {modality!r}")
    return MODALITIES[modality]


class EUNet(nn.Module):
    """Three 2-D convolutions without batch norm, then a two-layer head (Zeng et al. 2022).

    conv1 1->32 (3, k) with k = 20 (EMG) / 16 (US), max-pool (1, k); conv2 32->64 3x3, max-pool (1, 2); conv3
    64->128 3x3 unpadded; dropout, Linear(F, 128), ReLU, dropout, Linear(128, 20). F = 1024 (EMG), 7680 (US).
    """

    def __init__(self, modality: str = "EMG", n_classes: int = N_CLASSES):
        super().__init__()
        width = _check_modality(modality)
        k = 20 if modality == "EMG" else 16
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, (3, k), padding=(1, k // 2)),
            nn.ReLU(),
            nn.MaxPool2d((1, k)),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d((1, 2)),
            nn.Conv2d(64, 128, 3),
            nn.ReLU(),
        )
        out_width = (width + 1) // k // 2 - 2  # conv1 adds one sample (even kernel, pad k/2)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(128 * (CHANNELS - 2) * out_width, 128),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(128, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _MultiKernelStream(nn.Sequential):
    """One MKCNN stream: (B, 1, 4, W) -> (B, 64, 2, W // 32)."""

    def __init__(self, kernel: int):
        super().__init__(
            nn.Conv2d(1, 32, (3, kernel), padding=(1, kernel // 2)),
            nn.ELU(),
            nn.BatchNorm2d(32),
            nn.MaxPool2d((1, 16)),
            nn.Dropout(0.5),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ELU(),
            nn.BatchNorm2d(64),
            nn.MaxPool2d((2, 2)),
            nn.Dropout(0.5),
        )


class MKCNN(nn.Module):
    """Multi-kernel CNN (Zeng et al. 2022): five streams with first kernels 11..51 concatenated (320 channels), a 1x1
    fusion to 128, two depthwise stages (the second padded on both axes, so the height grows 1 -> 3), three dense
    layers. Streams give (320, 2, 8) for EMG and (320, 2, 32) for US; the flatten sees (128, 3, 2) / (128, 3, 8)."""

    KERNELS = (11, 21, 31, 41, 51)

    def __init__(self, modality: str = "EMG", n_classes: int = N_CLASSES):
        super().__init__()
        width = _check_modality(modality)
        self.streams = nn.ModuleList(_MultiKernelStream(k) for k in self.KERNELS)
        self.fusion = nn.Sequential(nn.Conv2d(64 * len(self.KERNELS), 128, 1), nn.ELU())
        self.depthwise = nn.Sequential(
            nn.Conv2d(128, 128, 3, padding=1, groups=128),
            nn.ELU(),
            nn.BatchNorm2d(128),
            nn.MaxPool2d((2, 2)),
            nn.Dropout(0.5),
            nn.Conv2d(128, 128, (1, 3), padding=1, groups=128),
            nn.ELU(),
            nn.MaxPool2d((1, 2)),
            nn.BatchNorm2d(128),
            nn.Dropout(0.5),
        )
        flat = 128 * 3 * (width // 16 // 2 // 2 // 2)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, 512),
            nn.ELU(),
            nn.Linear(512, 128),
            nn.ELU(),
            nn.Linear(128, n_classes),
        )

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """Concatenated stream outputs, (B, 320, 2, W // 32)."""
        return torch.cat([stream(x) for stream in self.streams], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.depthwise(self.fusion(self.trunk(x))))


def _strided_length(length: int, kernel: int = 15, stride: int = 7, padding: int = 7) -> int:
    return (length + 2 * padding - kernel) // stride + 1


class _SensorStream(nn.Sequential):
    """One MSCNN stream on one sensor channel: (B, 1, W) -> (B, f3, L), L = W strided twice by 7."""

    def __init__(self, f1: int, f2: int, f3: int):
        super().__init__(
            nn.Conv1d(1, f1, 15, stride=7, padding=7),
            nn.BatchNorm1d(f1),
            nn.ReLU(),
            nn.Conv1d(f1, f2, 15, stride=7, padding=7),
            nn.BatchNorm1d(f2),
            nn.ReLU(),
            nn.Conv1d(f2, f3, 1),
            nn.BatchNorm1d(f3),
            nn.ReLU(),
            nn.Dropout(0.5),
        )


class MSCNN(nn.Module):
    """Multi-stream CNN (WeiNet, Zeng et al. 2022): one 1-D stream per sensor channel, concatenated, three dense layers
    with batch norm. EMG: filters 32/32/64, lengths 256 -> 37 -> 6, dense 1536 -> 256 -> 64 -> 20; US: filters
    64/64/64, 1024 -> 147 -> 21, dense 5376 -> 512 -> 128 -> 20."""

    CONFIGS = {"EMG": ((32, 32, 64), 256, 64), "US": ((64, 64, 64), 512, 128)}

    def __init__(self, modality: str = "EMG", n_classes: int = N_CLASSES):
        super().__init__()
        width = _check_modality(modality)
        (f1, f2, f3), fc1, fc3 = self.CONFIGS[modality]
        self.streams = nn.ModuleList(_SensorStream(f1, f2, f3) for _ in range(CHANNELS))
        features = CHANNELS * f3 * _strided_length(_strided_length(width))
        self.classifier = nn.Sequential(
            nn.Linear(features, fc1),
            nn.BatchNorm1d(fc1),
            nn.ReLU(),
            nn.Dropout(0.5),
            nn.Linear(fc1, fc3),
            nn.BatchNorm1d(fc3),
            nn.ReLU(),
            nn.Linear(fc3, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        streams = [stream(x[:, :, i, :]).flatten(1) for i, stream in enumerate(self.streams)]
        return self.classifier(torch.cat(streams, dim=1))


class XceptionModule(nn.Module):
    """1x1 bottleneck c_in -> nf feeding three depthwise convolutions (kernels 11, 21, 41), beside max-pool + 1x1
    conv c_in -> nf; concatenated to 4 nf channels, length kept. No batch norm or activation inside."""

    KERNELS = (11, 21, 41)

    def __init__(self, c_in: int, nf: int):
        super().__init__()
        self.bottleneck = nn.Conv1d(c_in, nf, 1)
        self.convs = nn.ModuleList(nn.Conv1d(nf, nf, k, padding=k // 2, groups=nf) for k in self.KERNELS)
        self.pool = nn.MaxPool1d(3, stride=1, padding=1)
        self.pool_conv = nn.Conv1d(c_in, nf, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bottleneck = self.bottleneck(x)
        return torch.cat([conv(bottleneck) for conv in self.convs] + [self.pool_conv(self.pool(x))], dim=1)


class XceptionBlock(nn.Module):
    """Two Xception modules (c_in -> 4 nf1 -> 4 nf2) plus a 1x1 conv + batch norm shortcut, summed."""

    def __init__(self, c_in: int, nf1: int, nf2: int):
        super().__init__()
        self.modules_ = nn.Sequential(XceptionModule(c_in, nf1), XceptionModule(4 * nf1, nf2))
        self.shortcut = nn.Sequential(nn.Conv1d(c_in, 4 * nf2, 1), nn.BatchNorm1d(4 * nf2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.modules_(x) + self.shortcut(x)


def _conv_bn_relu(conv: type[nn.Module], norm: type[nn.Module], c_in: int, c_out: int) -> list[nn.Module]:
    return [conv(c_in, c_out, 1), norm(c_out), nn.ReLU()]


class XceptionTime(nn.Module):
    """XceptionTime (Zeng et al. 2022) on (B, 4, W) (sensors as channels): Block(4, 16, 32), ReLU, Block(128, 64, 128),
    ReLU, adaptive average pool to 50 (EMG) / 200 (US) steps, 1x1 convs 512 -> 256 -> 128 -> 20 each with batch
    norm and ReLU, global average pool. Logits are non-negative (final ReLU, as the original)."""

    POOLED = {"EMG": 50, "US": 200}

    def __init__(self, modality: str = "EMG", n_classes: int = N_CLASSES):
        super().__init__()
        _check_modality(modality)
        self.blocks = nn.Sequential(
            XceptionBlock(CHANNELS, 16, 32), nn.ReLU(), XceptionBlock(128, 64, 128), nn.ReLU()
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool1d(self.POOLED[modality]),
            *_conv_bn_relu(nn.Conv1d, nn.BatchNorm1d, 512, 256),
            *_conv_bn_relu(nn.Conv1d, nn.BatchNorm1d, 256, 128),
            *_conv_bn_relu(nn.Conv1d, nn.BatchNorm1d, 128, n_classes),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x.squeeze(1)))


class DiverseFocusModule(nn.Module):
    """Four parallel paths c_in -> nf each (Zeng et al. 2022), concatenated to 4 nf; width strided by ``stride``:

    1. conv (3, 1) across sensors, then depthwise conv (1, 15) along time (strided);
    2. max-pool (1, 3) (strided), then conv (3, 1);
    3. conv (1, 15) (strided), then conv (3, 1);
    4. conv (1, 15) (strided).
    The (3, 1) convs are padded (1, 0) so the height stays 4.
    """

    def __init__(self, c_in: int, nf: int, stride: int, kernel: int = 15):
        super().__init__()
        along = dict(kernel_size=(1, kernel), stride=(1, stride), padding=(0, kernel // 2))
        across = dict(kernel_size=(3, 1), padding=(1, 0))
        self.paths = nn.ModuleList(
            [
                nn.Sequential(nn.Conv2d(c_in, nf, **across), nn.Conv2d(nf, nf, groups=nf, **along)),
                nn.Sequential(nn.MaxPool2d((1, 3), stride=(1, stride), padding=(0, 1)), nn.Conv2d(c_in, nf, **across)),
                nn.Sequential(nn.Conv2d(c_in, nf, **along), nn.Conv2d(nf, nf, **across)),
                nn.Conv2d(c_in, nf, **along),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([path(x) for path in self.paths], dim=1)


class DiverseFocusBlock(nn.Module):
    """A diverse-focus module plus an optional shortcut (conv (1, 3) strided + batch norm), summed, then ReLU."""

    def __init__(self, c_in: int, nf: int, stride: int, shortcut: bool):
        super().__init__()
        self.module_ = DiverseFocusModule(c_in, nf, stride)
        self.shortcut = (
            nn.Sequential(
                nn.Conv2d(c_in, 4 * nf, (1, 3), stride=(1, stride), padding=(0, 1)), nn.BatchNorm2d(4 * nf)
            )
            if shortcut
            else None
        )
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.module_(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return self.relu(out)


class MINDS(nn.Module):
    """MINDS, the proposed network (Zeng et al. 2022): three diverse-focus blocks (filters 16, 64, 256 -> 64, 256, 1024
    channels; shortcuts on blocks 2 and 3; strides 1, 1, 1 for EMG, 16, 2, 1 for US), adaptive average pool to
    (4, 50) (EMG) / (4, 32) (US), 1x1 convs 1024 -> 256 -> 128 -> 20 with batch norm and ReLU, global average
    pool. The trunk gives (1024, 4, 256) for EMG and (1024, 4, 32) for US. Logits are non-negative."""

    FILTERS = (16, 64, 256)
    SHORTCUTS = (False, True, True)
    STRIDES = {"EMG": (1, 1, 1), "US": (16, 2, 1)}
    POOLED = {"EMG": 50, "US": 32}

    def __init__(self, modality: str = "EMG", n_classes: int = N_CLASSES):
        super().__init__()
        _check_modality(modality)
        blocks, c_in = [], 1
        for nf, shortcut, stride in zip(self.FILTERS, self.SHORTCUTS, self.STRIDES[modality]):
            blocks.append(DiverseFocusBlock(c_in, nf, stride, shortcut))
            c_in = 4 * nf
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d((CHANNELS, self.POOLED[modality])),
            *_conv_bn_relu(nn.Conv2d, nn.BatchNorm2d, c_in, 256),
            *_conv_bn_relu(nn.Conv2d, nn.BatchNorm2d, 256, 128),
            *_conv_bn_relu(nn.Conv2d, nn.BatchNorm2d, 128, n_classes),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(x))


ARCHITECTURES: dict[str, type[nn.Module]] = dict(
    zip(MODEL_NAMES, (MSCNN, EUNet, MKCNN, XceptionTime, MINDS), strict=True)
)
"""The networks in the order of the paper's table."""


def build_model(name: str, modality: str, n_classes: int = N_CLASSES) -> nn.Module:
    """A fresh network ``name`` for ``modality`` (``EMG`` or ``US``) with PyTorch's default initialisation."""
    if name not in ARCHITECTURES:
        raise ValueError(f"model must be one of {list(ARCHITECTURES)}, got {name!r}")
    return ARCHITECTURES[name](modality, n_classes)


def init_weights(model: nn.Module) -> nn.Module:
    """The original's initialisation of teachers and baselines (Zeng et al. 2022) in place: Linear Xavier-normal weights
    and zero bias; Conv2d Kaiming-normal weights (fan_out, ReLU gain), default bias; BatchNorm2d weight 1, bias 0.
    Conv1d and BatchNorm1d keep PyTorch's defaults."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_normal_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
