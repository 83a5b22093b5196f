"""Muscle quantities of an OpenSim arm model as functions of the 4 joint angles (Sandbrink et al. 2023, Methods).

:func:`load_arm_model` opens any OpenSim ``.osim`` file (4.x, or 3.x files that OpenSim 4.6 upgrades in memory),
checks that it has the joint coordinates and muscles the task needs, and returns an :class:`OpenSimArm` whose
:meth:`OpenSimArm.evaluate` gives fiber or musculotendon lengths in mm for a batch of postures in degrees.

Per posture the evaluation follows the original order (set the coordinates, equilibrate the muscles, read every
muscle) on one reused OpenSim state. Coordinate coupler constraints (MoBL-ARMS couples its shoulder girdle to
``shoulder_elv``; the project model couples one helper coordinate to ``elv_angle``) are satisfied by evaluating their
coupling functions directly, which is exact and far faster than OpenSim's iterative assembly; models with any other
kind of constraint are assembled.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np

from neuromotor.errors import ModelFileError
from neuromotor.pcrt.kinematics import JOINT_NAMES

MUSCLE_NAMES = (
    "CORB", "DELT1", "DELT2", "DELT3", "INFSP", "LAT1", "LAT2", "LAT3", "PECM1", "PECM2", "PECM3", "SUBSC", "SUPSP",
    "TMAJ", "TMIN",
    "ANC", "BIClong", "BICshort", "BRA", "BRD", "ECRL", "PT", "TRIlat", "TRIlong", "TRImed",
)  # fmt: skip
SHOULDER_MUSCLES = MUSCLE_NAMES[:15]
ELBOW_MUSCLES = MUSCLE_NAMES[15:]
QUANTITIES = ("fiber_length", "mtu_length")
METRES_TO_MM = 1000.0
_OPENSIM = None


def file_digest(path: str | Path) -> str:
    """SHA-256 hex digest of the file's bytes (identifies a model file for caching surrogates)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _import_opensim():
    """The ``opensim`` module, imported on first use, with its log-file sink removed."""
    global _OPENSIM
    if _OPENSIM is None:
        import opensim

        # OpenSim otherwise appends to ./opensim.log in whatever folder a job happens to run in
        opensim.Logger.removeFileSink()
        _OPENSIM = opensim
    return _OPENSIM


def _default_object_types(path: Path) -> list[str]:
    """The object types whose defaults a model file redefines in its ``<defaults>`` section (``[]`` if none)."""
    defaults = ElementTree.parse(path).getroot().find("Model/defaults")
    return [] if defaults is None else [child.tag for child in defaults if child.get("name") == "default"]


def read_opensim_model(path: str | Path):
    """``opensim.Model`` of ``path``, leaving OpenSim's registry of default objects as it was before.

    A model file's ``<defaults>`` section (MoBL-ARMS has one, for Thelen2003Muscle among others) replaces OpenSim's
    process-wide default object of each type it names, and every object read later takes the properties its own file
    leaves out from those defaults. Without the restore, reading MoBL-ARMS once changed the fiber lengths of a model
    read afterwards in the same process by up to 0.5 mm (the project arm's muscles leave Flen, Af, KshapeActive, ...
    to the defaults), so a result depended on which models a process had read before.

    Raises:
        RuntimeError: OpenSim cannot read the file (the registry is restored all the same).
    """
    opensim = _import_opensim()
    registry = opensim.OpenSimObject
    saved = [registry.getDefaultInstanceOfType(name) for name in _default_object_types(Path(path))]
    saved = [instance.clone() for instance in saved if instance is not None]
    try:
        return opensim.Model(str(path))
    finally:
        for instance in saved:
            registry.registerType(instance)


def _check_osim_xml(path: Path) -> None:
    """Raise ModelFileError unless ``path`` is well-formed XML holding an OpenSimDocument with a Model."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ModelFileError(f"{path}: not a valid XML file ({error}); expected an OpenSim .osim model") from None
    if root.tag != "OpenSimDocument" or root.find("Model") is None:
        raise ModelFileError(
            f"{path}: not an OpenSim model (root element <{root.tag}>); expected <OpenSimDocument> with a <Model>"
        )


def _names_in_set(object_set) -> list[str]:
    return [object_set.get(index).getName() for index in range(object_set.getSize())]


def _coupler_order(couplings: list[tuple[str, list[str]]]) -> list[int] | None:
    """Order (dependent, independents) couplings so each is evaluated after its inputs; None if they form a cycle."""
    dependents = {dependent for dependent, _ in couplings}
    resolved: set[str] = set()
    order: list[int] = []
    pending = list(range(len(couplings)))
    while pending:
        ready = [i for i in pending if all(n not in dependents or n in resolved for n in couplings[i][1])]
        if not ready:
            return None
        order += ready
        resolved |= {couplings[i][0] for i in ready}
        pending = [i for i in pending if i not in ready]
    return order


class OpenSimArm:
    """An OpenSim model evaluated at joint postures; build it with :func:`load_arm_model`.

    Attributes:
        path: the model file.
        digest: SHA-256 of the model file's bytes.
        coordinate_names: the joint coordinates, in the column order of ``joints_deg``.
        muscle_names: the muscles, in the column order of the outputs.
        model, state: the OpenSim model and the one state reused by every evaluation (not thread-safe).
    """

    def __init__(self, path: Path, model, coordinate_names: tuple[str, ...], muscle_names: tuple[str, ...]):
        opensim = _import_opensim()
        self.path = Path(path)
        self.digest = file_digest(path)
        self.coordinate_names = tuple(coordinate_names)
        self.muscle_names = tuple(muscle_names)
        self.model = model
        self.state = model.initSystem()
        coordinate_set = model.getCoordinateSet()
        self._coordinates = [coordinate_set.get(name) for name in self.coordinate_names]
        self._muscles = [model.getMuscles().get(name) for name in self.muscle_names]
        self._couplers, self._needs_assembly = self._constraint_plan(opensim)
        self._vector = opensim.Vector
        self._disable_unused_muscles()
        model.equilibrateMuscles(self.state)
        self._fast = None if self._needs_assembly else self._direct_q_plan()

    def _constraint_plan(self, opensim) -> tuple[list, bool]:
        """Enforced coupler constraints in evaluation order, and whether OpenSim must assemble instead.

        Each plan entry is (dependent coordinate, independent coordinates, function, scale factor), meaning
        ``dependent = scale * function(independents)``.
        """
        couplers, needs_assembly = [], False
        constraint_set = self.model.getConstraintSet()
        for index in range(constraint_set.getSize()):
            constraint = constraint_set.get(index)
            if not constraint.isEnforced(self.state):
                continue
            coupler = opensim.CoordinateCouplerConstraint.safeDownCast(constraint)
            if coupler is None:
                needs_assembly = True
                continue
            names = coupler.getIndependentCoordinateNames()
            independent = [names.get(k) for k in range(names.getSize())]
            dependent = coupler.getDependentCoordinateName()
            if dependent in self.coordinate_names:
                raise ModelFileError(
                    f"{self.path}: coordinate {dependent!r} is driven by constraint {coupler.getName()!r}; "
                    "the joint coordinates must be free"
                )
            scale = opensim.PropertyHelper.getValueDouble(coupler.getPropertyByName("scale_factor"))
            couplers.append((dependent, independent, coupler.getFunction(), scale))
        order = _coupler_order([(coupler[0], coupler[1]) for coupler in couplers])
        if order is None:
            return [], True  # cyclic couplings: leave them to OpenSim's assembler
        coordinate_set = self.model.getCoordinateSet()
        plan = []
        for index in order:
            dependent, independent, function, scale = couplers[index]
            plan.append((coordinate_set.get(dependent), [coordinate_set.get(n) for n in independent], function, scale))
        return plan, needs_assembly

    def _disable_unused_muscles(self) -> None:
        """Skip equilibrating muscles that are not read (each muscle's equilibrium is independent of the others)."""
        wanted = set(self.muscle_names)
        muscle_set = self.model.getMuscles()
        for index in range(muscle_set.getSize()):
            muscle = muscle_set.get(index)
            if muscle.getName() not in wanted:
                muscle.setAppliesForce(self.state, False)

    def _check_postures(self, joints_deg) -> np.ndarray:
        q = np.asarray(joints_deg, dtype=float)
        n_coordinates = len(self.coordinate_names)
        if q.ndim != 2 or q.shape[1] != n_coordinates:
            raise ValueError(
                f"joints_deg must have shape (N, {n_coordinates}) ({', '.join(self.coordinate_names)}); got {q.shape}"
            )
        if not np.all(np.isfinite(q)):
            bad = np.flatnonzero(~np.isfinite(q).all(axis=1))
            raise ValueError(f"joints_deg has non-finite values in rows {bad[:10].tolist()}")
        return q

    def _q_index(self, coordinate) -> int | None:
        """Index of the coordinate's value in the state's Q vector, found by changing it (None unless exactly one
        entry changes)."""
        state = self.state
        before = state.getQ().to_numpy().copy()
        value = coordinate.getValue(state)
        coordinate.setValue(state, value + 0.5, False)
        changed = np.flatnonzero(state.getQ().to_numpy() != before)
        coordinate.setValue(state, value, False)
        return int(changed[0]) if len(changed) == 1 else None

    def _direct_q_plan(self):
        """How to write a posture straight into the state's Q vector (one call instead of one per coordinate).

        Returns None (use ``Coordinate.setValue``) unless every joint and coupled coordinate owns exactly one Q
        entry. Couplers whose inputs never change (not a joint, not driven by a changing coupler) are evaluated
        once here. The values written are the same numbers ``setValue`` writes, so results are bit-identical.
        """
        changing = {c.getName() for c in self._coordinates}
        involved = list(self._coordinates)
        for dependent, independent, _, _ in self._couplers:
            involved += [dependent] + independent
        index = {c.getName(): self._q_index(c) for c in involved}
        if any(i is None for i in index.values()):
            return None
        q = self.state.getQ().to_numpy().copy()
        couplers = []
        for dependent, independent, function, scale in self._couplers:
            arguments = self._vector([q[index[c.getName()]] for c in independent])
            if changing.isdisjoint(c.getName() for c in independent):
                q[index[dependent.getName()]] = scale * function.calcValue(arguments)
                continue
            changing.add(dependent.getName())
            couplers.append((index[dependent.getName()], [index[c.getName()] for c in independent], function, scale, arguments))
        joints = [index[c.getName()] for c in self._coordinates]
        return q, joints, couplers

    def _set_posture(self, posture_rad: np.ndarray) -> None:
        state = self.state
        if self._fast is not None:
            q, joints, couplers = self._fast
            q[joints] = posture_rad
            for dependent, independent, function, scale, arguments in couplers:
                for k, i in enumerate(independent):
                    arguments.set(k, float(q[i]))
                q[dependent] = scale * function.calcValue(arguments)
            state.setQ(self._vector.createFromMat(q))
            return
        for coordinate, value in zip(self._coordinates, posture_rad):
            coordinate.setValue(state, float(value), False)
        if self._needs_assembly:
            self.model.assemble(state)
            return
        for dependent, independent, function, scale in self._couplers:
            arguments = self._vector([coordinate.getValue(state) for coordinate in independent])
            dependent.setValue(state, scale * function.calcValue(arguments), False)

    def evaluate(self, joints_deg, quantity: str = "fiber_length") -> np.ndarray:
        """Muscle quantity at each posture, after muscle equilibrium at the model's default activations.

        Args:
            joints_deg: (N, 4) joint angles in degrees, columns in ``coordinate_names`` order.
            quantity: ``"fiber_length"`` or ``"mtu_length"`` (fiber length + tendon length).
        Returns:
            (N, n_muscles) float64 lengths in mm, columns in ``muscle_names`` order; NaN where OpenSim's muscle
            equilibrium fails (this happens for a few extreme MoBL-ARMS postures).
        """
        if quantity not in QUANTITIES:
            raise ValueError(f"quantity must be one of {QUANTITIES}; got {quantity!r}")
        q_rad = np.deg2rad(self._check_postures(joints_deg))
        with_tendon = quantity == "mtu_length"
        out = np.empty((len(q_rad), len(self._muscles)))
        for row, posture in enumerate(q_rad):
            self._set_posture(posture)
            try:
                self.model.equilibrateMuscles(self.state)
            except RuntimeError as error:
                raise ModelFileError(
                    f"{self.path}: muscle equilibrium failed at posture {np.rad2deg(posture).round(3).tolist()} deg: "
                    f"{error}"
                ) from None
            if with_tendon:
                out[row] = [m.getFiberLength(self.state) + m.getTendonLength(self.state) for m in self._muscles]
            else:
                out[row] = [m.getFiberLength(self.state) for m in self._muscles]
        return out * METRES_TO_MM

    def evaluate_selected(
        self, joints_deg, selected, quantity: str = "fiber_length", failure_as_nan: bool = False
    ) -> np.ndarray:
        """Like :meth:`evaluate`, but equilibrates and reads only the selected muscles of each posture.

        Each muscle's equilibrium depends only on the posture, so the selected values equal those of
        :meth:`evaluate` (bit for bit); the cost is one posture update per row with any selection plus the
        selected muscles' path and equilibrium computations.

        Args:
            joints_deg: (N, 4) joint angles in degrees, columns in ``coordinate_names`` order.
            selected: (N, n_muscles) bool, the (posture, muscle) pairs to evaluate.
            quantity: ``"fiber_length"`` or ``"mtu_length"``.
            failure_as_nan: give NaN where OpenSim finds no muscle equilibrium instead of raising.
        Returns:
            (N, n_muscles) float64 lengths in mm at the selected pairs, NaN elsewhere.
        Raises:
            ModelFileError: OpenSim finds no muscle equilibrium (names the muscle and the posture), unless
                ``failure_as_nan``.
        """
        return self._evaluate_pairs(joints_deg, selected, quantity, failure_as_nan, with_paths=False)[0]

    def evaluate_with_paths(self, joints_deg, selected, quantity: str = "fiber_length") -> tuple[np.ndarray, np.ndarray]:
        """Path lengths and the muscle quantity of the selected (posture, muscle) pairs.

        Args:
            joints_deg: (N, 4) joint angles in degrees; selected: (N, n_muscles) bool; quantity as :meth:`evaluate`.
        Returns:
            ``paths`` (N, n_muscles) the geometry path (musculotendon) lengths in mm, and ``values`` (N, n_muscles)
            the quantity in mm (the values of :meth:`evaluate_selected`); both NaN outside the selection, ``values``
            NaN where OpenSim finds no muscle equilibrium.
        """
        values, paths = self._evaluate_pairs(joints_deg, selected, quantity, True, with_paths=True)
        return paths, values

    def _evaluate_pairs(self, joints_deg, selected, quantity, failure_as_nan, with_paths):
        if quantity not in QUANTITIES:
            raise ValueError(f"quantity must be one of {QUANTITIES}; got {quantity!r}")
        q_rad = np.deg2rad(self._check_postures(joints_deg))
        selected = np.asarray(selected, dtype=bool)
        if selected.shape != (len(q_rad), len(self._muscles)):
            raise ValueError(f"selected must have shape ({len(q_rad)}, {len(self._muscles)}); got {selected.shape}")
        with_tendon = quantity == "mtu_length"
        out = np.full((len(q_rad), len(self._muscles)), np.nan)
        paths = np.full(out.shape, np.nan) if with_paths else None
        for row in np.flatnonzero(selected.any(axis=1)):
            self._set_posture(q_rad[row])
            self.model.realizePosition(self.state)
            for column in np.flatnonzero(selected[row]):
                muscle = self._muscles[column]
                if with_paths:
                    paths[row, column] = muscle.getLength(self.state)
                try:
                    muscle.computeEquilibrium(self.state)
                except RuntimeError as error:
                    if failure_as_nan:
                        continue
                    raise ModelFileError(
                        f"{self.path}: muscle equilibrium of {muscle.getName()} failed at posture "
                        f"{np.rad2deg(q_rad[row]).round(3).tolist()} deg: {error}"
                    ) from None
                length = muscle.getFiberLength(self.state)
                if with_tendon:
                    length += muscle.getTendonLength(self.state)
                out[row, column] = length
        if selected.any():
            # leave the state realised to Velocity, as equilibrateMuscles does: measured on MoBL-ARMS, a following
            # evaluate() otherwise returns a wrong first posture (off by up to 24 mm)
            self.model.realizeVelocity(self.state)
        return out * METRES_TO_MM, (paths * METRES_TO_MM if with_paths else None)

    def marker_positions_cm(self, joints_deg, marker_names: tuple[str, ...] = ("hand",)) -> np.ndarray:
        """Positions of model markers in the model's ground frame.

        Args:
            joints_deg: (N, 4) joint angles in degrees, columns in ``coordinate_names`` order.
            marker_names: markers to read.
        Returns:
            (N, n_markers, 3) positions in cm.
        """
        marker_set = self.model.getMarkerSet()
        missing = [name for name in marker_names if not marker_set.contains(name)]
        if missing:
            raise ModelFileError(f"{self.path}: missing markers {missing}")
        markers = [marker_set.get(name) for name in marker_names]
        q_rad = np.deg2rad(self._check_postures(joints_deg))
        out = np.empty((len(q_rad), len(markers), 3))
        for row, posture in enumerate(q_rad):
            self._set_posture(posture)
            self.model.realizePosition(self.state)
            out[row] = [marker.getLocationInGround(self.state).to_numpy() for marker in markers]
        return out * 100.0


def load_arm_model(
    path: str | Path, coordinate_names: tuple[str, ...] = JOINT_NAMES, muscle_names: tuple[str, ...] = MUSCLE_NAMES
) -> OpenSimArm:
    """Load an OpenSim model and check it has the required coordinates and muscles (extra ones are ignored).

    Args:
        path: ``.osim`` file (OpenSim 4.x, or 3.x which OpenSim 4.6 upgrades in memory).
        coordinate_names: joint coordinates, in the order of the posture columns (default the 4 joints of the PCRT
            arm, Sandbrink et al. 2023).
        muscle_names: muscles to evaluate, in output column order (default the 25 muscles of Sandbrink et al. 2023).
    Raises:
        ModelFileError: the file is missing, not an OpenSim model, fails to load, or lacks a coordinate or muscle;
            the message names the file and what is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    _check_osim_xml(path)
    opensim = _import_opensim()
    try:
        model = read_opensim_model(path)
        model.initSystem()
    except RuntimeError as error:
        raise ModelFileError(f"{path}: OpenSim could not load the model: {error}") from None

    problems = []
    present_coordinates = set(_names_in_set(model.getCoordinateSet()))
    missing_coordinates = [name for name in coordinate_names if name not in present_coordinates]
    if missing_coordinates:
        problems.append(f"missing coordinates {missing_coordinates}")
    present_muscles = set(_names_in_set(model.getMuscles()))
    missing_muscles = [name for name in muscle_names if name not in present_muscles]
    if missing_muscles:
        problems.append(f"missing muscles {missing_muscles}")
    if problems:
        expected = (
            "the 4 joints and 25 muscles of Sandbrink et al. 2023"
            if tuple(coordinate_names) == JOINT_NAMES and tuple(muscle_names) == MUSCLE_NAMES
            else f"coordinates {list(coordinate_names)} and muscles {list(muscle_names)}"
        )
        raise ModelFileError(f"{path}: {'; '.join(problems)}; expected {expected}")
    return OpenSimArm(path, model, coordinate_names, muscle_names)
