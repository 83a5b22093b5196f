"""Report figures of the cross-modality distillation study (Zeng et al. 2022, Table). Accuracies are in % (0-100).

Conditions: ``EMG`` (sEMG student without KD), ``EMG_KD_a.._T..`` (sEMG student with KD, one per (alpha, T)) and
``US`` (the ultrasound teacher). Protocols: ``paper`` (best test epoch) and ``honest`` (final epoch).

Functions (each writes ``out_png`` and returns nothing):

- :func:`plot_accuracy_boxes` — box plot of per-subject accuracy per network and condition, one panel per protocol;
- :func:`plot_epoch_curves` — mean test accuracy per epoch over subjects and folds, per network and condition.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from neuromotor.plots import check_shape, new_figure, save_figure

PROTOCOL_TITLES = {"paper": "paper: best test epoch", "honest": "honest: final epoch"}


def condition_title(condition: str) -> str:
    """``EMG`` -> ``sEMG w/o KD``, ``US`` -> ``US (teacher)``, ``EMG_KD_a0.80_T20`` -> ``sEMG w/ KD (a0.80_T20)``."""
    if condition == "EMG":
        return "sEMG w/o KD"
    if condition == "US":
        return "US (teacher)"
    if condition.startswith("EMG_KD_"):
        return f"sEMG w/ KD ({condition.removeprefix('EMG_KD_')})"
    return condition


def _condition_order(conditions) -> list[str]:
    kd = sorted(c for c in conditions if c.startswith("EMG_KD_"))
    return [c for c in ("EMG",) if c in conditions] + kd + [c for c in ("US",) if c in conditions]


def _colour(condition: str, index: int) -> str:
    if condition == "EMG":
        return "#7f7f7f"
    if condition == "US":
        return "#2ca02c"
    return ("#1f77b4", "#ff7f0e", "#9467bd", "#d62728")[index % 4]


def plot_accuracy_boxes(accuracy: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]], out_png: str | Path) -> None:
    """Per-subject accuracy (mean over folds) as boxes with the subjects as dots.

    Parameters
    ----------
    accuracy : {protocol: {model: {condition: (S,) float}}}, S subjects (the same S everywhere), in %.
    """
    where = "plot_accuracy_boxes"
    if not accuracy or not all(accuracy.values()):
        raise ValueError(f"{where}: accuracy is empty")
    unknown = sorted(set(accuracy) - set(PROTOCOL_TITLES))
    if unknown:
        raise ValueError(f"{where}: unknown protocols {unknown}; expected some of {list(PROTOCOL_TITLES)}")
    dims: dict = {}
    for protocol, models in accuracy.items():
        for model, conditions in models.items():
            for condition, values in conditions.items():
                check_shape(where, f"accuracy[{protocol!r}][{model!r}][{condition!r}]", values, ("S",), dims)
    models = list(next(iter(accuracy.values())))
    conditions = _condition_order({c for per in accuracy.values() for m in per.values() for c in m})
    width = 0.8 / len(conditions)
    fig = new_figure(2.2 + len(accuracy) * max(2.8, 0.6 + 0.3 * len(models) * len(conditions)), 4.4)
    axes = np.atleast_1d(fig.subplots(1, len(accuracy), sharey=True, squeeze=False)).ravel()
    for ax, (protocol, per_model) in zip(axes, accuracy.items()):
        for c_index, condition in enumerate(conditions):
            colour = _colour(condition, c_index)
            positions, data = [], []
            for m_index, model in enumerate(models):
                values = np.asarray(per_model.get(model, {}).get(condition, []), dtype=float)
                if values.size:
                    positions.append(m_index - 0.4 + width * (c_index + 0.5))
                    data.append(values)
            if not data:
                continue
            boxes = ax.boxplot(data, positions=positions, widths=width * 0.8, patch_artist=True,
                               showfliers=False, manage_ticks=False)  # fmt: skip
            for patch in boxes["boxes"]:
                patch.set(facecolor=colour, alpha=0.45, edgecolor=colour)
            for median in boxes["medians"]:
                median.set(color="k")
            for x, values in zip(positions, data):
                ax.plot(np.full(values.size, x), values, "o", color=colour, markersize=3, zorder=3)
            ax.plot([], [], "s", color=colour, alpha=0.6, label=condition_title(condition))
        ax.set_xticks(range(len(models)), models)
        ax.set_title(PROTOCOL_TITLES[protocol], fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("accuracy per subject (%, mean over folds)")
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("Ultrasound teacher -> sEMG student: accuracy per subject", fontsize=11)
    save_figure(fig, out_png)


def plot_epoch_curves(curves: Mapping[str, Mapping[str, np.ndarray]], out_png: str | Path) -> None:
    """Test accuracy after every epoch, mean over runs (subjects x folds) with the range as a band; the paper
    protocol reads each run at its maximum, the honest one at its last epoch.

    Parameters
    ----------
    curves : {model: {condition: (R, E) float}}, R runs x E epochs, in %.
    """
    where = "plot_epoch_curves"
    if not curves or not all(curves.values()):
        raise ValueError(f"{where}: curves is empty")
    dims: dict = {}
    checked = {
        model: {
            condition: check_shape(where, f"curves[{model!r}][{condition!r}]", values, ("R", "E"), dims)
            for condition, values in per_model.items()
        }
        for model, per_model in curves.items()
    }
    fig = new_figure(max(4.5, 0.6 + 3.4 * len(checked)), 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(checked), sharey=True, squeeze=False)).ravel()
    for ax, (model, per_model) in zip(axes, checked.items()):
        conditions = _condition_order(per_model)
        for c_index, condition in enumerate(conditions):
            values = per_model[condition]
            epochs = np.arange(1, values.shape[1] + 1)
            colour = _colour(condition, c_index)
            ax.plot(epochs, values.mean(axis=0), color=colour, label=condition_title(condition))
            ax.fill_between(epochs, values.min(axis=0), values.max(axis=0), color=colour, alpha=0.15, linewidth=0)
        ax.set_title(model, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("test accuracy (%)")
    axes[-1].legend(fontsize=8, loc="lower right")
    fig.suptitle("Test-fold accuracy per epoch\n(line: mean over subjects and folds, band: range)", fontsize=10)
    save_figure(fig, out_png)
