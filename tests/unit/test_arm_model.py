"""The project's OpenSim arm model and the OpenSim model loader (Sandbrink et al. 2023, Methods)."""

import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest

from neuromotor.errors import ModelFileError
from neuromotor.pcrt.kinematics import (
    DEFAULT_POSTURE_DEG,
    JOINT_MAX_DEG,
    JOINT_MIN_DEG,
    JOINT_NAMES,
    hand_position_shoulder,
)
from neuromotor.pcrt.muscles import (
    ELBOW_MUSCLES,
    MUSCLE_NAMES,
    QUANTITIES,
    SHOULDER_MUSCLES,
    file_digest,
    load_arm_model,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_MODEL = PROJECT_ROOT / "resources" / "arm_model" / "neuromotor_arm.osim"
BUILD_SCRIPT = PROJECT_ROOT / "resources" / "arm_model" / "build_arm_model.py"
MOBL = PROJECT_ROOT.parent / "shared" / "models" / "MoBL_ARMS_module5_scaleIK.osim"
FLEXORS = ("BIClong", "BICshort", "BRA", "BRD")
EXTENSORS = ("TRIlat", "TRIlong", "TRImed", "ANC")


@pytest.fixture(scope="module")
def arm():
    return load_arm_model(PROJECT_MODEL)


def uniform_postures(n, seed):
    return np.random.default_rng(seed).uniform(JOINT_MIN_DEG, JOINT_MAX_DEG, size=(n, 4))


def sweep(joint, n_steps, base=DEFAULT_POSTURE_DEG):
    """Postures (n_steps, 4) moving one joint over its whole range, the others at ``base``."""
    postures = np.tile(np.asarray(base, dtype=float), (n_steps, 1))
    postures[:, joint] = np.linspace(JOINT_MIN_DEG[joint], JOINT_MAX_DEG[joint], n_steps)
    return postures


def test_muscle_name_groups():
    assert len(MUSCLE_NAMES) == 25 and len(set(MUSCLE_NAMES)) == 25
    assert SHOULDER_MUSCLES + ELBOW_MUSCLES == MUSCLE_NAMES
    assert (SHOULDER_MUSCLES[0], SHOULDER_MUSCLES[-1], ELBOW_MUSCLES[0], ELBOW_MUSCLES[-1]) == (
        "CORB", "TMIN", "ANC", "TRImed"
    )  # fmt: skip
    assert QUANTITIES == ("fiber_length", "mtu_length")


def test_hand_marker_matches_shoulder_frame_kinematics(arm):
    postures = uniform_postures(50, seed=1)
    hand = arm.marker_positions_cm(postures, ("hand",))[:, 0]
    np.testing.assert_allclose(hand, hand_position_shoulder(postures), rtol=0, atol=1e-6)


def test_project_model_has_the_spec_coordinates_and_all_25_muscles(arm):
    assert arm.coordinate_names == JOINT_NAMES and arm.muscle_names == MUSCLE_NAMES
    muscles = arm.model.getMuscles()
    assert sorted(muscles.get(i).getName() for i in range(muscles.getSize())) == sorted(MUSCLE_NAMES)
    coordinates = arm.model.getCoordinateSet()
    for name, low, high, default in zip(JOINT_NAMES, JOINT_MIN_DEG, JOINT_MAX_DEG, DEFAULT_POSTURE_DEG):
        coordinate = coordinates.get(name)
        assert coordinate.getRangeMin() == pytest.approx(np.deg2rad(low), abs=1e-12)
        assert coordinate.getRangeMax() == pytest.approx(np.deg2rad(high), abs=1e-12)
        assert coordinate.getDefaultValue() == pytest.approx(np.deg2rad(default), abs=1e-12)


@pytest.mark.parametrize("quantity", QUANTITIES)
def test_flexors_shorten_and_extensors_lengthen_with_elbow_flexion(arm, quantity):
    lengths = arm.evaluate(sweep(3, 131), quantity)
    steps = np.diff(lengths, axis=0)
    for name in FLEXORS:
        assert np.all(steps[:, MUSCLE_NAMES.index(name)] < 0), f"{name} {quantity} must decrease with flexion"
    for name in EXTENSORS:
        assert np.all(steps[:, MUSCLE_NAMES.index(name)] > 0), f"{name} {quantity} must increase with flexion"


def test_each_group_spans_its_joint(arm):
    shoulder = [MUSCLE_NAMES.index(name) for name in SHOULDER_MUSCLES]
    elbow = [MUSCLE_NAMES.index(name) for name in ELBOW_MUSCLES]
    elbow_sweep = np.ptp(arm.evaluate(sweep(3, 14), "mtu_length"), axis=0)
    assert np.all(elbow_sweep[elbow] > 5.0), "every elbow muscle changes length with elbow flexion (mm)"
    assert np.all(elbow_sweep[shoulder] < 1e-6), "shoulder muscles do not cross the elbow"
    for joint in range(3):
        shoulder_sweep = np.ptp(arm.evaluate(sweep(joint, 23), "mtu_length"), axis=0)
        assert np.all(shoulder_sweep[shoulder] > 0.5), f"every shoulder muscle depends on {JOINT_NAMES[joint]}"


def test_fiber_lengths_stay_sane_over_the_joint_box(arm):
    fibers = arm.evaluate(uniform_postures(300, seed=2))
    optimal = np.array([arm.model.getMuscles().get(name).getOptimalFiberLength() * 1000 for name in MUSCLE_NAMES])
    normalised = fibers / optimal
    assert np.all(np.isfinite(fibers))
    assert normalised.min() > 0.4 and normalised.max() < 1.6
    mtu = arm.evaluate(uniform_postures(300, seed=2), "mtu_length")
    assert np.all(mtu > fibers)


@pytest.mark.parametrize("joint", range(4))
def test_lengths_vary_smoothly_along_each_joint(arm, joint):
    """No kinks: along a fine sweep, the slope changes by much less than a kink would make it jump."""
    fibers = arm.evaluate(sweep(joint, 441))
    value_range = np.ptp(fibers, axis=0)
    moving = value_range > 1e-6
    curvature = np.abs(np.diff(fibers[:, moving], 2, axis=0)).max(axis=0) / value_range[moving]
    assert curvature.max() < 5e-4


def test_evaluate_rejects_bad_input(arm):
    with pytest.raises(ValueError, match="shape"):
        arm.evaluate(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        arm.evaluate(np.array([[0.0, 10.0, np.nan, 20.0]]))
    with pytest.raises(ValueError, match="quantity"):
        arm.evaluate(np.zeros((1, 4)), "length")


def test_evaluate_does_not_depend_on_the_previous_posture(arm):
    postures = uniform_postures(20, seed=3)
    forward = arm.evaluate(postures)
    backward = arm.evaluate(postures[::-1])[::-1]
    np.testing.assert_allclose(forward, backward, rtol=0, atol=1e-6)


def fiber_lengths_by_the_original_api(path, postures_deg):
    """The original per-step order: set each coordinate enforcing constraints (OpenSim assembles), equilibrate, read."""
    arm = load_arm_model(path)
    coordinates = [arm.model.getCoordinateSet().get(name) for name in JOINT_NAMES]
    muscles = [arm.model.getMuscles().get(name) for name in MUSCLE_NAMES]
    out = []
    for posture in np.deg2rad(postures_deg):
        for coordinate, value in zip(coordinates, posture):
            coordinate.setValue(arm.state, float(value))
        arm.model.equilibrateMuscles(arm.state)
        out.append([muscle.getFiberLength(arm.state) * 1000 for muscle in muscles])
    return np.array(out)


def test_direct_coupler_evaluation_matches_opensim_assembly(arm):
    postures = uniform_postures(5, seed=4)
    np.testing.assert_allclose(arm.evaluate(postures), fiber_lengths_by_the_original_api(PROJECT_MODEL, postures),
                               rtol=0, atol=1e-6)  # fmt: skip


def test_no_opensim_log_file_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    load_arm_model(PROJECT_MODEL).evaluate(np.array([DEFAULT_POSTURE_DEG]))
    assert not (tmp_path / "opensim.log").exists()


def test_file_digest_is_the_sha256_of_the_bytes(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert file_digest(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert load_arm_model(PROJECT_MODEL).digest == file_digest(PROJECT_MODEL)


def test_build_script_reproduces_the_committed_model(tmp_path):
    committed_version = ElementTree.parse(PROJECT_MODEL).getroot().get("Version")
    rebuilt = tmp_path / "rebuilt.osim"
    subprocess.run([sys.executable, str(BUILD_SCRIPT), str(rebuilt)], check=True, capture_output=True)
    if ElementTree.parse(rebuilt).getroot().get("Version") != committed_version:
        pytest.skip("the installed OpenSim writes another file version than the committed model's")
    assert ElementTree.canonicalize(from_file=rebuilt, strip_text=True) == ElementTree.canonicalize(
        from_file=PROJECT_MODEL, strip_text=True
    ), "resources/arm_model/neuromotor_arm.osim is stale: rerun build_arm_model.py"


def test_a_model_files_defaults_do_not_leak_into_models_read_later(arm, tmp_path):
    # MoBL-ARMS redefines OpenSim's default Thelen2003Muscle in a <defaults> section; the project arm leaves Flen,
    # Af and the curve shapes to that default, so before the registry was restored its fiber lengths moved by 0.5 mm
    tree = ElementTree.parse(PROJECT_MODEL)
    defaults = ElementTree.Element("defaults")
    muscle = ElementTree.SubElement(defaults, "Thelen2003Muscle", name="default")
    for tag, value in (("FmaxTendonStrain", "0.033"), ("KshapeActive", "0.5"), ("KshapePassive", "4"),
                       ("Af", "0.3"), ("Flen", "1.8")):  # fmt: skip
        ElementTree.SubElement(muscle, tag).text = value
    tree.getroot().find("Model").insert(0, defaults)
    with_defaults = tmp_path / "with_defaults.osim"
    tree.write(with_defaults, encoding="UTF-8", xml_declaration=True)
    postures = uniform_postures(5, seed=6)
    before = arm.evaluate(postures)
    assert np.max(np.abs(load_arm_model(with_defaults).evaluate(postures) - before)) > 0.01  # the file's own defaults hold
    np.testing.assert_array_equal(load_arm_model(PROJECT_MODEL).evaluate(postures), before)


# --- loader errors -------------------------------------------------------------------------------------------------


def test_missing_file_is_reported(tmp_path):
    path = tmp_path / "absent.osim"
    with pytest.raises(ModelFileError, match=r"absent\.osim.*not found"):
        load_arm_model(path)


def test_invalid_xml_is_reported(tmp_path):
    path = tmp_path / "broken.osim"
    path.write_text('<OpenSimDocument Version="40000"><Model name="x"><broken></OpenSimDocument>')
    with pytest.raises(ModelFileError, match=r"broken\.osim.*not a valid XML"):
        load_arm_model(path)


def test_xml_that_is_not_a_model_is_reported(tmp_path):
    path = tmp_path / "other.osim"
    path.write_text("<Trial><name>x</name></Trial>")
    with pytest.raises(ModelFileError, match=r"other\.osim.*not an OpenSim model"):
        load_arm_model(path)


def test_model_lacking_a_coordinate_is_reported(tmp_path):
    path = tmp_path / "no_elv_angle.osim"
    renamed = re.sub(r"\belv_angle(?!_)", "plane_angle", PROJECT_MODEL.read_text())
    path.write_text(renamed)
    with pytest.raises(ModelFileError, match=r"no_elv_angle\.osim: missing coordinates \['elv_angle'\]"):
        load_arm_model(path)


def test_model_lacking_a_muscle_is_reported(tmp_path):
    tree = ElementTree.parse(PROJECT_MODEL)
    parent = tree.find(".//ForceSet/objects")
    parent.remove(parent.find("Thelen2003Muscle[@name='TRImed']"))
    path = tmp_path / "no_trimed.osim"
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    with pytest.raises(ModelFileError, match=r"no_trimed\.osim: missing muscles \['TRImed'\]; expected .*25 muscles"):
        load_arm_model(path)


# --- the published MoBL-ARMS model ----------------------------------------------------------------------------------


@pytest.mark.skipif(not MOBL.is_file(), reason=f"MoBL-ARMS model not found at {MOBL} (it lives in ../shared/models)")
def test_mobl_arms_loads_and_evaluates():
    mobl = load_arm_model(MOBL)
    postures = sweep(3, 5)
    fibers = mobl.evaluate(postures)
    assert fibers.shape == (5, 25) and np.all(np.isfinite(fibers)) and np.all(fibers > 0)
    biceps = fibers[:, MUSCLE_NAMES.index("BIClong")]
    triceps = fibers[:, MUSCLE_NAMES.index("TRIlat")]
    assert np.all(np.diff(biceps) < 0) and np.all(np.diff(triceps) > 0)
    np.testing.assert_array_less(fibers - 1e-9, mobl.evaluate(postures, "mtu_length"))
    # MoBL couples 10 shoulder-girdle coordinates to shoulder_elv: the direct coupler evaluation must agree with
    # OpenSim's own assembly to within its assembly tolerance
    random_postures = uniform_postures(3, seed=5)
    np.testing.assert_allclose(mobl.evaluate(random_postures), fiber_lengths_by_the_original_api(MOBL, random_postures),
                               rtol=0, atol=1e-3)  # fmt: skip
