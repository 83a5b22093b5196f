"""The convnet stage end to end through Snakemake on the tiny PCRT dataset: outputs at the contract's paths,
untrained controls, figures, staleness and the default plan."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from neuromotor.convnets.models import load_network, parse_name
from neuromotor.io.tables import read_tsv
from tests.runner import TINY_CONFIG, Workflow, merge

pytestmark = pytest.mark.workflow

CONVNETS_CONFIG = merge(
    TINY_CONFIG,
    {
        "convnets": {
            "search": {
                "n_per_family": 1,
                "epochs": 1,
                "runs": [{"task": "art", "input_key": "spindle_info", "families": ["S", "LSTM"]}],
                "space": {"n_layers": [1], "channels": [8], "spatial_strides": [2], "temporal_strides": [3]},
                "lstm_space": {"n_layers": [1], "channels": [8], "units": [8], "strides": [2]},
            },
            "final": {"families": ["S", "LSTM"], "tasks": ["art", "tdt"], "seeds": [1], "epochs": 2},
            "train": {"conv": {"batch_size": 4}, "lstm": {"batch_size": 4}, "val_interval": 2},
        }
    },
)
FILES = ("init.pt", "best.pt", "config.json", "metrics.json", "history.tsv", "control_metrics.json")


@pytest.fixture(scope="module")
def convnets_run(tiny_run, tmp_path_factory) -> Workflow:
    """The convnet stage on a copy of the tiny PCRT plan's dataset (same PCRT config, so nothing upstream reruns)."""
    workflow = Workflow(tmp_path_factory.mktemp("convnets"), CONVNETS_CONFIG)
    shutil.copytree(tiny_run.path / "results/pcrt", workflow.path / "results/pcrt", symlinks=True)
    workflow.run("convnets")
    return workflow


def test_models_at_the_contract_paths(convnets_run):
    results = convnets_run.path / "results/convnets"
    summary = read_tsv(results / "art/search/spindle_info/summary.tsv")
    assert sorted(row["family"] for row in summary) == ["LSTM", "S"]
    for row in summary:
        assert (results / "art/search/spindle_info" / row["configuration"] / "best.pt").is_file()
    for task in ("art", "tdt"):
        for family in ("S", "LSTM"):
            directory = results / task / "final" / family / "seed1"
            assert all((directory / name).is_file() for name in FILES), directory
            config = json.loads((directory / "config.json").read_text())
            assert {"name", "family", "task", "architecture", "seed", "input_key"} <= set(config)
            assert (config["family"], config["task"], config["seed"], config["input_key"]) == (
                family,
                task,
                1,
                "spindle_info",
            )
            # the family's searched configuration, trained again
            assert config["configuration"] == next(r["configuration"] for r in summary if r["family"] == family)
            model = load_network(directory, "init")
            layers = model.layer_outputs(torch.zeros(2, 2, 25, 320))
            assert len(layers) == parse_name(config["configuration"]).architecture.depth
            control = json.loads((directory / "control_metrics.json").read_text())
            assert control["name"] == config["name"] + "r"
            assert (convnets_run.path / f"logs/convnets/final/{task}_{family}_seed1.log").is_file()
            assert (convnets_run.path / f"benchmarks/convnets/final/{task}_{family}_seed1.tsv").is_file()
    final = read_tsv(results / "final.tsv")
    assert len(final) == 4 and all(row["untrained_test_metric"] == row["untrained_test_metric"] for row in final)
    for name in ("learning_curves", "search_accuracy", "trained_vs_untrained"):
        assert (results / "figures" / f"{name}.png").stat().st_size > 1000
    assert not list(results.rglob(".*.partial"))


def test_second_run_has_nothing_to_do_and_changes_rerun_only_their_jobs(convnets_run):
    assert convnets_run.planned_jobs("convnets") == {}
    try:
        convnets_run.write_config(merge(CONVNETS_CONFIG, {"convnets": {"final": {"seeds": [1, 2]}}}))
        assert convnets_run.planned_jobs("convnets") == {"convnets_final": 4, "convnets_figures": 1, "convnets": 1}
        convnets_run.write_config(merge(CONVNETS_CONFIG, {"convnets": {"train": {"lstm": {"learning_rate": 0.01}}}}))
        planned = convnets_run.planned_jobs("convnets")
        # only the LSTM jobs (their recipe changed), then the table the finals read and the figures
        assert planned == {
            "convnets_search": 1,
            "convnets_summary": 1,
            "convnets_final": 4,
            "convnets_figures": 1,
            "convnets": 1,
        }
    finally:
        convnets_run.write_config(CONVNETS_CONFIG)


def test_default_config_plans_the_demo(tmp_path):
    counts = Workflow(tmp_path / "default", {}).planned_jobs("convnets")
    convnets = {rule: n for rule, n in counts.items() if rule.startswith("convnets")}
    assert convnets == {
        "convnets_search": 4 * 2,  # families x configurations
        "convnets_summary": 1,
        "convnets_final": 4 * 2,  # families x tasks (ART, TDT), one seed, each with its untrained control
        "convnets_figures": 1,
        "convnets": 1,
    }
