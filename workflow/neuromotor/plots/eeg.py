"""Figures of the EEG interpretation study (Cui et al. 2023, Figures): the per-sample explanation (stacked
traces coloured by relevance + topomap of channel relevance + the test results), the average topomap per method,
the ranking of methods and the leave-one-subject-out accuracies; and, from the sibling ``VisTechnique.py``, one
sample's class-activation map traced to the input and its relative band-power topomaps.

Topomaps use mne's current API (``vlim``, ``names``; the montage set on the Info, docs/decisions.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib import colors
from matplotlib.collections import LineCollection
from matplotlib.gridspec import GridSpec

from neuromotor.plots import check_keys, check_shape, new_figure, save_figure

SFREQ = 128.0


def _topomap(ax, values: np.ndarray, info, vlim: tuple[float, float], names: Sequence[str] | None = None):
    import mne

    image, _ = mne.viz.plot_topomap(
        values, info, vlim=vlim, names=names, outlines="head", cmap="viridis", axes=ax, show=False, contours=0
    )
    return image


def _coloured_traces(ax, data: np.ndarray, colour: np.ndarray, names: Sequence[str]) -> LineCollection:
    """The C channels of ``data`` (C, T) stacked top to bottom (offset = 98th percentile of the values), each segment
    coloured by ``colour`` (C, T) on viridis over [−1, 1]; x-ticks at whole seconds. Returns the last line set (for
    a colour bar)."""
    n_channels, n_times = data.shape
    offset = float(np.percentile(data, 98)) or 1.0
    norm = colors.Normalize(-1, 1)
    time = np.arange(1, n_times + 1)
    for row in range(n_channels):
        y = data[row] - row * offset
        points = np.column_stack([time, y])
        segments = np.stack([points[:-1], points[1:]], axis=1)
        lines = LineCollection(segments, cmap="viridis", norm=norm, linewidth=2)
        lines.set_array(colour[row, :-1])
        ax.add_collection(lines)
    ax.set_xlim(1, n_times)
    ax.set_ylim(-(n_channels - 0.5) * offset, 1.5 * offset)
    ticks = [1] + [int(k * SFREQ) for k in range(1, int(n_times / SFREQ) + 1)]
    ax.set_xticks(ticks, [f"{k}" for k in range(len(ticks))])
    ax.set_xlabel("time (s)")
    ax.set_yticks(-np.arange(n_channels) * offset, names)
    ax.tick_params(axis="y", labelsize=7)
    return lines


def plot_sample(
    out_png: str | Path,
    data: np.ndarray,
    smoothed: np.ndarray,
    channel_relevance: np.ndarray,
    info,
    title: str,
    text: str,
) -> None:
    """One sample's explanation, 15 × 9 in, GridSpec 4 × 2.

    Args:
        data: (C, T) the sample, µV. smoothed: (C, T) processed map S (coloured on viridis over [−1, 1]).
        channel_relevance: (C,) ĉ, drawn as topomap over [−1, 1]. info: :class:`mne.Info` with a montage, C channels.
        title: suptitle (subject, true label, probabilities). text: the bottom panel (settings and test results).
    """
    where = "plot_sample"
    dims: dict = {}
    data = check_shape(where, "data", data, ("C", "T"), dims)
    smoothed = check_shape(where, "smoothed", smoothed, ("C", "T"), dims)
    channel_relevance = check_shape(where, "channel_relevance", channel_relevance, ("C",), dims)
    fig = new_figure(15, 9)
    grid = GridSpec(4, 2, figure=fig, width_ratios=(2.2, 1))
    traces = fig.add_subplot(grid[0:3, 0])
    lines = _coloured_traces(traces, data, smoothed, info["ch_names"])
    traces.set_title("channels coloured by processed relevance S")
    fig.colorbar(lines, ax=traces, fraction=0.03, label="S")
    topo = fig.add_subplot(grid[0:3, 1])
    image = _topomap(topo, channel_relevance, info, (-1, 1), names=info["ch_names"])
    topo.set_title("channel relevance ĉ")
    fig.colorbar(image, ax=topo, fraction=0.04, label="ĉ")
    panel = fig.add_subplot(grid[3, :])
    panel.axis("off")
    panel.text(0.0, 1.0, text, va="top", ha="left", family="monospace", fontsize=9, transform=panel.transAxes)
    fig.suptitle(title)
    save_figure(fig, out_png)


def plot_topomaps(
    out_png: str | Path, relevance: np.ndarray, info, row_labels: Sequence[str], column_labels: Sequence[str]
) -> None:
    """Average channel relevance as a grid of topomaps.

    Args:
        relevance: (R, M, C) mean channel z-score per row (e.g. model × explained class) and method; NaN rows are left blank.
        row_labels: R labels; column_labels: M labels (methods). One colour scale, symmetric around 0.
    """
    where = "plot_topomaps"
    dims: dict = {}
    relevance = check_shape(where, "relevance", relevance, ("R", "M", len(info["ch_names"])), dims)
    if len(row_labels) != relevance.shape[0] or len(column_labels) != relevance.shape[1]:
        raise ValueError(f"{where}: need {relevance.shape[0]} row and {relevance.shape[1]} column labels")
    n_rows, n_cols = relevance.shape[:2]
    finite = relevance[np.isfinite(relevance)]
    limit = float(np.abs(finite).max()) if finite.size else 1.0
    fig = new_figure(1.9 * n_cols + 1.0, 2.0 * n_rows + 0.6)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    image = None
    for r in range(n_rows):
        for m in range(n_cols):
            ax = axes[r, m]
            if np.all(np.isfinite(relevance[r, m])):
                image = _topomap(ax, relevance[r, m], info, (-limit, limit))
            else:
                ax.axis("off")
            if r == 0:
                ax.set_title(column_labels[m], fontsize=9)
            if m == 0:
                ax.text(
                    -0.15, 0.5, row_labels[r], transform=ax.transAxes, rotation=90, va="center", ha="right", fontsize=8
                )
    if image is not None:
        fig.colorbar(image, ax=axes, fraction=0.02, label="mean channel z-score")
    fig.suptitle("average channel relevance per method (rows: model, explained class)")
    save_figure(fig, out_png)


def plot_ranking(out_png: str | Path, ranking: Sequence[Mapping], labels: Mapping[str, str]) -> None:
    """Per model, methods in rank order: mean patch correlation over subjects (± sd over subjects) and mean channel
    correlation. ``ranking``: rows of ``results/eeg/ranking.tsv``."""
    for row in ranking:
        check_keys(
            "plot_ranking",
            "ranking row",
            row,
            ("model", "rank", "method", "patch_r_mean", "patch_r_sd_over_subjects", "channel_r_mean"),
        )
    models = sorted({row["model"] for row in ranking})
    fig = new_figure(5.5 * max(1, len(models)), 4.2)
    axes = fig.subplots(1, max(1, len(models)), squeeze=False)[0]
    for ax, model in zip(axes, models):
        rows = sorted((r for r in ranking if r["model"] == model), key=lambda r: r["rank"])
        y = np.arange(len(rows))
        ax.barh(
            y,
            [r["patch_r_mean"] for r in rows],
            xerr=np.nan_to_num([r["patch_r_sd_over_subjects"] for r in rows]),
            color="tab:blue",
            alpha=0.8,
            label="patch r (mean of 5 lengths)",
        )
        ax.plot([r["channel_r_mean"] for r in rows], y, "o", color="tab:orange", label="channel r")
        ax.set_yticks(y, [labels.get(r["method"], r["method"]) for r in rows])
        ax.invert_yaxis()
        ax.axvline(0, color="0.5", linewidth=0.8)
        ax.set_xlabel("Pearson r: relevance vs. logit drop")
        ax.set_title(model)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("perturbation test: methods ranked by mean rank over held-out subjects")
    save_figure(fig, out_png)


def plot_accuracy(out_png: str | Path, accuracy: Sequence[Mapping]) -> None:
    """Held-out accuracy per subject and model under both protocols (``honest``: final epoch; ``best_test_epoch``:
    chosen on the test subject, optimistic). ``accuracy``: rows of ``results/eeg/accuracy.tsv``."""
    for row in accuracy:
        check_keys("plot_accuracy", "accuracy row", row, ("model", "subject", "protocol", "accuracy"))
    models = sorted({row["model"] for row in accuracy})
    fig = new_figure(5.0 * max(1, len(models)), 3.6)
    axes = fig.subplots(1, max(1, len(models)), squeeze=False)[0]
    for ax, model in zip(axes, models):
        rows = [r for r in accuracy if r["model"] == model and r["subject"] != "mean"]
        subjects = sorted({r["subject"] for r in rows})
        x = np.arange(len(subjects))
        for shift, protocol, color in ((-0.2, "honest", "tab:blue"), (0.2, "best_test_epoch", "tab:gray")):
            values = [
                next(r["accuracy"] for r in rows if r["subject"] == s and r["protocol"] == protocol) for s in subjects
            ]
            mean = next(
                r["accuracy"]
                for r in accuracy
                if r["model"] == model and r["subject"] == "mean" and r["protocol"] == protocol
            )
            ax.bar(x + shift, values, width=0.4, color=color, label=f"{protocol} (mean {mean:.3f})")
        ax.axhline(0.5, color="0.5", linestyle=":", linewidth=0.8)
        ax.set_xticks(x, [str(s) for s in subjects])
        ax.set_xlabel("held-out subject")
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1)
        ax.set_title(model)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("leave-one-subject-out accuracy")
    save_figure(fig, out_png)


def _check_finite(where: str, name: str, values: np.ndarray) -> None:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{where}: {name} must be finite, found {int(np.sum(~np.isfinite(values)))} NaN or inf values")


def plot_cam(out_png: str | Path, data: np.ndarray, heatmap: np.ndarray, info, title: str) -> None:
    """One sample's class-activation map traced to the input (InterpretableCNN paper; ``VisTechnique.py``), 15 × 6 in:
    left, the channels stacked and coloured by the map (viridis over [−1, 1]); right, the topomap of its time-mean per
    channel over [−1, 1].

    Args:
        data: (C, T) the sample, µV. heatmap: (C, T) CAM map (zero mean, scaled by its root mean square).
        info: :class:`mne.Info` with a montage, C channels. title: suptitle (subject, sample, label, probabilities).
    """
    where = "plot_cam"
    dims: dict = {}
    data = check_shape(where, "data", data, (len(info["ch_names"]), "T"), dims)
    heatmap = check_shape(where, "heatmap", heatmap, (len(info["ch_names"]), "T"), dims)
    _check_finite(where, "data", data)
    _check_finite(where, "heatmap", heatmap)
    fig = new_figure(15, 6)
    grid = GridSpec(1, 2, figure=fig, width_ratios=(2.2, 1))
    traces = fig.add_subplot(grid[0, 0])
    lines = _coloured_traces(traces, data, heatmap, info["ch_names"])
    traces.set_title("channels coloured by the CAM map traced to the input")
    fig.colorbar(lines, ax=traces, fraction=0.03, label="CAM map")
    topo = fig.add_subplot(grid[0, 1])
    image = _topomap(topo, heatmap.mean(axis=1), info, (-1, 1), names=info["ch_names"])
    topo.set_title("time-mean of the CAM map")
    fig.colorbar(image, ax=topo, fraction=0.04, label="mean CAM map")
    fig.suptitle(title)
    save_figure(fig, out_png)


def plot_band_power(out_png: str | Path, power: np.ndarray, info, band_labels: Sequence[str], title: str) -> None:
    """Relative band power of one sample as one topomap per band (``VisTechnique.py``), one colour scale for all:
    from 0 to the 95th percentile of all values.

    Args:
        power: (B, C) fraction of each channel's total power in band b, in [0, 1]. info: :class:`mne.Info` with a
            montage, C channels. band_labels: B labels (e.g. "alpha 8–12 Hz"). title: suptitle.
    """
    where = "plot_band_power"
    power = check_shape(where, "power", power, ("B", len(info["ch_names"])), {})
    _check_finite(where, "power", power)
    if len(band_labels) != power.shape[0]:
        raise ValueError(f"{where}: need {power.shape[0]} band labels, got {len(band_labels)}")
    if power.min() < 0 or power.max() > 1 + 1e-9:
        raise ValueError(f"{where}: power must be fractions in [0, 1], got [{power.min():.3g}, {power.max():.3g}]")
    top = float(np.percentile(power, 95)) or 1.0
    fig = new_figure(3.0 * power.shape[0] + 1.0, 3.6)
    axes = fig.subplots(1, power.shape[0], squeeze=False)[0]
    for ax, values, label in zip(axes, power, band_labels):
        image = _topomap(ax, values, info, (0.0, top), names=info["ch_names"])
        ax.set_title(label)
    fig.colorbar(image, ax=list(axes), fraction=0.02, label="relative band power")
    fig.suptitle(title)
    save_figure(fig, out_png)
