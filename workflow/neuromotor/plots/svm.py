"""Report figures of the pairwise SVM analysis (Sandbrink et al. 2023, Figures 3B and 3C).

Accuracies are fractions in [0, 1] (NaN where a pair had no classifier or no test sample); labels are 1..20 and
shown as letters. Inputs are keyed by their dataset array name (``endeffector_coords`` ...) and titled with
:data:`neuromotor.svm.data.INPUT_TITLES`.

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_pairwise_matrices` — a label x label matrix of pairwise test accuracy per input;
- :func:`plot_multiclass` — multiclass accuracy per input, full variability and per suppressed variable;
- :func:`plot_circle` — circle plot of the hardest pairs (test accuracy at most a threshold) per input;
- :func:`plot_pairwise_distribution` — distribution of the pairwise test accuracies per input.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.cm import ScalarMappable

from neuromotor.pcrt.characters import LETTERS
from neuromotor.plots import check_shape, new_figure, save_figure

SUPPRESSED_ORDER = ("none", "plane", "size", "speed", "size_plane")
SUPPRESSED_TITLES = {
    "none": "none (full)", "plane": "plane", "size": "size", "speed": "speed", "size_plane": "size + plane",
}  # fmt: skip
SUPPRESSED_COLOURS = {
    "none": "0.45", "plane": "#1f77b4", "size": "#ff7f0e", "speed": "#2ca02c", "size_plane": "#9467bd",
}  # fmt: skip
MATRIX_CMAP = "viridis"
CIRCLE_CMAP = "plasma"


def _title(name: str) -> str:
    from neuromotor.svm.data import INPUT_TITLES

    return INPUT_TITLES.get(name, name)


def _letter(label: int) -> str:
    return LETTERS[label - 1] if 1 <= label <= len(LETTERS) else str(label)


def _check_labels(where: str, labels: Sequence[int]) -> list[int]:
    labels = [int(label) for label in labels]
    if len(labels) < 2 or len(set(labels)) != len(labels):
        raise ValueError(f"{where}: labels must hold at least 2 distinct labels, got {labels}")
    return labels


def _grid(n: int) -> tuple[int, int]:
    cols = min(n, 2)
    return math.ceil(n / cols), cols


def plot_pairwise_matrices(
    matrices: Mapping[str, np.ndarray],
    labels: Sequence[int],
    out_png: str | Path,
    vmin: float = 0.5,
    data: str = "full variability",
) -> None:
    """Pairwise test accuracy as a symmetric label x label matrix, one panel per input.

    Parameters
    ----------
    matrices : {input: (K, K) float}
        Accuracy of the classifier of labels ``labels[a]`` and ``labels[b]`` at [a, b] and [b, a]; NaN on the
        diagonal and where there is no classifier.
    labels : K labels, the matrix order.
    vmin : lower end of the colour scale (chance is 0.5).
    data : which data the accuracies come from (shown in the title).
    """
    where = "plot_pairwise_matrices"
    labels = _check_labels(where, labels)
    if not matrices:
        raise ValueError(f"{where}: matrices is empty")
    dims = {"K": (len(labels), "labels")}
    checked = {
        name: check_shape(where, f"matrices[{name!r}]", m, ("K", "K"), dims).astype(float)
        for name, m in matrices.items()
    }
    rows, cols = _grid(len(checked))
    side = 2.2 + 0.22 * len(labels)
    fig = new_figure(cols * side + 0.9, rows * side + 0.5)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    norm = Normalize(vmin, 1.0)
    letters = [_letter(label) for label in labels]
    for ax, (name, matrix) in zip(axes, checked.items()):
        shown = np.ma.masked_invalid(matrix)
        ax.imshow(shown, cmap=colormaps[MATRIX_CMAP].with_extremes(bad="0.85"), norm=norm, interpolation="nearest")
        ax.set_xticks(range(len(labels)), letters, fontsize=8)
        ax.set_yticks(range(len(labels)), letters, fontsize=8)
        ax.tick_params(length=0)
        upper = matrix[np.triu_indices(len(labels), 1)]
        mean = np.nanmean(upper) if np.isfinite(upper).any() else float("nan")
        ax.set_title(f"{_title(name)}: mean {mean:.3f}", fontsize=10)
    _finish_accuracy_panels(fig, axes, len(checked), norm, MATRIX_CMAP, 0.8)
    fig.suptitle(f"Pairwise linear SVMs, {data} (grey: no classifier)", fontsize=11)
    save_figure(fig, out_png)


def _finish_accuracy_panels(fig, axes, n_used: int, norm, cmap, shrink: float) -> None:
    """Hide the unused panels and add one accuracy colour bar for the used ones."""
    for ax in axes[n_used:]:
        ax.set_visible(False)
    bar = fig.colorbar(ScalarMappable(norm, cmap), ax=list(axes[:n_used]), shrink=shrink)
    bar.set_label("pairwise test accuracy")


def plot_multiclass(
    accuracies: Mapping[str, Mapping[str, Sequence[float]]], out_png: str | Path, chance: float | None = None
) -> None:
    """One-vs-one multiclass test accuracy per input: full variability and the mean per suppressed variable.

    Parameters
    ----------
    accuracies : {input: {suppressed: [accuracy per subset]}}
        ``suppressed`` is ``none`` (the full data, one value) or a suppressed variable (one value per subset:
        bar = mean, dots = subsets).
    chance : drawn as a dashed line (1 / number of classes).
    """
    where = "plot_multiclass"
    if not accuracies:
        raise ValueError(f"{where}: accuracies is empty")
    variables = [v for v in SUPPRESSED_ORDER if any(v in per_input for per_input in accuracies.values())]
    unknown = sorted({v for per_input in accuracies.values() for v in per_input} - set(SUPPRESSED_ORDER))
    if unknown:
        raise ValueError(f"{where}: unknown suppressed variables {unknown}; expected some of {SUPPRESSED_ORDER}")
    fig = new_figure(3.2 + 1.5 * len(accuracies), 4.2)
    ax = fig.subplots()
    width = 0.8 / len(variables)
    for v_index, variable in enumerate(variables):
        for i_index, (name, per_input) in enumerate(accuracies.items()):
            values = np.asarray(per_input.get(variable, []), dtype=float)
            values = values[np.isfinite(values)]
            if values.size == 0:
                continue
            x = i_index - 0.4 + width * (v_index + 0.5)
            ax.bar(x, values.mean(), width * 0.9, color=SUPPRESSED_COLOURS[variable],
                   label=SUPPRESSED_TITLES[variable] if i_index == 0 else None)  # fmt: skip
            if values.size > 1:
                ax.plot(np.full(values.size, x), values, "o", color="k", markersize=2.5, zorder=3)
    if chance is not None:
        ax.axhline(chance, color="0.3", linestyle="--", linewidth=1, label=f"chance ({chance:.2f})")
    ax.set_xticks(range(len(accuracies)), [_title(name) for name in accuracies])
    ax.set_ylabel("multiclass test accuracy")
    ax.set_ylim(0, 1)
    ax.legend(title="suppressed variable", fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("One-vs-one voting of the pairwise SVMs (bar: mean over the subsets, dots: subsets)", fontsize=10)
    save_figure(fig, out_png)


def _chord(p0: np.ndarray, p1: np.ndarray, steps: int = 30) -> np.ndarray:
    """A quadratic Bezier curve from p0 to p1 bending towards the centre of the unit circle."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    control = 0.15 * (p0 + p1)
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t**2 * p1


def plot_circle(
    pairs: np.ndarray,
    accuracies: Mapping[str, np.ndarray],
    labels: Sequence[int],
    out_png: str | Path,
    threshold: float = 0.7,
    floor: float = 0.5,
    data: str = "full variability",
) -> None:
    """Circle plot of the hardest pairs: labels on a circle, a chord for every pair with test accuracy at most
    ``threshold``, coloured from ``floor`` to ``threshold`` (the original's connectivity circle), one panel per input.

    Parameters
    ----------
    pairs : (P, 2) int, the label pairs (i, j).
    accuracies : {input: (P,) float}, test accuracy per pair (NaN: no classifier, not drawn).
    labels : the labels placed on the circle, in order.
    data : which data the accuracies come from (shown in the title).
    """
    where = "plot_circle"
    labels = _check_labels(where, labels)
    dims: dict = {}
    pairs = check_shape(where, "pairs", pairs, ("P", 2), dims).astype(int)
    if not accuracies:
        raise ValueError(f"{where}: accuracies is empty")
    checked = {
        name: check_shape(where, f"accuracies[{name!r}]", a, ("P",), dims).astype(float)
        for name, a in accuracies.items()
    }
    missing = sorted(set(pairs.ravel().tolist()) - set(labels))
    if missing:
        raise ValueError(f"{where}: pairs use labels {missing} that are not in labels {labels}")
    if not floor < threshold:
        raise ValueError(f"{where}: floor ({floor}) must be below threshold ({threshold})")
    angle = {label: np.pi / 2 - 2 * np.pi * k / len(labels) for k, label in enumerate(labels)}
    position = {label: np.array([np.cos(a), np.sin(a)]) for label, a in angle.items()}
    rows, cols = _grid(len(checked))
    fig = new_figure(cols * 3.6 + 0.9, rows * 3.7 + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    norm = Normalize(floor, threshold)
    for ax, (name, accuracy) in zip(axes, checked.items()):
        hard = np.flatnonzero(np.isfinite(accuracy) & (accuracy <= threshold))
        hard = hard[np.argsort(-accuracy[hard], kind="stable")]  # the hardest drawn last, on top
        segments = [_chord(position[pairs[p, 0]], position[pairs[p, 1]]) for p in hard]
        if segments:
            lines = LineCollection(segments, cmap=CIRCLE_CMAP, norm=norm, linewidth=1.6, alpha=0.9)
            lines.set_array(accuracy[hard])
            ax.add_collection(lines)
        for label in labels:
            x, y = position[label]
            ax.plot(x, y, "o", color="0.3", markersize=4)
            ax.text(1.13 * x, 1.13 * y, _letter(label), ha="center", va="center", fontsize=9)
        ax.set_xlim(-1.3, 1.3)
        ax.set_ylim(-1.3, 1.3)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(f"{_title(name)}: {len(hard)} pairs \u2264 {threshold:g}", fontsize=10)
    _finish_accuracy_panels(fig, axes, len(checked), norm, CIRCLE_CMAP, 0.7)
    fig.suptitle(f"Hardest pairs, {data}", fontsize=11)
    save_figure(fig, out_png)


def plot_pairwise_distribution(
    accuracies: Mapping[str, np.ndarray], out_png: str | Path, data: str = "full variability"
) -> None:
    """Distribution of the pairwise test accuracies (full variability), one violin per input with its pairs.

    Parameters
    ----------
    accuracies : {input: (P,) float}, test accuracy per pair (NaN values are left out).
    data : which data the accuracies come from (shown in the title).
    """
    where = "plot_pairwise_distribution"
    if not accuracies:
        raise ValueError(f"{where}: accuracies is empty")
    dims: dict = {}
    checked = {
        name: check_shape(where, f"accuracies[{name!r}]", a, ("P",), dims).astype(float)
        for name, a in accuracies.items()
    }
    fig = new_figure(1.6 + 1.5 * len(checked), 4.0)
    ax = fig.subplots()
    rng = np.random.default_rng(0)  # horizontal jitter of the dots only
    for k, (name, values) in enumerate(checked.items()):
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        if values.size > 1 and np.ptp(values) > 0:
            parts = ax.violinplot(values, positions=[k], widths=0.7, showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor("#8da0cb")
                body.set_alpha(0.6)
        ax.plot(k + rng.uniform(-0.12, 0.12, values.size), values, "o", color="k", markersize=2, alpha=0.6)
        ax.plot([k - 0.25, k + 0.25], [values.mean()] * 2, color="#d62728", linewidth=2)
        ax.text(k, 1.02, f"{values.mean():.3f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(0.5, color="0.3", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(checked)), [_title(name) for name in checked])
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("pairwise test accuracy")
    ax.set_title(f"Pairwise SVMs, {data} (red: mean; dashed: chance)", fontsize=10)
    save_figure(fig, out_png)
