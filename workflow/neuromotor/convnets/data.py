"""Network inputs and targets from the PCRT dataset store (``results/pcrt/dataset.zarr``), read once into memory.

Sandbrink et al. 2023, Methods: inputs (no normalisation), TDT targets, train/validation split without reshuffling.
Inputs are returned in the PyTorch layout (n, C, M muscles, T steps) float32, the shape taken from the store (DeepDraw
25 x 320, the successor 39 x 400): ``spindle_info`` (n, M, T, 2) becomes C = 2 (length mm, velocity mm/s),
``spindle_firing`` (n, M, T) C = 1.

Targets (:func:`load_targets`) follow the task registry (:data:`neuromotor.convnets.architecture.TASKS`): class
indices (``art``), DeepDraw's TDT targets (``tdt``, ``tdt_pv``, unchanged), the successor's regressions (Marin Vargas
et al. 2024) built from ``endeffector_coords`` (n, 3, T) cm, ``joint_coords`` (n, 4, T) deg and the elbow position
computed from the joint angles by the dataset's arm (:func:`dataset_arm`), derivatives by ``np.gradient`` along time
with the root attribute ``dt_s`` (per second); the autoencoder and Barlow Twins tasks have no stored targets (an
empty (n, 0) array: the autoencoder reconstructs the input, Barlow Twins compares two augmented views).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neuromotor.convnets.architecture import INPUT_CHANNELS, N_CLASSES, QUANTITIES, task_spec, target_indices
from neuromotor.errors import DataFormatError
from neuromotor.io.store import open_store

SPLITS = ("train", "test")


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
    """The network input of one split as float32 (n, C, M, T), read block by block (peak memory ≈ the result).

    ``input_key``: ``spindle_info`` (C = 2: length, velocity) or ``spindle_firing`` (C = 1).
    """
    array, channels = _input_array(dataset, split, input_key)
    n = array.shape[0]
    out = np.empty((n, channels, *array.shape[1:3]), dtype=np.float32)
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


def _stored_inputs(dataset: str | Path, split: str):
    """The store's input array of one split (``spindle_info``, else ``spindle_firing``): (n, M, T[, 2])."""
    group = _split_group(dataset, split)
    key = "spindle_info" if "spindle_info" in group else "spindle_firing"
    if key not in group:
        raise DataFormatError(f"{dataset}: group {split!r} lacks the inputs 'spindle_info' and 'spindle_firing'")
    return group[key]


def _n_time(dataset: str | Path, split: str) -> int:
    """Time steps of the store's inputs of one split."""
    return int(_stored_inputs(dataset, split).shape[2])


def load_endeffector(dataset: str | Path, split: str) -> np.ndarray:
    """Hand positions (n, 3, T) in cm, world frame."""
    return np.asarray(_array(dataset, split, "endeffector_coords", (3, _n_time(dataset, split)))[...], dtype=np.float32)


def load_joints(dataset: str | Path, split: str) -> np.ndarray:
    """Joint angles (n, 4, T) in degrees, in the order of the dataset arm's chain."""
    return np.asarray(_array(dataset, split, "joint_coords", (4, _n_time(dataset, split)))[...], dtype=np.float64)


def dataset_arm(dataset: str | Path):
    """The arm whose forward kinematics give the dataset's elbow positions, from the root attributes ``arm_chain``
    and ``segment_lengths_cm`` (written by :func:`neuromotor.pcrt.stages.make_dataset`); DeepDraw's arm
    (:class:`neuromotor.pcrt.kinematics.Arm` defaults, 33 / 26 cm) for stores without them (e.g. the released PCRT
    dataset)."""
    from neuromotor.pcrt.kinematics import Arm

    attrs = dict(open_store(dataset).attrs)
    if "arm_chain" not in attrs and "segment_lengths_cm" not in attrs:
        return Arm()
    try:
        upper, forearm = (float(v) for v in attrs["segment_lengths_cm"])
        return Arm(upper_arm_cm=upper, forearm_cm=forearm, chain=str(attrs["arm_chain"]))
    except (KeyError, TypeError, ValueError) as error:
        raise DataFormatError(
            f"{dataset}: root attributes 'arm_chain' and 'segment_lengths_cm' (two link lengths, cm) must come "
            f"together and be valid ({type(error).__name__}: {error})"
        ) from None


def dataset_dt(dataset: str | Path) -> float:
    """The time step (s) of the store, root attribute ``dt_s``."""
    attrs = dict(open_store(dataset).attrs)
    if "dt_s" not in attrs:
        raise DataFormatError(f"{dataset}: root attribute 'dt_s' (time step, s) missing: derivative targets need it")
    dt = float(attrs["dt_s"])
    if not dt > 0:
        raise DataFormatError(f"{dataset}: root attribute 'dt_s' must be > 0, found {dt}")
    return dt


def derivative(values: np.ndarray, dt_s: float, order: int) -> np.ndarray:
    """The ``order``-th time derivative (0, 1, 2) of (..., T) values: ``np.gradient`` along the last axis with spacing
    ``dt_s`` seconds, applied ``order`` times (units per second, per second squared)."""
    out = np.asarray(values, dtype=np.float64)
    for _ in range(order):
        out = np.gradient(out, dt_s, axis=-1)
    return out


_ORDERS = {"pos": 0, "vel": 1, "acc": 2}


def quantity(name: str, hand: np.ndarray, joints: np.ndarray | None, dt_s: float, arm=None) -> np.ndarray:
    """One regression quantity (a key of :data:`QUANTITIES`) as float64 (n, k, T): ``hand_*`` from hand positions
    (n, 3, T) cm; ``joints_*`` from joint angles (n, 4, T) deg; ``elbow_*`` from the joint angles by ``arm``'s elbow
    forward kinematics (world frame, cm); ``_vel`` / ``_acc`` by :func:`derivative` with ``dt_s``."""
    from neuromotor.pcrt.kinematics import elbow_forward_kinematics

    if name not in QUANTITIES or name == "hand_vel_step":
        raise ValueError(f"quantity must be one of {[q for q in QUANTITIES if q != 'hand_vel_step']}, got {name!r}")
    body, order = name.rsplit("_", 1)
    if body == "hand":
        values = hand
    else:
        if joints is None or (body == "elbow" and arm is None):
            raise ValueError(f"{name} needs the joint angles" + (" and the arm" if body == "elbow" else ""))
        joints = np.asarray(joints, dtype=np.float64)
        if body == "joints":
            values = joints
        else:  # (n, 4, T) angles -> (n, T, 4) -> (n, T, 3) elbow -> (n, 3, T)
            values = np.moveaxis(elbow_forward_kinematics(np.moveaxis(joints, 1, -1), arm), -1, 1)
    return derivative(values, dt_s, _ORDERS[order])


def regression_targets(parts: list[np.ndarray], output_steps: int) -> np.ndarray:
    """Targets (n, output_steps, sum k) float32 from quantities (n, k, T), concatenated in order and taken at
    :func:`target_indices` of the T steps (as TDT)."""
    values = np.concatenate(parts, axis=1)
    values = values[:, :, target_indices(output_steps, values.shape[-1])]
    return np.ascontiguousarray(values.transpose(0, 2, 1), dtype=np.float32)


def successor_targets(dataset: str | Path, split: str, task: str, output_steps: int) -> np.ndarray:
    """The targets of a successor regression (Marin Vargas et al. 2024) for one split, (n, output_steps, k) float32,
    the quantities of ``TASKS[task].targets`` in order (:func:`quantity`)."""
    targets = task_spec(task).targets
    hand = load_endeffector(dataset, split).astype(np.float64)
    needs_joints = any(not t.startswith("hand") for t in targets)
    joints = load_joints(dataset, split) if needs_joints else None
    arm = dataset_arm(dataset) if any(t.startswith("elbow") for t in targets) else None
    dt = dataset_dt(dataset) if any(not t.endswith("_pos") for t in targets) else 1.0
    return regression_targets([quantity(t, hand, joints, dt, arm) for t in targets], output_steps)


def trajectory_targets(endeffector: np.ndarray, output_steps: int, velocity: bool = False) -> np.ndarray:
    """TDT targets (n, output_steps, 3) positions in cm, or (n, output_steps, 6) with the velocities
    (``np.gradient`` along time, unit spacing: cm/step), taken at :func:`target_indices` of the T steps."""
    endeffector = np.asarray(endeffector, dtype=np.float64)
    if endeffector.ndim != 3 or endeffector.shape[1] != 3:
        raise ValueError(f"endeffector must have shape (n, 3, T), got {endeffector.shape}")
    parts = [endeffector]
    if velocity:
        parts.append(np.gradient(endeffector, axis=-1))
    values = np.concatenate(parts, axis=1)[:, :, target_indices(output_steps, endeffector.shape[-1])]
    return np.ascontiguousarray(values.transpose(0, 2, 1), dtype=np.float32)


def load_targets(dataset: str | Path, split: str, task: str, output_steps: int | None = None) -> np.ndarray:
    """Targets of one split: class indices (n,) for ``art``; (n, output_steps, 3|6) for ``tdt``/``tdt_pv``;
    (n, output_steps, k) for the successor regressions (:func:`successor_targets`); an empty (n, 0) float32 array
    for the autoencoder and Barlow Twins (no stored targets)."""
    spec = task_spec(task)
    if spec.kind == "classification":
        return load_labels(dataset, split)
    if spec.kind != "regression":
        return np.zeros((int(_stored_inputs(dataset, split).shape[0]), 0), dtype=np.float32)
    if output_steps is None:
        raise ValueError(f"the {task} targets need the network's number of output steps")
    if task in ("tdt", "tdt_pv"):
        return trajectory_targets(load_endeffector(dataset, split), output_steps, velocity=task == "tdt_pv")
    return successor_targets(dataset, split, task, output_steps)


def n_fit(n_train: int, val_fraction: float) -> int:
    """Training samples of a train split of ``n_train``: the first int((1 - val_fraction) n) (the original's
    int(0.9 n)); the rest, in file order, is the validation set."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must lie in (0, 1), got {val_fraction}")
    return int((1 - val_fraction) * n_train)


@dataclass
class TaskData:
    """One job's data in memory: inputs (n, C, M, T) float32 and targets of the fit, validation and test sets."""

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
    """Inputs (n, C, M, T) and aligned targets of one split of the store (see :func:`load_targets`)."""
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
    """The stored input array of one split, its shape checked ((n, M, T, 2) for ``spindle_info``, (n, M, T) for
    ``spindle_firing``, M and T those of the train split), and the number of network input channels (2 or 1)."""
    if input_key not in INPUT_CHANNELS:
        raise ValueError(f"input_key must be one of {tuple(INPUT_CHANNELS)}, got {input_key!r}")
    channels = INPUT_CHANNELS[input_key]
    reference = _split_group(dataset, "train")
    if input_key not in reference:
        raise DataFormatError(f"{dataset}: group 'train' lacks the array {input_key!r}")
    shape = tuple(reference[input_key].shape)
    if len(shape) != (4 if channels == 2 else 3) or (channels == 2 and shape[-1] != 2) or min(shape[1:3]) < 1:
        expected = "(N, M, T, 2)" if channels == 2 else "(N, M, T)"
        raise DataFormatError(f"{dataset}: train/{input_key} must have shape {expected}, found {shape}")
    return _array(dataset, split, input_key, shape[1:]), channels


def input_shape(dataset: str | Path, input_key: str) -> tuple[int, int, int]:
    """The network input shape (C, M muscles, T steps) of the store's ``input_key`` (the same in both splits)."""
    array, channels = _input_array(dataset, "train", input_key)
    _input_array(dataset, "test", input_key)
    return channels, int(array.shape[1]), int(array.shape[2])


def _split_length(dataset: str | Path, split: str, input_key: str) -> int:
    return int(_input_array(dataset, split, input_key)[0].shape[0])


def input_bytes(dataset: str | Path, input_key: str) -> int:
    """Bytes of the network inputs of both splits as float32 (n, C, M, T)."""
    n = sum(_split_length(dataset, split, input_key) for split in SPLITS)
    return n * int(np.prod(input_shape(dataset, input_key))) * 4


def load_input_tensor(dataset: str | Path, split: str, input_key: str, device, memory_format=None, block: int = 4096):
    """:func:`load_inputs` straight into a torch tensor on ``device`` (in ``memory_format``, default contiguous),
    read block by block: the host holds one block (``block`` samples) besides the tensor — nothing at all when the
    tensor lies on a GPU. Same values as ``torch.as_tensor(load_inputs(...))``."""
    import torch

    array, channels = _input_array(dataset, split, input_key)
    n = array.shape[0]
    out = torch.empty((n, channels, *array.shape[1:3]), dtype=torch.float32, device=device,
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
