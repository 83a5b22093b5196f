"""Report figures of the PCRT convnets (Sandbrink et al. 2023): learning curves, the search, trained vs untrained.

Accuracies are fractions in [0, 1]; TDT errors are mean Euclidean hand-position errors in cm. Families are
``S``, ``TS``, ``ST``, ``LSTM``; tasks ``art``, ``tdt``, ``tdt_pv``.

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_learning_curves` — training loss and validation metric over epochs, one row per task;
- :func:`plot_search_accuracy` — test accuracy of every searched ART model by family and depth, one panel per run;
- :func:`plot_trained_vs_untrained` — each final model's test metric next to its same-seed untrained control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neuromotor.plots import check_keys, check_shape, new_figure, save_figure

FAMILY_COLOURS = {"S": "#1f77b4", "TS": "#ff7f0e", "ST": "#2ca02c", "LSTM": "#9467bd"}
FAMILY_TITLES = {
    "S": "S (spatial-temporal)",
    "TS": "T-S (temporal-spatial)",
    "ST": "ST (spatiotemporal)",
    "LSTM": "LSTM",
}
TASK_TITLES = {"art": "ART (action recognition)", "tdt": "TDT (hand position)", "tdt_pv": "TDT (position + velocity)"}
METRIC_TITLES = {"accuracy": "accuracy", "error_cm": "position error (cm)"}
CURVE_KEYS = ("label", "family", "task", "metric", "epoch", "train_loss", "val_loss", "val_metric")


def _colour(family: str) -> str:
    return FAMILY_COLOURS.get(family, "0.3")


def _empty(fig, text: str) -> None:
    ax = fig.add_subplot(1, 1, 1)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def plot_learning_curves(curves: Sequence[Mapping], out_png: str | Path) -> None:
    """Training loss (mean over the steps since the previous validation) and the validation metric against epochs.

    Parameters
    ----------
    curves : one mapping per model with ``label`` (str), ``family``, ``task``, ``metric`` (``accuracy`` or
        ``error_cm``) and the arrays ``epoch``, ``train_loss``, ``val_loss``, ``val_metric``, each (n,) with n >= 1
        (its own n per model).
    """
    where = "plot_learning_curves"
    for i, curve in enumerate(curves):
        check_keys(where, f"curves[{i}]", curve, CURVE_KEYS)
        dims: dict = {}
        for key in ("epoch", "train_loss", "val_loss", "val_metric"):
            check_shape(where, f"curves[{i}]['{key}']", curve[key], ("n",), dims)
    tasks = list(dict.fromkeys(str(curve["task"]) for curve in curves))
    fig = new_figure(10, 3.2 * max(1, len(tasks)))
    if not curves:
        _empty(fig, "no final models")
        save_figure(fig, out_png)
        return
    axes = fig.subplots(len(tasks), 2, squeeze=False)
    for row, task in enumerate(tasks):
        loss_ax, metric_ax = axes[row]
        for curve in (c for c in curves if c["task"] == task):
            colour = _colour(str(curve["family"]))
            epoch = np.asarray(curve["epoch"], dtype=float)
            loss_ax.plot(epoch, curve["train_loss"], color=colour, lw=1.2, label=f"{curve['label']} train")
            loss_ax.plot(epoch, curve["val_loss"], color=colour, lw=1.2, ls="--")
            metric_ax.plot(epoch, curve["val_metric"], color=colour, lw=1.2, marker=".", ms=3, label=curve["label"])
        metric = str(next(c["metric"] for c in curves if c["task"] == task))
        loss_ax.set(
            xlabel="epoch", ylabel="loss", title=f"{TASK_TITLES.get(task, task)}: loss (train solid, validation dashed)"
        )
        metric_ax.set(
            xlabel="epoch", ylabel=f"validation {METRIC_TITLES.get(metric, metric)}", title=TASK_TITLES.get(task, task)
        )
        if metric == "accuracy":
            metric_ax.set_ylim(0, 1)
        metric_ax.legend(fontsize=7, loc="best")
        loss_ax.set_yscale("log")
    save_figure(fig, out_png)


def plot_search_accuracy(
    run: Sequence[str],
    family: Sequence[str],
    depth: Sequence[int],
    test_accuracy: Sequence[float],
    out_png: str | Path,
    chance: float = 0.05,
) -> None:
    """Test accuracy of every searched ART model against its depth (layers of representations), coloured by family,
    one panel per search run (e.g. the input it was trained on).

    Parameters
    ----------
    run, family, depth, test_accuracy : (n,) each; one entry per searched model.
    chance : accuracy of guessing (a dotted line).
    """
    where = "plot_search_accuracy"
    dims: dict = {}
    run = check_shape(where, "run", np.asarray(run, dtype=str), ("n",), dims)
    family = check_shape(where, "family", np.asarray(family, dtype=str), ("n",), dims)
    depth = check_shape(where, "depth", np.asarray(depth, dtype=float), ("n",), dims)
    accuracy = check_shape(where, "test_accuracy", np.asarray(test_accuracy, dtype=float), ("n",), dims)
    runs = list(dict.fromkeys(run.tolist()))
    fig = new_figure(5 * max(1, len(runs)), 3.8)
    if not runs:
        _empty(fig, "no searched ART models")
        save_figure(fig, out_png)
        return
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    families = [f for f in FAMILY_COLOURS if f in set(family.tolist())] + sorted(
        set(family.tolist()) - set(FAMILY_COLOURS)
    )
    offsets = {f: (i - (len(families) - 1) / 2) * 0.15 for i, f in enumerate(families)}
    for ax, name in zip(axes, runs):
        for fam in families:
            chosen = (run == name) & (family == fam)
            if chosen.any():
                ax.scatter(depth[chosen] + offsets[fam], accuracy[chosen], s=22, color=_colour(fam), alpha=0.8,
                           label=f"{FAMILY_TITLES.get(fam, fam)} ({int(chosen.sum())})")  # fmt: skip
        ax.axhline(chance, color="0.5", ls=":", lw=1, label="chance")
        ax.set(xlabel="depth (layers)", ylabel="test accuracy", title=f"search: {name}", ylim=(0, 1))
        ax.set_xticks(sorted(set(depth[run == name].astype(int).tolist())))
        ax.legend(fontsize=7, loc="best")
    save_figure(fig, out_png)


def plot_trained_vs_untrained(
    task: Sequence[str],
    label: Sequence[str],
    family: Sequence[str],
    trained: Sequence[float],
    untrained: Sequence[float],
    out_png: str | Path,
    chance: float = 0.05,
) -> None:
    """Each final model's test metric (filled) next to its same-seed untrained control (open), one panel per task:
    accuracy for ART (chance dotted), position error in cm for the TDT tasks.

    Parameters
    ----------
    task, label, family, trained, untrained : (m,) each; one entry per final model (untrained NaN = no control).
    """
    where = "plot_trained_vs_untrained"
    dims: dict = {}
    task = check_shape(where, "task", np.asarray(task, dtype=str), ("m",), dims)
    label = check_shape(where, "label", np.asarray(label, dtype=str), ("m",), dims)
    family = check_shape(where, "family", np.asarray(family, dtype=str), ("m",), dims)
    trained = check_shape(where, "trained", np.asarray(trained, dtype=float), ("m",), dims)
    untrained = check_shape(where, "untrained", np.asarray(untrained, dtype=float), ("m",), dims)
    tasks = list(dict.fromkeys(task.tolist()))
    fig = new_figure(max(5.0, 1.2 + 0.45 * len(task) / max(1, len(tasks))) * max(1, len(tasks)), 4.2)
    if not tasks:
        _empty(fig, "no final models")
        save_figure(fig, out_png)
        return
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, name in zip(axes, tasks):
        chosen = np.flatnonzero(task == name)
        x = np.arange(len(chosen))
        for position, i in zip(x, chosen):
            colour = _colour(family[i])
            ax.plot([position, position], [untrained[i], trained[i]], color=colour, lw=1, alpha=0.6)
            ax.scatter(position, trained[i], s=40, color=colour, zorder=3)
            ax.scatter(position, untrained[i], s=40, facecolors="white", edgecolors=colour, zorder=3)
        ax.scatter([], [], s=40, color="0.3", label="trained")
        ax.scatter([], [], s=40, facecolors="white", edgecolors="0.3", label="untrained (same seed)")
        if name == "art":
            ax.axhline(chance, color="0.5", ls=":", lw=1, label="chance")
            ax.set(ylim=(0, 1), ylabel="test accuracy")
        else:
            ax.set(ylabel="test position error (cm)")
            ax.set_ylim(bottom=0)
        ax.set_xticks(x, label[chosen], rotation=45, ha="right", fontsize=8)
        ax.set_title(TASK_TITLES.get(name, name))
        ax.legend(fontsize=7, loc="best")
    save_figure(fig, out_png)
