"""The SVM stage end to end through Snakemake on a tiny 3-letter dataset: outputs, job layout independence,
staleness, the report and config errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from neuromotor.io.store import open_store
from neuromotor.svm.stages import read_tsv
from tests.runner import TINY_CONFIG, Workflow, merge

pytestmark = pytest.mark.workflow

LABELS = [1, 11, 15]
SVM_CONFIG = merge(
    TINY_CONFIG,
    {
        "pcrt": {"labels": LABELS, "assembly": {"n_per_label_plane": 6, "n_train": 30, "n_test": 6}},
        "svm": {"pairs_per_job": 3},
    },
)
INPUTS = ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing")
TABLES = ("pairwise.tsv", "multiclass.tsv", "summary.tsv")


@pytest.fixture(scope="module")
def svm_run(tmp_path_factory) -> Workflow:
    workflow = Workflow(tmp_path_factory.mktemp("svm"), SVM_CONFIG)
    workflow.run("svm")
    return workflow


def test_tables_figures_logs_and_benchmarks(svm_run):
    results = svm_run.path / "results/svm"
    pairwise = read_tsv(results / "pairwise.tsv")
    assert len(pairwise) == len(INPUTS) * (1 + 15) * 3  # inputs x (full + 15 subsets) x pairs
    assert {(row["i"], row["j"]) for row in pairwise} == {(1, 11), (1, 15), (11, 15)}
    full = [row for row in pairwise if row["variant"] == "full"]
    assert all(row["C"] in (1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1000.0) and row["converged"] for row in full)
    assert all(0 <= row["test_acc"] <= 1 and row["n_fit"] > 0 and row["n_test"] > 0 for row in full)
    multiclass = read_tsv(results / "multiclass.tsv")
    assert len(multiclass) == len(INPUTS) * 16
    suppressed = {row["suppressed"] for row in read_tsv(results / "summary.tsv")}
    assert suppressed == {"none", "plane", "size", "speed", "size_plane"}
    for name in ("pairwise_matrix", "multiclass", "circle", "pairwise_distribution"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 1000
    jobs = [f"{name}_{variant}_pairs000" for name in INPUTS for variant in ("full", "suppressed")]
    for job in jobs:
        assert (svm_run.path / f"logs/svm/fit/{job}.log").is_file()
        assert (svm_run.path / f"benchmarks/svm/fit/{job}.tsv").is_file()
    assert (svm_run.path / "logs/svm/evaluate.log").is_file()
    assert not list((svm_run.path / "results/svm").rglob(".*.partial"))


def test_second_run_has_nothing_to_do(svm_run):
    assert svm_run.planned_jobs("svm") == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"svm": {"C_grid": [0.01, 1.0]}}, {"svm_fit", "svm_evaluate", "svm_figures", "svm"}),
        ({"svm": {"suppressed": ["plane"]}}, {"svm_fit", "svm_evaluate", "svm_figures", "svm"}),
        ({"svm": {"circle_threshold": 0.8}}, {"svm_figures", "svm"}),
        ({"svm": {"liblinear": {"tol": 1e-3}}}, set()),  # the exact solver does not use it
        (
            {"pcrt": {"spindle": {"noise": 0.1}}},
            {"pcrt_dataset", "svm_features", "svm_fit", "svm_evaluate", "svm_figures", "svm"},
        ),
    ],
)
def test_changing_one_parameter_reruns_only_its_dependents(svm_run, change, expected):
    svm_run.write_config(merge(SVM_CONFIG, change))
    try:
        planned = svm_run.planned_jobs("svm")
    finally:
        svm_run.write_config(SVM_CONFIG)
    assert set(planned) == expected
    if "suppressed" in change.get("svm", {}):
        assert planned["svm_fit"] == len(INPUTS)  # only the suppressed-variant jobs


def test_results_do_not_depend_on_pairs_per_job(svm_run, tmp_path):
    saved = tmp_path / "three_pairs_per_job"
    shutil.copytree(svm_run.path / "results/svm", saved, ignore=shutil.ignore_patterns("fits", "features"))
    svm_run.write_config(merge(SVM_CONFIG, {"svm": {"pairs_per_job": 1}}))
    try:
        assert svm_run.planned_jobs("svm")["svm_fit"] == len(INPUTS) * 2 * 3
        svm_run.run("svm")
        for table in TABLES:
            assert (svm_run.path / "results/svm" / table).read_text() == (saved / table).read_text(), table
        one, three = open_store(svm_run.path / "results/svm/decisions.zarr"), open_store(saved / "decisions.zarr")
        for name in INPUTS:
            for group, arrays in three[name].groups():
                np.testing.assert_array_equal(one[name][group]["decision"][...], arrays["decision"][...])
    finally:
        svm_run.write_config(SVM_CONFIG)


def test_report_holds_the_svm_figures(svm_run):
    svm_run.run("svm", "--report", "report.html")
    html = (svm_run.path / "report.html").read_text(errors="replace")
    for name in ("pairwise_matrix.png", "multiclass.png", "circle.png", "pairwise_distribution.png",
                 "DeepDraw (Sandbrink et al. 2023)", "Fig. 3"):
        assert name in html


@pytest.mark.parametrize(
    "change, message",
    [
        ({"svm": {"solver": "sgd"}}, "config key 'svm.solver': 'sgd' is not allowed"),
        ({"svm": {"C_grid": [1.0, 0.1]}}, "config key 'svm.C_grid'"),
        ({"svm": {"pairs_per_jobs": 2}}, "unknown config key 'svm.pairs_per_jobs'"),
    ],
)
def test_invalid_svm_config_stops_before_any_job(tmp_path, change, message):
    workflow = Workflow(tmp_path / "bad", merge(SVM_CONFIG, change))
    result = workflow.run("-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def test_a_single_label_plans_no_svm_job(tmp_path):
    config = merge(SVM_CONFIG, {"pcrt": {"labels": [3], "assembly": {"n_train": 8, "n_test": 2}}})
    workflow = Workflow(tmp_path / "one", config)
    result = workflow.run("-n", check=False)
    assert result.returncode == 0 and "the SVM stage needs at least 2" in result.stderr
    planned = workflow.planned_jobs()
    assert "pcrt_dataset" in planned and not any(rule.startswith("svm") for rule in planned)
