"""The polynomial muscle surrogate (docs/decisions.md)."""

from math import comb
from pathlib import Path

import numpy as np
import pytest

from neuromotor.errors import DataFormatError, ValidationFailed
from neuromotor.pcrt import surrogate as surrogate_module
from neuromotor.pcrt.kinematics import JOINT_MAX_DEG, JOINT_MIN_DEG
from neuromotor.pcrt.muscles import MUSCLE_NAMES, file_digest, load_arm_model
from neuromotor.pcrt.surrogate import (
    MuscleSurrogate,
    check_validation,
    fit_surrogate,
    legendre_design,
    legendre_values,
    scale_to_unit_box,
    sobol_postures,
    total_degree_exponents,
    uniform_postures,
    validate_surrogate,
)

PROJECT_MODEL = Path(__file__).resolve().parents[2] / "resources" / "arm_model" / "neuromotor_arm.osim"
# Over the whole joint-limit box, the project model's rotator cuff needs degree 10 (1001 terms, so 16384 fit
# postures) to meet the default thresholds; degree 6 reaches max|error|/range of about 7 % there.
PROJECT_DEGREE, PROJECT_N_FIT = 10, 16384


class PolynomialArm:
    """Stand-in for OpenSimArm whose muscles are known polynomials of the scaled angles."""

    digest = "0" * 64
    muscle_names = ("A", "B", "C")

    def __init__(self, coefficients, degree):
        self.coefficients, self.degree = coefficients, degree

    def evaluate(self, joints_deg, quantity="fiber_length"):
        scaled = scale_to_unit_box(joints_deg, JOINT_MIN_DEG, JOINT_MAX_DEG)
        return legendre_design(scaled, self.degree) @ self.coefficients


def polynomial_surrogate(seed=0, degree=3, n_muscles=3):
    rng = np.random.default_rng(seed)
    return MuscleSurrogate(
        coefficients=rng.normal(size=(comb(degree + 4, 4), n_muscles)),
        degree=degree,
        joint_min_deg=JOINT_MIN_DEG,
        joint_max_deg=JOINT_MAX_DEG,
        quantity="fiber_length",
        model_digest="0" * 64,
        muscle_names=tuple("ABCDEFGHIJ"[:n_muscles]),
    )


# --- basis -----------------------------------------------------------------------------------------------------------


def test_term_counts_and_order():
    assert legendre_design(np.zeros((5, 4)), 6).shape == (5, 210)
    exponents = total_degree_exponents(6)
    assert len(exponents) == 210 and len({tuple(e) for e in exponents}) == 210
    assert exponents.sum(axis=1).max() == 6 and np.all(np.diff(exponents.sum(axis=1)) >= 0)
    assert exponents[0].tolist() == [0, 0, 0, 0]
    assert legendre_design(np.zeros((2, 4)), 0).tolist() == [[1.0], [1.0]]


def test_legendre_values_match_closed_forms():
    x = np.linspace(-1, 1, 11)
    values = legendre_values(x, 3)
    np.testing.assert_allclose(values[:, 2], (3 * x**2 - 1) / 2)
    np.testing.assert_allclose(values[:, 3], (5 * x**3 - 3 * x) / 2)


def test_design_columns_are_orthogonal():
    """Under exact (Gauss-Legendre) quadrature the Gram matrix is diagonal with entries prod 2 / (2k + 1)."""
    nodes, weights = np.polynomial.legendre.leggauss(7)
    grid = np.stack(np.meshgrid(*[nodes] * 4, indexing="ij"), -1).reshape(-1, 4)
    grid_weights = np.prod(np.stack(np.meshgrid(*[weights] * 4, indexing="ij"), -1).reshape(-1, 4), axis=1)
    design = legendre_design(grid, 6)
    gram = design.T @ (grid_weights[:, None] * design)
    expected = np.prod(2.0 / (2 * total_degree_exponents(6) + 1), axis=1)
    np.testing.assert_allclose(gram, np.diag(expected), atol=1e-10)


def test_scaling_maps_the_limits_to_minus_one_and_one():
    scaled = scale_to_unit_box(np.stack([JOINT_MIN_DEG, JOINT_MAX_DEG]), JOINT_MIN_DEG, JOINT_MAX_DEG)
    np.testing.assert_allclose(scaled, [[-1.0] * 4, [1.0] * 4])


def test_sobol_postures_are_seeded_and_inside_the_box():
    first, again, other = sobol_postures(256, 1), sobol_postures(256, 1), sobol_postures(256, 2)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert np.all(first >= JOINT_MIN_DEG) and np.all(first <= JOINT_MAX_DEG)
    assert sobol_postures(100, 0).shape == (100, 4)


# --- fit, predict, files ---------------------------------------------------------------------------------------------


def test_fit_recovers_a_polynomial_exactly():
    truth = polynomial_surrogate(seed=4, degree=4)
    arm = PolynomialArm(truth.coefficients, truth.degree)
    fitted = fit_surrogate(arm, degree=4, n_fit=1024, seed=0)
    np.testing.assert_allclose(fitted.coefficients, truth.coefficients, atol=1e-6)
    assert fitted.muscle_names == arm.muscle_names and fitted.model_digest == arm.digest


def test_predict_keeps_batch_dimensions_and_blocks(monkeypatch):
    model = polynomial_surrogate()
    joints = uniform_postures(24, seed=5).reshape(2, 3, 4, 4)
    whole = model.predict(joints)
    assert whole.shape == (2, 3, 4, 3)
    monkeypatch.setattr(surrogate_module, "PREDICT_BLOCK_VALUES", 5 * model.coefficients.shape[0])
    np.testing.assert_allclose(model.predict(joints), whole, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((2, 3)))


def test_save_and_load_round_trip(tmp_path):
    model = polynomial_surrogate()
    path = tmp_path / "surrogate" / "model.npz"
    model.save(path)
    loaded = MuscleSurrogate.load(path)
    np.testing.assert_array_equal(loaded.coefficients, model.coefficients)
    np.testing.assert_array_equal(loaded.joint_min_deg, model.joint_min_deg)
    np.testing.assert_array_equal(loaded.joint_max_deg, model.joint_max_deg)
    assert (loaded.degree, loaded.quantity, loaded.model_digest, loaded.muscle_names) == (
        model.degree, model.quantity, model.model_digest, model.muscle_names
    )  # fmt: skip
    assert [p.name for p in path.parent.iterdir()] == ["model.npz"], "no temporary file left behind"


def test_loading_a_bad_file_is_reported(tmp_path):
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip archive")
    with pytest.raises(DataFormatError, match="garbage.npz"):
        MuscleSurrogate.load(garbage)
    incomplete = tmp_path / "incomplete.npz"
    np.savez(incomplete, coefficients=np.zeros((35, 3)))
    with pytest.raises(DataFormatError, match="incomplete.npz.*lacks"):
        MuscleSurrogate.load(incomplete)


def test_coefficient_shape_must_match_degree_and_muscles():
    with pytest.raises(ValueError, match="coefficients must have shape"):
        MuscleSurrogate(np.zeros((10, 3)), 3, JOINT_MIN_DEG, JOINT_MAX_DEG, "fiber_length", "0", ("A", "B", "C"))


# --- validation ------------------------------------------------------------------------------------------------------


def test_validation_flags_exactly_the_muscles_that_miss_the_thresholds():
    model = polynomial_surrogate()
    joints = uniform_postures(200, seed=6)
    reference = model.predict(joints)
    reference[:, 1] += 0.05 * np.ptp(reference[:, 1])  # a constant 5 % of range error on muscle B
    reference[7, 2] += 0.03 * np.ptp(reference[:, 2])  # one 3 % outlier on muscle C (RMSE stays small)
    report = validate_surrogate(model, joints, reference)
    assert report["failing_muscles"] == ["B", "C"] and not report["passed"]
    assert report["muscles"]["A"]["passed"] and report["muscles"]["A"]["rmse_mm"] < 1e-9
    assert report["muscles"]["B"]["rmse_rel"] == pytest.approx(0.05, rel=0.02)
    assert report["muscles"]["C"]["max_abs_rel"] > 0.02 and report["muscles"]["C"]["rmse_rel"] < 0.005
    assert report["n_points"] == 200 and report["thresholds"] == {"max_rmse_rel": 0.005, "max_abs_rel": 0.02}
    with pytest.raises(ValidationFailed, match=r"2 muscle\(s\): B .*C "):
        check_validation(report)
    check_validation(validate_surrogate(model, joints, model.predict(joints)))


def test_validation_leaves_out_nonfinite_references_and_accepts_given_ranges():
    model = polynomial_surrogate()
    joints = uniform_postures(50, seed=7)
    reference = model.predict(joints) + 0.1
    reference[3, 0] = np.nan
    report = validate_surrogate(model, joints, reference, range_mm=np.array([10.0, 20.0, 40.0]))
    assert report["n_points"] == 49 and report["n_nonfinite_reference"] == 1
    assert [report["muscles"][name]["max_abs_rel"] for name in "ABC"] == pytest.approx([0.01, 0.005, 0.0025])
    empty = validate_surrogate(model, np.zeros((0, 4)), np.zeros((0, 3)))
    assert empty["passed"] and empty["n_points"] == 0
    with pytest.raises(ValueError, match="expected joints_deg"):
        validate_surrogate(model, joints, reference[:, :2])


# --- the project's arm model -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project_arm():
    return load_arm_model(PROJECT_MODEL)


@pytest.fixture(scope="module")
def project_surrogate(project_arm):
    return fit_surrogate(project_arm, "fiber_length", degree=PROJECT_DEGREE, n_fit=PROJECT_N_FIT, seed=0)


def test_project_surrogate_passes_validation_on_independent_postures(project_arm, project_surrogate):
    joints = uniform_postures(1024, seed=11)
    report = validate_surrogate(project_surrogate, joints, project_arm.evaluate(joints))
    check_validation(report)
    assert report["worst"]["max_abs_rel"] < 0.016 and report["worst"]["rmse_rel"] < 0.002
    assert project_surrogate.model_digest == file_digest(PROJECT_MODEL)
    assert project_surrogate.muscle_names == MUSCLE_NAMES


def test_project_surrogate_reproduces_opensim_at_fit_postures(project_arm, project_surrogate):
    joints = sobol_postures(PROJECT_N_FIT, 0)[::64]
    reference = project_arm.evaluate(joints)
    error = np.abs(project_surrogate.predict(joints) - reference)
    value_range = np.ptp(project_arm.evaluate(uniform_postures(512, seed=12)), axis=0)
    assert np.all(error.max(axis=0) < 0.01 * value_range)
    assert np.all(np.sqrt(np.mean(error**2, axis=0)) < 0.002 * value_range)
