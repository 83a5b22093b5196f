"""Report figures of the EMG signature study (Aeles et al. 2021).

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_accuracy` — mean ± std test accuracy (%) per model, coloured by model family, one panel per experiment;
- :func:`plot_signatures` — per participant, the mean normalised relevance as a time × muscle heatmap with the
  extracted signature outlined (and the planted regions, for synthetic data);
- :func:`plot_robustness` — r vs number of training participants with its 95 % CI, the next-participant control and
  the within-configuration consistency;
- :func:`plot_cross_condition` — pooled r (95 % CI) of participant signatures between conditions;
- the paper's signature figures (Aeles et al. 2021): :func:`plot_relevance_cycle` (Fig. 1),
  :func:`plot_relevance_over_emg` (Fig. 2), :func:`plot_task_signatures` (Fig. 4), :func:`plot_all_signatures` (Figs.
  5/8), :func:`plot_group_wheel` (Fig. 6), :func:`plot_emg_relevance_scatter` (Fig. 7).
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


# ---------------------------------------------------------------------------------------------------------------
# The paper's figures of individual signatures (Aeles et al. 2021, Figs. 1, 2, 4, 5/8, 6, 7)

MUSCLE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")


def _coloured_line(ax, x: np.ndarray, y: np.ndarray, values: np.ndarray, cmap: str, vmin: float, vmax: float,
                   linewidth: float = 1.6):
    """A polyline whose segments are coloured by ``values`` (one per point; NaN segments drawn black)."""
    from matplotlib.collections import LineCollection

    points = np.column_stack([x, y])
    segments = np.stack([points[:-1], points[1:]], axis=1)
    segment_values = 0.5 * (values[:-1] + values[1:])
    from matplotlib import colormaps

    collection = LineCollection(segments, cmap=colormaps[cmap].with_extremes(bad="k"), linewidths=linewidth)
    collection.set_array(np.ma.masked_invalid(segment_values))
    collection.set_clim(vmin, vmax)
    ax.add_collection(collection)
    return collection


def _bars(ax, mask: np.ndarray, y: float, colour, height: float = 0.6) -> None:
    """Horizontal bars over the runs of True in a (T,) mask, centred at ``y``."""
    runs = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    for start, stop in zip(runs[::2], runs[1::2]):
        ax.broken_barh([(start, stop - start)], (y - height / 2, height), color=colour)


def plot_relevance_cycle(
    emg_cycle: np.ndarray,
    relevance_cycle: np.ndarray,
    normalised: np.ndarray,
    signature: np.ndarray,
    muscles: Sequence[str],
    threshold: float,
    title: str,
    out_png: str | Path,
) -> None:
    """Paper Fig. 1: from the relevance of one participant's cycles to its signature.

    Parameters
    ----------
    emg_cycle : (T, M) EMG envelope of one cycle (≈ [0, 1], drawn ×100 as %).
    relevance_cycle : (T, M) its raw relevance; the trace is coloured by relevance / max|relevance| in [−1, 1]
        (jet), points with negative relevance in black.
    normalised : (C, T, M) normalised relevance of all C cycles of the participant (NaN: negative relevance).
    signature : (T, M) bool, the participant's signature (normalised relevance > ``threshold`` in every cycle).
    """
    where = "plot_relevance_cycle"
    dims: dict = {}
    m = len(muscles)
    emg_cycle = check_shape(where, "emg_cycle", emg_cycle, ("T", m), dims).astype(float)
    relevance_cycle = check_shape(where, "relevance_cycle", relevance_cycle, ("T", m), dims).astype(float)
    normalised = check_shape(where, "normalised", normalised, ("C", "T", m), dims).astype(float)
    signature = check_shape(where, "signature", signature, ("T", m), dims).astype(bool)
    n_time = emg_cycle.shape[0]
    t = np.arange(n_time)
    scale = float(np.max(np.abs(relevance_cycle))) or 1.0
    colour_values = np.where(relevance_cycle < 0, np.nan, relevance_cycle / scale)
    fig = new_figure(10.0, 1.0 * m + 1.2)
    axes = fig.subplots(m, 3, sharex=True, squeeze=False)
    line = None
    for j, name in enumerate(muscles):
        ax_emg, ax_cycles, ax_bar = axes[j]
        line = _coloured_line(ax_emg, t, 100 * emg_cycle[:, j], colour_values[:, j], "jet", -1.0, 1.0)
        ax_emg.set_ylim(min(0.0, 100 * emg_cycle[:, j].min()) - 2, 100 * max(emg_cycle[:, j].max(), 0.05) + 5)
        ax_emg.set_ylabel(name, fontsize=7)
        for cycle in normalised:
            ax_cycles.plot(t, cycle[:, j], color="0.3", linewidth=0.4, alpha=0.5)
        ax_cycles.axhline(threshold, color="r", linewidth=0.8)
        ax_cycles.set_ylim(-0.02, 1.02)
        _bars(ax_bar, signature[:, j], 0.0, MUSCLE_COLOURS[j % len(MUSCLE_COLOURS)])
        ax_bar.set_ylim(-0.5, 0.5)
        ax_bar.set_yticks([])
        for ax in axes[j]:
            ax.tick_params(labelsize=6)
            ax.set_xlim(0, n_time - 1)
    axes[0, 0].set_title("one cycle: EMG (%) coloured by relevance / max|R| (black: R < 0)", fontsize=7)
    axes[0, 1].set_title(f"{len(normalised)} cycles: normalised relevance, line at {threshold:g}", fontsize=7)
    axes[0, 2].set_title(f"signature: > {threshold:g} in every cycle", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("cycle time (points)", fontsize=7)
    if line is not None:
        fig.colorbar(line, ax=axes[:, 0], shrink=0.5, label="relevance / max|relevance|")
    fig.suptitle(title, fontsize=8)
    save_figure(fig, out_png)


def plot_relevance_over_emg(
    participants: Sequence[int],
    mean_emg: np.ndarray,
    mean_relevance: np.ndarray,
    muscles: Sequence[str],
    title: str,
    out_png: str | Path,
) -> None:
    """Paper Fig. 2: each participant's mean EMG per muscle, coloured by its mean normalised relevance.

    Parameters
    ----------
    participants : (K,) participant numbers (one column each).
    mean_emg : (K, T, M) mean EMG envelope over the participant's cycles (≈ [0, 1], drawn ×100 as %).
    mean_relevance : (K, T, M) mean normalised relevance in [0, 1] (NaN: no positive relevance, drawn black).
    """
    where = "plot_relevance_over_emg"
    dims: dict = {}
    m = len(muscles)
    participants = check_shape(where, "participants", participants, ("K",), dims)
    mean_emg = check_shape(where, "mean_emg", mean_emg, ("K", "T", m), dims).astype(float)
    mean_relevance = check_shape(where, "mean_relevance", mean_relevance, ("K", "T", m), dims).astype(float)
    k, n_time = mean_emg.shape[:2]
    t = np.arange(n_time)
    fig = new_figure(3.0 * k + 1.0, 0.9 * m + 1.2)
    axes = fig.subplots(m, k, sharex=True, squeeze=False)
    line = None
    for i in range(k):
        axes[0, i].set_title(f"participant {int(participants[i])}", fontsize=8)
        for j, name in enumerate(muscles):
            ax = axes[j, i]
            line = _coloured_line(ax, t, 100 * mean_emg[i, :, j], mean_relevance[i, :, j], "jet", 0.0, 1.0, 2.0)
            ax.set_xlim(0, n_time - 1)
            ax.set_ylim(min(0.0, 100 * mean_emg[i, :, j].min()) - 2, 100 * max(mean_emg[i, :, j].max(), 0.05) + 5)
            ax.tick_params(labelsize=6)
            if i == 0:
                ax.set_ylabel(f"{name} (%)", fontsize=7)
        axes[-1, i].set_xlabel("cycle time (points)", fontsize=7)
    if line is not None:
        fig.colorbar(line, ax=axes, shrink=0.4, label="mean normalised relevance")
    fig.suptitle(title, fontsize=8)
    save_figure(fig, out_png)


def plot_task_signatures(
    participants: Sequence[int],
    tasks: Sequence[str],
    mean_emg: np.ndarray,
    signature: np.ndarray,
    muscles: Sequence[str],
    title: str,
    out_png: str | Path,
) -> None:
    """Paper Fig. 4: the signatures of a few participants in each task, over their mean EMG.

    Parameters
    ----------
    participants : (K,) participant numbers (rows).
    tasks : J task names (columns).
    mean_emg : (J, K, T, M) mean EMG envelope (≈ [0, 1]; all NaN where the participant is absent in the task).
    signature : (J, K, T, M) bool signatures (drawn as thick coloured segments on the EMG traces).
    """
    where = "plot_task_signatures"
    dims: dict = {}
    m = len(muscles)
    participants = check_shape(where, "participants", participants, ("K",), dims)
    mean_emg = check_shape(where, "mean_emg", mean_emg, (len(tasks), "K", "T", m), dims).astype(float)
    signature = check_shape(where, "signature", signature, (len(tasks), "K", "T", m), dims).astype(bool)
    n_tasks, k, n_time = mean_emg.shape[:3]
    t = np.arange(n_time)
    fig = new_figure(3.6 * n_tasks + 0.8, 2.6 * k + 0.8)
    axes = fig.subplots(k, n_tasks, squeeze=False)
    for a, task in enumerate(tasks):
        for i in range(k):
            ax = axes[i, a]
            ax.set_title(f"{task}: participant {int(participants[i])}", fontsize=8)
            if not np.isfinite(mean_emg[a, i]).any():
                ax.text(0.5, 0.5, "absent in this task", ha="center", va="center", transform=ax.transAxes)
                ax.set_axis_off()
                continue
            for j, name in enumerate(muscles):
                offset = m - 1 - j
                trace = offset + 0.9 * mean_emg[a, i, :, j]
                ax.plot(t, trace, color="0.55", linewidth=0.8)
                ax.plot(t, np.where(signature[a, i, :, j], trace, np.nan), color=MUSCLE_COLOURS[j % 8],
                        linewidth=2.4)
            ax.set_yticks(np.arange(m)[::-1], muscles, fontsize=6)
            ax.set_xlim(0, n_time - 1)
            ax.tick_params(axis="x", labelsize=6)
        axes[-1, a].set_xlabel("cycle time (points)", fontsize=7)
    fig.suptitle(f"{title}\ngrey: mean EMG (offset per muscle); coloured: the signature", fontsize=8)
    save_figure(fig, out_png)


def plot_all_signatures(
    participants: Sequence[int],
    signature: np.ndarray,
    muscles: Sequence[str],
    title: str,
    out_png: str | Path,
    panels: int = 3,
) -> None:
    """Paper Figs. 5/8: every participant's signature, participants split over ``panels`` panels (3 × 26 at 78).

    Parameters
    ----------
    participants : (P,) participant numbers.
    signature : (P, T, M) bool; each participant is a block of M rows (muscles in order), signature points coloured
        by muscle.
    """
    where = "plot_all_signatures"
    dims: dict = {}
    m = len(muscles)
    participants = check_shape(where, "participants", participants, ("P",), dims)
    signature = check_shape(where, "signature", signature, ("P", "T", m), dims).astype(bool)
    n, n_time = signature.shape[:2]
    panels = max(1, min(panels, n))
    per_panel = math.ceil(n / panels)
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(["white", *MUSCLE_COLOURS[:m]])
    fig = new_figure(3.4 * panels + 0.6, 0.14 * per_panel * m / 2 + 1.6)
    axes = fig.subplots(1, panels, squeeze=False)[0]
    for q, ax in enumerate(axes):
        chunk = range(q * per_panel, min(n, (q + 1) * per_panel))
        image = np.zeros((per_panel * m, n_time))
        for row, p in enumerate(chunk):
            block = signature[p].T * (np.arange(1, m + 1)[:, None])
            image[row * m:(row + 1) * m] = block
        ax.imshow(image, aspect="auto", cmap=cmap, vmin=0, vmax=m, interpolation="nearest",
                  extent=(0, n_time, per_panel * m, 0))
        for row in range(1, per_panel):
            ax.axhline(row * m, color="0.85", linewidth=0.4)
        ax.set_yticks([row * m + m / 2 for row in range(len(chunk))],
                      [str(int(participants[p])) for p in chunk], fontsize=5)
        ax.set_xlabel("cycle time (points)", fontsize=7)
        ax.tick_params(axis="x", labelsize=6)
    axes[0].set_ylabel("participant (rows within: " + ", ".join(muscles) + ")", fontsize=6)
    handles = [Patch(color=MUSCLE_COLOURS[j], label=name) for j, name in enumerate(muscles)]
    fig.legend(handles=handles, fontsize=6, loc="outside lower center", ncols=m)
    fig.suptitle(title, fontsize=8)
    save_figure(fig, out_png)


def plot_group_wheel(
    group_count: np.ndarray, n_participants: int, muscles: Sequence[str], title: str, out_png: str | Path,
    full_alpha: int = 15,
) -> None:
    """Paper Fig. 6: the group view as a wheel — angle = cycle time, one ring per muscle (VL innermost), each
    (muscle, time) drawn in the muscle's colour with opacity count / ``full_alpha`` (capped at 1), count = number of
    participants whose signature holds it.

    Parameters
    ----------
    group_count : (T, M) int, participants per (time, muscle).
    n_participants : participants summarised (shown in the title; the counts must not exceed it).
    """
    where = "plot_group_wheel"
    m = len(muscles)
    group_count = check_shape(where, "group_count", group_count, ("T", m), {})
    if group_count.size and (group_count.min() < 0 or group_count.max() > n_participants):
        raise ValueError(f"{where}: group_count must lie in [0, {n_participants}] (n_participants), got "
                         f"[{group_count.min()}, {group_count.max()}]")
    from matplotlib.colors import to_rgba

    n_time = group_count.shape[0]
    fig = new_figure(5.2, 5.6)
    ax = fig.add_subplot(projection="polar")
    width = 2 * np.pi / n_time
    theta = np.arange(n_time) * width
    for j in range(m):
        alpha = np.clip(group_count[:, j] / full_alpha, 0, 1)
        colours = [to_rgba(MUSCLE_COLOURS[j % 8], a) for a in alpha]
        ax.bar(theta, 0.9, width=width, bottom=1.0 + j, color=colours, align="edge", linewidth=0)
    ax.set_theta_zero_location("N")
    ax.set_theta_direction(-1)
    ax.set_yticks(np.arange(m) + 1.45, muscles, fontsize=6)
    ax.set_ylim(0, m + 1)
    ax.set_xticks(np.linspace(0, 2 * np.pi, 4, endpoint=False), ["0 %", "25 %", "50 %", "75 %"], fontsize=7)
    ax.set_title(f"{title}\n{n_participants} participants; opacity = count / {full_alpha}", fontsize=8)
    save_figure(fig, out_png)


def plot_emg_relevance_scatter(
    emg: np.ndarray,
    relevance: np.ndarray,
    muscle: np.ndarray,
    muscles: Sequence[str],
    r_all: float,
    r_means: float,
    title: str,
    out_png: str | Path,
) -> None:
    """Paper Fig. 7: normalised relevance against EMG amplitude, one dot per (cycle, time, muscle) point shown.

    Parameters
    ----------
    emg : (N,) EMG amplitude (≈ [0, 1], drawn ×100 as %).
    relevance : (N,) normalised relevance in [0, 1] (NaN, i.e. negative relevance, drawn at 0).
    muscle : (N,) int muscle index of each point (colour).
    r_all, r_means : the Pearson r over all points and over participant means (in the title).
    """
    where = "plot_emg_relevance_scatter"
    dims: dict = {}
    emg = check_shape(where, "emg", emg, ("N",), dims).astype(float)
    relevance = np.nan_to_num(check_shape(where, "relevance", relevance, ("N",), dims).astype(float), nan=0.0)
    muscle = check_shape(where, "muscle", muscle, ("N",), dims).astype(int)
    if muscle.size and (muscle.min() < 0 or muscle.max() >= len(muscles)):
        raise ValueError(f"{where}: muscle indices must lie in [0, {len(muscles) - 1}]")
    fig = new_figure(5.4, 4.2)
    ax = fig.subplots()
    for j, name in enumerate(muscles):
        chosen = muscle == j
        ax.scatter(100 * emg[chosen], relevance[chosen], s=2, alpha=0.35, color=MUSCLE_COLOURS[j % 8], label=name,
                   linewidths=0, rasterized=True)
    ax.set_xlabel("EMG amplitude (%)")
    ax.set_ylabel("normalised relevance")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, markerscale=4, ncols=2, loc="upper left")
    ax.set_title(f"{title}\nr (all points) = {r_all:.3f}; r (participant means) = {r_means:.3f}", fontsize=8)
    save_figure(fig, out_png)
