"""The KD stage end to end through Snakemake on a tiny synthetic plan: outputs of both protocols, job layout,
staleness, real-file input, the report and config errors."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from neuromotor.io.tables import read_tsv
from tests.runner import Workflow, merge

pytestmark = pytest.mark.workflow

KD_CONFIG = {
    "seed": 7,
    "kd": {
        "synthetic": {"subjects": 2},
        "layout": {"trials": 4, "gestures": 4, "windows_per_gesture": 10, "first_window": 1, "slot_windows": 12,
                   "trial_windows": 50},
        "models": ["EUNet"],
        "folds": [1],
        "train": {"epochs": 3},
    },
}  # fmt: skip
CONDITIONS = ("US", "EMG", "EMG_KD_a0.80_T20")
TRAINING = ("kd_teacher", "kd_student", "kd_student_kd")


@pytest.fixture(scope="module")
def kd_run(tmp_path_factory) -> Workflow:
    workflow = Workflow(tmp_path_factory.mktemp("kd"), KD_CONFIG)
    workflow.run("kd")
    return workflow


def test_results_of_both_protocols(kd_run):
    results = kd_run.path / "results/kd"
    rows = read_tsv(results / "accuracy.tsv")
    assert len(rows) == 2 * len(CONDITIONS) * 2  # subjects x conditions x protocols, fold 1 only
    assert {(r["subject"], r["fold"], r["model"]) for r in rows} == {(1, 1, "EUNet"), (2, 1, "EUNet")}
    by_key = {(r["subject"], r["condition"], r["protocol"]): r for r in rows}
    for subject in (1, 2):
        for condition in ("US", "EMG"):  # one run gives both protocols: the best epoch is never worse
            paper, honest = by_key[(subject, condition, "paper")], by_key[(subject, condition, "honest")]
            assert paper["accuracy"] >= honest["accuracy"] and honest["epoch"] == 3
            assert paper["selection"] == "best test epoch (best.pt)" and honest["selection"] == "final epoch (final.pt)"
        kd = by_key[(subject, "EMG_KD_a0.80_T20", "honest")]
        assert kd["alpha"] == 0.8 and kd["T"] == 20 and kd["teacher_epoch"] == 3
    for condition, folder in (("US", "EUNet"), ("EMG", "EUNet"), ("EMG_KD_a0.80_T20", "EUNet-kd-EUNet")):
        for protocol in ("paper", "honest"):
            matrix = np.loadtxt(results / f"matrices/{folder}/{folder}_{condition}_{protocol}.txt")
            assert matrix.shape == (2, 2) and np.isnan(matrix[:, 0]).all()  # 2 subjects x 2 folds, fold 0 not run
            expected = [by_key[(s, condition, protocol)]["accuracy"] for s in (1, 2)]
            np.testing.assert_allclose(matrix[:, 1], expected, atol=1e-6)
    table = read_tsv(results / "table.tsv")
    assert [(r["model"], r["protocol"]) for r in table] == [("EUNet", "paper"), ("EUNet", "honest")]
    assert all(r["n_subjects"] == 2 and " ± " in r["sEMG w/ KD"] for r in table)
    assert all(math.isnan(r["p_value"]) or r["p_value"] >= 0.5 for r in table)  # 2 subjects: p is at least 0.5
    assert "honest protocol" in (results / "table.html").read_text()
    for name in ("boxplot", "curves"):
        assert (results / f"figures/{name}.png").stat().st_size > 1000
    for subject in (1, 2):
        for condition in CONDITIONS:
            assert (kd_run.path / f"logs/kd/runs/EUNet_s{subject}_fold1_{condition}.log").is_file()
            assert (kd_run.path / f"benchmarks/kd/runs/EUNet_s{subject}_fold1_{condition}.tsv").is_file()
            for name in ("best.pt", "final.pt", "epochs.tsv", "result.tsv"):
                assert (results / f"runs/EUNet/s{subject}/fold1/{condition}/{name}").is_file()
    assert len((results / "synthetic/data/US/s2_synthetic_US.txt").read_text().splitlines()) == 4 * 4 * 10
    assert not list(results.rglob(".*.partial"))


@pytest.mark.parametrize(
    "change, expected",
    [
        ({}, set()),
        ({"kd": {"kl_reduction": "batchmean"}}, {"kd_student_kd", "kd_collect_kd", "kd_stats", "kd_figures", "kd"}),
        ({"kd": {"distillation": [{"alpha": 0.8, "T": 20}, {"alpha": 0.5, "T": 5}]}},
         {"kd_student_kd", "kd_collect_kd", "kd_stats", "kd_figures", "kd"}),
        ({"kd": {"train": {"epochs": 4}}}, {*TRAINING, "kd_collect", "kd_collect_kd", "kd_stats", "kd_figures", "kd"}),
        ({"kd": {"synthetic": {"us_noise": 0.2}}},
         {"kd_synthetic", "kd_prepare", *TRAINING, "kd_collect", "kd_collect_kd", "kd_stats", "kd_figures", "kd"}),
    ],
)  # fmt: skip
def test_changing_one_parameter_reruns_only_its_dependents(kd_run, change, expected):
    kd_run.write_config(merge(KD_CONFIG, change))
    try:
        planned = kd_run.planned_jobs("kd")
    finally:
        kd_run.write_config(KD_CONFIG)
    assert set(planned) == expected
    if "distillation" in change.get("kd", {}):
        assert planned["kd_student_kd"] == 2  # only the new setting's students


def test_real_files_replace_the_synthetic_ones(kd_run, tmp_path):
    data = tmp_path / "recordings"
    shutil.copytree(kd_run.path / "results/kd/synthetic/data", data)
    for folder, suffix in (("EMG", "EMG"), ("US", "US")):
        for number in (1, 2):
            (data / folder / f"s{number}_synthetic_{suffix}.txt").rename(data / folder / f"s{number}_rec_{suffix}.txt")
    kd_run.write_config(merge(KD_CONFIG, {"kd": {"data": {"source": "files", "dir": str(data)}}}))
    try:
        planned = kd_run.planned_jobs("kd")
    finally:
        kd_run.write_config(KD_CONFIG)
    assert "kd_synthetic" not in planned and planned["kd_prepare"] == 2


def test_report_holds_the_table_and_figures(kd_run):
    kd_run.run("kd", "--report", "report.html")
    html = (kd_run.path / "report.html").read_text(errors="replace")
    for name in ("table.html", "table.tsv", "boxplot.png", "curves.png", "KD ultrasound to sEMG"):
        assert name in html


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kd": {"folds": [2]}}, "config key 'kd.folds': [2] do not exist; kd.layout.trials = 4 gives folds 0..1"),
        ({"kd": {"data": {"source": "files", "dir": "absent"}}}, "config key 'kd.data.dir'"),
    ],
)
def test_invalid_kd_config_stops_before_any_job(tmp_path, change, message):
    workflow = Workflow(tmp_path / "bad", merge(KD_CONFIG, change))
    result = workflow.run("-n", "kd", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
