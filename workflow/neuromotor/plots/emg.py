"""Report figures of the EMG signature study (spec emg_signatures.md §9).

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_accuracy` — mean ± std test accuracy (%) per model, coloured by model family, one panel per experiment;
- :func:`plot_signatures` — per participant, the mean normalised relevance as a time × muscle heatmap with the
  extracted signature outlined (and the planted regions, for synthetic data);
- :func:`plot_robustness` — r vs number of training participants with its 95 % CI, the next-participant control and
  the within-configuration consistency;
- :func:`plot_cross_condition` — pooled r (95 % CI) of participant signatures between conditions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.patches import Patch

from neuromotor.plots import check_keys, check_shape, new_figure, save_figure

FAMILY_COLOURS = {"svm": "#1f77b4", "linear": "#7f7f7f", "mlp": "#2ca02c", "cnn": "#d62728"}
FAMILY_TITLES = {"svm": "linear SVM", "linear": "linear (MlpLinear)", "mlp": "MLP", "cnn": "1-D CNN"}
COMPARISON_STYLES = {
    "baseline": ("vs. own full-data signature", "#1f77b4"),
    "control": ("control: vs. next participant", "0.45"),
    "within": ("within configuration (repetitions)", "#ff7f0e"),
}


def plot_accuracy(summary: Sequence[Mapping], families: Sequence[str], out_png: str | Path) -> None:
    """Test accuracy per model, grouped and coloured by family.

    Parameters
    ----------
    summary : rows with ``experiment``, ``model``, ``family``, ``accuracy_mean_pct``, ``accuracy_std_pct`` (%).
    families : the family order (models are sorted by family, then by name).
    """
    where = "plot_accuracy"
    if not summary:
        raise ValueError(f"{where}: summary holds no rows")
    for row in summary:
        check_keys(where, "summary row", row, ("experiment", "model", "family", "accuracy_mean_pct",
                                               "accuracy_std_pct"))
    experiments = list(dict.fromkeys(row["experiment"] for row in summary))
    order = {family: i for i, family in enumerate(families)}
    n_models = max(sum(row["experiment"] == e for row in summary) for e in experiments)
    fig = new_figure(max(5.0, 0.45 * n_models + 2.5), 2.6 * len(experiments) + 0.6)
    axes = fig.subplots(len(experiments), 1, squeeze=False)[:, 0]
    for ax, experiment in zip(axes, experiments):
        rows = sorted((row for row in summary if row["experiment"] == experiment),
                      key=lambda row: (order.get(row["family"], len(order)), row["model"]))
        x = np.arange(len(rows))
        colours = [FAMILY_COLOURS.get(row["family"], "k") for row in rows]
        ax.bar(x, [row["accuracy_mean_pct"] for row in rows], yerr=[row["accuracy_std_pct"] for row in rows],
               color=colours, capsize=2)
        ax.set_xticks(x, [row["model"] for row in rows], rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 105)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(experiment, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    present = [f for f in families if any(row["family"] == f for row in summary)]
    handles = [Patch(color=FAMILY_COLOURS[f], label=FAMILY_TITLES.get(f, f)) for f in present]
    fig.legend(handles=handles, fontsize=7, loc="outside upper center", ncols=len(present))
    save_figure(fig, out_png)


def plot_signatures(
    participants: Sequence[int],
    mean: np.ndarray,
    signature: np.ndarray,
    planted: np.ndarray | None,
    muscles: Sequence[str],
    title: str,
    out_png: str | Path,
    columns: int = 6,
) -> None:
    """One time × muscle heatmap per participant.

    Parameters
    ----------
    participants : (P,) participant numbers.
    mean : (P, T, M) mean normalised relevance in [0, 1] (NaN: no positive relevance there), T time points.
    signature : (P, T, M) bool, the extracted signature (outlined in white).
    planted : (P, T, M) bool or None, the planted signature regions of synthetic data (outlined dashed in cyan).
    muscles : M channel names.
    """
    where = "plot_signatures"
    dims: dict = {}
    participants = check_shape(where, "participants", participants, ("P",), dims)
    mean = check_shape(where, "mean", mean, ("P", "T", len(muscles)), dims)
    signature = check_shape(where, "signature", signature, ("P", "T", len(muscles)), dims).astype(bool)
    if planted is not None:
        planted = check_shape(where, "planted", planted, ("P", "T", len(muscles)), dims).astype(bool)
    n = len(participants)
    columns = max(1, min(columns, n))
    rows = math.ceil(n / columns)
    fig = new_figure(2.3 * columns + 0.8, 1.35 * rows + 0.7)
    axes = fig.subplots(rows, columns, squeeze=False)
    image = None
    n_time = mean.shape[1]
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.set_axis_off()
            continue
        image = ax.imshow(np.nan_to_num(mean[i].T, nan=0.0), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                          interpolation="nearest", extent=(0, n_time, len(muscles) - 0.5, -0.5))
        _outline(ax, signature[i], n_time, colour="w", style="-")
        if planted is not None:
            _outline(ax, planted[i], n_time, colour="c", style="--")
        ax.set_title(f"P{int(participants[i]):02d}: {int(signature[i].sum())} points", fontsize=7)
        ax.set_yticks(range(len(muscles)), muscles if i % columns == 0 else [], fontsize=5)
        ax.tick_params(axis="x", labelsize=5)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.6, label="normalised relevance")
    legend = "signature (relevance > threshold in every cycle): white"
    if planted is not None:
        legend += "; planted regions: cyan dashed"
    fig.suptitle(f"{title}\n{legend}; x: cycle time (points)", fontsize=8)
    save_figure(fig, out_png)


def _outline(ax, mask: np.ndarray, n_time: int, colour: str, style: str) -> None:
    """Contour of a (T, M) mask on a heatmap drawn with muscles as rows."""
    if mask.any():
        t = np.arange(n_time) + 0.5
        ax.contour(t, np.arange(mask.shape[1]), mask.T.astype(float), levels=[0.5], colors=colour,
                   linewidths=0.7, linestyles=style)


def plot_robustness(rows: Sequence[Mapping], task: str, out_png: str | Path) -> None:
    """r vs number of training participants N (spec Fig. 3).

    Parameters
    ----------
    rows : table rows with ``size``, ``comparison`` (baseline, control, within), ``in_curve``, ``r``, ``ci_low``,
        ``ci_high``; only rows with ``in_curve`` are drawn (N = 2 and N = all participants are not on the curve).
    """
    where = "plot_robustness"
    for row in rows:
        check_keys(where, "row", row, ("size", "comparison", "in_curve", "r", "ci_low", "ci_high"))
    fig = new_figure(5.0, 3.4)
    ax = fig.subplots()
    drawn = 0
    for comparison, (label, colour) in COMPARISON_STYLES.items():
        points = sorted((row for row in rows if row["comparison"] == comparison and row["in_curve"]),
                        key=lambda row: row["size"])
        if not points:
            continue
        n = np.array([row["size"] for row in points])
        r = np.array([row["r"] for row in points], dtype=float)
        ax.plot(n, r, "o-", color=colour, label=label, markersize=3)
        ax.fill_between(n, [row["ci_low"] for row in points], [row["ci_high"] for row in points], color=colour,
                        alpha=0.2, linewidth=0)
        drawn += 1
    ax.set_ylim(min([0.0, *(row["ci_low"] for row in rows if np.isfinite(row["ci_low"]))]), 1.0)
    ax.set_xlabel("participants in the training data (N)")
    ax.set_ylabel("signature correlation r (95 % CI)")
    ax.set_title(f"{task}: robustness to the number of participants", fontsize=9)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no size between 2 and all participants", ha="center", transform=ax.transAxes)
    save_figure(fig, out_png)


def plot_cross_condition(rows: Sequence[Mapping], out_png: str | Path) -> None:
    """Pooled r with 95 % CI per cross-condition comparison (rows with ``comparison``, ``r``, ``ci_low``,
    ``ci_high``, ``n``)."""
    where = "plot_cross_condition"
    for row in rows:
        check_keys(where, "row", row, ("comparison", "r", "ci_low", "ci_high", "n"))
    fig = new_figure(5.5, 0.5 * max(1, len(rows)) + 1.2)
    ax = fig.subplots()
    y = np.arange(len(rows))
    r = np.array([row["r"] for row in rows], dtype=float)
    low = r - np.array([row["ci_low"] for row in rows], dtype=float)
    high = np.array([row["ci_high"] for row in rows], dtype=float) - r
    ax.errorbar(r, y, xerr=[np.nan_to_num(low), np.nan_to_num(high)], fmt="o", capsize=3)
    ax.set_yticks(y, [f"{row['comparison']} (n={row['n']})" for row in rows], fontsize=7)
    ax.set_xlim(min(0.0, float(np.nanmin(r - low)) if len(rows) else 0.0), 1.0)
    ax.set_xlabel("participant signature correlation r (95 % CI)")
    ax.set_title("signatures across conditions", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    save_figure(fig, out_png)
