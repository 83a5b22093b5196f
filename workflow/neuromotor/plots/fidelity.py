"""The vs_paper figure: published values against this run's, one panel per unit, and the verdict counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuromotor.plots import new_figure, save_figure

VERDICT_COLOURS = {
    "agrees": "#2a9d3f",
    "differs": "#d62728",
    "not comparable at this scale": "#9e9e9e",
    "missing from this run": "#f0a030",
    "not checked (unverified)": "#7b68c8",
    "not checked (unknown)": "#c8b4e8",
}


def plot_vs_paper(
    points: Sequence[Mapping], counts: Mapping[str, int], title: str, out_png: str | Path
) -> None:
    """``points``: numeric rows with ``unit``, ``lo``, ``hi`` (the published value or range), ``run`` (this run's
    value) and ``verdict``; ``counts``: verdict -> number of vs_paper rows (orderings included). Each unit gets a
    panel of this run (y) against the published value (x, a bar for a range) with the identity line; the last panel
    counts the verdicts."""
    for point in points:
        missing = [key for key in ("unit", "lo", "hi", "run", "verdict") if key not in point]
        if missing:
            raise ValueError(f"plot_vs_paper: a point lacks {missing}")
    units = list(dict.fromkeys(point["unit"] for point in points))
    n = len(units) + 1
    columns = min(n, 3)
    rows = int(np.ceil(n / columns))
    fig = new_figure(4.2 * columns, 3.6 * rows)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, unit in zip(axes, units):
        members = [p for p in points if p["unit"] == unit]
        for verdict in dict.fromkeys(p["verdict"] for p in members):
            group = [p for p in members if p["verdict"] == verdict]
            lo = np.array([p["lo"] for p in group], dtype=float)
            hi = np.array([p["hi"] for p in group], dtype=float)
            mid = np.where(np.isfinite(lo) & np.isfinite(hi), (lo + hi) / 2, np.where(np.isfinite(lo), lo, hi))
            run = np.array([p["run"] for p in group], dtype=float)
            half = np.where(np.isfinite(lo) & np.isfinite(hi), (hi - lo) / 2, 0.0)
            ax.errorbar(mid, run, xerr=half, fmt="o", ms=4, lw=1, color=VERDICT_COLOURS.get(verdict, "k"),
                        label=f"{verdict} ({len(group)})")  # fmt: skip
        values = [v for p in members for v in (p["lo"], p["hi"], p["run"]) if np.isfinite(v)]
        if values:
            low, high = min(values), max(values)
            pad = 0.05 * (high - low or abs(high) or 1.0)
            ax.plot([low - pad, high + pad], [low - pad, high + pad], color="k", lw=0.6, ls="--")
        ax.set_xlabel(f"published ({unit})")
        ax.set_ylabel(f"this run ({unit})")
        ax.legend(fontsize=6, loc="best")
    ax = axes[len(units)]
    names = [name for name, count in counts.items() if count]
    ax.barh(names, [counts[name] for name in names], color=[VERDICT_COLOURS.get(name, "k") for name in names])
    ax.invert_yaxis()
    ax.set_xlabel("rows of vs_paper.tsv")
    ax.set_title("verdicts", fontsize=9)
    for extra in axes[len(units) + 1:]:
        extra.set_visible(False)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, out_png)
