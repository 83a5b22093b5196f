"""The tabulated muscle backend: grid, interpolation, trust map, file format, cache names, and MoBL-ARMS vs OpenSim."""

import numpy as np
import pytest

from neuromotor.errors import DataFormatError, ModelFileError, ValidationFailed
from neuromotor.pcrt.muscle_table import (
    GridSpec,
    MuscleTable,
    TabulatedMuscles,
    build_table,
    check_tabulated,
    table_file_name,
    untrusted_cells,
    validate_tabulated,
)

from tests.conftest import SHARED_MODELS

MOBL = SHARED_MODELS / "MoBL_ARMS_module5_scaleIK.osim"
TABLE_CFG = {"spacing_deg": [5.0] * 4, "lower_deg": None, "upper_deg": None, "smooth_tol_mm": 0.02, "dilate": 1}


def _opensim_available() -> bool:
    try:
        import opensim  # noqa: F401
    except ImportError:
        return False
    return True


needs_mobl = pytest.mark.skipif(
    not (_opensim_available() and MOBL.is_file()),
    reason=f"needs the opensim package and the published model at {MOBL}",
)


def _cubic_values(grid: GridSpec, n_muscles: int = 2) -> np.ndarray:
    """A function of degree <= 3 in every joint (the cubic tensor interpolation reproduces it exactly)."""
    q = grid.nodes()
    columns = [
        1.0 + 0.01 * q[:, 0] ** 3 - 0.2 * q[:, 1] ** 2 * q[:, 2] + 0.05 * q[:, 3] ** 3 * q[:, 0],
        5.0 - q[:, 1] + 0.001 * q[:, 2] ** 3 * q[:, 3] ** 2,
    ][:n_muscles]
    return np.stack(columns, axis=1).reshape(tuple(grid.n_nodes) + (n_muscles,))


def _table(grid: GridSpec, values: np.ndarray, digest: str = "0" * 64) -> MuscleTable:
    untrusted = untrusted_cells(values, smooth_tol_mm=1e-6, dilate=0)
    names = tuple(f"m{j}" for j in range(values.shape[-1]))
    return MuscleTable(grid, values, untrusted, "fiber_length", digest, names, 1e-6, 0)


def test_grid_has_nodes_on_both_bounds_and_spacing_at_most_the_maximum():
    grid = GridSpec.covering([-90, 0, -90, 0], [130, 180, 20, 130], [5, 7, 10, 100])
    axes = grid.axes()
    assert [len(a) for a in axes] == [45, 27, 12, 5]  # 130/100 -> still 5 nodes (4 intervals) for the stencil
    for axis, lo, hi, h in zip(axes, [-90, 0, -90, 0], [130, 180, 20, 130], [5, 7, 10, 100]):
        assert axis[0] == lo and np.isclose(axis[-1], hi)
        assert np.all(np.diff(axis) <= h + 1e-12)
    assert grid.nodes().shape == (45 * 27 * 12 * 5, 4)


@pytest.mark.parametrize(
    "lower, upper, spacing",
    [([0, 0, 0], [1, 1, 1], 1), ([0, 0, 0, 0], [1, 1, 1, 0], 1), ([0] * 4, [1] * 4, 0), ([0] * 4, [np.nan] * 4, 1)],
)
def test_grid_rejects_bad_boxes(lower, upper, spacing):
    with pytest.raises(ValueError):
        GridSpec.covering(lower, upper, spacing)


def test_interpolation_is_exact_for_cubics_including_at_the_box_faces():
    grid = GridSpec.covering([-2, 0, 1, -1], [3, 4, 3, 2], [1.0, 0.8, 0.5, 0.75])
    table = _table(grid, _cubic_values(grid))
    assert not table.untrusted.any()  # 4th differences of a cubic vanish
    rng = np.random.default_rng(0)
    postures = rng.uniform(grid.lower_deg, grid.upper_deg, size=(300, 4))
    postures[:4] = [grid.lower_deg, grid.upper_deg.tolist(), [3, 0, 1, 2], [-2, 4, 3, -1]]
    np.testing.assert_allclose(table.interpolate(postures), _cubic_values_at(postures), rtol=1e-10, atol=1e-9)


def _cubic_values_at(q: np.ndarray) -> np.ndarray:
    return np.stack(
        [
            1.0 + 0.01 * q[:, 0] ** 3 - 0.2 * q[:, 1] ** 2 * q[:, 2] + 0.05 * q[:, 3] ** 3 * q[:, 0],
            5.0 - q[:, 1] + 0.001 * q[:, 2] ** 3 * q[:, 3] ** 2,
        ],
        axis=1,
    )


def test_interpolation_refuses_postures_outside_the_box():
    grid = GridSpec.covering([0] * 4, [4] * 4, 1.0)
    table = _table(grid, _cubic_values(grid))
    with pytest.raises(ValueError, match="outside the table's box"):
        table.interpolate(np.array([[1.0, 1.0, 1.0, 4.5]]))


def test_trust_map_flags_a_jump_for_its_muscle_only_and_dilates():
    grid = GridSpec.covering([0, 0, 0, 0], [16, 4, 4, 4], 1.0)
    values = _cubic_values(grid)
    values[6:, ..., 1] += 30.0  # a wrap switch between nodes 5 and 6 of joint 0, muscle 1 only
    cells = untrusted_cells(values, smooth_tol_mm=0.02, dilate=0)
    assert not cells[..., 0].any()
    # nodes 4..7 see the jump in their 4th difference; cells whose stencil (c-1..c+2) holds one are untrusted
    flagged_rows = np.flatnonzero(cells[..., 1].any(axis=(1, 2, 3)))
    assert flagged_rows.tolist() == list(range(2, 9))
    assert cells[2:9, ..., 1].all()
    dilated = untrusted_cells(values, smooth_tol_mm=0.02, dilate=1)
    assert np.flatnonzero(dilated[..., 1].any(axis=(1, 2, 3))).tolist() == list(range(1, 10))


def test_trust_map_flags_cells_next_to_nodes_without_equilibrium():
    grid = GridSpec.covering([0] * 4, [6] * 4, 1.0)
    values = _cubic_values(grid)
    values[3, 3, 3, 3, 0] = np.nan
    cells = untrusted_cells(values, smooth_tol_mm=0.02, dilate=0)
    assert cells[2, 2, 2, 2, 0] and cells[3, 3, 3, 3, 0]
    assert not cells[..., 1].any()


def test_table_round_trips_and_rejects_damaged_files(tmp_path):
    grid = GridSpec.covering([0] * 4, [4] * 4, 1.0)
    table = _table(grid, _cubic_values(grid))
    table.untrusted[1, 2, 3, 0, 1] = True
    path = tmp_path / "t.npz"
    table.save(path)
    loaded = MuscleTable.load(path)
    assert loaded.grid == table.grid and loaded.muscle_names == table.muscle_names
    np.testing.assert_array_equal(loaded.untrusted, table.untrusted)
    np.testing.assert_allclose(loaded.values, table.values, rtol=1e-7)  # stored as float32
    (tmp_path / "bad.npz").write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataFormatError, match="bad.npz"):
        MuscleTable.load(tmp_path / "bad.npz")
    with pytest.raises(DataFormatError, match="missing.npz"):
        MuscleTable.load(tmp_path / "missing.npz")


def test_cache_name_follows_model_content_quantity_and_table_settings_only():
    base = table_file_name("a/MoBL.osim", "1" * 64, "fiber_length", TABLE_CFG)
    assert base.startswith("MoBL-fiber_length-") and base.endswith(".npz")
    assert base == table_file_name("elsewhere/MoBL.osim", "1" * 64, "fiber_length", dict(TABLE_CFG, processes=8))
    assert base != table_file_name("a/MoBL.osim", "2" * 64, "fiber_length", TABLE_CFG)
    assert base != table_file_name("a/MoBL.osim", "1" * 64, "mtu_length", TABLE_CFG)
    assert base != table_file_name("a/MoBL.osim", "1" * 64, "fiber_length", dict(TABLE_CFG, dilate=2))


def test_validation_names_the_failing_muscle():
    reference = np.zeros((10, 2))
    predicted = reference.copy()
    predicted[3, 1] = 0.7
    report = validate_tabulated(predicted, reference, np.zeros((10, 2), bool), ("CORB", "TRIlong"),
                                max_abs_mm=0.5, max_rmse_mm=0.1)  # fmt: skip
    assert not report["passed"] and report["failing_muscles"] == ["TRIlong"]
    with pytest.raises(ValidationFailed, match=r"TRIlong \(max error 0.7 mm"):
        check_tabulated(report)
    predicted[3, 1] = np.nan  # the method found no value where OpenSim did: a failure, not a silent pass
    assert validate_tabulated(predicted, reference, np.zeros((10, 2), bool), ("CORB", "TRIlong"),
                              max_abs_mm=0.5, max_rmse_mm=0.1)["failing_muscles"] == ["TRIlong"]  # fmt: skip


@needs_mobl
def test_mobl_table_matches_opensim_on_held_out_postures_and_falls_back_outside(tmp_path):
    from neuromotor.pcrt.muscles import _import_opensim, load_arm_model

    _import_opensim().Logger.setLevelString("error")
    grid = GridSpec.covering([30, 30, -10, 60], [38, 38, -2, 68], 2.0)  # 5^4 = 625 nodes around a mid posture
    table = build_table(MOBL, "fiber_length", grid, smooth_tol_mm=0.02, dilate=1)
    path = tmp_path / "mobl.npz"
    table.save(path)
    arm = load_arm_model(MOBL)
    method = TabulatedMuscles(MuscleTable.load(path), arm, "fiber_length")
    rng = np.random.default_rng(3)
    inside = rng.uniform(grid.lower_deg, grid.upper_deg, size=(80, 4))
    outside = inside[:4] + np.array([[0, 0, 0, 20.0], [-15.0, 0, 0, 0], [0, 12.0, 0, 0], [0, 0, -30.0, 0]])
    postures = np.concatenate([inside, outside])
    predicted = method.evaluate(postures)
    reference = arm.evaluate(postures, "fiber_length")
    report = validate_tabulated(predicted, reference, method.exact_mask(postures), arm.muscle_names,
                                max_abs_mm=0.5, max_rmse_mm=0.1)  # fmt: skip
    check_tabulated(report)
    np.testing.assert_array_equal(predicted[80:], reference[80:])  # outside the box: OpenSim itself
    assert method.n_outside == 4 and method.n_exact_pairs >= 4 * 25
    assert np.abs(predicted[:80] - reference[:80]).max() < 0.05
    always = TabulatedMuscles(MuscleTable.load(path), arm, "fiber_length", exact_muscles=("TRIlong",))
    column = arm.muscle_names.index("TRIlong")
    np.testing.assert_array_equal(always.evaluate(inside[:5])[:, column], reference[:5, column])
    with pytest.raises(ValueError, match="TRIshort"):
        TabulatedMuscles(MuscleTable.load(path), arm, "fiber_length", exact_muscles=("TRIshort",))


@needs_mobl
def test_table_of_another_model_or_quantity_is_refused():
    from neuromotor.pcrt.muscles import MUSCLE_NAMES, load_arm_model

    arm = load_arm_model(MOBL)
    grid = GridSpec.covering([0] * 4, [4] * 4, 1.0)
    values = np.zeros(tuple(grid.n_nodes) + (25,))
    cells = np.zeros(tuple(n - 1 for n in grid.n_nodes) + (25,), bool)
    other = MuscleTable(grid, values, cells, "fiber_length", "f" * 64, MUSCLE_NAMES, 0.02, 1)
    with pytest.raises(ModelFileError, match="rebuild the table"):
        TabulatedMuscles(other, arm, "fiber_length")
    same = MuscleTable(grid, values, cells, "fiber_length", arm.digest, MUSCLE_NAMES, 0.02, 1)
    with pytest.raises(ValueError, match="mtu_length"):
        TabulatedMuscles(same, arm, "mtu_length")


@needs_mobl
def test_selected_evaluation_equals_full_evaluation_and_leaves_the_state_usable():
    """evaluate_selected gives evaluate's values bit for bit, and a following evaluate() on the same model is right
    (without the final realizeVelocity, OpenSim's equilibrateMuscles returned a wrong first posture, by ~24 mm)."""
    from neuromotor.pcrt.muscles import _import_opensim, load_arm_model

    _import_opensim().Logger.setLevelString("error")
    rng = np.random.default_rng(0)
    postures = rng.uniform([-60, 20, -80, 40], [110, 150, 20, 127], size=(6, 4))
    reference = load_arm_model(MOBL).evaluate(postures, "fiber_length")
    arm = load_arm_model(MOBL)
    mask = rng.random((6, 25)) < 0.5
    selected = arm.evaluate_selected(postures, mask, "fiber_length")
    np.testing.assert_array_equal(selected[mask], reference[mask])
    assert np.isnan(selected[~mask]).all()
    for row in range(6):
        arm.evaluate_selected(postures[row - 1 : row] if row else postures[-1:], np.ones((1, 25), bool))
        np.testing.assert_array_equal(arm.evaluate(postures[row : row + 1], "fiber_length")[0], reference[row])


def test_validation_figure_is_written_and_bad_reports_are_refused(tmp_path):
    from neuromotor.plots.pcrt import plot_table_validation

    reference = np.zeros((10, 3))
    predicted = reference + np.array([0.01, 0.2, 0.9])
    mask = np.zeros((10, 3), bool)
    mask[:5, 2] = True
    report = validate_tabulated(predicted, reference, mask, ("CORB", "TMIN", "TRIlong"), max_abs_mm=0.5, max_rmse_mm=0.1)
    plot_table_validation(report, tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 0
    with pytest.raises(Exception, match="thresholds"):
        plot_table_validation({"muscles": report["muscles"]}, tmp_path / "w.png")
