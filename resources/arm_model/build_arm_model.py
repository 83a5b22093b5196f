"""Build the project's simplified 4-DoF arm model ``neuromotor_arm.osim`` with the OpenSim 4.6 Python API.

Usage (with the project's Python environment)::

    python resources/arm_model/build_arm_model.py [out.osim]

The default output is ``neuromotor_arm.osim`` next to this script. The build is deterministic.

Frames and units (Sandbrink et al. 2023, Methods): the model's ground frame is the PCRT's *shoulder frame* with its
origin at the glenohumeral joint centre: +x lateral (right arm), +y up, +z posterior (so -z is anterior: elbow flexion
swings the hand toward -z). Lengths in metres, angles in radians (OpenSim units).

Kinematics, reproducing ``neuromotor.pcrt.kinematics`` exactly:

- ``shoulder0`` (ground -> humphant0): Ry(elv_angle);
- ``shoulder1`` (humphant0 -> humphant1): Rz(shoulder_elv) then Ry(elv_angle_counter), where a coordinate coupler
  constraint holds ``elv_angle_counter = -elv_angle`` (OpenSim forbids collinear axes inside one joint, so the
  sequence Ry(a) Rz(b) Ry(-a) Ry(c) is split over three joints, as in MoBL-ARMS);
- ``shoulder2`` (humphant1 -> humerus): Ry(shoulder_rot);
- ``elbow`` (humerus -> forearm, 33 cm below the shoulder): Rx(elbow_flexion);
- marker ``hand`` on the forearm 26 cm from the elbow, both links along -y at zero angles.

Muscles: the 25 MoBL-ARMS names of the PCRT, each a ``Thelen2003Muscle`` (equilibrium-capable, compliant tendon,
no pennation) with straight-line paths through plain path points only (no wrapping surfaces, no conditional points),
so every length is a smooth function of the joint angles. Attachment points are rough anatomical landmarks; every
path segment joins points whose distances from the joint it crosses differ enough that it never shrinks towards zero.
Elbow flexors lie anterior and extensors posterior of the elbow such that, over 0-130 deg of flexion, the forearm
attachment turns towards (flexors) or away from (extensors) the proximal point without passing it: lengths are
monotonic. The rotator-cuff points were nudged (by up to about 2 cm) towards paths that the polynomial surrogate
(docs/decisions.md) fits well, keeping their dependence on shoulder rotation.
Optimal fiber length and tendon slack length are derived from each muscle's path-length range over the joint-limit
box, so that the normalised fiber length spans about [0.5, 1.5] there (see :func:`fiber_and_tendon_lengths`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import opensim as osim

MODEL_NAME = "neuromotor_arm"
DEFAULT_OUTPUT = Path(__file__).with_name("neuromotor_arm.osim")

UPPER_ARM_M = 0.33
FOREARM_M = 0.26
JOINT_NAMES = ("elv_angle", "shoulder_elv", "shoulder_rot", "elbow_flexion")
JOINT_MIN_DEG = (-90.0, 0.0, -90.0, 0.0)
JOINT_MAX_DEG = (130.0, 180.0, 20.0, 130.0)
DEFAULT_POSTURE_DEG = (50.0, 40.0, 20.0, 75.0)
COUNTER_COORDINATE = "elv_angle_counter"

# Normalised fiber length (fiber / optimal fiber length) at the shortest and longest path over the joint-limit box.
NORMALISED_FIBER_RANGE = (0.5, 1.5)
# Joint-box grid used to find each path's length range: points per joint, bounds included.
RANGE_GRID_POINTS = 9
# Tight assembly so the coupled coordinate equals -elv_angle to round-off (hand error far below 1e-6 cm).
ASSEMBLY_ACCURACY = 1e-12

# Path points per muscle: (body, (x, y, z) in metres in that body's frame), origin first; max isometric force (N).
# Body frames: ground = shoulder frame; humerus frame coincides with it at zero angles; forearm frame has its origin
# at the elbow centre (humerus (0, -0.33, 0)) and the same axes at zero flexion.
# fmt: off
MUSCLE_PATHS: dict[str, tuple[float, list[tuple[str, tuple[float, float, float]]]]] = {
    # shoulder group: origin on the trunk/scapula (ground), insertion on the humerus
    "CORB":  (242.0,  [("ground", (-0.012,  0.020, -0.040)), ("humerus", (-0.010, -0.150, -0.005))]),
    "DELT1": (1142.0, [("ground", (-0.030,  0.040, -0.045)), ("humerus", ( 0.010, -0.140, -0.010))]),
    "DELT2": (1142.0, [("ground", ( 0.030,  0.045,  0.000)), ("humerus", ( 0.012, -0.140,  0.000))]),
    "DELT3": (259.0,  [("ground", (-0.045,  0.040,  0.055)), ("humerus", ( 0.010, -0.140,  0.010))]),
    "INFSP": (1210.0, [("ground", (-0.066, -0.031,  0.043)), ("humerus", ( 0.010,  0.019,  0.006))]),
    "LAT1":  (390.0,  [("ground", (-0.180, -0.120,  0.100)), ("humerus", (-0.005, -0.040, -0.015))]),
    "LAT2":  (390.0,  [("ground", (-0.160, -0.200,  0.090)), ("humerus", (-0.005, -0.045, -0.015))]),
    "LAT3":  (282.0,  [("ground", (-0.120, -0.350,  0.060)), ("humerus", (-0.005, -0.050, -0.015))]),
    "PECM1": (364.0,  [("ground", (-0.120,  0.030, -0.070)), ("humerus", ( 0.005, -0.050, -0.015))]),
    "PECM2": (515.0,  [("ground", (-0.170, -0.040, -0.090)), ("humerus", ( 0.005, -0.055, -0.015))]),
    "PECM3": (390.0,  [("ground", (-0.140, -0.130, -0.090)), ("humerus", ( 0.005, -0.060, -0.015))]),
    "SUBSC": (1377.0, [("ground", (-0.099, -0.044,  0.053)), ("humerus", (-0.010, -0.011, -0.018))]),
    "SUPSP": (487.0,  [("ground", (-0.087,  0.022,  0.052)), ("humerus", ( 0.009,  0.027,  0.002))]),
    "TMAJ":  (425.0,  [("ground", (-0.090, -0.120,  0.060)), ("humerus", (-0.010, -0.060, -0.010))]),
    "TMIN":  (355.0,  [("ground", (-0.044, -0.074,  0.046)), ("humerus", ( 0.011, -0.021,  0.012))]),
    # elbow group: flexors run anterior (-z) of the elbow, extensors posterior (+z); BIC and TRIlong also cross the
    # shoulder (origin on the scapula, via point on the humerus)
    "ANC":      (350.0, [("humerus", ( 0.025, -0.333,  0.012)), ("forearm", ( 0.010, -0.020,  0.020))]),
    "BIClong":  (625.0, [("ground",  (-0.005,  0.025, -0.012)), ("humerus", ( 0.005, -0.060, -0.022)),
                         ("forearm", ( 0.000, -0.045, -0.012))]),
    "BICshort": (435.0, [("ground",  (-0.012,  0.020, -0.040)), ("humerus", (-0.010, -0.090, -0.025)),
                         ("forearm", (-0.003, -0.045, -0.014))]),
    "BRA":      (987.0, [("humerus", ( 0.000, -0.230, -0.018)), ("forearm", (-0.005, -0.030, -0.010))]),
    "BRD":      (262.0, [("humerus", ( 0.020, -0.260, -0.010)), ("forearm", ( 0.020, -0.240, -0.012))]),
    "ECRL":     (305.0, [("humerus", ( 0.025, -0.290, -0.005)), ("forearm", ( 0.020, -0.250, -0.008))]),
    "PT":       (566.0, [("humerus", (-0.030, -0.310, -0.010)), ("forearm", ( 0.015, -0.120, -0.012))]),
    "TRIlat":   (625.0, [("humerus", ( 0.010, -0.140,  0.012)), ("humerus", ( 0.005, -0.300,  0.028)),
                         ("forearm", ( 0.000,  0.010,  0.022))]),
    "TRIlong":  (799.0, [("ground",  (-0.010, -0.030,  0.015)), ("humerus", (-0.005, -0.300,  0.030)),
                         ("forearm", ( 0.000,  0.012,  0.022))]),
    "TRImed":   (625.0, [("humerus", (-0.010, -0.200,  0.010)), ("humerus", (-0.005, -0.300,  0.026)),
                         ("forearm", (-0.003,  0.012,  0.020))]),
}
# fmt: on

# Segment masses (kg), centres of mass (m) and principal moments of inertia (kg m^2); the two intermediate shoulder
# bodies only carry the rotation sequence and get a small mass so the multibody system stays well conditioned.
BODY_INERTIA = {
    "humphant0": (1e-3, (0.0, 0.0, 0.0), (1e-6, 1e-6, 1e-6)),
    "humphant1": (1e-3, (0.0, 0.0, 0.0), (1e-6, 1e-6, 1e-6)),
    "humerus": (2.0, (0.0, -0.15, 0.0), (0.0120, 0.0020, 0.0120)),
    "forearm": (1.5, (0.0, -0.11, 0.0), (0.0080, 0.0012, 0.0080)),
}


def _string_array(*names: str) -> osim.ArrayStr:
    array = osim.ArrayStr()
    for name in names:
        array.append(name)
    return array


def _spatial_transform(rotations: list[tuple[str, tuple[float, float, float]]]) -> osim.SpatialTransform:
    """A SpatialTransform rotating about the given (coordinate, axis) pairs in sequence (body-fixed), no translation.

    Unused rotation slots get the remaining unit axes so that the three rotation axes are never collinear.
    """
    transform = osim.SpatialTransform()
    used_axes = []
    for slot, (coordinate, axis) in enumerate(rotations):
        transform_axis = transform.updTransformAxis(slot)
        transform_axis.setCoordinateNames(_string_array(coordinate))
        transform_axis.setAxis(osim.Vec3(*axis))
        transform_axis.set_function(osim.LinearFunction(1.0, 0.0))  # set_ copies; setFunction would take ownership
        used_axes.append(np.asarray(axis, dtype=float))
    slot = len(rotations)
    for unit in np.eye(3):
        if slot == 3:
            break
        if all(abs(unit @ axis) < 0.5 for axis in used_axes):
            transform.updTransformAxis(slot).setAxis(osim.Vec3(*unit))
            used_axes.append(unit)
            slot += 1
    return transform


def _add_body(model: osim.Model, name: str) -> osim.Body:
    mass, centre, moments = BODY_INERTIA[name]
    body = osim.Body(name, mass, osim.Vec3(*centre), osim.Inertia(*moments))
    model.addBody(body)
    return body


def _add_joint(model, name, parent, location_in_parent, child, rotations) -> None:
    zero = osim.Vec3(0.0)
    joint = osim.CustomJoint(
        name, parent, osim.Vec3(*location_in_parent), zero, child, zero, zero, _spatial_transform(rotations)
    )
    model.addJoint(joint)


def add_skeleton(model: osim.Model) -> None:
    """Add the bodies, joints, coordinate coupler and the ``hand`` marker reproducing ``neuromotor.pcrt.kinematics``."""
    ground = model.getGround()
    humphant0, humphant1 = _add_body(model, "humphant0"), _add_body(model, "humphant1")
    humerus, forearm = _add_body(model, "humerus"), _add_body(model, "forearm")
    x_axis, y_axis, z_axis = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
    _add_joint(model, "shoulder0", ground, (0, 0, 0), humphant0, [("elv_angle", y_axis)])
    _add_joint(
        model, "shoulder1", humphant0, (0, 0, 0), humphant1, [("shoulder_elv", z_axis), (COUNTER_COORDINATE, y_axis)]
    )
    _add_joint(model, "shoulder2", humphant1, (0, 0, 0), humerus, [("shoulder_rot", y_axis)])
    _add_joint(model, "elbow", humerus, (0, -UPPER_ARM_M, 0), forearm, [("elbow_flexion", x_axis)])

    coupler = osim.CoordinateCouplerConstraint()
    coupler.setName("elv_angle_counter_coupler")
    coupler.setIndependentCoordinateNames(_string_array("elv_angle"))
    coupler.setDependentCoordinateName(COUNTER_COORDINATE)
    coupler.setFunction(osim.LinearFunction(-1.0, 0.0))
    model.addConstraint(coupler)

    model.addMarker(osim.Marker("hand", forearm, osim.Vec3(0.0, -FOREARM_M, 0.0)))


def set_coordinate_ranges(model: osim.Model) -> None:
    """Ranges = the PCRT joint limits (rad), defaults = q0; the coupled coordinate mirrors elv_angle."""
    coordinates = model.updCoordinateSet()
    for name, low, high, default in zip(JOINT_NAMES, JOINT_MIN_DEG, JOINT_MAX_DEG, DEFAULT_POSTURE_DEG):
        coordinate = coordinates.get(name)
        coordinate.setRangeMin(np.deg2rad(low))
        coordinate.setRangeMax(np.deg2rad(high))
        coordinate.setDefaultValue(np.deg2rad(default))
        coordinate.setDefaultClamped(False)
    counter = coordinates.get(COUNTER_COORDINATE)
    counter.setRangeMin(-np.deg2rad(JOINT_MAX_DEG[0]))
    counter.setRangeMax(-np.deg2rad(JOINT_MIN_DEG[0]))
    counter.setDefaultValue(-np.deg2rad(DEFAULT_POSTURE_DEG[0]))
    counter.setDefaultClamped(False)


def add_muscles(model: osim.Model) -> None:
    """Add the 25 muscles of :data:`MUSCLE_PATHS` (placeholder fiber/tendon lengths, set later from the paths)."""
    for name, (max_force, points) in MUSCLE_PATHS.items():
        muscle = osim.Thelen2003Muscle(name, max_force, 0.1, 0.1, 0.0)
        for index, (body, location) in enumerate(points):
            frame = model.getGround() if body == "ground" else model.getBodySet().get(body)
            muscle.addNewPathPoint(f"{name}-P{index + 1}", frame, osim.Vec3(*location))
        model.addForce(muscle)


def joint_box_grid(points_per_joint: int = RANGE_GRID_POINTS) -> np.ndarray:
    """Full-factorial grid over the joint-limit box, shape (points_per_joint**4, 4), radians."""
    axes = [np.deg2rad(np.linspace(lo, hi, points_per_joint)) for lo, hi in zip(JOINT_MIN_DEG, JOINT_MAX_DEG)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 4)


def path_lengths(model: osim.Model, postures_rad: np.ndarray) -> np.ndarray:
    """Musculotendon path lengths (m), shape (N, n_muscles in MUSCLE_PATHS order), at postures (N, 4) in rad."""
    state = model.initSystem()
    coordinates = [model.getCoordinateSet().get(name) for name in JOINT_NAMES]
    muscles = [model.getMuscles().get(name) for name in MUSCLE_PATHS]
    lengths = np.empty((len(postures_rad), len(muscles)))
    counter = model.getCoordinateSet().get(COUNTER_COORDINATE)
    for row, posture in enumerate(postures_rad):
        for coordinate, value in zip(coordinates, posture):
            coordinate.setValue(state, float(value), False)
        counter.setValue(state, -float(posture[0]), False)  # the coupler's exact solution, without assembly
        model.realizePosition(state)
        lengths[row] = [muscle.getLength(state) for muscle in muscles]
    return lengths


def fiber_and_tendon_lengths(
    shortest_path_m: np.ndarray, longest_path_m: np.ndarray, normalised_range=NORMALISED_FIBER_RANGE
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal fiber and tendon slack lengths (m) mapping each path-length range onto the normalised fiber range.

    With a rigid tendon, fiber = path - tendon slack; solving ``shortest = slack + lo * optimal`` and
    ``longest = slack + hi * optimal`` gives the two lengths. Under load the compliant tendon stretches slightly,
    so equilibrium fibers end a little shorter than that.
    """
    low, high = normalised_range
    optimal = (longest_path_m - shortest_path_m) / (high - low)
    slack = shortest_path_m - low * optimal
    if np.any(slack <= 0.0):
        raise ValueError("a muscle path varies too much for its length: tendon slack length would be <= 0")
    return optimal, slack


def build_model() -> osim.Model:
    """The complete model: skeleton, coordinates, muscles with fiber/tendon lengths fitted to their paths."""
    model = osim.Model()
    model.setName(MODEL_NAME)
    model.set_credits("neuromotor project; built by resources/arm_model/build_arm_model.py")
    model.set_assembly_accuracy(ASSEMBLY_ACCURACY)
    model.setGravity(osim.Vec3(0.0, -9.80665, 0.0))
    add_skeleton(model)
    add_muscles(model)
    model.finalizeConnections()
    set_coordinate_ranges(model)

    lengths = path_lengths(model, joint_box_grid())
    optimal, slack = fiber_and_tendon_lengths(lengths.min(axis=0), lengths.max(axis=0))
    for name, optimal_m, slack_m in zip(MUSCLE_PATHS, optimal, slack):
        muscle = osim.Thelen2003Muscle.safeDownCast(model.updMuscles().get(name))
        muscle.setOptimalFiberLength(round(float(optimal_m), 4))
        muscle.setTendonSlackLength(round(float(slack_m), 4))
        muscle.setDefaultFiberLength(round(float(optimal_m), 4))
    model.finalizeFromProperties()
    return model


def write_model(model: osim.Model, path: Path) -> None:
    """Write the model atomically (temporary file in the target folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".osim", dir=path.parent)
    os.close(handle)
    try:
        model.printToXML(temporary)
        os.chmod(temporary, 0o644)  # mkstemp creates the file private (0600)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def main(argv: list[str]) -> int:
    osim.Logger.removeFileSink()
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    write_model(build_model(), output)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
