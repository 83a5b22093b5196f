"""The neural-prediction stage end to end through Snakemake on the tiny PCRT dataset and tiny convnets: a synthetic
session tuned to layer 3 of the trained art S network, every model state and the baselines, the summary, the
figures, vs_paper, and a bad session file failing with its file and key."""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from neuromotor.io.tables import read_tsv
from tests.runner import TINY_CONFIG, Workflow, merge

pytestmark = pytest.mark.workflow

CONFIG = merge(
    TINY_CONFIG,
    {
        "convnets": {
            "search": {
                "n_per_family": 1,
                "epochs": 1,
                "runs": [{"task": "art", "input_key": "spindle_info", "families": ["S"]}],
                "space": {"n_layers": [2], "channels": [4], "spatial_strides": [2], "temporal_strides": [3]},
            },
            "final": {"families": ["S"], "tasks": ["art", "tdt"], "seeds": [1], "epochs": 1},
            "train": {"conv": {"batch_size": 4}, "val_interval": 2},
        },
        "neural": {"synthetic": {"trials": 20, "neurons": 6, "plant": {"layer": 3}}},
    },
)
SESSION = "Synthetic_20240101"


@pytest.fixture(scope="module")
def neural_run(tiny_run, tmp_path_factory) -> Workflow:
    """The stage on a copy of the tiny PCRT plan's dataset (same PCRT config, so nothing upstream reruns)."""
    workflow = Workflow(tmp_path_factory.mktemp("neural"), CONFIG)
    shutil.copytree(tiny_run.path / "results/pcrt", workflow.path / "results/pcrt", symlinks=True)
    planned = workflow.planned_jobs("neural")
    assert {rule: n for rule, n in planned.items() if rule.startswith("neural")} == {
        "neural_synthetic": 1,
        "neural_model": 4,
        "neural_baselines": 1,
        "neural_summary": 1,
        "neural_figures": 1,
        "neural_vs_paper": 1,
        "neural": 1,
    }
    workflow.run("neural")
    return workflow


def test_outputs_logs_and_the_planted_layer(neural_run):
    results = neural_run.path / "results/neural"
    with h5py.File(results / f"data/{SESSION}_active_mvt_end_at100.hdf5") as handle:
        assert handle["spike_counts"].shape == (20, 400, 6) and handle["muscle_coords"].shape == (20, 25, 400, 2)
    for task in ("art", "tdt"):
        for state in ("trained", "untrained"):
            assert (results / SESSION / task / "S/seed1" / f"{state}.tsv").is_file()
            assert (neural_run.path / f"logs/neural/model/{SESSION}_{task}_S_seed1_{state}.log").is_file()
    for name in ("predictivity", "layers", "models", "baselines"):
        assert read_tsv(results / f"summary/{name}.tsv"), name
    models = {(r["task"], r["state"]): r for r in read_tsv(results / "summary/models.tsv")}
    planted = models[("art", "trained")]
    assert planted["best_layer"] == "layer3" and planted["metric"] == "accuracy"
    baselines = [float(r["median_ev"]) for r in read_tsv(results / "summary/baselines.tsv")]
    assert max(baselines) < planted["best_median_ev"] - 0.1
    assert planted["best_median_ev"] > 0.4
    for name in ("predictivity_layers", "predictivity_performance", "vs_paper"):
        assert (results / f"figures/{name}.png").stat().st_size > 5000
    rows = read_tsv(results / "vs_paper.tsv")
    verdicts = {r["quantity"]: r["verdict"] for r in rows}
    assert verdicts["pca_components"] == "agrees" and verdicts["cv_folds"] == "agrees"
    assert verdicts["trained_vs_linear"] == "not comparable at this scale"  # synthetic data: planted, not recorded


def test_a_bad_session_file_fails_naming_file_and_key(neural_run, tmp_path):
    bad = tmp_path / "Bad_20240101_active_mvt_end_at100.hdf5"
    with h5py.File(bad, "w") as handle:
        handle["spike_counts"] = np.ones((4, 400, 2))
        handle["trial_durations"] = np.full(4, 50)
        handle["endeff_coords"] = np.ones((4, 400, 2, 2))  # no muscle_coords
    config = merge(
        CONFIG,
        {
            "neural": {
                "data": {"source": "files", "sessions": [{"name": "Bad_20240101", "path": str(bad), "area": "S1"}]}
            }
        },
    )
    workflow = Workflow(neural_run.path, config)
    result = workflow.run(f"results/neural/Bad_20240101/baselines.tsv", check=False)
    assert result.returncode != 0
    log = (neural_run.path / "logs/neural/baselines_Bad_20240101.log").read_text()
    assert str(bad) in log and "missing key 'muscle_coords'" in log
    workflow.write_config(CONFIG)
