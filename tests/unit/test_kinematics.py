import numpy as np
import pytest

from neuromotor.pcrt.kinematics import (
    DEFAULT_POSTURE_DEG,
    Arm,
    forward_kinematics,
    ik_slsqp_step,
    inverse_kinematics,
    is_reachable,
    joint_limits_ok,
    tracing_error,
)

ARM = Arm()


def smooth_joint_paths(n_paths, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(ARM.q_min + 25, ARM.q_max - 25, (n_paths, 4))
    base[:, 2] = rng.uniform(-70, -5, n_paths)
    t = np.linspace(0, 1, n_steps)
    phase = rng.uniform(0, 1, (n_paths, 4, 1))
    freq = rng.uniform(0.5, 1.5, (n_paths, 4, 1))
    return base[:, :, None] + 8 * np.sin(2 * np.pi * (freq * t + phase)), t


def test_forward_kinematics_at_zero_hangs_down():
    np.testing.assert_allclose(forward_kinematics(np.zeros(4)), [0.0, 0.0, -59.0], atol=1e-12)


def test_rest_posture_within_limits_with_rotation_at_bound():
    assert joint_limits_ok(DEFAULT_POSTURE_DEG)
    assert DEFAULT_POSTURE_DEG[2] == ARM.q_max[2]


def test_forward_kinematics_reach_matches_law_of_cosines():
    rng = np.random.default_rng(1)
    q = rng.uniform(ARM.q_min, ARM.q_max, (100, 4))
    reach = np.linalg.norm(forward_kinematics(q), axis=-1)
    expected = np.sqrt(33**2 + 26**2 + 2 * 33 * 26 * np.cos(np.deg2rad(q[:, 3])))
    np.testing.assert_allclose(reach, expected, rtol=1e-12)


def test_inverse_kinematics_traces_targets_within_limits_and_continuously():
    paths, _ = smooth_joint_paths(20, 150)
    targets = forward_kinematics(np.moveaxis(paths, 1, 2))
    joints = inverse_kinematics(targets)
    residual = np.linalg.norm(forward_kinematics(joints) - targets, axis=-1)
    assert residual.max() < 1e-6
    assert tracing_error(joints, targets).max() < 1e-2
    assert joint_limits_ok(joints).all()
    # continuity: no jump between consecutive steps beyond what the smooth targets need
    assert np.abs(np.diff(joints, axis=1)).max() < 5.0


def test_inverse_kinematics_is_at_least_as_close_as_slsqp():
    paths, _ = smooth_joint_paths(1, 12, seed=3)
    targets = forward_kinematics(np.moveaxis(paths, 1, 2))[0]
    joints = inverse_kinematics(targets)
    previous = ARM.q0
    for target, q in zip(targets, joints):
        reference = ik_slsqp_step(target, previous)
        assert np.linalg.norm(forward_kinematics(reference) - target) < 1e-2
        assert np.linalg.norm(q - previous) <= np.linalg.norm(reference - previous) + 1e-3
        previous = q


def test_inverse_kinematics_skips_nan_padding():
    paths, _ = smooth_joint_paths(2, 30)
    targets = forward_kinematics(np.moveaxis(paths, 1, 2))
    targets[1, 20:] = np.nan
    joints = inverse_kinematics(targets)
    assert np.isnan(joints[1, 20:]).all() and np.isfinite(joints[1, :20]).all()
    np.testing.assert_allclose(joints[1, :20], inverse_kinematics(targets[1, :20]), atol=1e-9)


def test_unreachable_target_leaves_a_residual():
    joints = inverse_kinematics(np.array([[0.0, 0.0, -80.0]]))
    assert tracing_error(joints, np.array([[0.0, 0.0, -80.0]])) > 1.0


@pytest.mark.parametrize("point, reachable", [((0, 0, -59), True), ((0, 0, -70), False), ((40, 0, 0), True)])
def test_is_reachable(point, reachable):
    assert is_reachable(np.array([point], dtype=float))[0] == reachable


def test_is_reachable_agrees_with_forward_kinematics_of_admissible_postures():
    rng = np.random.default_rng(5)
    q = rng.uniform(ARM.q_min, ARM.q_max, (200, 4))
    assert is_reachable(forward_kinematics(q)).mean() > 0.97  # grid-limited only at the edges of the region
