"""Layer activations of a network on a sample of trajectories, with the aligned kinematics (Sandbrink et al. 2023,
Methods).

The network is any ``torch.nn.Module`` with ``layer_outputs(x) -> list[Tensor]`` (layers 1..K, each (B, C, H, T), or
(B, C, T) for a recurrent layer, stored as (B, C, 1, T)); layer 0 is the input x (B, C, 25, 320) itself. Forward
passes run in eval mode without gradients, in batches (default 100), on the chosen device.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import decode, open_store

KINVARS_ROWS = ("x", "y", "z", "elv_angle", "shoulder_elv", "shoulder_rot", "elbow_flexion") + tuple(
    f"muscle_{k}" for k in range(25)
) + ("speed",)
"""The 33 rows of the kinematic panel: end-effector 3 (cm), joints 4 (deg), muscles 25 (mm), speed 1 (cm/step)."""

INPUT_KEYS = ("spindle_info", "spindle_firing")


def test_subset(n_test: int, fraction: float, seed: int) -> np.ndarray:
    """Rows of the test split analysed: ``round(fraction · n_test)`` distinct rows drawn with
    ``np.random.default_rng(seed)`` (the original's sampling call is unknown), sorted (at least 1)."""
    count = min(n_test, max(1, int(round(fraction * n_test))))
    return np.sort(np.random.default_rng(seed).choice(n_test, size=count, replace=False))


def kinematic_panel(endeffector: np.ndarray, joints: np.ndarray, muscles: np.ndarray) -> np.ndarray:
    """``kinvars`` (n, 33, T) float32: end-effector (n, 3, T), joints (n, 4, T), muscles (n, 25, T) and the speed
    ‖np.gradient(ee)‖ along time (unit spacing)."""
    ee = np.asarray(endeffector, dtype=np.float64)
    speed = np.linalg.norm(np.gradient(ee, axis=-1), axis=1, keepdims=True)
    return np.concatenate([ee, np.asarray(joints, np.float64), np.asarray(muscles, np.float64), speed], axis=1).astype(
        np.float32
    )


def read_rows(path, split: str, names: Sequence[str], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays ``names`` of one split of ``dataset.zarr``, only at ``rows`` (sorted positions along the first axis),
    without reading the rest."""
    root = open_store(path)
    if split not in root:
        raise DataFormatError(f"{path}: missing group {split!r}")
    group = root[split]
    out = {}
    rows = np.asarray(rows, dtype=np.int64)
    for name in names:
        if name not in group:
            raise DataFormatError(f"{path}: group {split!r} lacks array {name!r}")
        array = group[name]
        if len(rows) and rows.max() >= array.shape[0]:
            raise DataFormatError(f"{path}: {split}/{name} has {array.shape[0]} rows; row {rows.max()} requested")
        out[name] = decode(array, (rows,) + (slice(None),) * (array.ndim - 1)) if array.ndim else decode(array)
    return out


def split_length(path, split: str) -> int:
    """Number of trajectories in a split of ``dataset.zarr``."""
    root = open_store(path)
    if split not in root or "label" not in root[split]:
        raise DataFormatError(f"{path}: split {split!r} with a 'label' array expected")
    return int(root[split]["label"].shape[0])


def network_input(values: np.ndarray, input_key: str) -> np.ndarray:
    """Dataset layout → network layout (n, C, 25, 320) float32: ``spindle_info`` (n, 25, 320, 2) → C = 2
    (length, velocity); ``spindle_firing`` (n, 25, 320) → C = 1."""
    values = np.asarray(values, dtype=np.float32)
    if input_key == "spindle_info":
        if values.ndim != 4:
            raise DataFormatError(f"spindle_info must be (n, muscles, time, 2), got shape {values.shape}")
        return np.ascontiguousarray(values.transpose(0, 3, 1, 2))
    if input_key == "spindle_firing":
        if values.ndim != 3:
            raise DataFormatError(f"spindle_firing must be (n, muscles, time), got shape {values.shape}")
        return values[:, None]
    raise DataFormatError(f"unknown network input {input_key!r}; expected one of {INPUT_KEYS}")


def _as_layer(tensor) -> np.ndarray:
    values = tensor.detach().float().cpu().numpy()
    if values.ndim == 3:  # (B, C, T): a recurrent layer has no spatial axis
        values = values[:, :, None, :]
    if values.ndim != 4:
        raise DataFormatError(f"layer_outputs returned a tensor of shape {tuple(values.shape)}; expected (B, C, H, T)")
    return values


def layer_batches(model, inputs: np.ndarray, batch_size: int = 100, device=None):
    """Yield, batch by batch of ``inputs`` (n, C, H, T), the list of layers 0..K (float32 (b, C_l, H_l, T_l), layer 0
    being the inputs): the streaming form of ``forward_layers`` (memory: one batch's layers)."""
    import torch

    device = device or torch.device("cpu")
    model = model.to(device).eval()
    if len(inputs) == 0:
        raise DataFormatError("no trajectories to run the network on")
    with torch.no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[start : start + batch_size])).to(device)
            yield [_as_layer(batch)] + [_as_layer(out) for out in model.layer_outputs(batch)]


def forward_layers(model, inputs: np.ndarray, batch_size: int = 100, device=None) -> list[np.ndarray]:
    """Layers 0..K of ``model`` on ``inputs`` (n, C, H, T): a list of float32 arrays (n, C_l, H_l, T_l), layer 0
    being the inputs."""
    layers: list[list[np.ndarray]] = []
    for outputs in layer_batches(model, inputs, batch_size, device):
        if not layers:
            layers = [[] for _ in outputs]
        for store, values in zip(layers, outputs):
            store.append(values)
    return [np.concatenate(parts) for parts in layers]


def forward_layer(model, inputs: np.ndarray, layer: int, batch_size: int = 100, device=None) -> np.ndarray:
    """Layer ``layer`` alone of ``forward_layers`` (one forward pass; memory: that layer and one batch's layers)."""
    return np.concatenate([outputs[layer] for outputs in layer_batches(model, inputs, batch_size, device)])


def n_layers(model, inputs: np.ndarray, device=None) -> int:
    """How many layers (inputs included) ``forward_layers`` returns, from a forward pass of one trajectory."""
    return len(next(layer_batches(model, inputs[:1], 1, device)))


def conv_time_strides(model) -> list[int]:
    """Temporal strides of the model's ``Conv2d`` modules in registration order (the layer order of the families)."""
    import torch

    return [int(module.stride[-1]) for module in model.modules() if isinstance(module, torch.nn.Conv2d)]


def layer_strides(model, time_lengths: Sequence[int], window: int) -> list[int]:
    """Cumulative temporal strides ``s_0..s_K`` of a network whose layers have ``time_lengths`` T_0..T_K: the
    temporal strides of its convolutions, one per layer, followed by stride 1 for a final recurrent layer; checked
    against the layer lengths (TF-"SAME": T_l = ceil(T_{l−1} / stride))."""
    from neuromotor.represent.kinematics import cumulative_strides

    strides = conv_time_strides(model)
    n_layers = len(time_lengths) - 1
    if len(strides) == n_layers - 1 and time_lengths[-1] == time_lengths[-2]:
        strides = strides + [1]  # conv blocks then an LSTM over the same time steps
    if len(strides) != n_layers:
        raise DataFormatError(
            f"the network has {len(conv_time_strides(model))} convolutions for {n_layers} layers; cannot align the "
            "layers' time axes with the input"
        )
    return cumulative_strides(strides, time_lengths, window)
