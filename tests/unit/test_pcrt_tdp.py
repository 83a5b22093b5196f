"""The successor's preset (config/paper/tdp.yaml; Marin Vargas et al. 2024): its plan, and a few trajectories
generated on the macaque model through the stage functions (39 muscles, 400 steps at 100 Hz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from neuromotor.config import layer_configs, merge_configs, validate_config
from neuromotor.pcrt import plan
from neuromotor.pcrt.layout import DatasetLayout

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SNAP = PROJECT_ROOT.parent / "shared" / "models" / "Snap_scaled_fin1.osim"
pytestmark = pytest.mark.skipif(not SNAP.is_file(), reason=f"{SNAP} not available")
TINY_TDP = {  # one letter, one plane, two short items, start points searched around the rest posture's hand position
    "labels": [1],
    "planes": ["horizontal"],
    "characters": {"source": "templates", "samples_per_letter": 2, "duration_range": [60, 100]},
    "startpoints": {"x_range": [28, 28], "y_range": [0, 2], "z_range": [-14, -14]},
    # Snap's tricep_lat path length jumps by up to 240 mm between neighbouring postures around this start point
    # (a wrapping surface), so most attempts miss the successor's muscle jerk <= 4: not checked here
    "generation": {"repeats": 1, "shards": 1, "muscle_jerk_max": None},
    "assembly": {"n_per_label_plane": 2, "n_train": 1, "n_test": 1},
}


def tdp_config(overlay: dict | None = None) -> dict:
    """config/paper/tdp.yaml over the demo config, the model path made absolute, then ``overlay`` on ``pcrt``."""
    demo = yaml.safe_load((PROJECT_ROOT / "config/config.yaml").read_text())
    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/tdp.yaml").read_text())
    paper["pcrt"]["muscle"]["model_path"] = str(SNAP)
    paper["pcrt"] = merge_configs(paper["pcrt"], overlay or {})
    return validate_config(layer_configs(demo, paper))


def test_tdp_preset_plans_the_successors_layout():
    config = tdp_config()
    pcrt = config["pcrt"]
    layout = DatasetLayout.from_config(pcrt)
    assert (layout.n_muscles, layout.window, layout.dt_s) == (39, 400, 0.01)
    assert layout.joints == ("shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "elbow_flexion")
    params = plan.generation_params(pcrt)
    assert params["dt_s"] == 0.01 and params["arm"]["chain"] == "successor" and params["window"] == 400
    assert pcrt["muscle"]["quantity"] == "mtu_length" and pcrt["characters"]["box_cm"] == 5.0
    assert (pcrt["generation"]["joint_jerk_max"], pcrt["generation"]["muscle_jerk_max"]) == (2.0, 4.0)
    assert len(plan.shard_paths(pcrt)) == 20 * 2 * 40
    assert plan.layout_scale(pcrt) == pytest.approx(39 * 400 / (25 * 320))
    assert plan.dataset_job_mem_mb(pcrt) > plan.dataset_mem_mb(pcrt["assembly"]["n_train"])


def test_tdp_preset_rejects_backends_built_for_the_deepdraw_arm():
    from neuromotor.errors import ConfigError

    with pytest.raises(ConfigError, match="pcrt.muscle.backend"):
        tdp_config({"muscle": {"backend": "surrogate"}})


def test_a_few_trajectories_on_the_macaque_model(tmp_path):
    pytest.importorskip("opensim")
    from neuromotor.io.store import open_store, read_arrays
    from neuromotor.pcrt import stages
    from neuromotor.pcrt.arm_model import arm_model_from_config
    from neuromotor.pcrt.kinematics import forward_kinematics, joint_limits_ok

    config = tdp_config(TINY_TDP)
    pcrt, seed = config["pcrt"], config["seed"]
    characters, startpoints = tmp_path / "characters.zarr", tmp_path / "startpoints.zarr"
    stages.make_characters(pcrt["characters"], seed, characters)
    stages.make_startpoints(plan.startpoint_params(pcrt), startpoints)
    shard = tmp_path / "shard.zarr"
    stages.make_shard(
        label=1, plane="horizontal", shard=0, characters_path=characters, startpoints_path=startpoints,
        surrogate_path=None, pcrt_cfg=plan.generation_params(pcrt), seed=seed, out=shard,
    )  # fmt: skip
    generated = read_arrays(shard)
    assert generated["muscles"].shape[1] == 39 and len(generated["length"]) == 2
    assert (generated["joint_jerk"] <= 2.0).all() and (generated["tracing_error"] < 1e-2).all()
    selection, dataset = tmp_path / "selection.tsv", tmp_path / "dataset.zarr"
    stages.make_selection([shard], pcrt["assembly"], seed, selection)
    stages.make_dataset(
        selection, [shard], pcrt_cfg=plan.dataset_params(pcrt), seed=seed, config_digest="tdp", out=dataset
    )
    train = read_arrays(dataset, "train")
    assert train["muscle_coords"].shape == (1, 39, 400) and train["spindle_info"].shape == (1, 39, 400, 2)
    assert np.isfinite(train["muscle_coords"]).all() and np.isfinite(train["spindle_info"]).all()
    velocity = np.gradient(train["muscle_coords"].astype(np.float64), 0.01, axis=-1)
    np.testing.assert_allclose(train["spindle_info"][..., 1], velocity, rtol=1e-5, atol=1e-3)
    arm = arm_model_from_config(pcrt).arm
    joints = np.moveaxis(train["joint_coords"].astype(np.float64), 1, 2)
    assert joint_limits_ok(joints, arm, tol=1e-3).all()
    hand = np.moveaxis(train["endeffector_coords"], 1, 2)
    np.testing.assert_allclose(forward_kinematics(joints, arm), hand, atol=1e-3)
    attrs = dict(open_store(dataset).attrs)
    assert attrs["dt_s"] == 0.01 and attrs["window"] == 400 and len(attrs["muscles"]) == 39
    assert attrs["locked_coordinates_deg"] == {"radial_pronation": 0.0, "wrist_flexion": 0.0, "wrist_abduction": 0.0}
    assert attrs["coordinate_signs"] == [1.0, -1.0, 1.0, 1.0] and attrs["segment_lengths_cm"] == [16.1, 18.6]
    layout = DatasetLayout.from_store(dataset)
    assert (layout.n_muscles, layout.window, layout.dt_s, layout.joints[0]) == (39, 400, 0.01, "shoulder_flexion")
