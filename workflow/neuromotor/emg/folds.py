"""Classes and splits of the EMG experiments (Aeles et al. 2021, Methods).

CV mode (one file): the cycles are permuted with ``RandomState(1234).permutation(N)``; each participant's cycles
(in permuted order) are cut into 10 consecutive chunks at ``linspace(0, n_c, 11)``; split i is the class-major
concatenation of the chunks i. Fold k tests on split k, validates on split (k + 1) mod 10 and trains on the other 8.
Transfer mode (two files): one part ``part-0`` training on all of the first file (validation = training data) and
testing on all of the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.emg_mat import EmgRecording

N_SPLITS = 10


@dataclass(frozen=True)
class Classes:
    """Class labels of a recording's cycles.

    Attributes:
        label: (N,) int, class of each cycle (0..C−1).
        participant: (C,) int, participant number (1-based file column) of each class.
    """

    label: np.ndarray
    participant: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.participant.size)


def cv_classes(recording: EmgRecording) -> Classes:
    """CV mode: the all-zero columns are dropped, class c = the c-th non-empty column."""
    present = recording.participants
    lookup = np.full(recording.target.shape[1], -1)
    lookup[present - 1] = np.arange(present.size)
    return Classes(label=lookup[recording.column], participant=present)


def transfer_classes(train: EmgRecording, test: EmgRecording) -> tuple[Classes, Classes]:
    """Transfer mode: every column is a class (empty ones included); both files must have the same columns."""
    if train.target.shape[1] != test.target.shape[1]:
        raise DataFormatError(
            f"{test.path}: 'Target_Subject' has {test.target.shape[1]} participant columns, {train.path} has "
            f"{train.target.shape[1]}; transfer experiments need the same columns in both files"
        )
    participant = np.arange(1, train.target.shape[1] + 1)
    return Classes(train.column, participant), Classes(test.column, participant)


def equalize_population(label: np.ndarray) -> np.ndarray:
    """Indices that keep, for every class, only its first n_min cycles (n_min = the smallest class), in order."""
    counts = np.bincount(label)
    n_min = counts[counts > 0].min()
    rank = np.zeros(label.size, dtype=int)
    for c in np.flatnonzero(counts):
        rank[label == c] = np.arange(counts[c])
    return np.flatnonzero(rank < n_min)


@dataclass(frozen=True)
class CvPartition:
    """Attributes: ``permutation`` (N,) file rows in permuted order; ``splits`` 10 arrays of indices into the
    permuted data."""

    permutation: np.ndarray
    splits: list[np.ndarray]


def cv_partition(label: np.ndarray, seed: int = 1234, n_splits: int = N_SPLITS, source: str = "") -> CvPartition:
    """The participant-stratified splits of Aeles et al. 2021 for cycles labelled ``label`` (file order).

    Raises:
        DataFormatError: a class with fewer than ``n_splits`` cycles, or splits of unequal size (``source`` names the
        data in the message).
    """
    permutation = np.random.RandomState(seed).permutation(label.size)
    permuted = label[permutation]
    parts: list[list[np.ndarray]] = [[] for _ in range(n_splits)]
    for c in np.unique(permuted):
        indices = np.flatnonzero(permuted == c)
        if indices.size < n_splits:
            raise DataFormatError(f"{source}: class {int(c)} has {indices.size} cycles; CV needs at least {n_splits}")
        cuts = np.linspace(0, indices.size, n_splits + 1, dtype=int)
        for i in range(n_splits):
            parts[i].append(indices[cuts[i] : cuts[i + 1]])
    splits = [np.concatenate(part) for part in parts]
    sizes = {split.size for split in splits}
    if len(sizes) != 1:
        raise DataFormatError(
            f"{source}: CV splits of unequal sizes {sorted(sizes)} (participants with different cycle counts); "
            "set emg_signatures.data.equalize_population: true"
        )
    return CvPartition(permutation=permutation, splits=splits)


@dataclass(frozen=True)
class Fold:
    """One training/testing part of an experiment.

    Attributes:
        name: ``fold<k>`` (CV) or ``part-0`` (transfer).
        x_train, x_val, x_test: (n, 200, 8) cycles; y_*: (n,) class labels.
        test_index: (n_test,) index of each test cycle in the (permuted, for CV) data of its file.
        file_row: (n_test,) row of each test cycle in its file.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_index: np.ndarray
    file_row: np.ndarray


def cv_folds(features: np.ndarray, label: np.ndarray, partition: CvPartition, rows: np.ndarray | None = None
             ) -> Iterator[Fold]:
    """The 10 folds of a CV experiment over ``features`` (N, 200, 8) and ``label`` (N,) in file order; ``rows``
    maps them to file rows (default: identity)."""
    rows = np.arange(label.size) if rows is None else rows
    x = features[partition.permutation]
    y = label[partition.permutation]
    n = len(partition.splits)
    for k in range(n):
        test, val = partition.splits[k], partition.splits[(k + 1) % n]
        train = np.concatenate([partition.splits[i] for i in range(n) if i not in (k, (k + 1) % n)])
        yield Fold(f"fold{k}", x[train], y[train], x[val], y[val], x[test], y[test], test,
                   rows[partition.permutation[test]])


def transfer_fold(train: EmgRecording, test: EmgRecording) -> Fold:
    """The single part of a transfer experiment (validation = the training data, as in the original)."""
    train_classes, test_classes = transfer_classes(train, test)
    rows = np.arange(test.n_cycles)
    return Fold("part-0", train.features, train_classes.label, train.features, train_classes.label,
                test.features, test_classes.label, rows, rows)
