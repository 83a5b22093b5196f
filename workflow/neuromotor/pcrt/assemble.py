"""Assembly of accepted trajectories into the dataset (Sandbrink et al. 2023, Methods): selection, windows, split."""

from __future__ import annotations

import numpy as np

DEDUP_KEY = ("label", "startpt", "size", "rot", "shear_x", "shear_y", "speed", "noise", "plane")


def select_lowest_jerk(label: np.ndarray, plane: np.ndarray, muscle_jerk: np.ndarray, n_per_group: int) -> np.ndarray:
    """Indices (sorted, pool order) of the ``n_per_group`` lowest muscle-jerk rows of every (label, plane)."""
    keep = []
    for group_label, group_plane in sorted(set(zip(label.tolist(), plane.tolist()))):
        rows = np.flatnonzero((label == group_label) & (plane == group_plane))
        order = np.argsort(muscle_jerk[rows], kind="stable")
        keep.append(rows[order[:n_per_group]])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=int)


def first_of_duplicates(columns: dict[str, np.ndarray], key: tuple[str, ...] = DEDUP_KEY) -> np.ndarray:
    """Indices of the first row of every distinct key, in row order; ``columns`` maps names to (N, ...) arrays."""
    n = len(next(iter(columns.values())))
    seen: set = set()
    keep = []
    for row in range(n):
        signature = tuple(np.asarray(columns[name][row]).tobytes() for name in key)
        if signature not in seen:
            seen.add(signature)
            keep.append(row)
    return np.asarray(keep, dtype=int)


def draw_start_id(length: int, window: int, rng: np.random.Generator) -> int:
    """Window position of a trajectory of ``length`` steps: uniform over 0 .. window - length - 1."""
    if length > window - 1:
        raise ValueError(f"trajectory of {length} steps does not fit a window of {window} steps")
    return int(rng.integers(0, window - length))


def hold_pad(values: np.ndarray, start_id: int, window: int) -> np.ndarray:
    """Place (C, T) at [start_id, start_id + T) of a (C, window) array, holding the first/last sample outside."""
    length = values.shape[-1]
    out = np.empty(values.shape[:-1] + (window,), dtype=values.dtype)
    out[..., :start_id] = values[..., :1]
    out[..., start_id : start_id + length] = values
    out[..., start_id + length :] = values[..., -1:]
    return out


def split_indices(n_pool: int, n_train: int, n_test: int, seed: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """``np.random.RandomState(seed).permutation`` of the pool; train = first ``n_train``, test = the next ``n_test``."""
    if n_train + n_test > n_pool:
        raise ValueError(f"n_train + n_test = {n_train + n_test} exceeds the {n_pool} selected trajectories")
    permutation = np.random.RandomState(seed).permutation(n_pool)
    return permutation[:n_train], permutation[n_train : n_train + n_test]
