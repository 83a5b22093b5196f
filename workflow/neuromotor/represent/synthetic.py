"""A small PCRT-like ``dataset.zarr`` for tests and benchmarks of the representational analyses.

Each trajectory draws a label-specific closed-form character (a sum of two sinusoids per axis whose frequencies
and phases depend on the label) of random size and duration, placed in a 320-step window with holds before and
after (zero velocity there, as in the real dataset), in a horizontal plane (constant Z) or a vertical plane
(constant X) at a start point of the 3 cm grid. Joints and muscles are smooth fixed functions of the hand position
(not an arm model); ``spindle_info`` = (muscle length, its ``np.gradient`` with dt 0.015 s). Layout and array names
as :mod:`neuromotor.pcrt.dataset` writes them (groups ``train`` and ``test``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromotor.io.store import write_arrays
from neuromotor.pcrt.layout import DT_S, LABEL_LETTERS, DatasetLayout
from neuromotor.pcrt.muscles import MUSCLE_NAMES

WINDOW = 320
DT = DT_S


def synthetic_split(n: int, labels=range(1, 21), seed: int = 0, split: int = 0) -> dict[str, np.ndarray]:
    """One split of ``n`` trajectories, labels cycling through ``labels``."""
    shapes = np.random.default_rng([seed, 0])
    rng = np.random.default_rng([seed, 1 + split])
    labels = np.asarray(list(labels))
    frequencies = {int(k): shapes.uniform(0.5, 3.0, size=(2, 2)) for k in labels}
    phases = {int(k): shapes.uniform(0, 2 * np.pi, size=(2, 2)) for k in labels}
    joints_mix = shapes.normal(size=(4, 3)) * 0.05
    muscles_mix = shapes.normal(size=(25, 4)) * 8.0
    label = labels[np.arange(n) % len(labels)].astype(np.int32)
    plane = np.where(rng.random(n) < 0.5, "horizontal", "vertical")
    startpt = np.column_stack([
        3.0 * rng.integers(2, 19, n), 3.0 * rng.integers(-10, 5, n), 3.0 * rng.integers(-15, 11, n),
    ])  # fmt: skip
    ee = np.empty((n, 3, WINDOW))
    for i in range(n):
        length = int(rng.integers(120, 280))
        start = int(rng.integers(0, WINDOW - length))
        s = np.linspace(0, 1, length)
        size = rng.uniform(5, 10)
        f, p = frequencies[int(label[i])], phases[int(label[i])]
        path = size * np.stack([np.sin(2 * np.pi * f[a, 0] * s + p[a, 0]) + 0.5 * np.sin(2 * np.pi * f[a, 1] * s + p[a, 1])
                                for a in range(2)])  # fmt: skip
        path -= path[:, :1]
        window = np.empty((2, WINDOW))
        window[:, start : start + length] = path
        window[:, :start] = path[:, :1]
        window[:, start + length :] = path[:, -1:]
        point = np.repeat(startpt[i][:, None], WINDOW, axis=1)
        if plane[i] == "horizontal":
            point[:2] += window
        else:
            point[1:] += window
        ee[i] = point
    joints = 40 + 30 * np.tanh(np.einsum("jc,nct->njt", joints_mix, ee - ee.mean(axis=(0, 2), keepdims=True)))
    muscles = 100 + np.einsum("mj,njt->nmt", muscles_mix, np.sin(np.radians(joints)))
    velocity = np.gradient(muscles, DT, axis=-1)
    firing = 2 * np.gradient(muscles, axis=-1) + 4.3 * np.sign(velocity) * np.abs(velocity) ** 0.6
    return {
        "endeffector_coords": ee.astype(np.float32),
        "joint_coords": joints.astype(np.float32),
        "muscle_coords": muscles.astype(np.float32),
        "spindle_info": np.stack([muscles, velocity], axis=-1).astype(np.float32),
        "spindle_firing": firing.astype(np.float32),
        "label": label,
        "plane": plane,
        "startpt": startpt,
    }


def write_synthetic_dataset(path: str | Path, n_train: int, n_test: int, labels=range(1, 21), seed: int = 0) -> None:
    """Write ``dataset.zarr`` with ``train`` and ``test`` groups from :func:`synthetic_split`."""
    groups = {
        "train": synthetic_split(n_train, labels, seed, split=0),
        "test": synthetic_split(n_test, labels, seed, split=1),
    }
    layout = DatasetLayout(WINDOW, DT, LABEL_LETTERS, MUSCLE_NAMES)  # the root attributes of a real dataset
    write_arrays(path, groups, attrs={"synthetic": True, **layout.store_attrs()}, chunk=64)
