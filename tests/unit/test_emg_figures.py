"""The paper's EMG signature figures (Aeles et al. 2021) and the EMG-vs-relevance statistics (Aeles et al. 2021,
Methods): the statistics on data with known answers, the choice of participants, and every plotting function (one PNG;
bad shapes named)."""

from __future__ import annotations

import numpy as np
import pytest

from neuromotor.emg.figures import outputs, tasks_with_baseline, wheel_full_alpha
from neuromotor.emg.signatures import (
    emg_relevance_statistics,
    nearest_participants,
    normalise_cycles,
    participants_note,
    task_muscle_correlations,
)
from neuromotor.io.emg_mat import MUSCLES
from neuromotor.plots import emg as plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5000
    assert not list(path.parent.glob(".*.partial"))


def _cycles(seed=0, n_participants=3, n_cycles=4):
    rng = np.random.default_rng(seed)
    emg = rng.uniform(0, 1, (n_participants * n_cycles, 200, 8))
    participant = np.repeat(np.arange(1, n_participants + 1), n_cycles)
    return emg, participant


# --- statistics -----------------------------------------------------------------------------------------------------


def test_relevance_equal_to_emg_gives_r_one_and_the_mean_emg_above_the_level():
    emg, participant = _cycles()
    normalised = normalise_cycles(emg)  # relevance = EMG: normalised = EMG / its cycle maximum
    rows = emg_relevance_statistics(emg, normalised, participant, high=0.8)
    by = {(row["statistic"], row["muscle"]): row for row in rows}
    assert len(rows) == 3 * 9  # 3 statistics x (all + 8 muscles)
    assert by[("r_all_cycles", "all")]["value"] > 0.999 and by[("r_all_cycles", "all")]["n"] == emg.size
    assert by[("r_participant_means", "all")]["n"] == 3 * 200 * 8
    above = normalised > 0.8
    assert by[("mean_emg_pct_above", "all")]["n"] == int(above.sum())
    assert by[("mean_emg_pct_above", "all")]["value"] == pytest.approx(100 * emg[above].mean())
    assert by[("mean_emg_pct_above", 3)]["value"] == pytest.approx(100 * emg[..., 3][above[..., 3]].mean())


def test_negative_relevance_counts_as_zero_and_unrelated_relevance_gives_r_near_zero():
    emg, participant = _cycles(1)
    relevance = np.random.default_rng(2).normal(0, 1, emg.shape)
    rows = emg_relevance_statistics(emg, normalise_cycles(relevance), participant)
    r_all = next(row["value"] for row in rows if row["statistic"] == "r_all_cycles" and row["muscle"] == "all")
    assert abs(r_all) < 0.02
    nothing = emg_relevance_statistics(emg, normalise_cycles(-np.abs(relevance)), participant)
    above = [row for row in nothing if row["statistic"] == "mean_emg_pct_above"]
    assert all(np.isnan(row["value"]) and row["n"] == 0 for row in above)
    with pytest.raises(ValueError, match="emg_relevance_statistics"):
        emg_relevance_statistics(emg[:, :100], normalise_cycles(relevance), participant)


def test_task_correlations_per_muscle_across_participants():
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, (6, 200, 8))
    b = a * 0.5 + 0.1  # a linear function of a: r = 1 for means and peaks
    b[:, :, 2] = rng.uniform(0, 1, (6, 200))
    a[0, 5, 4] = np.nan  # NaN counts as 0
    rows = task_muscle_correlations(a, b)
    by = {(row["statistic"], row["muscle"]): row["value"] for row in rows}
    assert len(rows) == 2 * 8 and all(row["n"] == 6 for row in rows)
    assert by[("r_mean_relevance", 0)] == pytest.approx(1.0) and by[("r_peak_relevance", 7)] == pytest.approx(1.0)
    assert by[("r_mean_relevance", 2)] < 0.99
    assert all(np.isnan(row["value"]) for row in task_muscle_correlations(a[:2], b[:2]))
    with pytest.raises(ValueError, match="task_muscle_correlations"):
        task_muscle_correlations(a, b[:3])


def test_the_papers_participants_or_the_nearest_present():
    assert nearest_participants((2, 3, 7), np.arange(1, 79)) == [2, 3, 7]
    assert nearest_participants((2, 3, 7), np.arange(1, 6)) == [2, 3, 5]
    assert nearest_participants((2, 3, 7), np.array([1, 4])) == [1, 4, 4]  # fewer present than wanted
    assert nearest_participants((2,), np.array([1, 3])) == [1]  # ties: the lower number
    assert participants_note((2, 3, 7), [2, 3, 7]) == "Participants 2, 3, 7, as in the paper."
    assert "7 → 5" in participants_note((2, 3, 7), [2, 3, 5])
    with pytest.raises(ValueError, match="no participant present"):
        nearest_participants((2,), np.array([]))


def test_figure_outputs_follow_the_tasks_and_the_wheel_scales_with_participants():
    assert tasks_with_baseline(["pedalling_150W_baseline_day1", "pedalling_150W_robustness_day2"]) == ["pedalling"]
    assert tasks_with_baseline(["walking_baseline_day1", "pedalling_150W_baseline_day1"]) == ["pedalling", "walking"]
    names = outputs("r", ["pedalling", "walking"])
    assert {"fig4", "statistics", "fig5_pedalling", "fig8_walking", "fig1_walking"} <= set(names)
    assert "fig8_pedalling" not in names and len(names) == 2 + 2 * 5
    assert (wheel_full_alpha(78), wheel_full_alpha(12), wheel_full_alpha(3)) == (15, 2, 1)


# --- figures ---------------------------------------------------------------------------------------------------------


def test_every_paper_figure_writes_one_png(tmp_path):
    emg, participant = _cycles(4)
    relevance = np.random.default_rng(5).normal(0.2, 1, emg.shape)
    normalised = normalise_cycles(relevance)
    signature = np.zeros((200, 8), bool)
    signature[20:40, 1] = signature[150:160, 6] = True
    plots.plot_relevance_cycle(emg[0], relevance[0], normalised[:4], signature, MUSCLES, 0.2, "fig 1",
                               tmp_path / "fig1.png")
    mean = np.nan_to_num(normalised, nan=0.0).reshape(3, 4, 200, 8).mean(axis=1)
    mean_emg = emg.reshape(3, 4, 200, 8).mean(axis=1)
    plots.plot_relevance_over_emg([2, 3, 7], mean_emg, mean, MUSCLES, "fig 2", tmp_path / "fig2.png")
    signatures = np.stack([signature] * 3)
    absent = mean_emg.copy()
    absent[2] = np.nan  # participant 7 absent in the second task
    plots.plot_task_signatures([2, 3, 7], ["pedalling", "walking"], np.stack([mean_emg, absent]),
                               np.stack([signatures, signatures]), MUSCLES, "fig 4", tmp_path / "fig4.png")
    plots.plot_all_signatures(np.arange(1, 8), np.stack([signature] * 7), MUSCLES, "fig 5", tmp_path / "fig5.png")
    plots.plot_group_wheel(signatures.sum(axis=0), 3, MUSCLES, "fig 6", tmp_path / "fig6.png", full_alpha=2)
    plots.plot_emg_relevance_scatter(emg.reshape(-1)[:5000], normalised.reshape(-1)[:5000],
                                     np.tile(np.arange(8), 625), MUSCLES, 0.5, 0.6, "fig 7", tmp_path / "fig7.png")
    for name in ("fig1", "fig2", "fig4", "fig5", "fig6", "fig7"):
        assert_png(tmp_path / f"{name}.png")


def test_paper_figures_name_the_argument_with_the_wrong_shape(tmp_path):
    cycle = np.zeros((200, 8))
    with pytest.raises(ValueError, match=r"plot_relevance_cycle: normalised must have shape \(C, T, 8\)"):
        plots.plot_relevance_cycle(cycle, cycle, cycle, cycle > 0, MUSCLES, 0.2, "x", tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_relevance_cycle: signature .* with T = 200"):
        plots.plot_relevance_cycle(cycle, cycle, cycle[None], np.zeros((100, 8), bool), MUSCLES, 0.2, "x",
                                   tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_relevance_over_emg: mean_emg must have shape \(K, T, 8\) with K = 3"):
        plots.plot_relevance_over_emg([2, 3, 7], np.zeros((2, 200, 8)), np.zeros((2, 200, 8)), MUSCLES, "x",
                                      tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_task_signatures: mean_emg must have shape \(2, K, T, 8\)"):
        plots.plot_task_signatures([2], ["pedalling", "walking"], np.zeros((1, 1, 200, 8)),
                                   np.zeros((1, 1, 200, 8), bool), MUSCLES, "x", tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_all_signatures: signature must have shape \(P, T, 8\) with P = 3"):
        plots.plot_all_signatures([1, 2, 3], np.zeros((2, 200, 8), bool), MUSCLES, "x", tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_group_wheel: group_count must lie in \[0, 3\]"):
        plots.plot_group_wheel(np.full((200, 8), 4), 3, MUSCLES, "x", tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"plot_emg_relevance_scatter: muscle must have shape \(N,\) with N = 5"):
        plots.plot_emg_relevance_scatter(np.zeros(5), np.zeros(5), np.zeros(4), MUSCLES, 0, 0, "x", tmp_path / "x.png")
    assert not list(tmp_path.iterdir())
