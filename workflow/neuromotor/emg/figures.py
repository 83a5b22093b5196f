"""The paper's figures of individual signatures and the EMG-vs-relevance statistics (Aeles et al. 2021, Methods).

One job per run draws, for every task whose baseline CV experiment ran (pedalling 150 W day 1, walking day 1):

- Fig. 1 — one participant's cycle coloured by relevance, its normalised cycles with the 0.2 line, its signature;
- Fig. 2 — mean relevance over the mean EMG of the paper's participants 2, 3 and 7;
- Figs. 5 (pedalling) / 8 (walking) — every participant's signature;
- Fig. 6 — the group wheel (participants per (muscle, time) point of their signatures);
- Fig. 7 — normalised relevance against EMG amplitude;

and, over the tasks, Fig. 4 (the signatures of participants 2, 3 and 7 in each task) and one table of
statistics: Pearson r between EMG and normalised relevance over all cycles and over participant means, mean EMG where
relevance > 0.8, and the per-muscle correlation of mean and peak relevance between pedalling and walking across
participants. Where the paper's participants are absent (demo scale), the nearest participant numbers present are
used and the figure titles say so.

Paths and config in, files out (:func:`paper_figures`); the arithmetic lives in :mod:`neuromotor.emg.signatures`,
the drawing in :mod:`neuromotor.plots.emg`.
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

import numpy as np

from neuromotor.emg import plan
from neuromotor.emg.signatures import (
    PAPER_PARTICIPANTS,
    emg_relevance_statistics,
    nearest_participants,
    normalise_cycles,
    participants_note,
    task_muscle_correlations,
)
from neuromotor.io.emg_mat import MUSCLES, load_emg_mat
from neuromotor.io.store import read_arrays
from neuromotor.io.tables import write_tsv

log = logging.getLogger(__name__)

ALL_SIGNATURES_FIGURE = {"pedalling": 5, "walking": 8}
"""Paper figure number of the all-participants signature figure per task."""

SCATTER_POINTS = 40_000
"""Most points drawn in Fig. 7 (a fixed-seed sample when there are more; the statistics use all points)."""

WHEEL_FULL_ALPHA = 15
"""Participants sharing a point at which the original's wheel is opaque (of 78)."""


def wheel_full_alpha(n_participants: int, full: int = WHEEL_FULL_ALPHA, paper: int = 78) -> int:
    """The opaque count of Fig. 6: the original's 15 of 78 participants, scaled to ``n_participants`` (at least 1)."""
    return max(1, round(full * n_participants / paper))


STATISTICS_COLUMNS = ("task", "experiment", "statistic", "muscle", "value", "n")


def tasks_with_baseline(experiments: Sequence[str]) -> list[str]:
    """The tasks whose baseline CV experiment is among ``experiments`` (in the order pedalling, walking)."""
    return [task for task in plan.TASKS if plan.baseline_experiment(task) in set(experiments)]


def task_outputs(results: str, task: str) -> dict[str, str]:
    """The per-task figure files, by name (fig1, fig2, fig5/fig8, fig6, fig7)."""
    n = ALL_SIGNATURES_FIGURE[task]
    return {
        f"fig1_{task}": f"{results}/figures/paper/fig1_relevance_cycle_{task}.png",
        f"fig2_{task}": f"{results}/figures/paper/fig2_relevance_over_emg_{task}.png",
        f"fig{n}_{task}": f"{results}/figures/paper/fig{n}_all_signatures_{task}.png",
        f"fig6_{task}": f"{results}/figures/paper/fig6_group_wheel_{task}.png",
        f"fig7_{task}": f"{results}/figures/paper/fig7_emg_vs_relevance_{task}.png",
    }


def outputs(results: str, tasks: Sequence[str]) -> dict[str, str]:
    """Every output of the job: the per-task figures, Fig. 4 and the statistics table."""
    out = {"fig4": f"{results}/figures/paper/fig4_task_signatures.png",
           "statistics": f"{results}/emg_vs_relevance.tsv"}
    for task in tasks:
        out.update(task_outputs(results, task))
    return out


def inputs(results: str, tasks: Sequence[str], model: str, data_file) -> dict[str, str]:
    """Per task: the signature model's relevance store, the baseline condition file and the signature store.
    ``data_file`` maps a condition to its ``.mat`` path."""
    out = {}
    for task in tasks:
        experiment = plan.baseline_experiment(task)
        out[f"relevance_{task}"] = f"{results}/runs/{experiment}/{model}/relevance.zarr"
        out[f"data_{task}"] = data_file(plan.TASKS[task][1])
        out[f"signatures_{task}"] = f"{results}/signatures/{experiment}.zarr"
    return out


def _explained_cycles(relevance_store: str, data_file: str) -> dict[str, np.ndarray]:
    """Every explained test cycle of a CV run with its EMG: ``relevance``, ``emg`` (n, 200, 8), ``participant``,
    ``file_row`` (n,), sorted by file row (each cycle appears once in CV)."""
    from neuromotor.emg.stages import gather_relevance

    gathered = gather_relevance(relevance_store)
    order = np.argsort(gathered["file_row"], kind="stable")
    recording = load_emg_mat(data_file)
    rows = gathered["file_row"][order]
    return {"relevance": gathered["relevance"][order], "emg": recording.features[rows],
            "participant": gathered["participant"][order], "file_row": rows}


def _task_figures(task: str, cycles: Mapping[str, np.ndarray], store: Mapping[str, np.ndarray], threshold: float,
                  out: Mapping[str, str]) -> list[dict]:
    """The five per-task figures; returns the task's statistics rows."""
    from neuromotor.plots import emg as plots

    experiment = plan.baseline_experiment(task)
    muscles = list(MUSCLES)
    normalised = normalise_cycles(cycles["relevance"])
    participants = store["participant"][store["n_cycles"] > 0]
    index = {int(p): i for i, p in enumerate(store["participant"])}

    example = nearest_participants(PAPER_PARTICIPANTS[:1], participants)[0]
    rows = np.flatnonzero(cycles["participant"] == example)
    plots.plot_relevance_cycle(
        cycles["emg"][rows[0]], cycles["relevance"][rows[0]], normalised[rows], store["signature"][index[example]],
        muscles, threshold,
        f"Fig. 1 ({task}): participant {example}, first cycle in file order (file row {int(cycles['file_row'][rows[0]])})"
        f", {len(rows)} cycles", out[f"fig1_{task}"])

    shown = nearest_participants(PAPER_PARTICIPANTS, participants)
    chosen = [index[p] for p in shown]
    plots.plot_relevance_over_emg(
        shown, store["mean_emg"][chosen], store["mean"][chosen], muscles,
        f"Fig. 2 ({task}): mean EMG coloured by mean normalised relevance\n"
        f"{participants_note(PAPER_PARTICIPANTS, shown)}", out[f"fig2_{task}"])

    n = ALL_SIGNATURES_FIGURE[task]
    present = [index[int(p)] for p in participants]
    plots.plot_all_signatures(
        participants, store["signature"][present], muscles,
        f"Fig. {n} ({task}): the signatures of all {len(participants)} participants "
        f"(normalised relevance > {threshold:g} in every cycle)", out[f"fig{n}_{task}"])

    group = store["signature"][present].sum(axis=0)
    plots.plot_group_wheel(group, len(participants), muscles, f"Fig. 6 ({task}): group signature wheel",
                           out[f"fig6_{task}"], full_alpha=wheel_full_alpha(len(participants)))

    statistics = emg_relevance_statistics(cycles["emg"], normalised, cycles["participant"])
    overall = {row["statistic"]: row["value"] for row in statistics if row["muscle"] == "all"}
    emg_points = cycles["emg"].reshape(-1)
    relevance_points = normalised.reshape(-1)
    muscle_points = np.broadcast_to(np.arange(len(muscles)), cycles["emg"].shape).reshape(-1)
    if emg_points.size > SCATTER_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(emg_points.size, SCATTER_POINTS, replace=False))
        emg_points, relevance_points, muscle_points = emg_points[keep], relevance_points[keep], muscle_points[keep]
    plots.plot_emg_relevance_scatter(
        emg_points, relevance_points, muscle_points, muscles, overall["r_all_cycles"],
        overall["r_participant_means"],
        f"Fig. 7 ({task}): {cycles['emg'].shape[0]} cycles, {min(emg_points.size, SCATTER_POINTS)} points drawn",
        out[f"fig7_{task}"])
    return [{"task": task, "experiment": experiment, **row,
             "muscle": row["muscle"] if row["muscle"] == "all" else muscles[row["muscle"]]} for row in statistics]


def paper_figures(tasks: Sequence[str], files: Mapping[str, str], threshold: float, out: Mapping[str, str]) -> None:
    """Draw every figure of :func:`outputs` and write the statistics table.

    Args:
        tasks: tasks with a baseline CV experiment (:func:`tasks_with_baseline`); at least one.
        files: :func:`inputs` (relevance store, data file and signature store per task).
        threshold: the signature threshold (``signatures.relevance_threshold``), drawn in Fig. 1.
        out: :func:`outputs`.
    """
    from neuromotor.plots.emg import plot_task_signatures

    if not tasks:
        raise ValueError("paper_figures: no task with a baseline CV experiment (pedalling_150W_day1 or walking_day1)")
    stores, rows = {}, []
    for task in tasks:
        stores[task] = read_arrays(files[f"signatures_{task}"], "",
                                   ["participant", "mean", "signature", "mean_emg", "n_cycles"])
        cycles = _explained_cycles(files[f"relevance_{task}"], files[f"data_{task}"])
        rows += _task_figures(task, cycles, stores[task], threshold, out)
        log.info("%s: figures drawn from %d cycles", task, len(cycles["participant"]))

    present = {task: stores[task]["participant"][stores[task]["n_cycles"] > 0] for task in tasks}
    common = present[tasks[0]]
    for task in tasks[1:]:
        common = np.intersect1d(common, present[task])
    shown = nearest_participants(PAPER_PARTICIPANTS, common if common.size else present[tasks[0]])
    mean_emg, signature = [], []
    for task in tasks:
        index = {int(p): i for i, p in enumerate(stores[task]["participant"])}
        here = set(int(p) for p in present[task])
        mean_emg.append(np.stack([stores[task]["mean_emg"][index[p]] if p in here
                                  else np.full(stores[task]["mean_emg"].shape[1:], np.nan) for p in shown]))
        signature.append(np.stack([stores[task]["signature"][index[p]] if p in here
                                   else np.zeros(stores[task]["signature"].shape[1:], bool) for p in shown]))
    plot_task_signatures(shown, list(tasks), np.stack(mean_emg), np.stack(signature), list(MUSCLES),
                         f"Fig. 4: signatures per task\n{participants_note(PAPER_PARTICIPANTS, shown)}", out["fig4"])

    if {"pedalling", "walking"} <= set(tasks):
        both = np.intersect1d(present["pedalling"], present["walking"])
        means = []
        for task in ("pedalling", "walking"):
            index = {int(p): i for i, p in enumerate(stores[task]["participant"])}
            means.append(stores[task]["mean"][[index[int(p)] for p in both]])
        pair = "|".join(plan.baseline_experiment(task) for task in ("pedalling", "walking"))
        rows += [{"task": "pedalling_vs_walking", "experiment": pair, **row, "muscle": MUSCLES[row["muscle"]]}
                 for row in task_muscle_correlations(*means)]
    write_tsv(out["statistics"], rows, STATISTICS_COLUMNS)
