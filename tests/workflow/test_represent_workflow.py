"""The representations stage end to end through Snakemake on the tiny PCRT dataset and tiny convnets: outputs,
job layout, staleness, the report and config errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from neuromotor.io.store import open_store
from neuromotor.io.tables import read_tsv
from neuromotor.represent.plan import FIGURES, SUMMARY_TABLES
from tests.runner import TINY_CONFIG, Workflow, merge

pytestmark = pytest.mark.workflow

CONFIG = merge(
    TINY_CONFIG,
    {
        "convnets": {
            "search": {
                "n_per_family": 1,
                "epochs": 1,
                "runs": [  # with a TDT run of the same configurations: the ART-vs-TDT sweep
                    {"task": "art", "input_key": "spindle_info", "families": ["S", "LSTM"]},
                    {"task": "tdt", "input_key": "spindle_info", "families": ["S", "LSTM"]},
                ],
                "space": {"n_layers": [1], "channels": [8], "spatial_strides": [2], "temporal_strides": [3]},
                "lstm_space": {"n_layers": [1], "channels": [8], "units": [8], "strides": [2]},
            },
            "final": {"families": ["S", "LSTM"], "tasks": ["art", "tdt"], "seeds": [1], "epochs": 1},
            "train": {"conv": {"batch_size": 4}, "lstm": {"batch_size": 4}, "val_interval": 2},
        },
        "representations": {
            "activations": {"fraction": {"S": 1.0, "TS": 1.0, "ST": 1.0, "LSTM": 1.0}},
            "rdm": {"per_class": 4},
            "tsne": {"n_pca": 3},
            "tuning": {"labels": "auc", "min_trajectories": 2},
        },
    },
)
STATES = [(t, f, s) for t in ("art", "tdt") for f in ("S", "LSTM") for s in ("trained", "untrained")]
POLAR = [f"art_{family}_seed1_trained.png" for family in ("S", "LSTM")]  # the first task's trained networks


@pytest.fixture(scope="module")
def represent_run(tiny_run, tmp_path_factory) -> Workflow:
    """The stage on a copy of the tiny PCRT plan's dataset (same PCRT config, so nothing upstream reruns)."""
    workflow = Workflow(tmp_path_factory.mktemp("representations"), CONFIG)
    shutil.copytree(tiny_run.path / "results/pcrt", workflow.path / "results/pcrt", symlinks=True)
    planned = workflow.planned_jobs("representations")
    assert {rule: n for rule, n in planned.items() if rule.startswith("representations")} == {
        "representations_inputs": 1, "representations_network": 8, "representations_units": 8,
        "representations_cka": 2, "representations_sweep_cka": 2, "representations_summary": 1,
        "representations_figures": 1, "representations_polar": 2, "representations": 1,
    }  # fmt: skip
    workflow.run("representations")
    return workflow


def test_outputs_logs_and_benchmarks(represent_run):
    results = represent_run.path / "results/representations"
    for task, family, state in STATES:
        folder = results / task / family / "seed1" / state
        for name in ("activations.zarr", "rdm.tsv", "rdm.zarr", "units.zarr", "units.tsv", "pd.tsv", "invariance.tsv",
                     "decoding.tsv", "tsne.zarr"):  # fmt: skip
            assert (folder / name).exists(), folder / name
        job = f"{task}_{family}_seed1_{state}"
        for kind in ("network", "units"):
            assert (represent_run.path / f"logs/representations/{kind}/{job}.log").is_file()
            assert (represent_run.path / f"benchmarks/representations/{kind}/{job}.tsv").is_file()
    store = open_store(results / "art/S/seed1/trained/activations.zarr")
    assert store.attrs["n_layers"] == 3 and store.attrs["state"] == "trained"  # input + 1 spatial + 1 temporal block
    assert store["activations"]["layer_0"].shape == (4, 2, 25, 320)  # the whole tiny test split
    for name in SUMMARY_TABLES:
        assert read_tsv(results / "summary" / f"{name}.tsv"), name
    rdm = read_tsv(results / "summary/rdm.tsv")
    assert {r["representation"] for r in rdm if r["state"] == "input"} == {
        "spindle_firing", "spindle_info", "muscle_coords", "joint_coords", "endeffector_coords",
    }  # fmt: skip
    assert all(r["n"] == 8 for r in rdm)  # 4 per class x 2 letters
    cka = read_tsv(results / "summary/cka.tsv")
    assert {(r["family"], r["task_a"], r["state_a"], r["task_b"], r["state_b"]) for r in cka if r["layer_a"] == 0} == {
        (f, *pair) for f in ("S", "LSTM") for pair in (("art", "trained", "art", "untrained"),
                                                      ("tdt", "trained", "tdt", "untrained"),
                                                      ("art", "trained", "tdt", "trained"),
                                                      ("art", "untrained", "tdt", "untrained"))
    }  # fmt: skip
    assert all(r["same_configuration"] for r in cka)  # the TDT twins use the ART configuration
    assert all(np.isclose(r["cka"], 1.0) for r in cka if r["layer_a"] == r["layer_b"] == 0)
    sweep = read_tsv(results / "summary/cka_sweep.tsv")
    assert {(r["family"], r["layer"]) for r in sweep} == {("S", k) for k in range(3)} | {("LSTM", k) for k in range(3)}
    assert all(np.isclose(r["cka"], 1.0) for r in sweep if r["layer"] == 0)
    for name in FIGURES:
        assert (results / "figures" / f"{name}.png").stat().st_size > 5000, name
    for name in POLAR:
        assert (results / "figures/polar_tuning" / name).stat().st_size > 5000, name
    assert not list(results.rglob(".*.partial"))


def test_second_run_has_nothing_to_do(represent_run):
    assert represent_run.planned_jobs("representations") == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"representations": {"figures": {"plane": "vertall"}}},
         {"representations_figures": 1, "representations_polar": 2}),  # fmt: skip
        (
            {"representations": {"tuning": {"threshold": 0.3}}},
            {"representations_units": 8, "representations_summary": 1, "representations_figures": 1,
             "representations_polar": 2},
        ),
        ({"representations": {"cka": {"cca": False}}},
         {"representations_cka": 2, "representations_summary": 1, "representations_figures": 1}),  # fmt: skip
        ({"representations": {"pd": {"ci_level": 0.95}}}, {"representations_summary": 1, "representations_figures": 1}),
        ({"representations": {"pd": {"bins": 12}}},
         {"representations_units": 8, "representations_summary": 1, "representations_figures": 1,
          "representations_polar": 2}),  # fmt: skip
    ],
)
def test_changing_one_parameter_reruns_only_its_dependents(represent_run, change, expected):
    represent_run.write_config(merge(CONFIG, change))
    try:
        planned = represent_run.planned_jobs("representations")
    finally:
        represent_run.write_config(CONFIG)
    assert planned == {**expected, "representations": 1}


def test_report_holds_the_figures(represent_run):
    represent_run.run("representations", "--report", "report.html")
    html = (represent_run.path / "report.html").read_text(errors="replace")
    for name in (*(f"{name}.png" for name in FIGURES), *POLAR, "DeepDraw (Sandbrink et al. 2023)", "Fig. 4", "Fig. 5",
                 "Fig. 7"):
        assert name in html


@pytest.mark.parametrize(
    "change, message",
    [
        ({"representations": {"tuning": {"labels": "lda"}}}, "config key 'representations.tuning.labels': 'lda'"),
        ({"representations": {"rdm": {"per_clas": 3}}}, "unknown config key 'representations.rdm.per_clas'"),
    ],
)
def test_invalid_config_stops_before_any_job(tmp_path, change, message):
    workflow = Workflow(tmp_path / "bad", merge(CONFIG, change))
    result = workflow.run("-n", check=False)
    assert result.returncode != 0 and message in result.stdout + result.stderr


def test_no_matching_final_model_skips_the_stage(tmp_path):
    workflow = Workflow(tmp_path / "none", merge(CONFIG, {"representations": {"families": ["ST"]}}))
    result = workflow.run("-n", "representations", check=False)
    assert result.returncode == 0 and "the stage is skipped" in result.stderr
