"""Representational dissimilarity matrices and their similarity to the class oracle (Sandbrink et al. 2023, Figure 4).

- RDM of a representation X (n, p): condensed vector (length n(n−1)/2, the order of ``scipy.spatial.distance.pdist``)
  of d(a, b) = 1 − Pearson r(x_a, x_b), i.e. ``pdist(X, 'correlation')``. Computed from the Gram matrix of the
  row-centred data, accumulated in float64 over column chunks, so a 4000 × 33,000 layer needs one n × n matrix
  and no float64 copy of X.
- Oracle ("ideal observer") RDM: o(a, b) = 0 for the same class, 1 otherwise.
- Similarity = Pearson r between the condensed RDM and the oracle; also Kendall τ (``scipy.stats.kendalltau``, τ-b).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuromotor.errors import DataFormatError


def class_balanced_sample(labels: np.ndarray, per_class: int, seed: int, classes: Sequence[int] | None = None):
    """Positions of ``per_class`` distinct samples of every class (without replacement), drawn per class in
    ascending label order with ``np.random.RandomState(seed).choice``; returned sorted. Raises when a class has
    fewer than ``per_class`` samples."""
    labels = np.asarray(labels)
    classes = sorted(np.unique(labels)) if classes is None else list(classes)
    state = np.random.RandomState(seed)
    chosen = []
    for label in classes:
        members = np.flatnonzero(labels == label)
        if len(members) < per_class:
            raise DataFormatError(
                f"RDM sample: label {label} has {len(members)} trajectories in the split, fewer than the "
                f"{per_class} per class requested (config key 'representations.rdm.per_class')"
            )
        chosen.append(state.choice(members, per_class, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=int)


def gram_matrix(x, center: str | None = None, chunk: int = 4096) -> np.ndarray:
    """``X̃ X̃ᵀ`` (n, n) float64 of a representation ``x`` (n, ...) flattened per sample, accumulated over column
    chunks of ``chunk`` features. ``center``: ``"rows"`` subtracts each sample's mean over features (correlation),
    ``"columns"`` each feature's mean over samples (CKA), None nothing. ``x`` may be a zarr array, read block by
    block (neuromotor.represent.blocks; the same numbers bit for bit as the array in memory)."""
    from neuromotor.represent.blocks import column_chunks, n_features, n_samples

    if center not in ("rows", "columns", None):
        raise ValueError(f"center must be 'rows', 'columns' or None, got {center!r}")
    n, p = n_samples(x), n_features(x)
    gram = np.zeros((n, n))
    row_mean = None
    if center == "rows":  # the per-sample means, summed chunk by chunk (one pass more for a stored x)
        row_mean = np.zeros(n)
        for block in column_chunks(x, chunk):
            row_mean += block.sum(axis=1)
        row_mean /= max(p, 1)
    for block in column_chunks(x, chunk):
        if center == "rows":
            block -= row_mean[:, None]
        elif center == "columns":
            block -= block.mean(axis=0)
        gram += block @ block.T
    return gram


def condensed(square: np.ndarray) -> np.ndarray:
    """Upper triangle (i < j, row-major) of a square matrix: the condensed form of ``pdist``."""
    rows, cols = np.triu_indices(len(square), k=1)
    return square[rows, cols]


def correlation_rdm(x, chunk: int = 4096) -> np.ndarray:
    """Condensed RDM d(a, b) = 1 − Pearson r(x_a, x_b) of ``x`` (n, ...) flattened per sample (in memory or a zarr
    array); float64, length n(n−1)/2. A constant sample has no correlation: its distances are NaN (as ``pdist``)."""
    return correlation_rdm_from_gram(gram_matrix(x, center="rows", chunk=chunk))


def correlation_rdm_from_gram(gram: np.ndarray) -> np.ndarray:
    """The condensed correlation RDM from the Gram matrix of the row-centred representation (n, n)."""
    norms = np.sqrt(np.diag(gram))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = gram / np.outer(norms, norms)
    return 1.0 - np.clip(condensed(r), -1.0, 1.0)


def oracle_rdm(labels: np.ndarray) -> np.ndarray:
    """Condensed oracle RDM: 0 for pairs of the same class, 1 otherwise (float64)."""
    labels = np.asarray(labels)
    rows, cols = np.triu_indices(len(labels), k=1)
    return (labels[rows] != labels[cols]).astype(np.float64)


def rdm_similarity(rdm: np.ndarray, oracle: np.ndarray) -> float:
    """Pearson r between two condensed RDMs (NaN entries dropped pairwise)."""
    keep = np.isfinite(rdm) & np.isfinite(oracle)
    a, b = rdm[keep] - rdm[keep].mean(), oracle[keep] - oracle[keep].mean()
    denominator = np.sqrt((a @ a) * (b @ b))
    return float(a @ b / denominator) if denominator > 0 else float("nan")


def rdm_kendall(rdm: np.ndarray, oracle: np.ndarray) -> float:
    """Kendall τ-b between a condensed RDM and the binary oracle (NaN entries dropped), what
    ``scipy.stats.kendalltau`` computes, in O(n log n) from one ranking: with a binary second variable, concordant
    minus discordant pairs = n₁n₀(2·AUC − 1), AUC the probability that an across-class distance exceeds a
    within-class one (ties half); τ-b divides by √((P − T_rdm)(P − T_oracle)), P = all pairs, T = pairs tied."""
    from neuromotor.represent.stats import midranks

    keep = np.isfinite(rdm) & np.isfinite(oracle)
    x, y = np.asarray(rdm, dtype=np.float64)[keep], np.asarray(oracle)[keep]
    levels = np.unique(y)
    if len(levels) > 2:
        raise ValueError(f"rdm_kendall expects a binary oracle, got {len(levels)} distinct values")
    n = len(x)
    if n < 2 or len(levels) < 2:
        return float("nan")
    high = y == levels[1]
    n1, n0 = int(high.sum()), int(n - high.sum())
    ranks = midranks(x)
    auc = (ranks[high].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    counts = np.unique(x, return_counts=True)[1].astype(np.float64)
    pairs = n * (n - 1) / 2
    tied_x = float((counts * (counts - 1) / 2).sum())
    tied_y = n1 * (n1 - 1) / 2 + n0 * (n0 - 1) / 2
    denominator = np.sqrt((pairs - tied_x) * (pairs - tied_y))
    return float(n1 * n0 * (2 * auc - 1) / denominator) if denominator > 0 else float("nan")


def class_mean_rdm(rdm: np.ndarray, labels: np.ndarray, classes: Sequence[int]) -> np.ndarray:
    """Mean dissimilarity between (and within) classes: (n_classes, n_classes) float64 from a condensed RDM;
    the diagonal averages pairs of distinct samples of the same class."""
    labels = np.asarray(labels)
    index = {label: k for k, label in enumerate(classes)}
    codes = np.array([index[label] for label in labels])
    rows, cols = np.triu_indices(len(labels), k=1)
    a, b = codes[rows], codes[cols]
    k = len(classes)
    keep = np.isfinite(rdm)
    cells = a[keep] * k + b[keep]
    sums = np.bincount(cells, weights=rdm[keep], minlength=k * k).reshape(k, k)
    counts = np.bincount(cells, minlength=k * k).reshape(k, k).astype(np.float64)
    sums = sums + sums.T - np.diag(np.diag(sums))
    counts = counts + counts.T - np.diag(np.diag(counts))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts
