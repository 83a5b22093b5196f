"""The successor's preset (config/paper/tdp.yaml) through Snakemake at a tiny scale: the plan, and the `pcrt`
target on the macaque model (39 muscles, 400 steps at 100 Hz) with its figures."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from neuromotor.io.store import open_store, read_arrays
from tests.runner import PROJECT_ROOT, Workflow, merge
from tests.unit.test_pcrt_tdp import SNAP, TINY_TDP

pytestmark = [pytest.mark.workflow, pytest.mark.skipif(not SNAP.is_file(), reason=f"{SNAP} not available")]


def tiny_tdp() -> dict:
    """config/paper/tdp.yaml at the scale of TINY_TDP, the model path made absolute (the run's folder is elsewhere)."""
    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/tdp.yaml").read_text())
    paper["pcrt"]["muscle"]["model_path"] = str(SNAP)
    return merge(paper, {"pcrt": copy.deepcopy(TINY_TDP)})


def test_tiny_tdp_plan_runs_the_pcrt_stage_on_the_macaque_model(tmp_path):
    pytest.importorskip("opensim")
    workflow = Workflow(tmp_path / "tdp", tiny_tdp())
    assert workflow.planned_jobs("pcrt") == {
        "pcrt_characters": 1, "pcrt_startpoints": 1, "pcrt_generate": 1, "pcrt_select": 1, "pcrt_dataset": 1,
        "pcrt_figures": 1, "pcrt": 1,
    }  # fmt: skip
    workflow.run("pcrt")
    dataset = workflow.path / "results/pcrt/dataset.zarr"
    for split in ("train", "test"):
        data = read_arrays(dataset, split)
        assert data["muscle_coords"].shape == (1, 39, 400) and data["spindle_info"].shape == (1, 39, 400, 2)
        assert data["joint_coords"].shape == (1, 4, 400) and np.isfinite(data["spindle_info"]).all()
    attrs = dict(open_store(dataset).attrs)
    assert (attrs["dt_s"], attrs["window"], attrs["arm_chain"], attrs["muscle_quantity"]) == (
        0.01, 400, "successor", "mtu_length"
    )
    for name in ("characters", "arm_trajectory", "muscles_spindles", "latents"):
        assert (workflow.path / f"results/pcrt/figures/{name}.png").stat().st_size > 0
    assert workflow.planned_jobs("pcrt") == {}
