"""The convnet stage end to end through Snakemake on the tiny PCRT dataset: outputs at the contract's paths,
untrained controls, figures, staleness and the default plan."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from neuromotor.config import validate_config
from neuromotor.convnets import plan as convnets_plan
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


# successive halving in part jobs, and a set of convnets.experiments analysed by representations.experiments
EXTRA_CONFIG = merge(
    CONVNETS_CONFIG,
    {
        "convnets": {
            "search": {
                "n_per_family": 3, "epochs": 4, "strategy": "successive_halving", "models_per_job": 2,
                "halving": {"eta": 2, "min_epochs": 1},
            },  # fmt: skip
            "experiments": {
                "exp4": {"input_key": "spindle_firing", "models": {"S": "spatial_temporal_1_8_8_3232"},
                         "seeds": [1, 2], "epochs": 1},
            },  # fmt: skip
        },
        "representations": {
            "families": ["S"], "tasks": ["art"], "experiments": ["exp4"],
            "activations": {"fraction": {"S": 1.0, "TS": 1.0, "ST": 1.0, "LSTM": 1.0}},
            "rdm": {"per_class": 4}, "tsne": {"n_pca": 3}, "tuning": {"labels": "auc", "min_trajectories": 2},
        },  # fmt: skip
    },
)


def test_halving_and_experiment_sets_plan(tmp_path):
    planned = Workflow(tmp_path / "plan", EXTRA_CONFIG).planned_jobs("convnets", "representations")
    ours = {rule: n for rule, n in planned.items() if rule.startswith(("convnets", "representations_experiment"))}
    assert ours == {
        # rungs of 1, 2, 4 epochs with 3, 2, 1 configurations per family (eta 2), 2 per job: 2 + 1 + 1 parts
        "convnets_search_part": 2 * (2 + 1 + 1),
        "convnets_summary": 1,
        "convnets_final": 2 * 2,
        "convnets_figures": 1,
        "convnets_experiment": 2,  # exp4: S x seeds 1, 2 (ART)
        "convnets_experiment_table": 1,
        "representations_experiment_rdm": 2 * 2,  # seeds x (trained, untrained)
        "representations_experiment_summary": 1,
        "convnets": 1,
    }
    bad = merge(EXTRA_CONFIG, {"representations": {"experiments": ["exp5"]}})
    result = Workflow(tmp_path / "bad", bad).run("-n", "representations", check=False)
    assert result.returncode != 0 and "representations.experiments" in result.stdout + result.stderr


def test_halving_and_experiment_sets_run(tiny_run, tmp_path):
    workflow = Workflow(tmp_path / "run", EXTRA_CONFIG)
    shutil.copytree(tiny_run.path / "results/pcrt", workflow.path / "results/pcrt", symlinks=True)
    workflow.run(
        "results/convnets/art/search/spindle_info/summary.tsv",
        "results/representations/experiments/exp4/stats.tsv",
        "results/convnets/experiments/exp4/models.tsv",
        "results/convnets/art/final/S/seed1/metrics.json",
    )
    results = workflow.path / "results/convnets"
    summary = read_tsv(results / "art/search/spindle_info/summary.tsv")
    # the final model trains the last rung's winner, as after a full search (its request sized for it)
    final = json.loads((results / "art/final/S/seed1/metrics.json").read_text())
    assert final["configuration"] == convnets_plan.select_configuration(summary, "S")
    assert sorted(row["family"] for row in summary) == ["LSTM", "S"]  # the last rung: 1 per family, 4 epochs
    for row in summary:
        last = results / f"art/search/spindle_info/rungs/{row['family']}/rung2/part0" / row["configuration"]
        assert json.loads((last / "metrics.json").read_text())["epochs"] == 4
        rung1 = read_tsv(results / f"art/search/spindle_info/rungs/{row['family']}/rung1/part0/models.tsv")
        order = convnets_plan.family_order(validate_config(EXTRA_CONFIG)["convnets"], row["family"])
        assert [row["configuration"]] == convnets_plan.rank_configurations(rung1, "art", order)[:1]
    table = read_tsv(results / "experiments/exp4/models.tsv")
    assert [(r["family"], r["seed"]) for r in table] == [("S", 1), ("S", 2)]
    config = json.loads((results / "experiments/exp4/art/S/seed1/config.json").read_text())
    assert config["input_key"] == "spindle_firing" and config["input_shape"] == [1, 25, 320]
    assert config["role"] == "experiment:exp4"
    rdm = read_tsv(workflow.path / "results/representations/experiments/exp4/rdm.tsv")
    assert {r["state"] for r in rdm} == {"input", "trained", "untrained"}
    assert {(r["seed"], r["layer"]) for r in rdm if r["state"] == "trained"} == {
        (s, k) for s in (1, 2) for k in range(3)
    }
    assert not (
        workflow.path / "results/representations/experiments/exp4/art/S/seed1/trained/activations.zarr"
    ).exists()
    assert (workflow.path / "results/representations/experiments/exp4/rdm_similarity.png").stat().st_size > 5000
