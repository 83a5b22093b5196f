"""Network inputs and targets from the PCRT dataset store (``results/pcrt/dataset.zarr``), read once into memory.

Sandbrink et al. 2023, Methods: inputs (no normalisation), TDT targets, train/validation split without reshuffling.
Inputs are returned in the PyTorch layout (n, C, 25 muscles, 320 steps) float32: ``spindle_info`` (n, 25, 320, 2)
becomes C = 2 (length mm, velocity mm/s), ``spindle_firing`` (n, 25, 320) C = 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromotor.convnets.models import INPUT_CHANNELS, N_MUSCLES, N_TIME, TASK_OUTPUTS, target_indices
from neuromotor.errors import DataFormatError
from neuromotor.io.store import open_store

SPLITS = ("train", "test")
N_CLASSES = 20


def _split_group(dataset: str | Path, split: str):
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    root = open_store(dataset)
    if split not in root:
        raise DataFormatError(f"{dataset}: missing group {split!r} (expected a PCRT dataset with groups {SPLITS})")
    return root[split]


def _array(dataset, split: str, key: str, shape_tail: tuple[int, ...]):
    group = _split_group(dataset, split)
    if key not in group:
        raise DataFormatError(f"{dataset}: group {split!r} lacks the array {key!r}")
    array = group[key]
    if tuple(array.shape[1:]) != shape_tail:
        expected = ", ".join(["N", *map(str, shape_tail)])
        raise DataFormatError(f"{dataset}: {split}/{key} must have shape ({expected}), found {tuple(array.shape)}")
    return array


def load_inputs(dataset: str | Path, split: str, input_key: str = "spindle_info", block: int = 4096) -> np.ndarray:
    """The network input of one split as float32 (n, C, 25, 320), read block by block (peak memory ≈ the result).

    ``input_key``: ``spindle_info`` (C = 2: length, velocity) or ``spindle_firing`` (C = 1).
    """
    array, channels = _input_array(dataset, split, input_key)
    n = array.shape[0]
    out = np.empty((n, channels, N_MUSCLES, N_TIME), dtype=np.float32)
    for start in range(0, n, block):
        values = np.asarray(array[start : start + block], dtype=np.float32)
        out[start : start + len(values)] = np.moveaxis(values, -1, 1) if channels == 2 else values[:, None]
    if not np.isfinite(out).all():
        raise DataFormatError(f"{dataset}: {split}/{input_key} holds non-finite values")
    return out


def load_labels(dataset: str | Path, split: str) -> np.ndarray:
    """Class indices 0..19 (int64) of one split (the store holds labels 1..20)."""
    labels = np.asarray(_array(dataset, split, "label", ())[...]).astype(np.int64)
    if labels.size and (labels.min() < 1 or labels.max() > N_CLASSES):
        raise DataFormatError(
            f"{dataset}: {split}/label must hold 1..{N_CLASSES}, found {labels.min()}..{labels.max()}"
        )
    return labels - 1


def load_endeffector(dataset: str | Path, split: str) -> np.ndarray:
    """Hand positions (n, 3, 320) in cm, world frame."""
    return np.asarray(_array(dataset, split, "endeffector_coords", (3, N_TIME))[...], dtype=np.float32)


def trajectory_targets(endeffector: np.ndarray, output_steps: int, velocity: bool = False) -> np.ndarray:
    """TDT targets (n, output_steps, 3) positions in cm, or (n, output_steps, 6) with the velocities
    (``np.gradient`` along time, unit spacing: cm/step), taken at :func:`target_indices` of the 320 steps."""
    endeffector = np.asarray(endeffector, dtype=np.float64)
    if endeffector.ndim != 3 or endeffector.shape[1] != 3:
        raise ValueError(f"endeffector must have shape (n, 3, T), got {endeffector.shape}")
    parts = [endeffector]
    if velocity:
        parts.append(np.gradient(endeffector, axis=-1))
    values = np.concatenate(parts, axis=1)[:, :, target_indices(output_steps, endeffector.shape[-1])]
    return np.ascontiguousarray(values.transpose(0, 2, 1), dtype=np.float32)


def load_targets(dataset: str | Path, split: str, task: str, output_steps: int | None = None) -> np.ndarray:
    """Targets of one split: class indices (n,) for ``art``; (n, output_steps, 3|6) for ``tdt``/``tdt_pv``."""
    if task not in TASK_OUTPUTS:
        raise ValueError(f"task must be one of {tuple(TASK_OUTPUTS)}, got {task!r}")
    if task == "art":
        return load_labels(dataset, split)
    if output_steps is None:
        raise ValueError("the TDT targets need the network's number of output steps")
    return trajectory_targets(load_endeffector(dataset, split), output_steps, velocity=task == "tdt_pv")


def n_fit(n_train: int, val_fraction: float) -> int:
    """Training samples of a train split of ``n_train``: the first int((1 - val_fraction) n) (the original's
    int(0.9 n)); the rest, in file order, is the validation set."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    return int((1 - val_fraction) * n_train)


@dataclass
class TaskData:
    """One job's data in memory: inputs (n, C, 25, 320) float32 and targets of the fit, validation and test sets."""

    fit_x: np.ndarray
    fit_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray

    def splits(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {"train": (self.fit_x, self.fit_y), "val": (self.val_x, self.val_y), "test": (self.test_x, self.test_y)}


def load_split(
    dataset: str | Path, split: str, input_key: str, task: str, output_steps: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (n, C, 25, 320) and aligned targets of one split of the store (see :func:`load_targets`)."""
    return load_inputs(dataset, split, input_key), load_targets(dataset, split, task, output_steps)


def load_task_data(
    dataset: str | Path, input_key: str, task: str, output_steps: int | None, val_fraction: float = 0.1
) -> TaskData:
    """The train split cut into fit / validation sets (no reshuffle) and the test split, all in memory."""
    x, y = load_split(dataset, "train", input_key, task, output_steps)
    cut = n_fit(len(x), val_fraction)
    if cut < 1 or cut == len(x):
        raise DataFormatError(
            f"{dataset}: {len(x)} training samples cannot be split into fit and validation sets "
            f"with val_fraction {val_fraction}"
        )
    test_x, test_y = load_split(dataset, "test", input_key, task, output_steps)
    return TaskData(x[:cut], y[:cut], x[cut:], y[cut:], test_x, test_y)


def _input_array(dataset: str | Path, split: str, input_key: str):
    """The stored input array of one split, its trailing shape checked: ((n, 25, 320, 2) for ``spindle_info``,
    (n, 25, 320) for ``spindle_firing``), and the number of network input channels (2 or 1)."""
    if input_key not in INPUT_CHANNELS:
        raise ValueError(f"input_key must be one of {tuple(INPUT_CHANNELS)}, got {input_key!r}")
    channels = INPUT_CHANNELS[input_key]
    tail = (N_MUSCLES, N_TIME, 2) if channels == 2 else (N_MUSCLES, N_TIME)
    return _array(dataset, split, input_key, tail), channels


def _split_length(dataset: str | Path, split: str, input_key: str) -> int:
    return int(_input_array(dataset, split, input_key)[0].shape[0])


def input_bytes(dataset: str | Path, input_key: str) -> int:
    """Bytes of the network inputs of both splits as float32 (n, C, 25, 320)."""
    n = sum(_split_length(dataset, split, input_key) for split in SPLITS)
    return n * INPUT_CHANNELS[input_key] * N_MUSCLES * N_TIME * 4


def load_input_tensor(dataset: str | Path, split: str, input_key: str, device, memory_format=None, block: int = 4096):
    """:func:`load_inputs` straight into a torch tensor on ``device`` (in ``memory_format``, default contiguous),
    read block by block: the host holds one block (``block`` samples) besides the tensor — nothing at all when the
    tensor lies on a GPU. Same values as ``torch.as_tensor(load_inputs(...))``."""
    import torch

    array, channels = _input_array(dataset, split, input_key)
    n = array.shape[0]
    out = torch.empty((n, channels, N_MUSCLES, N_TIME), dtype=torch.float32, device=device,
                      memory_format=memory_format or torch.contiguous_format)  # fmt: skip
    for start in range(0, n, block):
        values = np.asarray(array[start : start + block], dtype=np.float32)
        if not np.isfinite(values).all():
            raise DataFormatError(f"{dataset}: {split}/{input_key} holds non-finite values")
        values = np.moveaxis(values, -1, 1) if channels == 2 else values[:, None]
        out[start : start + len(values)] = torch.from_numpy(np.ascontiguousarray(values)).to(device)
    return out


def load_task_tensors(
    dataset: str | Path,
    input_key: str,
    task: str,
    output_steps: int | None,
    val_fraction: float,
    device,
    memory_format=None,
) -> dict[str, tuple]:
    """The splits of :func:`load_task_data` as torch tensors on ``device``, {"train" (fit), "val", "test": (x, y)},
    the inputs read block by block into one tensor per split (fit and validation are views of the train split's):
    a GPU job's host memory holds one block of inputs, not the dataset. Same values (and layout) as the tensors
    made from :func:`load_task_data`."""
    import torch

    out = {}
    for split in SPLITS:
        x = load_input_tensor(dataset, split, input_key, device, memory_format)
        y = torch.as_tensor(load_targets(dataset, split, task, output_steps)).to(device)
        if split == "train":
            cut = n_fit(len(x), val_fraction)
            if cut < 1 or cut == len(x):
                raise DataFormatError(
                    f"{dataset}: {len(x)} training samples cannot be split into fit and validation sets "
                    f"with val_fraction {val_fraction}"
                )
            out["train"], out["val"] = (x[:cut], y[:cut]), (x[cut:], y[cut:])
        else:
            out["test"] = (x, y)
    return {split: out[split] for split in ("train", "val", "test")}
