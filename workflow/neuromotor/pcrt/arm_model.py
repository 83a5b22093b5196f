"""Arm models as data: which muscles are read, which model coordinates the kinematic chain drives (and with which
sign), which coordinates are locked, and the chain's geometry, from the model file and the config (``pcrt.arm``).

Two chains are known (:data:`neuromotor.pcrt.kinematics.CHAINS`), each with the defaults of its study:

- ``deepdraw`` (Sandbrink et al. 2023): the human 2-link arm, 33 / 26 cm, the 25 muscles of MoBL-ARMS in the
  order of the paper; the coordinates ``elv_angle, shoulder_elv, shoulder_rot, elbow_flexion``. Its description
  is built in (:data:`DEEPDRAW_ARM`), so the default run reads no model file to know it.
- ``successor`` (Marin Vargas et al. 2024, ``pcr_data_utils.py (DeepDraw, PCR-data-generation)``): a scaled macaque arm; every
  muscle of the model, in model order; the chain joints ``shoulder_flexion, shoulder_adduction, shoulder_rotation,
  elbow_flexion`` drive the model coordinates of the same names, adduction with its sign flipped (the original's
  ``sign_axis``); the link lengths are the distances between the model's shoulder, elbow and hand markers
  (``Shoulder_JC``, ``Marker_6``, ``Marker_3``) at its default posture.

Coordinate names, default values, ranges and locks, and the muscle names, are read from the ``.osim`` XML (fast,
no OpenSim needed, the same in the 3.x and 4.x formats); marker positions need OpenSim. Angles are in degrees,
lengths in cm.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from neuromotor.errors import ConfigError, ModelFileError
from neuromotor.pcrt.kinematics import CHAINS, Arm

DEEPDRAW_MUSCLES = (
    "CORB", "DELT1", "DELT2", "DELT3", "INFSP", "LAT1", "LAT2", "LAT3", "PECM1", "PECM2", "PECM3", "SUBSC", "SUPSP",
    "TMAJ", "TMIN",
    "ANC", "BIClong", "BICshort", "BRA", "BRD", "ECRL", "PT", "TRIlat", "TRIlong", "TRImed",
)  # fmt: skip
"""The 25 muscles of Sandbrink et al. 2023 (shoulder 0-14, elbow 15-24), in the dataset's order."""

CHAIN_DEFAULTS = {
    "deepdraw": {
        "coordinates": CHAINS["deepdraw"],
        "signs": (1.0, 1.0, 1.0, 1.0),
        "muscles": DEEPDRAW_MUSCLES,
        "segment_lengths_cm": (33.0, 26.0),
        "segment_markers": None,
        "joint_min_deg": (-90.0, 0.0, -90.0, 0.0),
        "joint_max_deg": (130.0, 180.0, 20.0, 130.0),
        "rest_posture_deg": (50.0, 40.0, 20.0, 75.0),
    },
    "successor": {
        "coordinates": CHAINS["successor"],
        "signs": (1.0, -1.0, 1.0, 1.0),
        "muscles": None,  # every muscle of the model, in model order
        "segment_lengths_cm": None,  # from the markers
        "segment_markers": ("Shoulder_JC", "Marker_6", "Marker_3"),
        "joint_min_deg": (-50.0, -45.0, -90.0, 0.0),
        "joint_max_deg": (180.0, 150.0, 90.0, 140.0),
        "rest_posture_deg": (36.0, 5.0, 5.0, 50.0),
    },
}
"""Per chain, what each null key of ``pcrt.arm`` means (Sandbrink et al. 2023, Methods; Marin Vargas et al. 2024,
``pcr_data_utils.py``: limits, the default posture ``q0`` and the adduction sign)."""


@dataclass(frozen=True)
class Coordinate:
    """One coordinate of a model file: default value and range (deg, as the file gives them in rad) and its lock."""

    name: str
    default_deg: float
    range_deg: tuple[float, float]
    locked: bool


@dataclass(frozen=True)
class ModelFile:
    """What a ``.osim`` file declares: its coordinates and its muscles, in file order."""

    path: Path
    coordinates: tuple[Coordinate, ...]
    muscles: tuple[str, ...]

    def coordinate(self, name: str) -> Coordinate:
        return {c.name: c for c in self.coordinates}[name]

    @property
    def locked(self) -> tuple[tuple[str, float], ...]:
        """Locked coordinates and the value (deg) they hold."""
        return tuple((c.name, c.default_deg) for c in self.coordinates if c.locked)


def _text(element, tag: str, default: str = "") -> str:
    found = element.find(tag)
    return default if found is None or found.text is None else found.text.strip()


def read_model_file(path: str | Path) -> ModelFile:
    """Coordinates and muscles declared in an OpenSim ``.osim`` file (3.x or 4.x), without OpenSim.

    Raises:
        ModelFileError: missing file, not XML, or not an OpenSim model (names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ModelFileError(f"{path}: not a valid XML file ({error}); expected an OpenSim .osim model") from None
    model = root.find("Model")
    if root.tag != "OpenSimDocument" or model is None:
        raise ModelFileError(f"{path}: not an OpenSim model (root <{root.tag}>); expected <OpenSimDocument><Model>")
    coordinates = []
    for element in model.iter("Coordinate"):
        if "name" not in element.attrib:
            continue
        low, high = (float(v) for v in (_text(element, "range", "0 0").split() + ["0", "0"])[:2])
        coordinates.append(
            Coordinate(
                element.attrib["name"],
                float(np.rad2deg(float(_text(element, "default_value", "0")))),
                (float(np.rad2deg(low)), float(np.rad2deg(high))),
                _text(element, "locked", "false").lower() == "true",
            )
        )
    forces = model.find("ForceSet/objects")
    muscles = [] if forces is None else [f.attrib["name"] for f in forces if "Muscle" in f.tag and "name" in f.attrib]
    return ModelFile(path, tuple(coordinates), tuple(muscles))


def marker_segment_lengths_cm(path: str | Path, markers: tuple[str, str, str]) -> tuple[float, float]:
    """Distances shoulder-elbow and elbow-hand (cm) between three markers of the model at its default posture
    (OpenSim). Raises ModelFileError naming the file and any missing marker."""
    from neuromotor.pcrt.muscles import read_opensim_model

    model = read_opensim_model(path)
    state = model.initSystem()
    marker_set = model.getMarkerSet()
    missing = [name for name in markers if not marker_set.contains(name)]
    if missing:
        raise ModelFileError(f"{path}: missing markers {missing} (pcrt.arm.segment_markers)")
    model.realizePosition(state)
    points = [marker_set.get(name).getLocationInGround(state).to_numpy() * 100.0 for name in markers]
    return float(np.linalg.norm(points[1] - points[0])), float(np.linalg.norm(points[2] - points[1]))


@dataclass(frozen=True)
class ArmModel:
    """An arm model as the PCRT uses it.

    Attributes:
        model: the model file's name (or ``"built-in"``).
        arm: the kinematic chain (rotation sequence, link lengths, joint limits, rest posture).
        coordinates: (4,) the model coordinate each chain joint drives, in chain (posture) order.
        signs: (4,) model angle = sign x chain angle.
        muscles: the muscles read, in the order of the muscle axis.
        locked: locked coordinates of the model and the value (deg) they hold.
        segments_source: where the link lengths come from (``"config"``, ``"chain"`` or the markers).
    """

    model: str
    arm: Arm
    coordinates: tuple[str, ...]
    signs: tuple[float, ...]
    muscles: tuple[str, ...]
    locked: tuple[tuple[str, float], ...] = ()
    segments_source: str = "chain"

    @property
    def joints(self) -> tuple[str, ...]:
        """The chain's joints, in posture order."""
        return self.arm.joint_names

    @property
    def n_muscles(self) -> int:
        return len(self.muscles)

    def to_model_angles(self, joints_deg: np.ndarray) -> np.ndarray:
        """Chain postures (..., 4) deg -> the model coordinates' values (..., 4) deg (the same array when every
        sign is +1)."""
        if all(sign == 1.0 for sign in self.signs):
            return joints_deg
        return np.asarray(joints_deg, dtype=float) * np.asarray(self.signs)

    def attrs(self) -> dict:
        """What a dataset store records of the arm (JSON-serialisable)."""
        return {
            "arm_chain": self.arm.chain,
            "joint_names": list(self.joints),
            "model_coordinates": list(self.coordinates),
            "coordinate_signs": list(self.signs),
            "locked_coordinates_deg": {name: value for name, value in self.locked},
            "segment_lengths_cm": [self.arm.upper_arm_cm, self.arm.forearm_cm],
            "muscles": list(self.muscles),
        }


DEEPDRAW_ARM = ArmModel("built-in", Arm(), CHAINS["deepdraw"], (1.0, 1.0, 1.0, 1.0), DEEPDRAW_MUSCLES)
"""The project's stand-in arm (``resources/arm_model/neuromotor_arm.osim``) and DeepDraw's use of MoBL-ARMS: the
``deepdraw`` chain with its defaults, no locked coordinate."""


def _resolved(arm_cfg: Mapping) -> dict:
    """``pcrt.arm`` with every null key replaced by its chain's default."""
    chain = arm_cfg.get("chain", "deepdraw")
    if chain not in CHAIN_DEFAULTS:
        raise ConfigError(f"config key 'pcrt.arm.chain': expected one of {sorted(CHAIN_DEFAULTS)}, got {chain!r}")
    out = {"chain": chain}
    for key, default in CHAIN_DEFAULTS[chain].items():
        value = arm_cfg.get(key)
        out[key] = default if value is None else (tuple(value) if isinstance(value, list) else value)
    return out


def is_default(arm_cfg: Mapping | None) -> bool:
    """True when ``pcrt.arm`` asks for nothing but the DeepDraw arm (absent, or every key at its default)."""
    return _resolved(arm_cfg or {}) == _resolved({})


def check_arm_config(pcrt: Mapping) -> list[str]:
    """Problems of ``pcrt.arm`` found without reading the model file (each names its key); empty when fine."""
    arm_cfg = pcrt.get("arm", {})
    try:
        resolved = _resolved(arm_cfg)
    except ConfigError as error:
        return [str(error)]
    problems = []
    low, high, rest = (np.asarray(resolved[k], float) for k in ("joint_min_deg", "joint_max_deg", "rest_posture_deg"))
    if (low > high).any():
        problems.append(
            f"config keys 'pcrt.arm.joint_min_deg' / 'joint_max_deg': lower limits {low.tolist()} exceed the upper "
            f"limits {high.tolist()}"
        )
    if ((rest < low) | (rest > high)).any():
        problems.append(f"config key 'pcrt.arm.rest_posture_deg': {rest.tolist()} lies outside the joint limits")
    if any(abs(sign) != 1.0 for sign in resolved["signs"]):
        problems.append(f"config key 'pcrt.arm.signs': expected +1 or -1 per joint, got {list(resolved['signs'])}")
    if resolved["chain"] != "deepdraw" and pcrt["muscle"]["backend"] != "opensim":
        problems.append(
            f"config key 'pcrt.muscle.backend': {pcrt['muscle']['backend']!r} is built for the deepdraw chain; "
            f"'pcrt.arm.chain' {resolved['chain']!r} needs 'opensim'"
        )
    return problems


def chain_arm(arm_cfg: Mapping | None, model_path: str | Path | None = None) -> Arm:
    """The kinematic chain of ``pcrt.arm`` alone (no muscles): :class:`Arm` with the configured or default link
    lengths, limits and rest posture; the model file is read (OpenSim, markers) only when the lengths come from it."""
    arm_cfg = arm_cfg or {}
    if is_default(arm_cfg):
        return DEEPDRAW_ARM.arm
    resolved = _resolved(arm_cfg)
    lengths = resolved["segment_lengths_cm"]
    if lengths is None:
        if model_path is None:
            raise ConfigError("config key 'pcrt.arm.segment_lengths_cm': null needs the model file's markers")
        lengths = marker_segment_lengths_cm(model_path, tuple(resolved["segment_markers"]))
    return Arm(
        upper_arm_cm=float(lengths[0]),
        forearm_cm=float(lengths[1]),
        joint_min_deg=tuple(float(v) for v in resolved["joint_min_deg"]),
        joint_max_deg=tuple(float(v) for v in resolved["joint_max_deg"]),
        rest_posture_deg=tuple(float(v) for v in resolved["rest_posture_deg"]),
        chain=resolved["chain"],
    )


def configured_muscles(pcrt: Mapping) -> tuple[str, ...]:
    """The muscles a config's dataset will have, in order (reads only the model file's XML, and only when
    ``pcrt.arm.muscles`` leaves them to the model)."""
    arm_cfg = pcrt.get("arm", {}) or {}
    if is_default(arm_cfg):
        return DEEPDRAW_ARM.muscles
    muscles = _resolved(arm_cfg)["muscles"]
    return tuple(muscles) if muscles is not None else read_model_file(pcrt["muscle"]["model_path"]).muscles


def configured_joints(pcrt: Mapping) -> tuple[str, ...]:
    """The joints of a config's chain, in posture order."""
    return CHAINS[_resolved(pcrt.get("arm", {}) or {})["chain"]]


def arm_model_from_config(pcrt: Mapping, *, read_model: bool = True) -> ArmModel:
    """The :class:`ArmModel` of a config's ``pcrt`` section (``pcrt.arm`` over its chain's defaults, the model file
    ``pcrt.muscle.model_path``).

    The default DeepDraw arm is :data:`DEEPDRAW_ARM` without reading the model. Otherwise the model file gives the
    muscles (when ``pcrt.arm.muscles`` is null for the successor chain), the locked coordinates, and, when
    ``segment_lengths_cm`` is null, the link lengths from ``segment_markers`` (OpenSim). ``read_model=False`` skips
    the file where the description is complete without it (planning) and raises ConfigError where it is not.

    Raises:
        ConfigError: a coordinate or muscle the config names is not in the model, or a coordinate the chain drives
            is locked (each names the key and the file).
    """
    arm_cfg = pcrt.get("arm", {}) or {}
    if is_default(arm_cfg):
        return DEEPDRAW_ARM
    resolved = _resolved(arm_cfg)
    path = Path(pcrt["muscle"]["model_path"])
    needs_file = resolved["muscles"] is None or resolved["segment_lengths_cm"] is None
    if not read_model and needs_file:
        raise ConfigError(f"pcrt.arm: the muscles or link lengths come from {path}, which was not read")
    model = read_model_file(path) if read_model else None
    muscles = resolved["muscles"] if resolved["muscles"] is not None else model.muscles
    locked: tuple = ()
    if model is not None:
        _check_against_model(model, resolved["coordinates"], muscles)
        locked = model.locked
    arm = chain_arm(arm_cfg, path)
    markers = "markers " + ", ".join(resolved["segment_markers"] or ())
    source = "config" if resolved["segment_lengths_cm"] is not None else markers
    signs = tuple(float(v) for v in resolved["signs"])
    return ArmModel(path.name, arm, tuple(resolved["coordinates"]), signs, tuple(muscles), locked, source)


def _check_against_model(model: ModelFile, coordinates, muscles) -> None:
    names = {c.name: c for c in model.coordinates}
    missing = [name for name in coordinates if name not in names]
    if missing:
        raise ConfigError(
            f"config key 'pcrt.arm.coordinates': {model.path} has no coordinates {missing}; it has {sorted(names)}"
        )
    locked = [name for name in coordinates if names[name].locked]
    if locked:
        raise ConfigError(f"config key 'pcrt.arm.coordinates': {model.path} locks {locked}; the chain needs them free")
    absent = [name for name in muscles if name not in set(model.muscles)]
    if absent:
        raise ConfigError(f"config key 'pcrt.arm.muscles': {model.path} has no muscles {absent}")
    if not muscles:
        raise ConfigError(f"config key 'pcrt.arm.muscles': {model.path} declares no muscle")
