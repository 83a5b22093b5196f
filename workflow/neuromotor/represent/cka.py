"""Linear centred kernel alignment and mean squared canonical correlation (Sandbrink et al. 2023, Methods).

With X̃, Ỹ the column-centred representations (n samples × p features, flattened per sample):

- linear CKA(X, Y) = ‖ỸᵀX̃‖_F² / (‖X̃ᵀX̃‖_F ‖ỸᵀỸ‖_F) = ⟨K̃, L̃⟩_F / (‖K̃‖_F ‖L̃‖_F) with K̃ = X̃X̃ᵀ, L̃ = ỸỸᵀ;
- R²_CCA = ‖Q_YᵀQ_X‖_F² / min(p_x, p_y), Q = orthonormal basis (QR) of X̃, Ỹ; defined only when p < n for both
  (NaN otherwise), optionally after reducing each representation to its first k principal components.

Comparing many layers: :func:`normalized_gram` once per layer, then :func:`cka_matrix` is a matrix of Frobenius
inner products (the n × n Gram costs n²p once; every pair then costs n²).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neuromotor.represent.rdm import gram_matrix


def _flat(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA of two representations of the same n samples, ``x`` (n, ...) and ``y`` (n, ...); float64.

    Uses the feature-space formula when p_x·p_y ≤ n·(p_x + p_y), the Gram matrices otherwise (same value); either
    may be a zarr array (read block by block, neuromotor.represent.blocks)."""
    from neuromotor.represent.blocks import is_stored, n_features, n_samples

    if n_samples(x) != n_samples(y):
        raise ValueError(f"CKA needs the same samples: x has {n_samples(x)} rows, y has {n_samples(y)}")
    n, px, py = n_samples(x), n_features(x), n_features(y)
    if px * py <= n * (px + py):
        x, y = _flat(x[...] if is_stored(x) else x), _flat(y[...] if is_stored(y) else y)
        xc = np.asarray(x, dtype=np.float64) - x.mean(axis=0, dtype=np.float64)
        yc = np.asarray(y, dtype=np.float64) - y.mean(axis=0, dtype=np.float64)
        cross = np.linalg.norm(yc.T @ xc) ** 2
        denominator = np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc)
    else:
        k, l = gram_matrix(x, center="columns"), gram_matrix(y, center="columns")
        cross = np.vdot(k, l)
        denominator = np.linalg.norm(k) * np.linalg.norm(l)
    return float(cross / denominator) if denominator > 0 else float("nan")


def normalized_gram(x: np.ndarray) -> np.ndarray:
    """K̃ / ‖K̃‖_F (n, n) float64 of the column-centred representation ``x`` (n, ...); NaN when x is constant."""
    gram = gram_matrix(x, center="columns")
    norm = np.linalg.norm(gram)
    return gram / norm if norm > 0 else np.full_like(gram, np.nan)


def cka_matrix(grams_a: Sequence[np.ndarray], grams_b: Sequence[np.ndarray]) -> np.ndarray:
    """CKA between every pair of representations given by their normalized Grams: (len(a), len(b))."""
    out = np.empty((len(grams_a), len(grams_b)))
    for i, k in enumerate(grams_a):
        for j, l in enumerate(grams_b):
            out[i, j] = np.vdot(k, l)
    return out


def cca_basis(x: np.ndarray, n_components: int | None = None, gram: np.ndarray | None = None) -> np.ndarray | None:
    """Orthonormal basis (n, r) of the column-centred representation ``x`` (n, ...), for :func:`cca_r2`.

    Without ``n_components``: the column space of X̃ (QR), None when p ≥ n (the mean squared CCA is then not
    defined). With ``n_components = k``: the span of the first k principal components, i.e. the top-k
    eigenvectors of the centred Gram matrix X̃X̃ᵀ (``gram``, any positive multiple, computed when not given).
    """
    from neuromotor.represent.blocks import is_stored, n_features, n_samples

    n = n_samples(x)
    if n_components is not None:  # from the Gram alone (x may be a zarr array)
        gram = gram_matrix(x, center="columns") if gram is None else gram
        values, vectors = np.linalg.eigh(gram)
        order = np.argsort(values)[::-1][: min(n_components, n)]
        keep = values[order] > 1e-10 * max(values.max(initial=0.0), 1e-300)
        return vectors[:, order[keep]]
    if n_features(x) >= n:
        return None
    x = _flat(x[...] if is_stored(x) else x)  # p < n: at most n² values
    xc = np.asarray(x, dtype=np.float64) - x.mean(axis=0, dtype=np.float64)
    q, r = np.linalg.qr(xc)
    diagonal = np.abs(np.diag(r))
    return q[:, diagonal > 1e-10 * max(1.0, diagonal.max(initial=0.0))]


def cca_r2(basis_x: np.ndarray | None, basis_y: np.ndarray | None) -> float:
    """Mean squared canonical correlation ‖Q_YᵀQ_X‖_F² / min(p_x, p_y) from two bases of :func:`cca_basis`;
    NaN when either is None."""
    if basis_x is None or basis_y is None or min(basis_x.shape[1], basis_y.shape[1]) == 0:
        return float("nan")
    return float(np.linalg.norm(basis_y.T @ basis_x) ** 2 / min(basis_x.shape[1], basis_y.shape[1]))
