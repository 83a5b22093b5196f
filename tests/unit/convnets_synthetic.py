"""A small dataset in the layout of ``results/pcrt/dataset.zarr`` with a planted, learnable effect, for the convnet
tests (quick to write, no PCRT generation needed).

Class k (label ``labels[k]``) raises the length of four muscles by a Gaussian bump at a class-specific time; the
hand trajectory is a class-specific loop around a random start point, and three muscles' lengths encode that start
point, so both the action-recognition and the trajectory-decoding targets are learnable from the spindle inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from neuromotor.io.store import write_arrays
from neuromotor.pcrt.layout import LABEL_LETTERS, DatasetLayout
from neuromotor.pcrt.muscles import MUSCLE_NAMES

N_MUSCLES, N_TIME, DT = 25, 320, 0.015


def _split(rng: np.random.Generator, labels: list[int], per_class: int) -> dict[str, np.ndarray]:
    n = len(labels) * per_class
    label = np.repeat(np.asarray(labels, dtype=np.int32), per_class)
    rng.shuffle(label)
    t = np.arange(N_TIME)
    classes = np.searchsorted(np.sort(labels), label)
    lengths = 100.0 + 0.2 * rng.standard_normal((n, N_MUSCLES, N_TIME))
    centres = 40 + 240 * classes / max(1, len(labels) - 1)
    bump = 8.0 * np.exp(-(((t[None, :] - centres[:, None]) / 20.0) ** 2))
    for i, k in enumerate(classes):
        lengths[i, (4 * k) % 20 : (4 * k) % 20 + 4] += bump[i]
    start = rng.normal(0.0, 5.0, (n, 3))
    lengths[:, 20:23] += 2.0 * start[:, :, None]
    phase = 2 * np.pi * classes[:, None] / len(labels)
    loop = np.stack(
        [np.cos(2 * np.pi * t / N_TIME + phase), np.sin(2 * np.pi * t / N_TIME + phase), np.zeros((n, N_TIME))], 1
    )
    endeffector = start[:, :, None] + 3.0 * loop
    velocity = np.gradient(lengths, DT, axis=-1)
    return {
        "label": label,
        "spindle_info": np.stack([lengths, velocity], axis=-1).astype(np.float32),
        "spindle_firing": (2 * np.gradient(lengths, axis=-1)).astype(np.float32),
        "endeffector_coords": endeffector.astype(np.float32),
    }


def write_synthetic_dataset(
    path: str | Path, labels=(1, 2, 3, 4, 5), train_per_class: int = 40, test_per_class: int = 10, seed: int = 0
) -> Path:
    """Write the store (groups ``train`` and ``test``) and return its path."""
    rng = np.random.default_rng(seed)
    groups = {"train": _split(rng, list(labels), train_per_class), "test": _split(rng, list(labels), test_per_class)}
    layout = DatasetLayout(N_TIME, DT, LABEL_LETTERS, MUSCLE_NAMES)  # the store attributes of a real dataset
    write_arrays(path, groups, attrs={"synthetic": True, "seed": seed, **layout.store_attrs()})
    return Path(path)
