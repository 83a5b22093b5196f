"""Statistics of the KD study (Zeng et al. 2022, Table): the paired, two-sided, exact Wilcoxon signed-rank test and the
mean ± std summaries over subjects.

The exact null distribution of the signed-rank sum is enumerated for the observed ranks (all 2^n sign patterns,
by dynamic programming over doubled ranks, so tied absolute differences keep their average ranks and the test
stays exact). Zero differences are dropped first (Wilcoxon's convention, scipy's default ``zero_method``). Without
ties this is ``scipy.stats.wilcoxon(x, y, method="exact")``: with n = 8 pairs the attainable p-values are k/256
for even k, e.g. 2/256 = 0.0078125 when all eight differences have the same sign.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

ZERO_TOLERANCE = 1e-9
"""Differences at most this large (in the units of the data: accuracy %) count as zero: per-subject means of
equal fold accuracies can differ in the last bits of a float."""


class WilcoxonResult(NamedTuple):
    """``statistic`` = min(W+, W-) (scipy's two-sided convention), ``p_value`` (NaN without a non-zero
    difference), ``n`` = the number of non-zero differences, ``w_plus`` = the rank sum of the positive ones."""

    statistic: float
    p_value: float
    n: int
    w_plus: float


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (ascending), ties sharing their average rank; float64."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    return ranks


def signed_rank_null(doubled_ranks: Sequence[int]) -> np.ndarray:
    """Number of sign patterns giving each doubled positive-rank sum 0 .. sum(doubled_ranks), (sum + 1,) int;
    every one of the 2^n patterns is equally likely under H0."""
    counts = np.zeros(int(sum(doubled_ranks)) + 1, dtype=object)  # exact integers for any n
    counts[0] = 1
    reached = 0
    for rank in doubled_ranks:
        rank = int(rank)
        counts[rank : reached + rank + 1] = counts[rank : reached + rank + 1] + counts[: reached + 1].copy()
        reached += rank
    return counts


def wilcoxon_exact(x: Sequence[float], y: Sequence[float]) -> WilcoxonResult:
    """Paired two-sided exact Wilcoxon signed-rank test of ``x - y`` (e.g. per-subject accuracy with KD minus
    without)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length, got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    d = x - y
    d = d[np.abs(d) > ZERO_TOLERANCE]
    n = len(d)
    if n == 0:
        return WilcoxonResult(math.nan, math.nan, 0, math.nan)
    ranks = average_ranks(np.abs(d))
    doubled = np.rint(2 * ranks).astype(int)
    w_plus_doubled = int(doubled[d > 0].sum())
    counts = signed_rank_null(doubled)
    total = 2**n
    lower = sum(counts[: w_plus_doubled + 1])
    upper = sum(counts[w_plus_doubled:])
    p_value = min(1.0, 2 * min(lower, upper) / total)
    w_plus = w_plus_doubled / 2
    w_minus = n * (n + 1) / 2 - w_plus
    return WilcoxonResult(float(min(w_plus, w_minus)), float(p_value), n, float(w_plus))


def stars(p_value: float) -> str:
    """The paper's marks: ``**`` for p < 0.01, ``*`` for 0.01 <= p < 0.05, else ``ns`` (NaN: ``n/a``)."""
    if math.isnan(p_value):
        return "n/a"
    return "**" if p_value < 0.01 else "*" if p_value < 0.05 else "ns"


def h0_flag(p_value: float, level: float = 0.05) -> int:
    """The original's flag: 0 when H0 is rejected (p < level), 1 otherwise (also when p is NaN)."""
    return 0 if p_value < level else 1


def mean_std(values: Sequence[float]) -> dict:
    """Mean and standard deviation (ddof 0 and ddof 1; NaN where undefined) of per-subject accuracies."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return {"mean": math.nan, "std_ddof0": math.nan, "std_ddof1": math.nan}
    return {
        "mean": float(values.mean()),
        "std_ddof0": float(values.std(ddof=0)),
        "std_ddof1": float(values.std(ddof=1)) if values.size > 1 else math.nan,
    }


def format_mean_std(summary: dict, ddof: int = 0) -> str:
    """``"79.59 ± 6.08"`` (two decimals, as the paper's table)."""
    return f"{summary['mean']:.2f} ± {summary[f'std_ddof{ddof}']:.2f}"
