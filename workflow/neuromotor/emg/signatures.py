"""Individual muscle-activation signatures from LRP relevance (Aeles et al. 2021, Methods).

Per cycle, relevance (200, 8) is normalised: negative values become NaN and the rest is divided by the cycle's
largest relevance, so every cycle's maximum is 1. A participant's **mean cycle** is the nanmean over its cycles; a
(time, muscle) point belongs to its **activation signature** when the normalised relevance exceeds the threshold
(0.2) in *every* cycle (NaN counts as not above). Signature vectors for correlations are the mean cycle with NaN set
to 0, flattened muscle-major (index c·200 + t) as in the original analyses.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.signal import argrelextrema

from neuromotor.emg.robustness import pearson

RELEVANCE_THRESHOLD = 0.2
ACTIVATION_THRESHOLD = 0.5


def normalise_cycles(relevance: np.ndarray) -> np.ndarray:
    """(n, 200, 8) relevance → normalised relevance in [0, 1] or NaN (negative values, or a cycle with no positive
    relevance at all)."""
    relevance = np.asarray(relevance, dtype=np.float64)
    out = np.where(relevance < 0, np.nan, relevance)
    peak = np.nanmax(np.where(np.isnan(out), -np.inf, out), axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(peak > 0, out / np.where(peak > 0, peak, 1.0), np.nan)
    return out


def mean_cycle(normalised: np.ndarray) -> np.ndarray:
    """(n, 200, 8) → (200, 8) nanmean over cycles (NaN where every cycle is NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(normalised, axis=0)


def activation_signature(normalised: np.ndarray, threshold: float = RELEVANCE_THRESHOLD) -> np.ndarray:
    """(n, 200, 8) → (200, 8) bool: relevant (> ``threshold``) in every cycle."""
    with np.errstate(invalid="ignore"):
        return np.all(np.nan_to_num(normalised, nan=-np.inf) > threshold, axis=0)


def signature_vector(mean: np.ndarray) -> np.ndarray:
    """(..., 200, 8) mean cycle(s) → (..., 1600) muscle-major vectors with NaN → 0."""
    mean = np.nan_to_num(np.asarray(mean, dtype=np.float64), nan=0.0)
    return np.swapaxes(mean, -1, -2).reshape(*mean.shape[:-2], -1)


def peak_counts(mean: np.ndarray, threshold: float = RELEVANCE_THRESHOLD) -> np.ndarray:
    """(200, 8) mean cycle → (8,) number of local maxima above ``threshold`` per muscle (strict neighbours; the
    original's exact peak rule is unknown)."""
    values = np.nan_to_num(mean, nan=0.0)
    counts = np.zeros(values.shape[1], dtype=int)
    for m in range(values.shape[1]):
        (peaks,) = argrelextrema(values[:, m], np.greater)
        counts[m] = int(np.sum(values[peaks, m] > threshold))
    return counts


def within_consistency(normalised: np.ndarray) -> tuple[float, float]:
    """Mean Pearson r and mean RMSE between every cycle and every other cycle of one participant (NaN → 0)."""
    vectors = signature_vector(normalised)
    n = len(vectors)
    if n < 2:
        return float("nan"), float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(vectors)
    off = ~np.eye(n, dtype=bool)
    squared = ((vectors[:, None, :] - vectors[None, :, :]) ** 2).mean(axis=2)
    return float(np.nanmean(r[off])), float(np.mean(np.sqrt(squared[off])))


def participant_signatures(
    relevance: np.ndarray,
    participant: np.ndarray,
    participants: np.ndarray,
    threshold: float = RELEVANCE_THRESHOLD,
) -> dict[str, np.ndarray]:
    """Signatures of several participants from the explained cycles of an experiment.

    Args:
        relevance: (n, 200, 8) ``R_pred_act_epsilon`` of every explained cycle.
        participant: (n,) participant number of each cycle.
        participants: (P,) participants to summarise (those without cycles get NaN / empty results).
    Returns:
        ``mean`` (P, 200, 8) mean normalised relevance, ``signature`` (P, 200, 8) bool, ``n_cycles`` (P,),
        ``peaks`` (P, 8), ``consistency_r`` and ``consistency_rmse`` (P,).
    """
    n_p = len(participants)
    out = {
        "mean": np.full((n_p,) + relevance.shape[1:], np.nan),
        "signature": np.zeros((n_p,) + relevance.shape[1:], dtype=bool),
        "n_cycles": np.zeros(n_p, dtype=np.int64),
        "peaks": np.zeros((n_p, relevance.shape[2]), dtype=np.int64),
        "consistency_r": np.full(n_p, np.nan),
        "consistency_rmse": np.full(n_p, np.nan),
    }
    for i, p in enumerate(participants):
        rows = np.flatnonzero(participant == p)
        if rows.size == 0:
            continue
        normalised = normalise_cycles(relevance[rows])
        out["mean"][i] = mean_cycle(normalised)
        out["signature"][i] = activation_signature(normalised, threshold)
        out["n_cycles"][i] = rows.size
        out["peaks"][i] = peak_counts(out["mean"][i], threshold)
        out["consistency_r"][i], out["consistency_rmse"][i] = within_consistency(normalised)
    return out


def recovery(signature: np.ndarray, planted: np.ndarray) -> dict[str, float]:
    """How well one extracted signature (200, 8) finds a planted region (200, 8) (synthetic data).

    ``recall`` = planted points found; ``precision`` = signature points inside the planted region; ``chance`` = the
    precision a signature of the same size placed at random would have (planted share of all points);
    ``enrichment`` = precision / chance.
    """
    signature, planted = np.asarray(signature, bool), np.asarray(planted, bool)
    hits = float(np.sum(signature & planted))
    chance = planted.mean()
    precision = hits / signature.sum() if signature.any() else float("nan")
    return {
        "recall": hits / planted.sum() if planted.any() else float("nan"),
        "precision": precision,
        "chance": float(chance),
        "enrichment": precision / chance if chance > 0 else float("nan"),
    }


# ---------------------------------------------------------------------------------------------------------------
# EMG versus relevance (Aeles et al. 2021, Methods) and the paper's example participants (Aeles et al. 2021)

HIGH_RELEVANCE = 0.8
"""Normalised relevance above which the EMG amplitude of a point is averaged (Aeles et al. 2021, Methods)."""

PAPER_PARTICIPANTS = (2, 3, 7)
"""The participants of the paper's Figs. 2 and 4 (1-based file columns)."""


def emg_relevance_statistics(
    emg: np.ndarray, normalised: np.ndarray, participant: np.ndarray, high: float = HIGH_RELEVANCE
) -> list[dict]:
    """EMG amplitude against normalised relevance, overall (``muscle`` "all") and per muscle.

    Args:
        emg: (n, T, M) EMG envelopes of the explained cycles (≈ [0, 1]).
        normalised: (n, T, M) their normalised relevance (:func:`normalise_cycles`; NaN = negative relevance).
        participant: (n,) participant of each cycle.
        high: relevance level of the last statistic.
    Returns:
        rows with ``statistic``, ``muscle`` (index or "all"), ``value`` and ``n``:
        ``r_all_cycles`` — Pearson r over every (cycle, time[, muscle]) point, NaN relevance as 0 (n = points);
        ``r_participant_means`` — Pearson r between the participants' mean EMG and mean normalised relevance
        (nanmean over cycles, then NaN as 0; n = participants × points);
        ``mean_emg_pct_above`` — mean EMG (%) of the points whose normalised relevance exceeds ``high``
        (NaN when none; n = such points).
    """
    emg = np.asarray(emg, dtype=np.float64)
    normalised = np.asarray(normalised, dtype=np.float64)
    participant = np.asarray(participant)
    if emg.shape != normalised.shape or emg.ndim != 3 or participant.shape != emg.shape[:1]:
        raise ValueError(f"emg_relevance_statistics: emg {emg.shape}, normalised {normalised.shape} and participant "
                         f"{participant.shape} must be (n, T, M), (n, T, M) and (n,)")
    relevance = np.nan_to_num(normalised, nan=0.0)
    people = np.unique(participant)
    mean_emg = np.stack([emg[participant == p].mean(axis=0) for p in people])
    mean_relevance = np.nan_to_num(np.stack([mean_cycle(normalised[participant == p]) for p in people]), nan=0.0)
    with np.errstate(invalid="ignore"):
        above = np.nan_to_num(normalised, nan=-np.inf) > high
    rows = []
    for muscle in ["all", *range(emg.shape[2])]:
        part = slice(None) if muscle == "all" else muscle
        e, r, a = emg[..., part], relevance[..., part], above[..., part]
        rows += [
            {"statistic": "r_all_cycles", "muscle": muscle, "value": pearson(e, r), "n": int(e.size)},
            {"statistic": "r_participant_means", "muscle": muscle,
             "value": pearson(mean_emg[..., part], mean_relevance[..., part]), "n": int(mean_emg[..., part].size)},
            {"statistic": "mean_emg_pct_above", "muscle": muscle,
             "value": 100 * float(e[a].mean()) if a.any() else float("nan"), "n": int(a.sum())},
        ]  # fmt: skip
    return rows


def task_muscle_correlations(mean_a: np.ndarray, mean_b: np.ndarray) -> list[dict]:
    """Per muscle, the participants' mean and peak relevance in one task correlated with the other's (Aeles et al. 2021,
    Methods).

    Args:
        mean_a, mean_b: (P, T, M) mean normalised relevance of the same P participants in two tasks (NaN as 0).
    Returns:
        rows with ``statistic`` (``r_mean_relevance``: mean over the cycle; ``r_peak_relevance``: maximum over the
        cycle), ``muscle`` (index), ``value`` (Pearson r across participants; NaN when fewer than 3) and ``n``.
    """
    a = np.nan_to_num(np.asarray(mean_a, dtype=np.float64), nan=0.0)
    b = np.nan_to_num(np.asarray(mean_b, dtype=np.float64), nan=0.0)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"task_muscle_correlations: mean_a {a.shape} and mean_b {b.shape} must both be (P, T, M)")
    rows = []
    for statistic, reduce in (("r_mean_relevance", np.mean), ("r_peak_relevance", np.max)):
        for muscle in range(a.shape[2]):
            x, y = reduce(a[:, :, muscle], axis=1), reduce(b[:, :, muscle], axis=1)
            value = pearson(x, y) if len(x) >= 3 else float("nan")
            rows.append({"statistic": statistic, "muscle": muscle, "value": value, "n": int(len(x))})
    return rows


def nearest_participants(wanted: np.ndarray | tuple, present: np.ndarray) -> list[int]:
    """For each wanted participant number, itself when present, else the nearest present one not chosen yet (ties:
    the lower number; repeats only when fewer participants are present than wanted)."""
    present = sorted(int(p) for p in np.asarray(present).ravel())
    if not present:
        raise ValueError("nearest_participants: no participant present")
    chosen: list[int] = []
    for w in wanted:
        free = [p for p in present if p not in chosen] or present
        chosen.append(min(free, key=lambda p: (abs(p - int(w)), p)))
    return chosen


def participants_note(wanted: tuple, shown: list[int]) -> str:
    """One sentence naming the paper's participants and the ones shown instead where they are absent."""
    swaps = [f"{w} → {s}" for w, s in zip(wanted, shown) if int(w) != int(s)]
    listed = ", ".join(str(s) for s in shown)
    if not swaps:
        return f"Participants {listed}, as in the paper."
    return (f"Participants {listed}: the paper shows {', '.join(map(str, wanted))}; absent here, so the nearest "
            f"participant numbers present are shown instead ({'; '.join(swaps)}).")
