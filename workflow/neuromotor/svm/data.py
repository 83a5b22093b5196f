"""Inputs, label pairs, data variants and feature stores of the pairwise SVM analysis (Sandbrink et al. 2023, Methods).

- :data:`INPUTS`: the four input arrays of ``dataset.zarr`` and their per-sample shapes; a sample's feature vector
  is the C-order flatten of (channels, time), index ``c * T + t``, with no scaling or centring.
- :func:`label_pairs` / :func:`chunk_pairs`: the pairs ``i < j`` in canonical order and their split into jobs.
- :class:`Subset` / :func:`variant_subsets`: ``full`` is one subset (everything); ``suppressed`` holds one subset per
  value of each suppressed latent variable (plane, size, speed, size x plane), applied to train and test alike.
- :func:`fit_val_split`: first ``int(fit_fraction * n)`` samples of a pair (file order) fit, the rest validate.
- feature stores (:func:`write_feature_store`, :class:`FeatureStore`): one input's training samples grouped by label
  (file order kept within a label), so a job reads only the labels of its pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_directory, decode, open_store, write_array

INPUTS: dict[str, tuple[int, int]] = {
    "endeffector_coords": (3, 320),
    "joint_coords": (4, 320),
    "muscle_coords": (25, 320),
    "spindle_firing": (25, 320),
}
"""Input arrays of ``dataset.zarr`` (Sandbrink et al. 2023, Methods) and their (channels, time) shape at the default
window of 320 steps."""

INPUT_TITLES = {
    "endeffector_coords": "end-effector",
    "joint_coords": "joints",
    "muscle_coords": "muscle lengths",
    "spindle_firing": "spindles (v1)",
}
"""Short names for tables and figures."""

VARIANTS = ("full", "suppressed")
SUPPRESSIBLE = ("plane", "size", "speed", "size_plane")
"""Latent variables that can be suppressed; ``size_plane`` fixes size and plane together."""

LATENTS = ("label", "plane", "size", "speed")
"""Per-sample metadata the analysis needs besides the input array."""


def label_pairs(labels: Sequence[int]) -> list[tuple[int, int]]:
    """All pairs ``(i, j)`` with ``i < j`` of the labels, in lexicographic order (190 for 20 labels)."""
    return list(itertools.combinations(sorted(int(label) for label in labels), 2))


def chunk_pairs(pairs: Sequence[tuple[int, int]], pairs_per_job: int) -> list[list[tuple[int, int]]]:
    """Consecutive runs of ``pairs_per_job`` pairs (the last run may be shorter)."""
    if pairs_per_job < 1:
        raise ValueError(f"pairs_per_job must be at least 1, got {pairs_per_job}")
    return [list(pairs[k : k + pairs_per_job]) for k in range(0, len(pairs), pairs_per_job)]


def format_value(value) -> str:
    """A latent value as written in subset names (``0.7``, ``1``, ``horizontal``)."""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):g}"
    return str(value)


@dataclass(frozen=True)
class Subset:
    """A data variant's subset: the samples whose latents equal ``conditions`` (none for the full data).

    ``suppressed`` names the suppressed variable (``none`` for the full data); ``name`` is e.g. ``all``,
    ``plane=horizontal``, ``size=0.7`` or ``size=0.7,plane=horizontal``.
    """

    variant: str
    suppressed: str
    conditions: tuple[tuple[str, object], ...] = ()

    @property
    def name(self) -> str:
        if not self.conditions:
            return "all"
        return ",".join(f"{latent}={format_value(value)}" for latent, value in self.conditions)

    def mask(self, latents: Mapping[str, np.ndarray]) -> np.ndarray:
        """Boolean mask of the samples in this subset (floats compared with a relative tolerance of 1e-9)."""
        n = len(latents["label"])
        keep = np.ones(n, dtype=bool)
        for latent, value in self.conditions:
            values = np.asarray(latents[latent])
            if isinstance(value, str):
                keep &= values.astype(str) == value
            else:
                keep &= np.isclose(values.astype(np.float64), float(value), rtol=1e-9, atol=0.0)
        return keep


def variant_subsets(variant: str, suppressed: Sequence[str], values: Mapping[str, Sequence]) -> list[Subset]:
    """The subsets of a data variant.

    ``values`` maps ``plane``, ``size`` and ``speed`` to the values the dataset was generated with (the PCRT config:
    ``pcrt.planes``, ``pcrt.augmentation.size``, ``pcrt.augmentation.speed``). With the defaults (2 planes, 3 sizes,
    4 speeds), ``suppressed`` = [plane, size, speed, size_plane] gives 2 + 3 + 4 + 6 = 15 subsets.
    """
    if variant == "full":
        return [Subset("full", "none")]
    if variant != "suppressed":
        raise ValueError(f"unknown data variant {variant!r}; expected one of {VARIANTS}")
    subsets = []
    for variable in suppressed:
        if variable == "size_plane":
            for size in values["size"]:
                for plane in values["plane"]:
                    subsets.append(Subset("suppressed", variable, (("size", float(size)), ("plane", str(plane)))))
        elif variable in ("plane", "size", "speed"):
            for value in values[variable]:
                value = str(value) if variable == "plane" else float(value)
                subsets.append(Subset("suppressed", variable, ((variable, value),)))
        else:
            raise ValueError(f"unknown suppressed variable {variable!r}; expected one of {SUPPRESSIBLE}")
    return subsets


def fit_val_split(n: int, fit_fraction: float) -> int:
    """Number of fit samples among a pair's ``n`` training samples: ``int(fit_fraction * n)`` (the original's rule)."""
    return int(fit_fraction * n)


# ---------------------------------------------------------------------------------------------------------------
# feature stores


def features_of(values: np.ndarray) -> np.ndarray:
    """(N, channels, time) -> (N, channels * time), C order (index c * T + t)."""
    values = np.asarray(values)
    return values.reshape(values.shape[0], -1)


def _check_input(path, group: str, name: str, array) -> None:
    if name not in INPUTS:
        raise DataFormatError(f"{path}: unknown SVM input {name!r}; expected one of {sorted(INPUTS)}")
    if array.ndim != 3 or array.shape[1] != INPUTS[name][0]:
        raise DataFormatError(
            f"{path}: group {group!r} array {name!r} has shape {array.shape}; expected (N, {INPUTS[name][0]}, T)"
        )


def read_split(path: str | Path, split: str, input_name: str, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """One split of ``dataset.zarr``: ``X`` (N, D) features of ``input_name`` and the latents of :data:`LATENTS`.

    ``rows`` (sorted indices) restricts the samples; the store is read one chunk at a time.
    """
    root = open_store(path)
    if split not in root:
        raise DataFormatError(f"{path}: missing group {split!r}")
    group = root[split]
    available = {name for name, _ in group.arrays()}
    missing = [name for name in (input_name, *LATENTS) if name not in available]
    if missing:
        raise DataFormatError(f"{path}: group {split!r} lacks arrays {missing}; has {sorted(available)}")
    array = group[input_name]
    _check_input(path, split, input_name, array)
    n = array.shape[0]
    latents = {name: decode(group[name]) for name in LATENTS}
    for name, values in latents.items():
        if len(values) != n:
            raise DataFormatError(f"{path}: group {split!r} array {name!r} has {len(values)} rows, {input_name!r} {n}")
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    X = np.empty((len(rows), int(np.prod(array.shape[1:]))), dtype=array.dtype)
    step = int(array.chunks[0]) if array.chunks else n
    for start in range(0, n, max(step, 1)):
        stop = min(n, start + step)
        inside = (rows >= start) & (rows < stop)
        if inside.any():
            block = np.asarray(array[start:stop])
            X[inside] = features_of(block)[rows[inside] - start]
    return {"X": X, "index": rows, **{name: values[rows] for name, values in latents.items()}}


def write_feature_store(dataset: str | Path, input_name: str, out: str | Path, *, chunk: int = 256) -> None:
    """The training samples of one input grouped by label (file order kept within a label), for the pair jobs.

    Arrays: ``X`` (N, D) in the dataset's dtype, ``index`` (row in the train split), ``label``, ``plane``, ``size``,
    ``speed``. Attributes: ``input``, ``sample_shape``, ``label_rows`` ({label: [start, stop]}), ``source``.
    Memory: the split's features once (N x D) plus one label's rows.
    """
    import zarr

    data = read_split(dataset, "train", input_name)
    order = np.lexsort((data["index"], data["label"]))
    labels = data["label"][order]
    label_rows = {}
    for label in np.unique(labels):
        positions = np.flatnonzero(labels == label)
        label_rows[str(int(label))] = [int(positions[0]), int(positions[-1]) + 1]
    shape = list(open_store(dataset)["train"][input_name].shape[1:])
    X = data.pop("X")
    with atomic_directory(out) as tmp:
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        root.attrs.update(
            {"input": input_name, "sample_shape": shape, "label_rows": label_rows, "source": str(dataset)}
        )
        for name in ("index", *LATENTS):
            write_array(root, name, data[name][order], chunk=chunk)
        features = root.create_array(
            "X", shape=X.shape, dtype=X.dtype, chunks=(max(1, min(chunk, X.shape[0])), max(1, X.shape[1]))
        )
        features.attrs.update({"axes": ["sample", "feature"], "feature_index": "channel * time_steps + t"})
        for start, stop in label_rows.values():
            features[start:stop] = X[order[start:stop]]


class FeatureStore:
    """Read access to a feature store written by :func:`write_feature_store`."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.root = open_store(path)
        attrs = dict(self.root.attrs)
        for key in ("input", "label_rows"):
            if key not in attrs:
                raise DataFormatError(f"{path}: not an SVM feature store (attribute {key!r} missing)")
        self.input = attrs["input"]
        self.label_rows = {int(label): tuple(bounds) for label, bounds in attrs["label_rows"].items()}
        self.n_features = int(self.root["X"].shape[1])

    def labels(self) -> list[int]:
        return sorted(self.label_rows)

    def read(self, labels: Sequence[int]) -> dict[str, np.ndarray]:
        """Samples of ``labels`` in file order (sorted by ``index``): ``X`` (N, D) and the latents."""
        missing = [label for label in labels if label not in self.label_rows]
        if missing:
            raise DataFormatError(
                f"{self.path}: no training samples of labels {missing}; the store has labels {self.labels()} "
                "(config key 'pcrt.labels' lists labels the dataset lacks)"
            )
        parts = {name: [] for name in ("X", "index", *LATENTS)}
        for label in sorted(set(int(label) for label in labels)):
            start, stop = self.label_rows[label]
            for name in parts:
                parts[name].append(decode(self.root[name], slice(start, stop)))
        data = {name: np.concatenate(values) for name, values in parts.items()}
        order = np.argsort(data["index"], kind="stable")
        return {name: values[order] for name, values in data.items()}
