"""Predictivity of recorded neurons from features: PCA, ridge regression, cross-validation over trials (pure numpy).

The successor's protocol (``make_layer_predictions_cv.py`` of its neural-prediction code): a layer's activations reduced
to 75 principal components, features standardised on the training trials, one ridge regression per neuron with
its alpha chosen from ``logspace(-2, 5, 15)`` by a 5-fold cross-validation over the training trials (the alpha of
the best mean explained variance), the neuron's score the explained variance of its held-out bins.

Here every trial is held out once: trials are dealt into ``folds`` outer folds (never splitting a trial), each
outer fold is predicted by models fitted on the others (their alpha chosen by an inner cross-validation over the
training trials, again by trial), and a neuron's predictivity is the explained variance of all its held-out bins
pooled (``ev``; ``ev_fold_mean`` = the mean over outer folds). The original holds out one fixed test split
instead; one outer fold is that protocol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHAS = np.logspace(-2, 5, 15)
"""The successor's ridge penalties."""
N_COMPONENTS = 75
"""Principal components kept per layer."""


def alpha_grid(log10_min: float = -2.0, log10_max: float = 5.0, n: int = 15) -> np.ndarray:
    return np.logspace(log10_min, log10_max, int(n))


def trial_folds(n_trials: int, n_folds: int, seed: int) -> np.ndarray:
    """(n_trials,) fold of each trial: a seeded permutation dealt round-robin into ``n_folds`` folds (sizes differ
    by at most one). Raises ``ValueError`` when there are fewer trials than folds."""
    if n_folds < 2 or n_trials < n_folds:
        raise ValueError(f"{n_trials} trials cannot be split into {n_folds} folds (need 2 <= folds <= trials)")
    order = np.random.default_rng(seed).permutation(n_trials)
    folds = np.empty(n_trials, dtype=np.int64)
    folds[order] = np.arange(n_trials) % n_folds
    return folds


def samples(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin values (N, T, F) at the trials' bins ``mask`` (N, T) → (S, F) float64 and the trial of each sample
    (S,), trials in order, bins in order within a trial."""
    values = np.asarray(values)
    trials = np.nonzero(mask)[0]
    return values[mask].astype(np.float64), trials


def pca_scores(x: np.ndarray, n_components: int = N_COMPONENTS, tolerance: float = 1e-10) -> np.ndarray:
    """(S, F) → the scores (S, k) on the top ``k <= min(n_components, F, S - 1)`` principal components (eigenvectors
    of the covariance, float64; components of variance below ``tolerance`` times the largest are dropped, dead
    units of a ReLU layer among them; each component's sign fixed so that its largest loading is positive)."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean(axis=0)
    k = max(1, min(n_components, x.shape[1], x.shape[0] - 1))
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(eigenvalues)[::-1][:k]
    order = order[eigenvalues[order] > tolerance * max(float(eigenvalues.max()), 1e-300)]
    if len(order) == 0:
        return np.zeros((x.shape[0], 1))
    vectors = vectors[:, order]
    signs = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(len(order))])
    return centred @ (vectors * np.where(signs == 0, 1.0, signs))


def explained_variance(y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Per column: 1 − Var(y − ŷ) / Var(y) (sklearn's ``explained_variance_score``, raw values); NaN where y is
    constant."""
    y = np.asarray(y, dtype=np.float64)
    residual = y - np.asarray(prediction, dtype=np.float64)
    variance = y.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(variance > 0, 1.0 - residual.var(axis=0) / np.where(variance > 0, variance, 1.0), np.nan)


def _standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean = train.mean(axis=0)
    std = train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return [(a - mean) / std for a in (train, *others)]


def ridge_path(x: np.ndarray, y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ridge coefficients for every alpha at once: (A, F, U) and intercepts (U,) (= mean of y; x is centred here).
    Solves (XᵀX + αI) B = XᵀY through one eigendecomposition of XᵀX."""
    x_mean = x.mean(axis=0)
    y_mean = y.mean(axis=0)
    xc = x - x_mean
    eigenvalues, vectors = np.linalg.eigh(xc.T @ xc)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    projected = vectors.T @ (xc.T @ (y - y_mean))  # (F, U)
    coefficients = np.stack([vectors @ (projected / (eigenvalues + alpha)[:, None]) for alpha in alphas])
    return coefficients, y_mean - x_mean @ coefficients  # intercepts (A, U)


def choose_alphas(
    x: np.ndarray, y: np.ndarray, trials: np.ndarray, alphas: np.ndarray, n_folds: int, seed: int
) -> np.ndarray:
    """Index into ``alphas`` per neuron (U,): the best mean explained variance over an ``n_folds``-fold
    cross-validation by trial on (x, y)."""
    unique = np.unique(trials)
    folds = trial_folds(len(unique), min(n_folds, len(unique)), seed)
    fold_of = dict(zip(unique.tolist(), folds.tolist()))
    sample_fold = np.array([fold_of[t] for t in trials.tolist()])
    scores = np.zeros((len(alphas), y.shape[1]))
    for fold in range(folds.max() + 1):
        held = sample_fold == fold
        x_fit, x_held = _standardise(x[~held], x[held])
        coefficients, intercepts = ridge_path(x_fit, y[~held], alphas)
        for a in range(len(alphas)):
            scores[a] += np.nan_to_num(
                explained_variance(y[held], x_held @ coefficients[a] + intercepts[a]), nan=-np.inf
            )
    return np.argmax(scores, axis=0)


@dataclass(frozen=True)
class Predictivity:
    """Held-out scores per neuron: ``ev`` (U,) pooled over all held-out bins, ``ev_folds`` (K, U), ``alphas``
    (K, U) chosen per outer fold, ``prediction`` (S, U) held-out predictions."""

    ev: np.ndarray
    ev_folds: np.ndarray
    alphas: np.ndarray
    prediction: np.ndarray


def cross_validated(
    x: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray,
    *,
    folds: int = 5,
    inner_folds: int = 5,
    alphas: np.ndarray = ALPHAS,
    seed: int = 0,
) -> Predictivity:
    """Predict ``y`` (S, U) from ``x`` (S, F) with ridge regression, every trial (``trials`` (S,)) held out once in
    ``folds`` outer folds by trial, each neuron's alpha chosen by an ``inner_folds`` cross-validation over the
    training trials. Deterministic for a given ``seed``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    trials = np.asarray(trials)
    unique = np.unique(trials)
    outer = trial_folds(len(unique), folds, seed)
    fold_of = dict(zip(unique.tolist(), outer.tolist()))
    sample_fold = np.array([fold_of[t] for t in trials.tolist()])
    prediction = np.zeros_like(y)
    ev_folds = np.zeros((folds, y.shape[1]))
    chosen = np.zeros((folds, y.shape[1]))
    columns = np.arange(y.shape[1])
    for fold in range(folds):
        held = sample_fold == fold
        best = choose_alphas(x[~held], y[~held], trials[~held], alphas, inner_folds, seed + 1 + fold)
        x_fit, x_held = _standardise(x[~held], x[held])
        coefficients, intercepts = ridge_path(x_fit, y[~held], alphas)
        fold_prediction = np.einsum("sf,fu->su", x_held, coefficients[best, :, columns].T) + intercepts[best, columns]
        prediction[held] = fold_prediction
        ev_folds[fold] = explained_variance(y[held], fold_prediction)
        chosen[fold] = alphas[best]
    return Predictivity(explained_variance(y, prediction), ev_folds, chosen, prediction)
