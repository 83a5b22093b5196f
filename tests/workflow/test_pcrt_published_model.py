"""A small generation on the published MoBL-ARMS model, checked against direct OpenSim evaluation."""

import numpy as np
import pytest

from neuromotor.io.store import read_arrays
from neuromotor.pcrt.muscles import load_arm_model

from tests.runner import PROJECT_ROOT, TINY_CONFIG, Workflow, merge

pytestmark = pytest.mark.workflow

MOBL = PROJECT_ROOT.parent / "shared" / "models" / "MoBL_ARMS_module5_scaleIK.osim"


@pytest.mark.skipif(not MOBL.is_file(), reason=f"published model not found at {MOBL} (it lives in ../shared/models)")
def test_mobl_generation_matches_direct_opensim(tmp_path):
    config = merge(
        TINY_CONFIG,
        {"pcrt": {"labels": [3], "muscle": {"model_path": str(MOBL), "backend": "opensim"},
                  "assembly": {"n_per_label_plane": 5, "n_train": 6, "n_test": 2}}},
    )
    workflow = Workflow(tmp_path / "mobl", config)
    workflow.run("pcrt")
    data = read_arrays(workflow.path / "results/pcrt/dataset.zarr", "train")
    arm = load_arm_model(MOBL)
    for i in range(3):
        start, end = data["start_id"][i], data["end_id"][i]
        postures = data["joint_coords"][i, :, start:end].T.astype(np.float64)[::10]
        stored = data["muscle_coords"][i, :, start:end].T[::10]
        direct = arm.evaluate(postures, "fiber_length")
        np.testing.assert_allclose(stored, direct, rtol=1e-6, atol=1e-3, err_msg=f"sample {i}: stored vs OpenSim (mm)")


@pytest.mark.slow  # about 60 s on an idle core (a table of 625 nodes, generation, report)
@pytest.mark.skipif(not MOBL.is_file(), reason=f"published model not found at {MOBL} (it lives in ../shared/models)")
def test_mobl_generation_with_the_table_backend_matches_opensim(tmp_path):
    """Tiny scale: a coarse table over part of the joint range, so generation uses both the table and the OpenSim
    fallback (untrusted cells, postures outside the box); the report rule checks every step of 2 trajectories."""
    import json

    table = {"spacing_deg": [20.0, 20.0, 12.5, 17.5], "lower_deg": [0.0, 30.0, -30.0, 60.0],
             "upper_deg": [80.0, 110.0, 20.0, 130.0], "n_val_traj": 2}  # fmt: skip
    config = merge(
        TINY_CONFIG,
        {"pcrt": {"labels": [3], "muscle": {"model_path": str(MOBL), "backend": "table", "table": table},
                  "assembly": {"n_per_label_plane": 5, "n_train": 6, "n_test": 2}}},
    )
    workflow = Workflow(tmp_path / "mobl_table", config)
    workflow.run("pcrt")
    tables = list((workflow.path / "results/pcrt/muscle_table").glob("MoBL_ARMS_module5_scaleIK-fiber_length-*.npz"))
    assert len(tables) == 1
    report = json.loads((workflow.path / "results/pcrt/muscle_table_validation.json").read_text())
    assert report["passed"] and report["n_trajectories"] == 2 and report["n_points"] > 0
    assert 0 < report["exact_fraction"] < 1  # both paths were used
    assert (workflow.path / "results/pcrt/figures/muscle_table_validation.png").stat().st_size > 0
    data = read_arrays(workflow.path / "results/pcrt/dataset.zarr", "train")
    arm = load_arm_model(MOBL)
    for i in range(3):
        start, end = data["start_id"][i], data["end_id"][i]
        postures = data["joint_coords"][i, :, start:end].T.astype(np.float64)[::5]
        stored = data["muscle_coords"][i, :, start:end].T[::5]
        direct = arm.evaluate(postures, "fiber_length")
        # float32 storage of joints and lengths: a few 1e-3 mm; the method itself is within 0.5 mm
        assert np.abs(stored - direct).max() <= 0.5, f"sample {i}: stored vs OpenSim (mm)"
