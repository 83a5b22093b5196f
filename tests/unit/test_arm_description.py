"""Arm models as data (neuromotor.pcrt.arm_model) and the successor's chain in neuromotor.pcrt.kinematics
(Marin Vargas et al. 2024, pcr_data_utils.py (DeepDraw, PCR-data-generation))."""

from pathlib import Path

import numpy as np
import pytest

from neuromotor.errors import ConfigError
from neuromotor.pcrt.arm_model import (
    DEEPDRAW_ARM,
    DEEPDRAW_MUSCLES,
    arm_model_from_config,
    check_arm_config,
    is_default,
    read_model_file,
)
from neuromotor.pcrt.kinematics import (
    JOINT_NAMES,
    Arm,
    forward_kinematics,
    hand_position_shoulder,
    ik_slsqp_step,
    inverse_kinematics,
    is_reachable,
    joint_limits_ok,
)
from neuromotor.pcrt.muscles import MUSCLE_NAMES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_MODEL = PROJECT_ROOT / "resources" / "arm_model" / "neuromotor_arm.osim"
SNAP = PROJECT_ROOT.parent / "shared" / "models" / "Snap_scaled_fin1.osim"
SUCCESSOR_JOINTS = ("shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "elbow_flexion")
LOCKED = ("radial_pronation", "wrist_flexion", "wrist_abduction")
needs_snap = pytest.mark.skipif(not SNAP.is_file(), reason=f"{SNAP} not available")
MACAQUE = Arm(16.1, 18.6, (-50, -45, -90, 0), (180, 150, 90, 140), (36, 5, 5, 50), "successor")


def successor_pcrt(**arm):
    return {"arm": {"chain": "successor", **arm}, "muscle": {"model_path": str(SNAP), "backend": "opensim"}}


def test_default_arm_is_the_builtin_deepdraw_description_without_reading_a_model():
    pcrt = {"muscle": {"model_path": "absent.osim", "backend": "surrogate"}}
    assert arm_model_from_config(pcrt) is DEEPDRAW_ARM
    assert arm_model_from_config({**pcrt, "arm": {"chain": "deepdraw", "muscles": None}}) is DEEPDRAW_ARM
    assert is_default({}) and is_default({"chain": "deepdraw", "signs": [1, 1, 1, 1]})
    assert not is_default({"chain": "successor"})
    assert DEEPDRAW_ARM.muscles == DEEPDRAW_MUSCLES == MUSCLE_NAMES
    assert DEEPDRAW_ARM.coordinates == DEEPDRAW_ARM.joints == JOINT_NAMES
    assert DEEPDRAW_ARM.arm == Arm() and DEEPDRAW_ARM.locked == ()
    joints = np.random.default_rng(0).uniform(-10, 10, (5, 4))
    assert DEEPDRAW_ARM.to_model_angles(joints) is joints


def test_project_model_file_declares_the_25_muscles_and_4_free_coordinates():
    model = read_model_file(PROJECT_MODEL)
    assert set(MUSCLE_NAMES) == set(model.muscles) and len(model.muscles) == 25
    assert set(JOINT_NAMES) <= {c.name for c in model.coordinates}
    assert model.locked == ()


@needs_snap
def test_macaque_model_file_declares_39_muscles_and_its_locked_coordinates():
    model = read_model_file(SNAP)
    assert len(model.muscles) == 39 == len(set(model.muscles))
    assert model.muscles[0] == "abd_poll_longus" and model.muscles[-1] == "tricep_sho"  # model order
    assert [name for name, _ in model.locked] == list(LOCKED)
    assert all(value == 0.0 for _, value in model.locked)
    assert not any(model.coordinate(name).locked for name in SUCCESSOR_JOINTS)
    np.testing.assert_allclose(model.coordinate("elbow_flexion").range_deg, [20.0, 140.0], atol=1e-6)


@needs_snap
def test_successor_arm_from_the_macaque_model():
    pytest.importorskip("opensim")
    described = arm_model_from_config(successor_pcrt())
    assert described.muscles == read_model_file(SNAP).muscles and described.n_muscles == 39
    assert described.coordinates == SUCCESSOR_JOINTS == described.joints
    assert described.signs == (1.0, -1.0, 1.0, 1.0)
    assert [name for name, _ in described.locked] == list(LOCKED)
    # the marker distances are what the successor's code rounds to 16.1 / 18.6 cm for Snap
    assert abs(described.arm.upper_arm_cm - 16.1) < 0.2 and abs(described.arm.forearm_cm - 18.6) < 0.1
    assert described.segments_source.startswith("markers")
    np.testing.assert_array_equal(described.to_model_angles(np.array([[1.0, 2.0, 3.0, 4.0]])), [[1, -2, 3, 4]])
    pinned = arm_model_from_config(successor_pcrt(segment_lengths_cm=[16.1, 18.6], muscles=["bicep_lh", "anconeus"]))
    assert (pinned.arm.upper_arm_cm, pinned.arm.forearm_cm, pinned.segments_source) == (16.1, 18.6, "config")
    assert pinned.muscles == ("bicep_lh", "anconeus")
    attrs = described.attrs()
    assert attrs["muscles"] == list(described.muscles) and attrs["locked_coordinates_deg"] == dict.fromkeys(LOCKED, 0.0)


@needs_snap
def test_successor_chain_follows_the_macaque_model_hand_marker():
    """The 2-link world position tracks OpenSim's Marker_3 (relative to Shoulder_JC, turned by Rx(90 deg) as the
    successor does) within the marker offsets: the coordinate map and the adduction sign are right."""
    pytest.importorskip("opensim")
    from neuromotor.pcrt.muscles import load_arm_model

    described = arm_model_from_config(successor_pcrt())
    model = load_arm_model(SNAP, described.coordinates, described.muscles[:1])
    q = np.random.default_rng(0).uniform(described.arm.q_min, described.arm.q_max, (20, 4))
    markers = model.marker_positions_cm(described.to_model_angles(q), ("Shoulder_JC", "Marker_3"))
    rx90 = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    opensim_hand = (markers[:, 1] - markers[:, 0]) @ rx90.T
    assert np.linalg.norm(opensim_hand - forward_kinematics(q, described.arm), axis=-1).max() < 2.0


@pytest.mark.parametrize(
    "arm, key",
    [
        ({"coordinates": ["shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "radial_pronation"]}, "locks"),
        ({"coordinates": ["shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "elbow"]}, "has no coordinates"),
        ({"muscles": ["bicep_lh", "BIClong"], "segment_lengths_cm": [16.1, 18.6]}, "has no muscles ['BIClong']"),
    ],
)
@needs_snap
def test_arm_config_that_does_not_fit_the_model_is_named(arm, key):
    with pytest.raises(ConfigError, match="pcrt.arm") as error:
        arm_model_from_config(successor_pcrt(**arm))
    assert key in str(error.value) and "Snap_scaled_fin1.osim" in str(error.value)


def test_arm_config_checks():
    base = {"muscle": {"backend": "opensim"}}
    assert check_arm_config({**base, "arm": {"chain": "successor"}}) == []
    assert check_arm_config({"muscle": {"backend": "surrogate"}, "arm": {}}) == []
    (problem,) = check_arm_config({"muscle": {"backend": "surrogate"}, "arm": {"chain": "successor"}})
    assert "pcrt.muscle.backend" in problem and "opensim" in problem
    (problem,) = check_arm_config({**base, "arm": {"rest_posture_deg": [0, 0, 50, 0]}})
    assert "pcrt.arm.rest_posture_deg" in problem
    (problem,) = check_arm_config({**base, "arm": {"signs": [1, 2, 1, 1]}})
    assert "pcrt.arm.signs" in problem


def _rotations(q_deg):
    f, a, r, d = np.deg2rad(q_deg)
    rx = lambda t: np.array([[1, 0, 0], [0, np.cos(t), -np.sin(t)], [0, np.sin(t), np.cos(t)]])  # noqa: E731
    ry = lambda t: np.array([[np.cos(t), 0, np.sin(t)], [0, 1, 0], [-np.sin(t), 0, np.cos(t)]])  # noqa: E731
    rz = lambda t: np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])  # noqa: E731
    return rz(a) @ ry(r) @ rx(f), rx(d)


def test_successor_forward_kinematics_is_rz_ry_rx_with_the_elbow_about_x():
    np.testing.assert_allclose(forward_kinematics(np.zeros(4), MACAQUE), [0.0, 0.0, -34.7], atol=1e-12)
    for q in np.random.default_rng(2).uniform(MACAQUE.q_min, MACAQUE.q_max, (10, 4)):
        shoulder, elbow = _rotations(q)
        expected = shoulder @ (elbow @ [0.0, -18.6, 0.0] + [0.0, -16.1, 0.0])
        np.testing.assert_allclose(hand_position_shoulder(q, MACAQUE), expected, atol=1e-12)


def smooth_paths(arm, n_paths, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(arm.q_min + 25, arm.q_max - 25, (n_paths, 4))
    t = np.linspace(0, 1, n_steps)
    wave = np.sin(2 * np.pi * (rng.uniform(0.5, 1.5, (n_paths, 4, 1)) * t + rng.uniform(0, 1, (n_paths, 4, 1))))
    return np.moveaxis(base[:, :, None] + 8 * wave, 1, 2)


def test_successor_inverse_kinematics_traces_targets_within_limits_and_continuously():
    paths = smooth_paths(MACAQUE, 6, 80)
    targets = forward_kinematics(paths, MACAQUE)
    joints = inverse_kinematics(targets, MACAQUE, q_start=paths[:, 0])  # on the paths' branch of solutions
    assert np.linalg.norm(forward_kinematics(joints, MACAQUE) - targets, axis=-1).max() < 1e-6
    assert joint_limits_ok(joints, MACAQUE).all()
    assert np.abs(np.diff(joints, axis=1)).max() < 5.0
    assert is_reachable(targets[:, ::10].reshape(-1, 3), MACAQUE).all()
    assert not is_reachable(np.array([[40.0, 0.0, 0.0]]), MACAQUE)[0]  # beyond 16.1 + 18.6 cm


def test_successor_inverse_kinematics_is_at_least_as_close_as_slsqp():
    targets = forward_kinematics(smooth_paths(MACAQUE, 1, 6, seed=3), MACAQUE)[0]
    joints = inverse_kinematics(targets, MACAQUE)
    previous = MACAQUE.q0
    for target, ours in zip(targets, joints):
        reference = ik_slsqp_step(target, previous, MACAQUE)
        if np.linalg.norm(forward_kinematics(reference, MACAQUE) - target) < 1e-4:
            assert np.linalg.norm(ours - previous) <= np.linalg.norm(reference - previous) + 1e-4
        previous = ours
