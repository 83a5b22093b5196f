"""A small PCRT-like ``dataset.zarr`` with known class structure, for tests and benchmarks of the SVM stage.

Every input array holds, per sample, ``size * pattern[label] + plane_offset[plane] + noise`` with standard-normal
patterns scaled by ``separation`` and unit noise, so pairs are separable to a degree set by ``separation``. When
``separable`` lists labels, the first feature gets +50 for them and -50 for all others, which makes each of them
linearly separable from every other label by construction, even by a hyperplane through the origin (the most
regularised classifiers of the C grid). Latents (plane, size, speed) are drawn uniformly from the given values,
and the file order is random. Layout as :mod:`neuromotor.pcrt.dataset` writes it (groups ``train`` and ``test``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from neuromotor.io.store import write_arrays
from neuromotor.svm.data import INPUTS


def synthetic_split(
    labels: Sequence[int],
    n_per_label: int,
    *,
    time_steps: int = 20,
    separation: float = 0.4,
    separable: Sequence[int] = (),
    planes: Sequence[str] = ("horizontal", "vertical"),
    sizes: Sequence[float] = (0.7, 1.0, 1.3),
    speeds: Sequence[float] = (0.8, 1.0, 1.2, 1.4),
    seed: int = 0,
    split: int = 0,
) -> dict[str, np.ndarray]:
    """One split's arrays: the four inputs (N, channels, ``time_steps``) float32 and ``label``, ``plane``,
    ``size``, ``speed``. Class patterns depend on ``seed`` only, samples on (``seed``, ``split``)."""
    patterns_rng = np.random.default_rng([seed, 0])
    rng = np.random.default_rng([seed, 1 + split])
    labels = [int(label) for label in labels]
    n = n_per_label * len(labels)
    label = np.repeat(labels, n_per_label)
    plane = rng.choice(np.asarray(planes), n)
    size = rng.choice(np.asarray(sizes, dtype=np.float64), n)
    speed = rng.choice(np.asarray(speeds, dtype=np.float64), n)
    out = {}
    for name, (channels, _) in INPUTS.items():
        shape = (channels, time_steps)
        patterns = {k: separation * patterns_rng.standard_normal(shape) for k in labels}
        offsets = {p: 0.3 * patterns_rng.standard_normal(shape) for p in planes}
        values = np.stack([size[s] * patterns[label[s]] + offsets[plane[s]] for s in range(n)])
        values += rng.standard_normal(values.shape)
        if len(separable):
            values[:, 0, 0] += np.where(np.isin(label, separable), 50.0, -50.0)
        out[name] = values.astype(np.float32)
    order = rng.permutation(n)
    out.update({"label": label.astype(np.int32), "plane": plane, "size": size, "speed": speed})
    return {name: values[order] for name, values in out.items()}


def write_synthetic_dataset(
    path: str | Path, labels: Sequence[int], n_train_per_label: int, n_test_per_label: int, **kwargs
) -> None:
    """Write ``dataset.zarr`` with ``train`` and ``test`` groups from :func:`synthetic_split`."""
    groups = {
        "train": synthetic_split(labels, n_train_per_label, split=0, **kwargs),
        "test": synthetic_split(labels, n_test_per_label, split=1, **kwargs),
    }
    write_arrays(path, groups, attrs={"synthetic": True, "labels": [int(label) for label in labels]}, chunk=64)
