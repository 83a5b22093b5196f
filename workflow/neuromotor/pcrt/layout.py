"""The layout of a PCRT dataset store as data: its window, time step, labels and muscles, read from the store itself
(``dataset.zarr``: root attributes and array shapes) or expected from the config, so the stages that read the
dataset (convnets, representations, and later ones) take it from there instead of retyping constants.

A dataset store has the arrays ``{split}/spindle_info`` (n, muscles, window, 2) and ``{split}/label`` (n,) and the
root attributes ``dt_s`` (seconds per step) and ``label_letters`` (the letters of labels 1, 2, ..., space-separated);
generated stores also record ``muscles`` and ``joint_names`` (the arm model's, :mod:`neuromotor.pcrt.arm_model`),
which default to DeepDraw's 25 muscles and 4 joints where absent (older stores, the released files).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

DT_S = 0.015
"""Seconds per time step of DeepDraw's PCRT (the original's 66.7 Hz); the default of ``pcrt.dt_s``."""
JOINT_NAMES = ("elv_angle", "shoulder_elv", "shoulder_rot", "elbow_flexion")
"""DeepDraw's joints (:data:`neuromotor.pcrt.kinematics.JOINT_NAMES`), for stores that do not name theirs."""
LABEL_LETTERS = ("a", "b", "c", "d", "e", "g", "h", "l", "m", "n", "o", "p", "q", "r", "s", "u", "v", "w", "y", "z")
"""The letters of labels 1..20 (the 20 single-stroke characters of the UCI set)."""


@dataclass(frozen=True)
class DatasetLayout:
    """What a PCRT dataset holds, per trajectory.

    window: time steps; dt_s: seconds per step; letters: the character of each label (label k = letters[k - 1]);
    muscles: the muscle names in the order of the muscle axis; joints: the joint names in the order of the joint
    axis (the arm's chain).
    """

    window: int
    dt_s: float
    letters: tuple[str, ...]
    muscles: tuple[str, ...]
    joints: tuple[str, ...] = JOINT_NAMES

    @property
    def n_labels(self) -> int:
        """Labels 1..n_labels (the classes of action recognition)."""
        return len(self.letters)

    @property
    def n_muscles(self) -> int:
        return len(self.muscles)

    @property
    def duration_s(self) -> float:
        return self.window * self.dt_s

    @classmethod
    def from_config(cls, pcrt: Mapping) -> "DatasetLayout":
        """The layout a config's dataset will have (the generated store, or the released files read into one):
        ``pcrt.assembly.window``, ``pcrt.dt_s``, and the muscles and joints of ``pcrt.arm`` (the model file's XML is
        read only when the muscles are left to it)."""
        from neuromotor.pcrt.arm_model import configured_joints, configured_muscles

        if pcrt.get("source", "generated") == "released":
            from neuromotor.pcrt.muscles import MUSCLE_NAMES

            return cls(int(pcrt["assembly"]["window"]), DT_S, LABEL_LETTERS, tuple(MUSCLE_NAMES))
        return cls(
            int(pcrt["assembly"]["window"]),
            float(pcrt.get("dt_s", DT_S)),
            LABEL_LETTERS,
            configured_muscles(pcrt),
            configured_joints(pcrt),
        )

    @classmethod
    def from_store(cls, store) -> "DatasetLayout":
        """The layout of a dataset store (a path or an open zarr group): window and muscle count from the train
        split's ``spindle_info``, ``dt_s`` and ``label_letters`` from the root attributes. Raises DataFormatError
        naming the store when one is missing."""
        from neuromotor.errors import DataFormatError
        from neuromotor.io.store import open_store
        from neuromotor.pcrt.muscles import MUSCLE_NAMES

        root = open_store(store) if not hasattr(store, "attrs") else store
        name = getattr(root, "store", store)
        attrs = dict(root.attrs)
        missing = [key for key in ("dt_s", "label_letters") if key not in attrs]
        if missing or "train" not in root or "spindle_info" not in root["train"]:
            what = missing + ([] if "train" in root and "spindle_info" in root["train"] else ["train/spindle_info"])
            raise DataFormatError(f"{name}: not a PCRT dataset store (lacks {what})")
        _, n_muscles, window = root["train"]["spindle_info"].shape[:3]
        muscles = tuple(attrs.get("muscles", MUSCLE_NAMES))
        if len(muscles) != n_muscles:
            raise DataFormatError(
                f"{name}: spindle_info has {n_muscles} muscles, its muscle names {len(muscles)}"
            )
        joints = tuple(attrs.get("joint_names", JOINT_NAMES))
        letters = tuple(str(attrs["label_letters"]).split())
        return cls(int(window), float(attrs["dt_s"]), letters, muscles, joints)

    def store_attrs(self) -> dict:
        """The root attributes a dataset store records of this layout (the rest is in its arrays' shapes)."""
        return {
            "dt_s": self.dt_s,
            "label_letters": " ".join(self.letters),
            "muscles": list(self.muscles),
            "joint_names": list(self.joints),
        }

    def mismatch(self, window: int, n_muscles: int, n_labels: int | None = None) -> list[str]:
        """What differs from the layout a consumer is built for (window steps, muscles, labels); empty when it fits."""
        wanted = {"window": window, "muscles": n_muscles} | ({"labels": n_labels} if n_labels is not None else {})
        found = {"window": self.window, "muscles": self.n_muscles, "labels": self.n_labels}
        return [f"{key} {found[key]} (expected {value})" for key, value in wanted.items() if found[key] != value]

    def require(self, window: int, n_muscles: int, n_labels: int | None = None, *, consumer: str, store) -> None:
        """Raise DataFormatError naming ``store`` and ``consumer`` when :meth:`mismatch` finds a difference."""
        from neuromotor.errors import DataFormatError

        problems = self.mismatch(window, n_muscles, n_labels)
        if problems:
            raise DataFormatError(f"{store}: {consumer} is built for another dataset layout: {', '.join(problems)}")
