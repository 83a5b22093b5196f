"""The PCRT network families of DeepDraw in PyTorch (Sandbrink et al. 2023, Methods).

Input layout (B, C, H, W) = (batch, channels, M muscles, T time steps), DeepDraw's 25 x 320 by default, the
dataset's shape otherwise (the successor's 39 x 400): C = 2 for ``spindle_info`` (length, velocity), 1 for
``spindle_firing``. A trunk is a stack of :class:`ConvBlock` (TF "SAME" convolution without bias,
layer norm over (C, H, W) with per-channel scale and offset, ReLU); the LSTM family adds one LSTM layer over time.

Heads by task kind (:data:`neuromotor.convnets.architecture.TASKS`): classification (``art``) = 20 logits from
the flattened last layer (dropout); regression (``tdt``, ``tdt_pv`` and the successor's 12) = a per-output-step
linear layer, (B, T_out, k); autoencoder = a linear decoder from the flattened last layer to the input, (B, C, M, T)
(LSTM: per time step, units -> C x M); barlow = the Barlow Twins projector (Zbontar et al. 2021; Marin Vargas et al.
2024): three linear layers of 256 units, the first two with batch norm and ReLU, from the flattened last layer (LSTM:
the last step's hidden state), (B, 256).

A network is fully described by a JSON-able dict (the ``config.json`` of a trained model): see
:func:`network_config` and :func:`build_network`; :func:`load_network` rebuilds a trained model from its directory.
Configurations and names (no torch needed) live in :mod:`neuromotor.convnets.architecture` and are re-exported here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

import torch
from torch import nn

from neuromotor.convnets.architecture import (  # noqa: F401  (re-exported)
    ARCH_NAMES,
    DROPOUT,
    FAMILIES,
    INPUT_CHANNELS,
    LAYER_NORM_EPS,
    MAX_HEAD_WEIGHTS,
    BARLOW_PROJECTOR,
    N_CLASSES,
    N_MUSCLES,
    N_TIME,
    TASK_OUTPUTS,
    TASKS,
    Architecture,
    TaskSpec,
    ParsedName,
    block_specs,
    configuration_name,
    head_fits,
    head_weights,
    model_name,
    output_steps,
    parse_name,
    same_padding,
    target_indices,
    task_output_size,
    task_spec,
)
from neuromotor.errors import DataFormatError, ModelFileError
from neuromotor.train.checkpoint import load_checkpoint, restore

# ---- building blocks (Sandbrink et al. 2023, Methods) ----------------------------------------------------------------


class ConvBlock(nn.Module):
    """TF-SAME convolution without bias -> layer norm over (C, H, W) with per-channel scale and offset -> ReLU.

    The padding is fixed for the input size given at construction (asymmetric where TF pads asymmetrically).
    ``GroupNorm`` with one group is exactly TF-slim's ``layer_norm`` on NHWC maps (normalise over all non-batch
    axes, parameters per channel).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel, stride, in_size, eps: float = LAYER_NORM_EPS):
        super().__init__()
        (out_h, top, bottom), (out_w, left, right) = (same_padding(n, k, s) for n, k, s in zip(in_size, kernel, stride))
        symmetric = top == bottom and left == right
        self.pad = nn.Identity() if symmetric else nn.ZeroPad2d((left, right, top, bottom))
        padding = (top, left) if symmetric else 0
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding=padding, bias=False)
        self.norm = nn.GroupNorm(1, out_channels, eps=eps)
        self.relu = nn.ReLU()
        self.out_size = (out_h, out_w)
        nn.init.xavier_uniform_(self.conv.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(self.pad(x)))
        if self.training:
            return torch.relu_(y)  # in place while training: one activation copy less (layer norm keeps its input)
        return self.relu(y)


def _init_lstm(lstm: nn.LSTM) -> None:
    """Glorot-uniform per gate matrix, zero biases (the defaults of TF's cuDNN LSTM layer)."""
    for name, parameter in lstm.named_parameters():
        if name.startswith("weight"):
            for gate in parameter.data.chunk(4, dim=0):
                nn.init.xavier_uniform_(gate)
        else:
            nn.init.zeros_(parameter)


def _projector(features: int) -> nn.Sequential:
    """The Barlow Twins projector: Linear-BatchNorm-ReLU twice, then Linear (:data:`BARLOW_PROJECTOR` units)."""
    layers: list[nn.Module] = []
    sizes = (features, *BARLOW_PROJECTOR)
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = k == len(BARLOW_PROJECTOR) - 1
        layers.append(nn.Linear(n_in, n_out, bias=last))
        if not last:
            layers += [nn.BatchNorm1d(n_out), nn.ReLU()]
    for layer in layers:
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    return nn.Sequential(*layers)


class PCRTNetwork(nn.Module):
    """One network of Sandbrink et al. 2023 (Methods): a trunk of conv blocks (plus an LSTM) and the head of its task.

    ``forward(x)`` with x of shape (B, C, M, T) (``input_size`` = (M, T), default 25 x 320) returns logits (B, 20)
    for ``art``, (B, T_out, k) for the regressions, (B, C, M, T) for the autoencoder and (B, 256) embeddings for
    barlow. :meth:`layer_outputs` returns the representations of layers 1..K (Sandbrink et al. 2023, Methods).
    """

    def __init__(
        self,
        arch: Architecture,
        task: str = "art",
        in_channels: int = 2,
        input_size: tuple[int, int] = (N_MUSCLES, N_TIME),
        eps: float = LAYER_NORM_EPS,
        dropout: float = DROPOUT,
    ):
        super().__init__()
        spec = task_spec(task)
        self.arch, self.task, self.kind = arch, task, spec.kind
        self.input_shape = (in_channels, *input_size)
        blocks, size, channels = [], tuple(input_size), in_channels
        self.feature_shapes: list[tuple[int, int, int]] = []
        for out_channels, kernel, stride in block_specs(arch):
            block = ConvBlock(channels, out_channels, kernel, stride, size, eps)
            blocks.append(block)
            size, channels = block.out_size, out_channels
            self.feature_shapes.append((channels, *size))
        self.blocks = nn.ModuleList(blocks)
        n_out = task_output_size(task, in_channels, *input_size)
        self.lstm = None
        flat = spec.kind in ("classification", "barlow") or (spec.kind == "autoencoder" and arch.family != "LSTM")
        if arch.family == "LSTM":
            self.lstm = nn.LSTM(channels * size[0], arch.units, batch_first=True)
            _init_lstm(self.lstm)
            self.feature_shapes.append((arch.units, 1, size[1]))
            features = arch.units
        else:
            features = channels * size[0] * (size[1] if flat else 1)
        self.output_steps = size[1]
        self.dropout = nn.Dropout(dropout) if task == "art" else nn.Identity()
        if not head_fits(arch, task, in_channels, tuple(input_size)):
            raise ValueError(
                f"{task}: the head of {configuration_name(arch)} on a {in_channels} x {input_size[0]} x "
                f"{input_size[1]} input would hold {head_weights(arch, task, in_channels, tuple(input_size)):,} "
                f"weights (more than {MAX_HEAD_WEIGHTS:,}); the autoencoder's linear decoder needs a trunk with a "
                "smaller last layer (larger strides)"
            )
        if spec.kind == "barlow":
            self.head = _projector(features)
        else:
            if spec.kind == "autoencoder" and arch.family == "LSTM":
                n_out = in_channels * input_size[0]  # per time step
            self.head = nn.Linear(features, n_out)
            nn.init.xavier_uniform_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def _run(self, x: torch.Tensor, collect: list | None) -> torch.Tensor:
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"input must have shape (B, {', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}"
            )
        for block in self.blocks:
            x = block(x)
            if collect is not None:
                collect.append(x)
        if self.lstm is not None:
            # (B, C, H, T) -> (B, T, H * C), channels fastest as in the original's NHWC reshape
            sequence = x.permute(0, 3, 2, 1).flatten(2)
            if sequence.device.type == "cpu":
                # oneDNN's LSTM backward is several times slower than PyTorch's own CPU LSTM at these sizes
                with torch.backends.mkldnn.flags(
                    enabled=False, deterministic=None, allow_tf32=None, fp32_precision=None
                ):
                    x, _ = self.lstm(sequence)
            else:
                x, _ = self.lstm(sequence)
            if collect is not None:
                collect.append(x.transpose(1, 2).unsqueeze(2))
            if self.kind in ("classification", "barlow"):
                return self.head(self.dropout(x[:, -1]))  # the prediction is the last time step's
            if self.kind == "autoencoder":
                # (B, T, C * M) -> (B, C, M, T)
                return self.head(x).unflatten(2, self.input_shape[:2]).permute(0, 2, 3, 1)
            return self.head(x)
        if self.kind in ("classification", "barlow"):
            return self.head(self.dropout(x.permute(0, 2, 3, 1).flatten(1)))  # flatten order (H, W, C)
        if self.kind == "autoencoder":
            return self.head(x.permute(0, 2, 3, 1).flatten(1)).unflatten(1, self.input_shape)
        return self.head(x.permute(0, 3, 2, 1).flatten(2))  # (B, T, S * C) -> per-time-step linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x, None)

    def layer_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Representations of layers 1..K for an input batch x (B, C, M, T): the output (after ReLU) of every
        conv block, (B, C_l, H_l, T_l); for the LSTM family then the hidden states as (B, units, 1, T).
        Layer 0 (the input) is x itself. Shapes are ``self.feature_shapes`` (without the batch axis)."""
        outputs: list[torch.Tensor] = []
        self._run(x, outputs)
        return outputs


# ---- counts, targets, configs ----------------------------------------------------------------------------------


def parameter_counts(model: PCRTNetwork) -> dict[str, int]:
    """``original``: the original code's count, conv kernel weights only (no layer-norm scale/offset, no output
    layer; for the LSTM family plus its input and recurrent weight matrices); ``total``: every PyTorch parameter."""
    original = sum(block.conv.weight.numel() for block in model.blocks)
    if model.lstm is not None:
        original += sum(p.numel() for name, p in model.lstm.named_parameters() if name.startswith("weight"))
    return {"original": int(original), "total": int(sum(p.numel() for p in model.parameters()))}


def network_config(
    arch: Architecture,
    task: str,
    input_key: str,
    seed: int | None = None,
    *,
    n_muscles: int = N_MUSCLES,
    n_time: int = N_TIME,
    **extra: Any,
) -> dict[str, Any]:
    """The ``config.json`` content that :func:`build_network` rebuilds a network from; ``input_shape`` records
    (C, n_muscles, n_time) (DeepDraw's 25 x 320 by default) and, for tasks beyond DeepDraw's, ``targets`` the
    regressed quantities."""
    if input_key not in INPUT_CHANNELS:
        raise ValueError(f"input_key must be one of {tuple(INPUT_CHANNELS)}, got {input_key!r}")
    channels = INPUT_CHANNELS[input_key]
    spec = task_spec(task)
    extra = ({} if task in TASK_OUTPUTS else {"targets": list(spec.targets)}) | extra
    return {
        "name": model_name(arch, task, seed),
        "configuration": configuration_name(arch),
        "family": arch.family,
        "task": task,
        "architecture": arch.to_dict(),
        "seed": seed,
        "input_key": input_key,
        "input_shape": [channels, int(n_muscles), int(n_time)],
        "n_outputs": task_output_size(task, channels, n_muscles, n_time),
        "layer_norm_eps": LAYER_NORM_EPS,
        "dropout": DROPOUT,
        **extra,
    }


def build_network(config: Mapping[str, Any]) -> PCRTNetwork:
    """A freshly initialised network from a ``config.json`` dict (weights from torch's current global RNG)."""
    try:
        arch = Architecture.from_dict(config["architecture"])
        channels, height, width = config["input_shape"]
        return PCRTNetwork(
            arch,
            config["task"],
            int(channels),
            (int(height), int(width)),
            eps=float(config.get("layer_norm_eps", LAYER_NORM_EPS)),
            dropout=float(config.get("dropout", DROPOUT)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"network config is invalid ({type(error).__name__}: {error})") from None


def read_config(directory: str | Path) -> dict:
    """The ``config.json`` of a model directory."""
    path = Path(directory) / "config.json"
    if not path.is_file():
        raise ModelFileError(f"{path}: model config not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{path}: not valid JSON ({error})") from None


def load_network(directory: str | Path, weights: str = "best") -> PCRTNetwork:
    """A trained (``best``) or untrained (``init``) network of a model directory, on the CPU, in eval mode."""
    if weights not in ("best", "init"):
        raise ValueError(f"weights must be 'best' or 'init', got {weights!r}")
    directory = Path(directory)
    model = build_network(read_config(directory))
    path = directory / f"{weights}.pt"
    restore(model, load_checkpoint(path), path)
    return model.eval()
