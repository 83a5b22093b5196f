"""The EEG interpretation stage end to end through Snakemake on a tiny synthetic dataset: outputs (with one sample's
class-activation map and band power), independence of the job layout, staleness, the report, config errors and a
wrong-shape original file."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import scipy.io

from neuromotor.explain.attribution import METHODS
from neuromotor.io.store import read_arrays
from neuromotor.io.tables import read_tsv
from tests.runner import Workflow, merge

pytestmark = pytest.mark.workflow

MODELS = ("interpretable_cnn", "eegnet")
EEG_CONFIG = {
    "seed": 7,
    "eeg": {
        "synthetic": {"scale": 0.05, "effect": {"amplitude_uv": 40.0}},  # subject 2: 6 epochs
        "models": list(MODELS),
        "subjects": [2],
        "train": {"epochs": 2},
        "attribution": {"methods_per_job": 4, "ig_steps": 10},
        "perturbation": {"patches": 10},
        "figures": {
            "samples": [
                {"model": "eegnet", "subject": 2, "index": 1},
                {"model": "interpretable_cnn", "subject": 2, "index": 1},
            ]
        },
    },
}
N_SAMPLES = 6
TABLES = ("perturbation.tsv", "deletion.tsv", "summary.tsv", "ranking.tsv", "accuracy.tsv", "channel_relevance.tsv")


@pytest.fixture(scope="module")
def eeg_run(tmp_path_factory) -> Workflow:
    workflow = Workflow(tmp_path_factory.mktemp("eeg"), EEG_CONFIG)
    workflow.run("eeg")
    return workflow


def test_tables_stores_figures_logs_and_benchmarks(eeg_run):
    results = eeg_run.path / "results/eeg"
    perturbation = read_tsv(results / "perturbation.tsv")
    assert len(perturbation) == len(MODELS) * len(METHODS) * N_SAMPLES
    assert {"patch_r_38", "patch_r_76", "patch_r_116", "patch_r_154", "patch_r_192", "channel_r"} <= set(
        perturbation[0]
    )
    deletion = read_tsv(results / "deletion.tsv")
    assert len(deletion) == len(perturbation)
    assert all(0 <= row["fraction_deleted"] <= 1 and 0 <= row["p_sample_deletion"] <= 1 for row in deletion)
    accuracy = read_tsv(results / "accuracy.tsv")
    assert {(r["model"], r["subject"], r["protocol"]) for r in accuracy} == {
        (m, s, p) for m in MODELS for s in (2, "mean") for p in ("honest", "best_test_epoch")
    }
    ranking = read_tsv(results / "ranking.tsv")
    for model in MODELS:
        assert sorted(r["rank"] for r in ranking if r["model"] == model) == list(range(1, 9))
    relevance = read_tsv(results / "channel_relevance.tsv")
    assert {r["explained"] for r in relevance} == {"all", "alert", "drowsy"}
    for model in MODELS:
        for chunk, methods in (("methods00", METHODS[:4]), ("methods01", METHODS[4:])):
            store = results / f"attribution/{model}/sub02/{chunk}.zarr"
            for method in methods:
                heatmaps = read_arrays(store, method, ["heatmaps"])["heatmaps"]
                assert heatmaps.shape == (N_SAMPLES, 30, 384) and heatmaps.dtype == np.float32
        for protocol in ("honest", "best_test_epoch"):
            assert (results / f"models/{model}/sub02/{protocol}.pt").is_file()
        assert (eeg_run.path / f"logs/eeg/train/{model}_sub02.log").is_file()
        assert (eeg_run.path / f"benchmarks/eeg/attribute/{model}_sub02_methods01.tsv").is_file()
    for name in ("accuracy", "ranking", "topomaps"):
        assert (results / f"figures/{name}.png").stat().st_size > 10_000
    samples = sorted(p.name for p in (results / "figures/samples").glob("*.png"))
    assert samples == sorted(f"{model}_sub02_sample001_{method}.png" for model in MODELS for method in METHODS)
    # the class-activation map only for InterpretableCNN; band power once per sample
    assert [p.name for p in (results / "figures/cam").iterdir()] == ["interpretable_cnn_sub02_sample001.png"]
    assert [p.name for p in (results / "figures/band_power").iterdir()] == ["sub02_sample001.png"]
    cam = read_tsv(results / "cam/interpretable_cnn_sub02_sample001.tsv")
    assert len(cam) == 30 and 0 < sum(r["n_traced"] for r in cam) <= 100
    bands = read_tsv(results / "band_power/sub02_sample001.tsv")
    assert len(bands) == 30 and all(0 <= r["delta"] + r["theta"] + r["alpha"] + r["beta"] <= 1 for r in bands)
    for name in ("cam/interpretable_cnn_sub02_sample001", "band_power/sub02_sample001"):
        assert (eeg_run.path / f"benchmarks/eeg/{name}.tsv").is_file()
    assert not list(results.rglob(".*.partial"))


def test_loader_reads_the_synthetic_file_with_the_configured_counts(eeg_run):
    raw = scipy.io.loadmat(eeg_run.path / "results/eeg/data/dataset.mat")
    assert raw["EEGsample"].shape[1:] == (30, 384)
    subjects, counts = np.unique(raw["subindex"], return_counts=True)
    assert subjects.tolist() == list(range(1, 12)) and counts[1] == N_SAMPLES


def test_second_run_has_nothing_to_do(eeg_run):
    assert eeg_run.planned_jobs("eeg") == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"eeg": {"deletion": {"target": "predicted"}}}, {"eeg_attribute", "eeg_summary", "eeg_figures", "eeg"}),
        (
            {"eeg": {"figures": {"samples": [{"model": "eegnet", "subject": 2, "index": 0}]}}},
            {"eeg_figures", "eeg_band_power", "eeg"},  # a new sample: its band power; no CAM (EEGNet)
        ),
    ],
)
def test_changing_one_parameter_reruns_only_its_dependents(eeg_run, change, expected):
    eeg_run.write_config(merge(EEG_CONFIG, change))
    try:
        planned = eeg_run.planned_jobs("eeg")
    finally:
        eeg_run.write_config(EEG_CONFIG)
    assert set(planned) == expected


def test_results_do_not_depend_on_methods_per_job(eeg_run, tmp_path):
    saved = tmp_path / "four_per_job"
    shutil.copytree(eeg_run.path / "results/eeg", saved, ignore=shutil.ignore_patterns("figures", "models", "data"))
    eeg_run.write_config(merge(EEG_CONFIG, {"eeg": {"attribution": {"methods_per_job": 8}}}))
    try:
        eeg_run.run("eeg")
        for table in TABLES:
            assert (eeg_run.path / "results/eeg" / table).read_text() == (saved / table).read_text(), table
        for model in MODELS:
            for method in METHODS:
                chunk = "methods00" if method in METHODS[:4] else "methods01"
                before = read_arrays(saved / f"attribution/{model}/sub02/{chunk}.zarr", method)
                # one job per model now: its store holds all 8 methods
                after = read_arrays(eeg_run.path / f"results/eeg/attribution/{model}/sub02/methods00.zarr", method)
                np.testing.assert_array_equal(after["heatmaps"], before["heatmaps"])
    finally:
        eeg_run.write_config(EEG_CONFIG)


def test_report_holds_the_eeg_figures(eeg_run):
    eeg_run.run("eeg", "--report", "report.html")
    html = (eeg_run.path / "report.html").read_text(errors="replace")
    names = ("topomaps.png", "ranking.png", "eegnet_sub02_sample001_deeplift.png", "EEG interpretation",
             "interpretable_cnn_sub02_sample001.png", "Class-activation map", "Relative band power")  # fmt: skip
    for name in names:
        assert name in html


def test_invalid_eeg_config_stops_before_any_job(tmp_path):
    """Every message is checked in tests/unit/test_eeg_stages.py; here: Snakemake stops with it before any job."""
    change = {"eeg": {"figures": {"samples": [{"model": "eegnet", "subject": 2, "index": 6}]}}}
    workflow = Workflow(tmp_path / "bad", merge(EEG_CONFIG, change))
    result = workflow.run("-n", "eeg", check=False)
    assert result.returncode != 0
    assert "config key 'eeg.figures.samples[0].index': subject 2 has 6 epochs" in result.stdout + result.stderr


def test_a_wrong_shape_original_file_fails_with_a_clear_message(tmp_path):
    workflow = Workflow(tmp_path / "mat", {})
    bad = workflow.path / "dataset.mat"
    scipy.io.savemat(
        bad,
        {"EEGsample": np.zeros((4, 32, 384)), "substate": np.zeros((4, 1)), "subindex": np.array([[1], [2], [2], [3]])},
    )
    eegnet_only = {"models": ["eegnet"], "figures": {"samples": [{"model": "eegnet", "subject": 2, "index": 1}]}}
    config = merge(EEG_CONFIG, {"eeg": {"data": {"source": "mat", "path": "dataset.mat"}, **eegnet_only}})
    workflow.write_config(config)
    result = workflow.run("eeg", check=False)
    assert result.returncode != 0  # found from the file's header before any job runs
    output = result.stdout + result.stderr
    assert "config key 'eeg.data.path': dataset.mat: key 'EEGsample' must have shape (N, 30, 384), found (4, 32, 384)" in output
    assert not (workflow.path / "logs/eeg/train").exists() and not (workflow.path / "results").exists()
