"""Statistics of signature robustness (Aeles et al. 2021, Methods, Results): Pearson r, Fisher-z pooling with a 95 % CI,
RMSE.

Pooling: z = atanh(r) (r = ±1 → z = ±∞ → NaN, excluded), mean z̄, 95 % CI z̄ ± 1.96·SD/√n (SD with n − 1), all
three back-transformed with tanh, so the bounds stay within [−1, 1].
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two arrays (flattened); NaN when either is constant."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / denominator) if denominator > 0 else float("nan")


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    """√(nanmean((a − b)²))."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.sqrt(np.nanmean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2)))


def fisher_z(r: np.ndarray) -> np.ndarray:
    """atanh(r) with ±∞ (r = ±1) → NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.arctanh(np.asarray(r, dtype=np.float64))
    return np.where(np.isfinite(z), z, np.nan)


def nanmean_quiet(values: np.ndarray, axis=None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


@dataclass(frozen=True)
class Pooled:
    """A pooled correlation: back-transformed mean ``r`` with its 95 % CI, from ``n`` finite z values."""

    r: float
    ci_low: float
    ci_high: float
    n: int


def pool_z(z: np.ndarray) -> Pooled:
    """Pool Fisher z values (NaN ignored): tanh of the mean and of mean ± 1.96·SD/√n."""
    z = np.asarray(z, dtype=np.float64).ravel()
    z = z[np.isfinite(z)]
    if z.size == 0:
        return Pooled(float("nan"), float("nan"), float("nan"), 0)
    mean = z.mean()
    half = Z_95 * z.std(ddof=1) / np.sqrt(z.size) if z.size > 1 else float("nan")
    return Pooled(float(np.tanh(mean)), float(np.tanh(mean - half)), float(np.tanh(mean + half)), int(z.size))


def pool_r(r: np.ndarray) -> Pooled:
    return pool_z(fisher_z(r))


def versus_reference(signatures: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """r and RMSE of every repetition's signature against its participant's reference.

    Args:
        signatures: (P, S, F) signature vectors of P participants × S repetitions.
        reference: (P, F) one reference vector per participant.
    Returns:
        r (P, S) and RMSE (P, S).
    """
    r = np.array([[pearson(sig, reference[p]) for sig in signatures[p]] for p in range(len(signatures))])
    e = np.array([[rmse(sig, reference[p]) for sig in signatures[p]] for p in range(len(signatures))])
    return r.reshape(signatures.shape[:2]), e.reshape(signatures.shape[:2])


def participant_pooled(r: np.ndarray) -> Pooled:
    """(P, S) r values → mean z over repetitions per participant → pooled over participants (Aeles et al. 2021,
    Methods)."""
    return pool_z(nanmean_quiet(fisher_z(r), axis=1))


def within_configuration(signatures: np.ndarray) -> tuple[Pooled, float]:
    """Consistency among repetitions (Aeles et al. 2021, Methods): for each participant, r and RMSE over all ordered
    pairs of its S repetitions (S·(S − 1) values); mean z per participant, pooled over participants; mean RMSE."""
    n_p, n_s = signatures.shape[:2]
    if n_s < 2:
        return Pooled(float("nan"), float("nan"), float("nan"), 0), float("nan")
    z_means, errors = [], []
    for p in range(n_p):
        pairs = [(i, j) for i in range(n_s) for j in range(n_s) if i != j]
        z_means.append(nanmean_quiet(fisher_z([pearson(signatures[p, i], signatures[p, j]) for i, j in pairs])))
        errors += [rmse(signatures[p, i], signatures[p, j]) for i, j in pairs]
    return pool_z(np.array(z_means)), float(np.mean(errors))


def next_participant(values: np.ndarray) -> np.ndarray:
    """The chance-control reference: participant i compared with participant i + 1 (the last with the first)."""
    return np.roll(values, -1, axis=0)


def paired_conditions(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    """Cross-condition robustness (Aeles et al. 2021, Results) for participants present in both conditions.

    Args:
        a, b: (P, F) participant signature vectors of the two conditions (rows: same participants).
    Returns:
        pooled r with CI (``r``, ``ci_low``, ``ci_high``, ``n``) and RMSE mean, SD and 95 % CI.
    """
    r = np.array([pearson(x, y) for x, y in zip(a, b)])
    e = np.array([rmse(x, y) for x, y in zip(a, b)])
    pooled = pool_r(r)
    sd = float(e.std(ddof=1)) if e.size > 1 else float("nan")
    half = Z_95 * sd / np.sqrt(e.size) if e.size > 1 else float("nan")
    return {
        "r": pooled.r, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high, "n": pooled.n,
        "rmse_mean": float(e.mean()), "rmse_sd": sd, "rmse_ci_low": float(e.mean() - half),
        "rmse_ci_high": float(e.mean() + half),
    }  # fmt: skip
