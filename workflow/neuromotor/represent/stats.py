"""Statistics of the representational analyses (Sandbrink et al. 2023, Figures 5 and 6A-D; original ``comparisons.py``,
``prefdir_controls.py``).

- :func:`score_quantile`: the 90 % quantile of a layer's test scores, after dropping scores exactly 1 (constant
  units) and NaN;
- :func:`paired_comparison`: trained vs untrained, ``scipy.stats.ttest_rel`` over the instance pairs of a per-layer
  quantity, Bonferroni over the layers compared, with a t-based interval of the mean difference.
"""

from __future__ import annotations

import math

import numpy as np


def midranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n along axis 0 with ties given their average rank (``scipy.stats.rankdata(method='average')``),
    for a 1-D or 2-D array (columns ranked independently); float64."""
    values = np.asarray(values)
    flat = values.ndim == 1
    values = values[:, None] if flat else values
    n = len(values)
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    positions = np.arange(n)[:, None]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    ends = np.ones(ordered.shape, dtype=bool)
    ends[:-1] = starts[1:]
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends, positions, n)[::-1], axis=0)[::-1]
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=0)
    return ranks[:, 0] if flat else ranks


def scored(values: np.ndarray) -> np.ndarray:
    """Scores that enter the statistics: finite and not exactly 1 (constant units)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    return values[np.isfinite(values) & (values != 1.0)]


def score_quantile(values: np.ndarray, q: float = 0.9) -> float:
    """``np.quantile`` (linear interpolation) of :func:`scored` values; NaN when none."""
    kept = scored(values)
    return float(np.quantile(kept, q)) if len(kept) else float("nan")


def violin_scores(values: np.ndarray, floor: float = -0.1) -> np.ndarray:
    """Scores drawn in the violins: :func:`scored` values at or above ``floor``."""
    kept = scored(values)
    return kept[kept >= floor]


def paired_comparison(trained: np.ndarray, untrained: np.ndarray, n_tests: int, level: float = 0.975) -> dict:
    """Paired t-test of ``trained`` vs ``untrained`` (same instances, same order; pairs with a NaN are dropped).

    Returns ``n`` pairs, ``mean_difference`` (trained − untrained), ``t``, two-sided ``p``, ``p_bonferroni`` =
    min(1, p · n_tests), and the interval ``mean ± t_{level, n−1} · s/√n`` (``ci_low``, ``ci_high``; the level is
    the quantile of the t distribution used, 0.975 by default: a two-sided 95 % interval). NaN where n < 2.
    """
    from scipy.stats import t as student_t
    from scipy.stats import ttest_rel

    a, b = np.asarray(trained, dtype=np.float64), np.asarray(untrained, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    out = {"n": n, "mean_difference": float(np.mean(a - b)) if n else math.nan, "t": math.nan, "p": math.nan,
           "p_bonferroni": math.nan, "ci_low": math.nan, "ci_high": math.nan}  # fmt: skip
    if n < 2:
        return out
    difference = a - b
    spread = float(np.std(difference, ddof=1))
    if spread > 0:
        result = ttest_rel(a, b)
        out["t"], out["p"] = float(result.statistic), float(result.pvalue)
        out["p_bonferroni"] = min(1.0, out["p"] * n_tests)
    half = student_t.ppf(level, n - 1) * spread / math.sqrt(n)
    out["ci_low"], out["ci_high"] = out["mean_difference"] - half, out["mean_difference"] + half
    return out
