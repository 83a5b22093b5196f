"""The PCRT stage end to end through Snakemake on a tiny config: outputs, determinism, staleness, killed jobs."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

from neuromotor.io.store import read_arrays
from neuromotor.pcrt.kinematics import forward_kinematics, joint_limits_ok

from tests.runner import TINY_CONFIG, Workflow, merge, parse_job_counts

pytestmark = pytest.mark.workflow

SPLITS = ("train", "test")


def dataset(workflow: Workflow, split: str) -> dict:
    return read_arrays(workflow.path / "results/pcrt/dataset.zarr", split)


def test_dataset_has_the_spec_arrays_and_properties(tiny_run):
    sizes = {"train": 16, "test": 4}
    for split in SPLITS:
        data = dataset(tiny_run, split)
        n = sizes[split]
        assert data["endeffector_coords"].shape == (n, 3, 320)
        assert data["joint_coords"].shape == (n, 4, 320)
        assert data["muscle_coords"].shape == (n, 25, 320)
        assert data["spindle_firing"].shape == (n, 25, 320)
        assert data["spindle_info"].shape == (n, 25, 320, 2)
        assert data["startpt"].shape == (n, 3)
        for name in ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing", "spindle_info"):
            assert np.isfinite(data[name]).all(), name
        assert set(data["label"]) <= {1, 11} and set(data["plane"]) <= {"horizontal", "vertical"}
        np.testing.assert_array_equal(data["spindle_info"][..., 0], data["muscle_coords"])
        velocity = np.gradient(data["muscle_coords"].astype(np.float64), 0.015, axis=-1)
        np.testing.assert_allclose(data["spindle_info"][..., 1], velocity, rtol=1e-5, atol=1e-3)
        assert joint_limits_ok(np.moveaxis(data["joint_coords"], 1, 2)).all()
        hand = forward_kinematics(np.moveaxis(data["joint_coords"].astype(np.float64), 1, 2))
        np.testing.assert_allclose(hand, np.moveaxis(data["endeffector_coords"], 1, 2), atol=1e-3)
        for i in range(n):
            start, end = data["start_id"][i], data["end_id"][i]
            assert 0 <= start < end <= 319
            trace = data["endeffector_coords"][i]
            assert (trace[:, :start] == trace[:, start : start + 1]).all()
            assert (trace[:, end:] == trace[:, end - 1 : end]).all()
            axis = 2 if data["plane"][i] == "horizontal" else 0
            np.testing.assert_allclose(trace[axis], data["startpt"][i, axis], atol=1e-4)


def test_every_saved_trajectory_passed_acceptance(tiny_run):
    for path in sorted((tiny_run.path / "results/pcrt/shards").glob("*/*.zarr")):
        shard = read_arrays(path)
        assert (shard["tracing_error"] < 1e-2).all()
        assert (shard["joint_jerk"] <= 1.0).all()
        assert (shard["n_attempts"] >= 1).all()
        assert (shard["length"] <= 295).all()


def test_split_is_disjoint_and_balanced_before_split(tiny_run):
    rows = (tiny_run.path / "results/pcrt/selection.tsv").read_text().splitlines()[1:]
    keys = [tuple(r.split("\t")[2:4]) for r in rows]
    assert len(keys) == len(set(keys)) == 20


def test_surrogate_report_passes(tiny_run):
    report = json.loads((tiny_run.path / "results/pcrt/surrogate_validation.json").read_text())
    assert report["trajectories"]["passed"] and report["uniform_postures"]["passed"]


def test_second_run_has_nothing_to_do(tiny_run):
    assert tiny_run.planned_jobs("pcrt") == {}


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"pcrt": {"spindle": {"noise": 0.1}}}, {"pcrt_dataset", "pcrt_figures", "pcrt"}),
        ({"pcrt": {"assembly": {"n_train": 15}}}, {"pcrt_select", "pcrt_dataset", "pcrt_figures", "pcrt"}),
        (
            {"pcrt": {"generation": {"joint_jerk_max": 0.9}}},
            {"pcrt_generate", "pcrt_select", "pcrt_dataset", "pcrt_figures", "pcrt_surrogate_report",
             "pcrt_surrogate_figure", "pcrt"},
        ),
    ],
)
def test_changing_one_parameter_reruns_only_its_dependents(tiny_run, change, expected):
    tiny_run.write_config(merge(TINY_CONFIG, change))
    try:
        planned = tiny_run.planned_jobs("pcrt")
    finally:
        tiny_run.write_config(TINY_CONFIG)
    assert set(planned) == expected


def test_dataset_is_identical_for_1_or_7_shards_and_1_or_2_cores(tiny_run, tmp_path):
    sharded = Workflow(tmp_path / "sharded", merge(TINY_CONFIG, {"pcrt": {"generation": {"shards": 7}}}))
    sharded.run("pcrt", cores=1)
    assert len(list((sharded.path / "results/pcrt/shards").glob("*/*.zarr"))) == 2 * 2 * 7
    for split in SPLITS:
        reference, other = dataset(tiny_run, split), dataset(sharded, split)
        assert reference.keys() == other.keys()
        for name in reference:
            assert reference[name].dtype == other[name].dtype
            np.testing.assert_array_equal(reference[name], other[name], err_msg=name)


KILLER = """
import os, signal
import neuromotor.io.store as store

_original = store.write_array

def _write_then_die(group, name, values, **kwargs):
    array = _original(group, name, values, **kwargs)
    if "/shards/" in str(group.store) and name == "joints":
        os.kill(os.getpid(), signal.SIGKILL)
    return array

store.write_array = _write_then_die
"""


def test_job_killed_mid_write_leaves_nothing_complete(tmp_path):
    workflow = Workflow(tmp_path / "killed", TINY_CONFIG)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text("import os\nif os.environ.get('KILL_SHARD_WRITES'):\n    exec(open(os.path.join(os.path.dirname(__file__), 'killer.py')).read())\n")
    (hook / "killer.py").write_text(KILLER)
    import os

    env = {"PYTHONPATH": str(hook) + os.pathsep + os.environ.get("PYTHONPATH", ""), "KILL_SHARD_WRITES": "1"}
    target = "results/pcrt/shards/horizontal/label01_shard000.zarr"
    result = workflow.run(target, check=False, env=env, cores=1)
    assert result.returncode != 0
    assert not (workflow.path / target).exists()
    assert "pcrt_generate" in workflow.planned_jobs(target)
    workflow.run(target, cores=1)
    assert workflow.planned_jobs(target) == {}
    assert read_arrays(workflow.path / target)["joints"].shape[1] == 4


def test_report_holds_the_dataset_figures(tiny_run):
    tiny_run.run("pcrt", "--report", "report.html")
    html = (tiny_run.path / "report.html").read_text(errors="replace")
    for name in ("characters.png", "arm_trajectory.png", "muscles_spindles.png", "latents.png", "surrogate_uniform.png"):
        assert name in html
