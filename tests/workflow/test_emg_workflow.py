"""The EMG signature stage end to end through Snakemake on a tiny synthetic study: outputs in the spec's layout,
cross-condition robustness, job-layout independence, staleness, the report and config errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from neuromotor.io.emg_mat import MUSCLES
from neuromotor.io.store import read_arrays
from neuromotor.io.tables import read_tsv
from tests.runner import Workflow, merge

pytestmark = pytest.mark.workflow

EMG_CONFIG = {
    "seed": 7,
    "emg_signatures": {
        "data": {"conditions": ["pedalling_150W_day1", "pedalling_150W_day2", "walking_day1"]},
        "synthetic": {"participants": 5, "cycles": 20, "day2_participants": 3},
        "models": ["SvmLinearL2C1em2", "Cnn1DC8"],
        "training": {"iterations": [20, 10], "learning_rates": [0.005, 0.001], "eval_every": 10},
        "subsample": {"targets": [1, 2], "sizes": [2, 3, 5], "repetitions": 2, "fits_per_job": 6},
        "comparisons": ["pedalling_day1_vs_day2", "pedalling_vs_walking", "walking_day1_vs_day2"],
    },
}
EXPERIMENTS = ("pedalling_150W_baseline_day1", "pedalling_150W_robustness_day2", "walking_baseline_day1")
RESULTS = "results/emg_signatures"


@pytest.fixture(scope="module")
def emg_run(tmp_path_factory) -> Workflow:
    workflow = Workflow(tmp_path_factory.mktemp("emg"), EMG_CONFIG)
    assert workflow.planned_jobs("emg_signatures") == {
        "emg_synthetic": 1, "emg_run_svm": 3, "emg_run_network": 3, "emg_accuracy": 1, "emg_signature": 3,
        "emg_subsample": 2, "emg_robustness": 1, "emg_cross_condition": 1, "emg_paper_figures": 1,
        "emg_signatures": 1,
    }  # fmt: skip
    workflow.run("emg_signatures")
    return workflow


def test_relevance_stores_hold_every_fold_and_rule_in_the_spec_layout(emg_run):
    results = emg_run.path / RESULTS
    for experiment, folds, n_test in ((EXPERIMENTS[0], 10, 10), (EXPERIMENTS[1], 1, 3 * 20)):
        for model, n_maps in (("SvmLinearL2C1em2", 4), ("Cnn1DC8", 18)):
            store = results / "runs" / experiment / model / "relevance.zarr"
            for k in range(folds):
                group = f"fold{k}" if folds == 10 else "part-0"
                arrays = read_arrays(store, group)
                maps = [name for name in arrays if name.startswith("R_pred_")]
                assert len(maps) == n_maps
                assert all(arrays[name].shape == (n_test, 200, 8) and arrays[name].dtype == np.float64
                           for name in maps)
                assert arrays["y_pred"].shape == (n_test, 5)
                assert 0 <= float(arrays["acc"]) <= 1
                assert (results / "runs" / experiment / model / "checkpoints" / f"{group}.pt").is_file()
            scores = json.loads((results / "runs" / experiment / model / "scores.json").read_text())
            assert len(scores["folds"]) == folds
    cv = results / "runs" / EXPERIMENTS[0] / "SvmLinearL2C1em2" / "relevance.zarr"
    tested = np.concatenate([read_arrays(cv, f"fold{k}", ["file_row"])["file_row"] for k in range(10)])
    np.testing.assert_array_equal(np.sort(tested), np.arange(100))  # every cycle explained exactly once
    day2 = read_arrays(results / "runs" / EXPERIMENTS[1] / "Cnn1DC8" / "relevance.zarr", "part-0", ["participant"])
    assert len(set(day2["participant"].tolist())) == 3


def test_tables_signatures_robustness_and_cross_condition(emg_run):
    results = emg_run.path / RESULTS
    accuracy = read_tsv(results / "accuracy.tsv")
    assert len(accuracy) == 2 * (10 + 1 + 10)
    summary = read_tsv(results / "accuracy_summary.tsv")
    assert {(row["experiment"], row["family"]) for row in summary} == {(e, f) for e in EXPERIMENTS
                                                                        for f in ("svm", "cnn")}
    svm = [row for row in summary if row["model"] == "SvmLinearL2C1em2" and row["experiment"] == EXPERIMENTS[0]]
    assert svm[0]["accuracy_mean_pct"] > 80
    for experiment, n in zip(EXPERIMENTS, (5, 3, 5)):
        rows = read_tsv(results / "signatures" / f"{experiment}.tsv")
        participants = [row["participant"] for row in rows]
        assert len(rows) == n and set(participants) <= {1, 2, 3, 4, 5} and participants == sorted(participants)
        assert all(row["n_cycles"] == 20 for row in rows)
        store = read_arrays(results / "signatures" / f"{experiment}.zarr", "", ["mean", "signature", "planted"])
        finite = store["mean"][np.isfinite(store["mean"])]
        assert finite.min() >= 0 and finite.max() <= 1
    baseline = read_tsv(results / "signatures" / f"{EXPERIMENTS[0]}.tsv")
    assert np.mean([row["planted_enrichment"] for row in baseline]) > 3
    for task in ("pedalling",):
        rows = read_tsv(results / "robustness" / f"{task}.tsv")
        assert [(row["size"], row["comparison"]) for row in rows] == [
            (n, c) for n in (2, 3, 5) for c in ("baseline", "control", "within")]  # fmt: skip
        assert [row["in_curve"] for row in rows if row["comparison"] == "baseline"] == [False, True, False]
        by = {(row["size"], row["comparison"]): row for row in rows}
        assert by[(3, "baseline")]["r"] > by[(3, "control")]["r"]
        assert -1 <= by[(3, "baseline")]["ci_low"] <= by[(3, "baseline")]["r"] <= by[(3, "baseline")]["ci_high"] <= 1
        assert by[(5, "baseline")]["r"] > 0.999  # all participants: the same data as the baseline run
    cross = {row["comparison"]: row for row in read_tsv(results / "cross_condition.tsv")}
    assert set(cross) == {"pedalling_day1_vs_day2", "pedalling_vs_walking"}  # no walking day 2 file listed
    assert cross["pedalling_day1_vs_day2"]["n"] == 3 and cross["pedalling_vs_walking"]["n"] == 5
    assert cross["pedalling_day1_vs_day2"]["r"] > 0.5
    for name in ("accuracy", "cross_condition", "robustness_pedalling",
                 *(f"signatures_{e}" for e in EXPERIMENTS)):
        assert (results / "figures" / f"{name}.png").stat().st_size > 5000
    assert (emg_run.path / "logs/emg_signatures/runs" / f"{EXPERIMENTS[0]}_Cnn1DC8.log").is_file()
    assert not list(results.rglob(".*.partial"))


def test_paper_figures_and_emg_vs_relevance_statistics(emg_run):
    results = emg_run.path / RESULTS
    names = ["fig4_task_signatures", "fig5_all_signatures_pedalling", "fig8_all_signatures_walking"]
    names += [f"{figure}_{task}" for task in ("pedalling", "walking")
              for figure in ("fig1_relevance_cycle", "fig2_relevance_over_emg", "fig6_group_wheel",
                             "fig7_emg_vs_relevance")]
    for name in names:
        assert (results / "figures/paper" / f"{name}.png").stat().st_size > 5000, name
    rows = read_tsv(results / "emg_vs_relevance.tsv")
    by = {(row["task"], row["statistic"], row["muscle"]): row for row in rows}
    for task in ("pedalling", "walking"):
        assert by[(task, "r_all_cycles", "all")]["n"] == 5 * 20 * 200 * 8
        assert 0.2 < by[(task, "r_all_cycles", "all")]["value"] < 1  # relevance follows the EMG bursts
        assert by[(task, "r_participant_means", "all")]["n"] == 5 * 200 * 8
        assert by[(task, "mean_emg_pct_above", "all")]["value"] > 40
    cross = [row for row in rows if row["task"] == "pedalling_vs_walking"]
    assert len(cross) == 2 * 8 and all(row["n"] == 5 for row in cross)
    assert {row["muscle"] for row in cross} == set(MUSCLES)
    assert (emg_run.path / "benchmarks/emg_signatures/subsample/pedalling_chunk001.tsv").is_file()
    assert not list(results.rglob(".*.partial"))


def test_second_run_has_nothing_to_do(emg_run):
    assert emg_run.planned_jobs("emg_signatures") == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"training": {"eval_every": 5}}, {"emg_run_network", "emg_accuracy", "emg_signatures"}),
        ({"signatures": {"relevance_threshold": 0.3}},
         {"emg_signature", "emg_robustness", "emg_cross_condition", "emg_paper_figures", "emg_signatures"}),
    ],
)
def test_changing_one_parameter_reruns_only_its_dependents(emg_run, change, expected):
    emg_run.write_config(merge(EMG_CONFIG, {"emg_signatures": change}))
    try:
        planned = emg_run.planned_jobs("emg_signatures")
    finally:
        emg_run.write_config(EMG_CONFIG)
    assert set(planned) == expected


def test_results_do_not_depend_on_fits_per_job(emg_run, tmp_path):
    saved = tmp_path / "six_per_job"
    shutil.copytree(emg_run.path / RESULTS / "robustness", saved)
    before = [read_arrays(emg_run.path / RESULTS / f"subsample/pedalling/chunk{i:03d}.zarr", "", ["item", "mean"])
              for i in range(2)]
    emg_run.write_config(merge(EMG_CONFIG, {"emg_signatures": {"subsample": {"fits_per_job": 12}}}))
    try:
        assert emg_run.planned_jobs("emg_signatures")["emg_subsample"] == 1
        emg_run.run("emg_signatures")
        robustness = (emg_run.path / RESULTS / "robustness/pedalling.tsv").read_text()
        assert robustness == (saved / "pedalling.tsv").read_text()
        after = read_arrays(emg_run.path / RESULTS / "subsample/pedalling/chunk000.zarr", "", ["item", "mean"])
        np.testing.assert_array_equal(after["item"], np.concatenate([b["item"] for b in before]))
        np.testing.assert_array_equal(after["mean"], np.concatenate([b["mean"] for b in before]))
    finally:
        emg_run.write_config(EMG_CONFIG)


def test_report_holds_the_emg_figures(emg_run):
    emg_run.run("emg_signatures", "--report", "report.html")
    html = (emg_run.path / "report.html").read_text(errors="replace")
    for name in ("accuracy.png", "robustness_pedalling.png", "cross_condition.png", "EMG signatures",
                 f"signatures_{EXPERIMENTS[0]}.png", "fig1_relevance_cycle_pedalling.png", "emg_vs_relevance.tsv",
                 "Fig. 1", "Fig. 8"):
        assert name in html


def test_missing_original_files_stop_before_any_job(tmp_path):
    """Config values are checked in tests/unit/test_emg_plan.py; the files only when the workflow is planned."""
    change = {"data": {"source": "files", "directory": "nowhere"}}
    workflow = Workflow(tmp_path / "bad", merge(EMG_CONFIG, {"emg_signatures": change}))
    result = workflow.run("-n", "emg_signatures", check=False)
    assert result.returncode != 0
    message = "config key 'emg_signatures.data.directory': nowhere holds no Data_Pedalling_150W_Baseline_Day1.mat"
    assert message in result.stdout + result.stderr


FILES_CONFIG = {
    "seed": 7,
    "emg_signatures": {
        "data": {"conditions": ["pedalling_150W_day1"]},
        "synthetic": {"participants": 5, "cycles": 20, "day2_participants": 3},
        "models": ["SvmLinearL2C1em2"],
        "subsample": {"targets": [1, 2], "sizes": [2, 3, 5], "repetitions": 2, "fits_per_job": 12,
                      "source": "files", "directory": "subsets"},
    },
}


def test_original_subset_files_replace_the_seeded_draws(tmp_path):
    """Subset files in the original layout, written by scripts/emg_subsample_files.py from the synthetic data (planted
    signature regions) with other draws than the workflow's, run the robustness stage: the members and signatures
    come from the files, the planted regions are found, and a missing file stops the plan naming it."""
    from neuromotor.emg.subsamples import draw_participants, subset_generator
    from tests.runner import PROJECT_ROOT

    import subprocess
    import sys

    workflow = Workflow(tmp_path / "files", FILES_CONFIG)
    subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts/emg_subsample_files.py"), "--task", "pedalling",
                    "--participants", "5", "--cycles", "20", "--data-seed", "7", "--targets", "1", "2",
                    "--sizes", "2", "3", "5", "--repetitions", "2", "--seed", "99",
                    "--out", str(workflow.path / "subsets")], check=True, capture_output=True)
    assert len(list((workflow.path / "subsets/Robustness/Pedalling").glob("Data_Pedalling_Baseline_Day1_P*"))) == 12
    workflow.run(f"{RESULTS}/robustness/pedalling.tsv")

    store = read_arrays(workflow.path / RESULTS / "subsample/pedalling/chunk000.zarr", "", ["item", "members", "mean"])
    drawn_by_files = [draw_participants(np.arange(1, 6), k, n, subset_generator(99, 1, k, n, s))
                      for k, n, s in store["item"].tolist()]
    drawn_by_workflow = [draw_participants(np.arange(1, 6), k, n, subset_generator(7, 1, k, n, s))
                         for k, n, s in store["item"].tolist()]
    members = [np.flatnonzero(row) + 1 for row in store["members"]]
    assert all(m.tolist() == d.tolist() for m, d in zip(members, drawn_by_files))
    assert any(m.tolist() != d.tolist() for m, d in zip(members, drawn_by_workflow))  # the files were used
    planted = read_arrays(workflow.path / RESULTS / "data/planted.zarr", "", ["mask"])["mask"]
    for (k, n, s), mean in zip(store["item"].tolist(), store["mean"]):
        if n >= 3:  # the planted regions carry the target's relevance
            mean = np.nan_to_num(mean)
            assert mean[planted[k - 1]].mean() > 2 * mean[~planted[k - 1]].mean(), (k, n, s)
    rows = {(row["size"], row["comparison"]): row for row in read_tsv(workflow.path / RESULTS / "robustness/pedalling.tsv")}
    assert rows[(3, "baseline")]["r"] > rows[(3, "control")]["r"]
    assert rows[(5, "baseline")]["r"] > 0.999  # all participants: the baseline run's data

    (workflow.path / "subsets/Robustness/Pedalling/Data_Pedalling_Baseline_Day1_P2_N3_S2.mat").unlink()
    (workflow.path / RESULTS / "robustness/pedalling.tsv").unlink()
    result = workflow.run("-n", f"{RESULTS}/robustness/pedalling.tsv", "--forcerun", "emg_subsample", check=False)
    assert result.returncode != 0
    assert ("config key 'emg_signatures.subsample.directory': subsets lacks 1 subset file(s) of subsample.source "
            "'files', e.g. subsets/Robustness/Pedalling/Data_Pedalling_Baseline_Day1_P2_N3_S2.mat"
            in result.stdout + result.stderr)
