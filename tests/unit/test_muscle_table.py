"""The tabulated muscle backend: grid, interpolation, trust map, file format, cache names, and MoBL-ARMS vs OpenSim."""

import numpy as np
import pytest

from neuromotor.errors import DataFormatError, ModelFileError, ValidationFailed
from neuromotor.pcrt.muscle_table import (
    GridSpec,
    GridTable,
    LengthMap,
    MuscleTable,
    TabulatedMuscles,
    build_table,
    check_tabulated,
    interpolate_grid,
    map_from_samples,
    muscle_structure,
    structure_postures,
    table_file_name,
    trust_map,
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


def _cubic_at(q: np.ndarray) -> np.ndarray:
    """Two functions of degree <= 3 in every joint of q (N, 3) (the cubic tensor interpolation reproduces them)."""
    return np.stack(
        [1.0 + 0.01 * q[:, 0] ** 3 - 0.2 * q[:, 1] ** 2 * q[:, 2], 5.0 - q[:, 1] + 0.001 * q[:, 2] ** 3 * q[:, 0] ** 2],
        axis=1,
    )


def _node_values(grid: GridSpec, function=_cubic_at) -> np.ndarray:
    return function(grid.nodes()).reshape(tuple(grid.n_nodes) + (-1,))


def test_grid_has_nodes_on_both_bounds_and_spacing_at_most_the_maximum():
    grid = GridSpec.covering([-90, 0, -90, 0], [130, 180, 20, 130], [5, 7, 10, 100])
    axes = grid.axes()
    assert [len(a) for a in axes] == [45, 27, 12, 5]  # 130/100 -> still 5 nodes (4 intervals) for the stencil
    for axis, lo, hi, h in zip(axes, [-90, 0, -90, 0], [130, 180, 20, 130], [5, 7, 10, 100]):
        assert axis[0] == lo and np.isclose(axis[-1], hi)
        assert np.all(np.diff(axis) <= h + 1e-12)
    assert grid.nodes().shape == (45 * 27 * 12 * 5, 4)
    shoulder = grid.select((0, 1, 2))
    assert shoulder.n_nodes == (45, 27, 12) and shoulder.lower_deg == (-90.0, 0.0, -90.0)


@pytest.mark.parametrize(
    "lower, upper, spacing",
    [([0, 0, 0], [1, 1, 1, 1], 1), ([0, 0, 0, 0], [1, 1, 1, 0], 1), ([0] * 4, [1] * 4, 0), ([0] * 4, [np.nan] * 4, 1),
     ([0] * 4, [1] * 4, [1, 1])],
)  # fmt: skip
def test_grid_rejects_bad_boxes(lower, upper, spacing):
    with pytest.raises(ValueError):
        GridSpec.covering(lower, upper, spacing)


def test_interpolation_is_exact_for_cubics_including_at_the_box_faces():
    grid = GridSpec.covering([-2, 0, 1], [3, 4, 3], [1.0, 0.8, 0.5])
    values = _node_values(grid)
    untrusted, offsets = trust_map(values, smooth_tol_mm=1e-6, dilate=0)
    assert not untrusted.any()  # 4th differences of a cubic vanish
    rng = np.random.default_rng(0)
    points = rng.uniform(grid.lower_deg, grid.upper_deg, size=(300, 3))
    points[:4] = [grid.lower_deg, grid.upper_deg.tolist(), [3, 0, 1], [-2, 4, 3]]
    for stencils in (None, offsets):
        np.testing.assert_allclose(interpolate_grid(grid, values, points, stencils), _cubic_at(points), rtol=1e-10, atol=1e-9)
    line = GridSpec.covering([0.0], [130.0], [2.5])  # 1-D (elbow) parts use the same code
    cubic = lambda q: (0.3 * q**3 - q)[:, :1]  # noqa: E731
    np.testing.assert_allclose(interpolate_grid(line, _node_values(line, cubic), points[:, :1] * 20 + 50),
                               cubic(points[:, :1] * 20 + 50), rtol=1e-10)  # fmt: skip


def test_interpolation_refuses_postures_outside_the_box():
    grid = GridSpec.covering([0] * 3, [4] * 3, 1.0)
    with pytest.raises(ValueError, match="outside the table's box"):
        interpolate_grid(grid, _node_values(grid), np.array([[1.0, 1.0, 4.5]]))


def test_trust_map_flags_only_the_cell_of_a_jump_and_its_neighbours_use_shifted_stencils():
    grid = GridSpec.covering([0, 0, 0], [16, 4, 4], 1.0)
    jump = lambda q: _cubic_at(q) + np.stack([0 * q[:, 0], 30.0 * (q[:, 0] >= 5.5)], axis=1)  # noqa: E731
    values = _node_values(grid, jump)  # a wrap switch between nodes 5 and 6 of joint 0, muscle 1 only
    untrusted, offsets = trust_map(values, smooth_tol_mm=0.02, dilate=0)
    assert not untrusted[..., 0].any()
    assert np.flatnonzero(untrusted[..., 1].any(axis=(1, 2))).tolist() == [5] and untrusted[5, ..., 1].all()
    assert (offsets[4, ..., 1, 0] == -2).all() and (offsets[6, ..., 1, 0] == 0).all()  # stencils away from the jump
    table = GridTable.from_values((0, 1, 2), grid, values, (0, 1), 0.02, 0)
    rng = np.random.default_rng(1)
    postures = np.c_[rng.uniform(grid.lower_deg, grid.upper_deg, size=(2000, 3)), np.zeros(2000)]
    got, exact = table.evaluate(postures)
    truth = jump(postures[:, :3])
    assert np.abs(got[~exact] - truth[~exact]).max() < 1e-9  # exact for the cubic on each side of the jump
    assert set(np.floor(postures[exact[:, 1], 0]).astype(int)) == {5} and not exact[:, 0].any()
    dilated = untrusted_cells(values, smooth_tol_mm=0.02, dilate=1)
    assert np.flatnonzero(dilated[..., 1].any(axis=(1, 2))).tolist() == [4, 5, 6]


def test_trust_map_flags_cells_next_to_nodes_without_a_value():
    grid = GridSpec.covering([0] * 3, [8] * 3, 1.0)
    values = _node_values(grid)
    values[4, 4, 4, 0] = np.nan
    untrusted = untrusted_cells(values, smooth_tol_mm=0.02, dilate=0)
    assert untrusted[3, 3, 3, 0] and untrusted[4, 4, 4, 0]  # the cells around the node
    assert not untrusted[0, 0, 0, 0] and not untrusted[..., 1].any()


def test_length_map_interpolates_where_accurate_and_refuses_gaps_and_the_outside():
    x = np.r_[np.linspace(10, 20, 201), np.linspace(30, 40, 201)]  # a 10 mm gap between 20 and 30
    y = 0.9 * x - 3 + np.where(x > 35, 0.5 * (x - 35), 0.0)  # linear, with a kink at 35 (sampled densely: fine)
    y = y + 0.002 * (x - 10) ** 2  # slight curvature: linear interpolation error 0.002 * 10^2 / 4 over the gap
    lengths_map, failed = map_from_samples(x[:, None], y[:, None], tol_mm=0.02)
    assert not failed.any()
    probe = np.array([[12.34], [25.0], [35.02], [39.0], [9.0], [41.0]])
    got, exact = lengths_map.evaluate(probe)
    assert exact[:, 0].tolist() == [False, True, False, False, True, True]
    truth = 0.9 * probe - 3 + np.where(probe > 35, 0.5 * (probe - 35), 0.0) + 0.002 * (probe - 10) ** 2
    assert np.abs(got[~exact] - truth[~exact]).max() < 1e-5 and np.isnan(got[exact]).all()
    two_valued = np.r_[y, y[::7] + 1.0]  # the same path lengths giving another value: not a function
    _, failed = map_from_samples(np.r_[x, x[::7]][:, None], two_valued[:, None], tol_mm=0.02)
    assert failed.tolist() == [True]


def test_structure_check_tells_separable_from_coupled_paths():
    grid = GridSpec.covering([-90, 0, -90, 0], [130, 180, 20, 130], 5.0)
    q = structure_postures(grid, n_pairs=16)
    paths = np.stack(
        [
            100 + 0.1 * q[:, 0] - 0.02 * q[:, 1] * q[:, 2],  # shoulder only
            80 + 0.3 * q[:, 3],  # elbow only
            90 + np.sin(np.deg2rad(q[:, 1])) + 0.2 * q[:, 3] ** 2 / 100,  # both, a sum
            90 + 1e-4 * q[:, 1] * q[:, 3],  # both, coupled
        ],
        axis=1,
    )
    structure = muscle_structure(paths)
    assert structure.shoulder.tolist() == [True, False, True, True]
    assert structure.elbow.tolist() == [False, True, True, True]
    assert structure.separable.tolist() == [True, True, True, False]


def _synthetic_table(digest: str = "0" * 64, names=("m0", "m1")) -> MuscleTable:
    grid = GridSpec.covering([0, 0, 0, 0], [8, 8, 8, 8], 1.0)
    shoulder = GridTable.from_values((0, 1, 2), grid.select((0, 1, 2)), _node_values(grid.select((0, 1, 2))), (0, 1), 1e-6, 0)
    line = grid.select((3,))
    elbow = GridTable.from_values((3,), line, _node_values(line, lambda q: 0.5 * q[:, :1]), (1,), 1e-6, 0)
    samples = np.linspace(-150, 150, 6001)[:, None].repeat(2, axis=1)  # covers both path ranges
    length_map, _ = map_from_samples(samples, 2 * samples + 1, 1e-6)
    untrusted = shoulder.untrusted.copy()
    untrusted[1, 2, 3, 1] = True
    shoulder = GridTable(shoulder.joints, shoulder.grid, shoulder.values, untrusted, shoulder.offsets, shoulder.columns)
    return MuscleTable(grid, grid.centre_deg, (shoulder, elbow), length_map, np.zeros(2, bool), "fiber_length", digest,
                       tuple(names), 1e-6, 0)  # fmt: skip


def test_table_sums_its_parts_maps_them_and_round_trips(tmp_path):
    table = _synthetic_table()
    rng = np.random.default_rng(2)
    postures = rng.uniform(0, 8, size=(50, 4))
    postures[0] = [1.5, 2.5, 3.5, 4.0]  # in the untrusted cell of muscle 1
    postures[1] = [1.0, 1.0, 1.0, 9.0]  # outside the box along the elbow only
    values, exact = table.evaluate(postures)
    paths = _cubic_at(postures[:, :3]) + np.c_[np.zeros(50), 0.5 * postures[:, 3]]
    in_cell = np.all(np.floor(postures[:, :3]) == [1, 2, 3], axis=1)
    assert not exact[:, 0].any() and exact[:, 1].tolist() == (in_cell | (postures[:, 3] > 8)).tolist()
    assert exact[:2, 1].all()
    np.testing.assert_allclose(values[~exact], (2 * paths + 1)[~exact], rtol=1e-9)
    path = tmp_path / "t.npz"
    table.save(path)
    loaded = MuscleTable.load(path)
    assert loaded.grid == table.grid and loaded.muscle_names == table.muscle_names
    for part, again in zip(table.parts, loaded.parts):
        np.testing.assert_array_equal(again.untrusted, part.untrusted)
        np.testing.assert_array_equal(again.offsets, part.offsets)
    again_values, again_exact = loaded.evaluate(postures)
    np.testing.assert_array_equal(again_exact, exact)
    np.testing.assert_allclose(again_values[~exact], values[~exact], rtol=1e-6)  # node values stored as float32
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
    exact = dict(TABLE_CFG, exact_muscles=["TRIlong", "TMIN"])  # not tabulated: another table
    assert base != table_file_name("a/MoBL.osim", "1" * 64, "fiber_length", exact)
    assert table_file_name("a/MoBL.osim", "1" * 64, "fiber_length", exact) == table_file_name(
        "a/MoBL.osim", "1" * 64, "fiber_length", dict(TABLE_CFG, exact_muscles=["TMIN", "TRIlong"]))


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
    grid = GridSpec.covering([30, 30, -10, 60], [38, 38, -2, 68], 2.0)  # 5^3 shoulder + 5 elbow nodes, mid posture
    table = build_table(MOBL, "fiber_length", grid, smooth_tol_mm=0.02, dilate=1, exact_muscles=("TMIN",))
    # the structure MoBL-ARMS has (measured): 15 shoulder muscles, 7 elbow muscles, 3 sums of both; all separable;
    # TMIN (exact_muscles) is not tabulated
    shoulder, elbow = table.parts
    assert len(shoulder.columns) == 17 and len(elbow.columns) == 10 and 14 not in shoulder.columns
    assert np.flatnonzero(table.always_exact).tolist() == [14]
    assert set(shoulder.columns) & set(elbow.columns) == {16, 17, 23}  # BIClong, BICshort, TRIlong
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
    mask = method.exact_mask(postures)
    report = validate_tabulated(predicted, reference, mask, arm.muscle_names, max_abs_mm=0.5, max_rmse_mm=0.1)
    check_tabulated(report)
    # outside the box along the elbow, the shoulder muscles still come from the table, the elbow ones from OpenSim
    assert not mask[80, :14].any() and mask[80, 14:].all() and mask[81, :15].all() and not mask[81, [15, 18]].any()
    assert mask[:, 14].all()  # TMIN: OpenSim always
    np.testing.assert_array_equal(predicted[mask], reference[mask])  # OpenSim itself where the table is not used
    assert method.n_outside == 4 and method.n_exact_pairs == int(mask.sum())
    assert np.abs(predicted[:80] - reference[:80]).max() < 0.05
    always = TabulatedMuscles(MuscleTable.load(path), arm, "fiber_length", exact_muscles=("TRIlong",))
    column = arm.muscle_names.index("TRIlong")
    np.testing.assert_array_equal(always.evaluate(inside[:5])[:, column], reference[:5, column])
    with pytest.raises(ValueError, match="TRIshort"):
        TabulatedMuscles(MuscleTable.load(path), arm, "fiber_length", exact_muscles=("TRIshort",))
    with pytest.raises(ValueError, match="TRIshort"):
        build_table(MOBL, "fiber_length", grid, smooth_tol_mm=0.02, dilate=1, exact_muscles=("TRIshort",))


@needs_mobl
def test_table_of_another_model_or_quantity_is_refused():
    from neuromotor.pcrt.muscles import MUSCLE_NAMES, load_arm_model

    arm = load_arm_model(MOBL)
    other = _synthetic_table("f" * 64)
    other.muscle_names = MUSCLE_NAMES
    with pytest.raises(ModelFileError, match="rebuild the table"):
        TabulatedMuscles(other, arm, "fiber_length")
    other.model_digest = arm.digest
    with pytest.raises(ValueError, match="mtu_length"):
        TabulatedMuscles(other, arm, "mtu_length")


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
    paths, values = arm.evaluate_with_paths(postures, mask, "fiber_length")
    np.testing.assert_array_equal(values[mask], reference[mask])
    assert np.isnan(paths[~mask]).all() and np.isfinite(paths[mask]).all()


@needs_mobl
def test_posture_written_to_the_state_directly_equals_setting_each_coordinate():
    """The direct Q-vector write (one call per posture) gives the coordinate-by-coordinate values bit for bit."""
    from neuromotor.pcrt.muscles import _import_opensim, load_arm_model

    _import_opensim().Logger.setLevelString("error")
    postures = np.random.default_rng(4).uniform([-80, 10, -90, 35], [120, 170, 20, 130], size=(8, 4))
    arm = load_arm_model(MOBL)
    assert arm._fast is not None  # MoBL-ARMS: every coordinate owns one Q entry; couplers evaluated directly
    direct = arm.evaluate(postures, "fiber_length")
    arm._fast = None
    np.testing.assert_array_equal(direct, arm.evaluate(postures, "fiber_length"))


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
