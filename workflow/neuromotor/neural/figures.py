"""Figures of the neural-prediction stage (rows of the summary tables in, one PNG out; no pyplot state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuromotor.plots import new_figure, save_figure

_STATE_STYLE = {"trained": "-", "untrained": ":"}


def plot_layers(layers: Sequence[Mapping], out_png: str | Path) -> None:
    """One panel per session: median explained variance (held-out) per layer of every model state (trained solid,
    untrained dotted), the linear baselines as horizontal dashed lines."""
    if not layers:
        raise ValueError("plot_layers: no layer rows")
    sessions = list(dict.fromkeys(r["session"] for r in layers))
    fig = new_figure(6.0 * len(sessions), 4.2)
    axes = fig.subplots(1, len(sessions), squeeze=False)[0]
    for ax, session in zip(axes, sessions):
        rows = [r for r in layers if r["session"] == session]
        models = dict.fromkeys(
            (r["task"], r["family"], r["seed"], r["state"]) for r in rows if r["model"] != "baseline"
        )
        for task, family, seed, state in models:
            own = sorted(
                (
                    r
                    for r in rows
                    if (r["task"], r["family"], r["seed"], r["state"]) == (task, family, seed, state)
                    and r["model"] != "baseline"
                ),
                key=lambda r: int(r["layer_index"]),
            )
            ax.plot(
                [int(r["layer_index"]) for r in own],
                [float(r["median_ev"]) for r in own],
                _STATE_STYLE.get(state, "-"),
                marker="o",
                label=f"{task} {family} s{seed} {state}",
            )
        for number, row in enumerate(r for r in rows if r["model"] == "baseline"):
            ax.axhline(
                float(row["median_ev"]), ls="--", lw=1, color=f"C{(number + 5) % 10}", label=f"linear: {row['layer']}"
            )
        ax.set_xticks(sorted({int(r["layer_index"]) for r in rows if r["model"] != "baseline"}))
        ax.set_xlabel("layer")
        ax.set_ylabel("median explained variance (held-out)")
        ax.set_title(f"{session} ({rows[0]['area']})")
        ax.legend(fontsize=7)
    save_figure(fig, out_png)


def plot_performance(models: Sequence[Mapping], layers: Sequence[Mapping], out_png: str | Path) -> None:
    """One panel per task: each model state's best-layer median predictivity against its task performance
    (accuracy, or minus the hand-position error in cm), trained filled, untrained open; the best linear baseline of
    each session dashed."""
    if not models:
        raise ValueError("plot_performance: no model rows")
    tasks = list(dict.fromkeys(r["task"] for r in models))
    fig = new_figure(4.5 * len(tasks), 4.0)
    axes = fig.subplots(1, len(tasks), squeeze=False)[0]
    for ax, task in zip(axes, tasks):
        rows = [r for r in models if r["task"] == task]
        for state, face in (("trained", None), ("untrained", "none")):
            own = [r for r in rows if r["state"] == state]
            if own:
                ax.scatter(
                    [float(r["performance"]) for r in own],
                    [float(r["best_median_ev"]) for r in own],
                    facecolors=face if face else "C0",
                    edgecolors="C0",
                    label=state,
                )
        best_linear = {}
        for row in layers:
            if row["model"] == "baseline":
                best_linear[row["session"]] = max(best_linear.get(row["session"], -np.inf), float(row["median_ev"]))
        for session, value in best_linear.items():
            ax.axhline(value, ls="--", color="grey", lw=1, label=f"best linear ({session})")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(4))
        metric = rows[0]["metric"] or "metric"
        ax.set_xlabel("accuracy" if metric == "accuracy" else f"−{metric} (larger is better)")
        ax.set_ylabel("best-layer median explained variance")
        ax.set_title(task)
        ax.legend(fontsize=7)
    save_figure(fig, out_png)
