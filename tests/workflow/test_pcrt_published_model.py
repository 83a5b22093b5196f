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
