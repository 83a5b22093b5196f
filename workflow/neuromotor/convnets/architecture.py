"""Network configurations of the PCRT families without torch: hyperparameters, names, TF-SAME sizes
(Sandbrink et al. 2023, Methods). The Snakefile plans jobs with it; :mod:`neuromotor.convnets.models` builds the
networks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

FAMILIES = ("S", "TS", "ST", "LSTM")
"""Network families: spatial-temporal, temporal-spatial, spatiotemporal, recurrent."""

ARCH_NAMES = {"S": "spatial_temporal", "TS": "temporal_spatial", "ST": "spatiotemporal", "LSTM": "lstm"}
"""The architecture names of the original code, used in model names."""

TASK_KINDS = ("classification", "regression", "autoencoder", "barlow")
"""What a task's head does: class logits, per-output-step regression (MSE), input reconstruction (MSE), Barlow Twins
redundancy reduction on two augmented views."""

N_CLASSES = 20
"""Characters of the action-recognition task (labels 1..20 in the store)."""

BARLOW_PROJECTOR = (256, 256, 256)
"""Units of the Barlow Twins projector's three layers (Marin Vargas et al. 2024); the last is the embedding size."""

QUANTITIES = {
    "hand_pos": (3, "cm"),
    "hand_vel": (3, "cm/s"),
    "hand_acc": (3, "cm/s^2"),
    "hand_vel_step": (3, "cm/step"),
    "elbow_pos": (3, "cm"),
    "elbow_vel": (3, "cm/s"),
    "elbow_acc": (3, "cm/s^2"),
    "joints_pos": (4, "deg"),
    "joints_vel": (4, "deg/s"),
    "joints_acc": (4, "deg/s^2"),
}
"""Regression quantities: (components, unit). ``hand`` = end effector (``endeffector_coords``, world frame),
``elbow`` = the elbow from the joint angles by the dataset's arm (forward kinematics, same frame), ``joints`` = the 4
joint angles (``joint_coords``); ``_vel`` / ``_acc`` are ``np.gradient`` along time with the dataset's ``dt_s``
(per second, as the successor with dt 0.01 s); ``hand_vel_step`` is DeepDraw's TDT-pv velocity (unit spacing)."""


@dataclass(frozen=True)
class TaskSpec:
    """One training task.

    Attributes:
        name: the registry key (directory and config name).
        kind: one of :data:`TASK_KINDS`.
        targets: the regressed quantities (keys of :data:`QUANTITIES`), in output order; empty unless ``kind`` is
            ``regression``.
        training: per-task training defaults as ``(key, value)`` pairs of :class:`neuromotor.convnets.train.Recipe`
            fields (``epochs``, ``learning_rate``, ``batch_size``) that a config overrides; empty = the study's
            defaults.
    """

    name: str
    kind: str
    targets: tuple[str, ...] = ()
    training: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self):
        if self.kind not in TASK_KINDS:
            raise ValueError(f"task {self.name!r}: kind must be one of {TASK_KINDS}, got {self.kind!r}")
        unknown = [t for t in self.targets if t not in QUANTITIES]
        if unknown or (self.kind == "regression") != bool(self.targets):
            raise ValueError(f"task {self.name!r}: a regression needs known targets, others none; got {self.targets}")

    @property
    def n_targets(self) -> int:
        """Regressed values per output step (0 for the other kinds)."""
        return sum(QUANTITIES[t][0] for t in self.targets)

    @property
    def training_defaults(self) -> dict[str, Any]:
        return dict(self.training)

    @property
    def metric(self) -> str:
        """The test metric of the task: ``accuracy`` (classification), ``error_cm`` (DeepDraw's TDT tasks: mean
        Euclidean hand-position error), ``r2`` (successor regressions: R^2 averaged over target components;
        autoencoder: reconstruction R^2 averaged over input channels x muscles), ``barlow_loss`` (barlow)."""
        if self.kind == "classification":
            return "accuracy"
        if self.name in ("tdt", "tdt_pv"):
            return "error_cm"
        return "barlow_loss" if self.kind == "barlow" else "r2"

    @property
    def higher_is_better(self) -> bool:
        """Whether a larger :attr:`metric` is better (accuracy, R^2) or worse (errors, losses)."""
        return self.metric in ("accuracy", "r2")


def _successor_regressions() -> dict[str, TaskSpec]:
    """The successor's 12 regressions {hand, limb = hand + elbow, joints} x {pos, vel, pos_vel, pos_vel_acc}."""
    parts = {"hand": ("hand",), "limb": ("hand", "elbow"), "joints": ("joints",)}
    orders = {"pos": ("pos",), "vel": ("vel",), "pos_vel": ("pos", "vel"), "pos_vel_acc": ("pos", "vel", "acc")}
    out = {}
    for part, bodies in parts.items():
        for order, derivatives in orders.items():
            name = f"{part}_{order}"
            targets = tuple(f"{body}_{d}" for d in derivatives for body in bodies)
            out[name] = TaskSpec(name, "regression", targets)
    return out


TASKS: dict[str, TaskSpec] = {
    "art": TaskSpec("art", "classification"),
    "tdt": TaskSpec("tdt", "regression", ("hand_pos",)),
    "tdt_pv": TaskSpec("tdt_pv", "regression", ("hand_pos", "hand_vel_step")),
    **_successor_regressions(),
    "autoencoder": TaskSpec("autoencoder", "autoencoder"),
    "barlow": TaskSpec("barlow", "barlow", training=(("epochs", 40), ("learning_rate", 1e-3), ("batch_size", 256))),
}
"""Every training task. DeepDraw (Sandbrink et al. 2023): ``art`` (20 characters), ``tdt`` (hand position),
``tdt_pv`` (hand position and velocity in cm/step). Successor (Marin Vargas et al. 2024): the 12 regressions of
{hand, limb, joints} x {pos, vel, pos_vel, pos_vel_acc} (limb targets order hand before elbow within each
derivative: hand_pos, elbow_pos, hand_vel, elbow_vel, ...), ``autoencoder`` (reconstruct the input) and ``barlow``
(Barlow Twins). The successor's joint-torque regression is out of scope: it needs RL reaching data with torques."""

DEEPDRAW_TASKS = ("art", "tdt", "tdt_pv")

TASK_OUTPUTS = {"art": N_CLASSES, "tdt": 3, "tdt_pv": 6}
"""Outputs of the DeepDraw tasks (kept for callers): ART = 20 class logits; TDT = hand position (3, cm) per output
step; TDT-pv = position and velocity (6: cm, cm/step). :func:`task_output_size` covers every task."""


def task_spec(task: str) -> TaskSpec:
    """The :data:`TASKS` entry of ``task`` (ValueError naming the known tasks otherwise)."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}, got {task!r}")
    return TASKS[task]


def task_output_size(task: str, n_channels: int, n_muscles: int, n_time: int) -> int:
    """Outputs of the head of ``task``: classes (classification); values per output step (regression); the input
    size C x M x T (autoencoder, per sample); the projector's embedding size (barlow)."""
    spec = task_spec(task)
    if spec.kind == "classification":
        return N_CLASSES
    if spec.kind == "regression":
        return spec.n_targets
    if spec.kind == "autoencoder":
        return int(n_channels) * int(n_muscles) * int(n_time)
    return BARLOW_PROJECTOR[-1]

INPUT_CHANNELS = {"spindle_info": 2, "spindle_firing": 1}
"""Channels of each network input of the dataset (Sandbrink et al. 2023, Methods)."""

N_MUSCLES = 25
N_TIME = 320
"""DeepDraw's input shape (muscles x steps), the default where no dataset gives one; the successor's is 39 x 400."""
LAYER_NORM_EPS = 1e-12  # TF-slim layer_norm's variance epsilon
DROPOUT = 0.3  # the original's keep probability 0.7


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TF "SAME" padding along one axis: (output size = ceil(size / stride), padding before, padding after);
    an odd total puts the extra zero after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


@dataclass(frozen=True)
class Architecture:
    """The hyperparameters of one trunk (what a model name encodes).

    ``spatial_channels`` are the channels of the spatial blocks (S, TS), of the 2-D blocks (ST) or of the conv blocks
    before the LSTM; ``temporal_channels`` those of the temporal blocks (S, TS; empty otherwise). Kernel sizes and
    strides are single digits (as in the names). ST uses the spatial kernel and stride on both axes; the LSTM family
    has no temporal convolution and ``units`` hidden units.
    """

    family: str
    n_layers: int
    spatial_channels: tuple[int, ...]
    temporal_channels: tuple[int, ...] = ()
    spatial_kernel: int = 1
    spatial_stride: int = 1
    temporal_kernel: int = 1
    temporal_stride: int = 1
    units: int = 0

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        expected_temporal = self.n_layers if self.family in ("S", "TS") else 0
        if self.n_layers < 1 or len(self.spatial_channels) != self.n_layers:
            raise ValueError(f"{self.family}: need n_layers >= 1 spatial channel counts, got {self.spatial_channels}")
        if len(self.temporal_channels) != expected_temporal:
            raise ValueError(
                f"{self.family}: expected {expected_temporal} temporal channel counts, got {self.temporal_channels}"
            )
        for name in ("spatial_kernel", "spatial_stride", "temporal_kernel", "temporal_stride"):
            if not 1 <= getattr(self, name) <= 9:
                raise ValueError(
                    f"{name} must be a single digit 1..9 (model names encode it), got {getattr(self, name)}"
                )
        if (self.family == "LSTM") != (self.units > 0):
            raise ValueError(f"{self.family}: units must be > 0 exactly for the LSTM family, got {self.units}")
        if self.family == "ST" and (self.temporal_kernel, self.temporal_stride) != (
            self.spatial_kernel,
            self.spatial_stride,
        ):
            raise ValueError("ST uses one kernel size and stride on both axes")

    @property
    def depth(self) -> int:
        """Number of layers of representations: 2L (S, TS), L (ST), L + 1 (LSTM)."""
        return {"S": 2, "TS": 2}.get(self.family, 1) * self.n_layers + (self.family == "LSTM")

    def to_dict(self) -> dict:
        """The JSON form stored in ``config.json`` (only the keys meaningful for the family)."""
        out: dict[str, Any] = {"family": self.family, "n_layers": self.n_layers}
        if self.family in ("S", "TS"):
            out |= {"spatial_channels": list(self.spatial_channels), "temporal_channels": list(self.temporal_channels)}
            out |= {"spatial_kernel": self.spatial_kernel, "spatial_stride": self.spatial_stride}
            out |= {"temporal_kernel": self.temporal_kernel, "temporal_stride": self.temporal_stride}
        else:
            out |= {
                "channels": list(self.spatial_channels),
                "kernel": self.spatial_kernel,
                "stride": self.spatial_stride,
            }
            if self.family == "LSTM":
                out["units"] = self.units
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Architecture:
        """Inverse of :meth:`to_dict`."""
        family = values["family"]
        if family in ("S", "TS"):
            return cls(
                family, int(values["n_layers"]), tuple(values["spatial_channels"]), tuple(values["temporal_channels"]),
                int(values["spatial_kernel"]), int(values["spatial_stride"]),
                int(values["temporal_kernel"]), int(values["temporal_stride"]),
            )  # fmt: skip
        kernel, stride = int(values["kernel"]), int(values["stride"])
        channels = tuple(int(c) for c in values["channels"])
        if family == "ST":
            return cls("ST", int(values["n_layers"]), channels, (), kernel, stride, kernel, stride)
        return cls(family, int(values["n_layers"]), channels, (), kernel, stride, units=int(values.get("units", 0)))


# ---- names (Sandbrink et al. 2023, Methods) --------------------------------------------------------------------------

_NAME = re.compile(r"^(?P<arch>spatial_temporal|temporal_spatial|spatiotemporal|lstm)(?P<regression>_r)?_(?P<rest>.+)$")
_INSTANCE = re.compile(r"^(?P<seed>\d+)(?P<untrained>r?)$")


def _channels(values) -> str:
    return "-".join(str(int(v)) for v in values)


def configuration_name(arch: Architecture) -> str:
    """The task- and seed-independent name of a configuration, as in the original code:
    ``spatial_temporal_4_8-16-16-32_32-32-64-64_7293`` (L, spatial channels, temporal channels, ks ss kt ts),
    ``temporal_spatial_…`` (temporal channels first), ``spatiotemporal_4_8-8-32-64_7272``; LSTMs
    ``lstm_3_8-16-16_256_51`` (conv channels, units, then kernel and stride — an addition: the original names omit
    them, see :func:`parse_name`)."""
    prefix = f"{ARCH_NAMES[arch.family]}_{arch.n_layers}"
    if arch.family == "LSTM":
        return f"{prefix}_{_channels(arch.spatial_channels)}_{arch.units}_{arch.spatial_kernel}{arch.spatial_stride}"
    digits = f"{arch.spatial_kernel}{arch.spatial_stride}{arch.temporal_kernel}{arch.temporal_stride}"
    if arch.family == "ST":
        return f"{prefix}_{_channels(arch.spatial_channels)}_{digits}"
    first, second = arch.spatial_channels, arch.temporal_channels
    if arch.family == "TS":
        first, second = second, first
    return f"{prefix}_{_channels(first)}_{_channels(second)}_{digits}"


def model_name(arch: Architecture, task: str = "art", seed: int | None = None, untrained: bool = False) -> str:
    """The name of one model instance: the configuration name, ``_r_`` after the architecture for the regression
    tasks (TDT twins), ``_<seed>`` for seeded instances and a final ``r`` for the untrained control."""
    name = configuration_name(arch)
    if task != "art":
        arch_name = ARCH_NAMES[arch.family]
        name = f"{arch_name}_r{name[len(arch_name):]}"
    if seed is not None:
        name += f"_{seed}"
    if untrained:
        if seed is None:
            raise ValueError("an untrained control is an instance: give its seed")
        name += "r"
    return name


@dataclass(frozen=True)
class ParsedName:
    """What a model name encodes."""

    architecture: Architecture
    regression: bool = False
    seed: int | None = None
    untrained: bool = False


def parse_name(name: str, lstm_kernel: int = 5, lstm_stride: int = 1) -> ParsedName:
    """The configuration a model name encodes (inverse of :func:`model_name`).

    LSTM names of the original form (``lstm_3_8-16-16_256[_<seed>]``, no kernel digits) take ``lstm_kernel`` and
    ``lstm_stride`` (those of the paper's LSTM); a lone two-digit token after the units is read as kernel and
    stride, so an original-form name with a seed >= 10 needs the digits (``lstm_3_8-16-16_256_51_12``).
    """
    match = _NAME.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a model name like 'spatial_temporal_4_8-16-16-32_32-32-64-64_7293'")
    family = {v: k for k, v in ARCH_NAMES.items()}[match["arch"]]
    tokens = match["rest"].split("_")
    n_lists = {"S": 2, "TS": 2, "ST": 1, "LSTM": 1}[family]
    try:
        layers = int(tokens[0])
        lists = [tuple(int(v) for v in token.split("-")) for token in tokens[1 : 1 + n_lists]]
        rest = tokens[1 + n_lists :]
        if len(lists) != n_lists:
            raise ValueError(f"expected {n_lists} channel list(s)")
        if family == "LSTM":
            units = int(rest.pop(0))
            kernel, stride = lstm_kernel, lstm_stride
            if len(rest) == 2 or (len(rest) == 1 and len(rest[0]) == 2 and rest[0].isdigit()):
                kernel, stride = int(rest[0][0]), int(rest[0][1])
                rest.pop(0)
            arch = Architecture("LSTM", layers, lists[0], (), kernel, stride, units=units)
        else:
            digits = rest.pop(0)
            if len(digits) != 4 or not digits.isdigit():
                raise ValueError("conv names end with four digits: ks ss kt ts")
            ks, ss, kt, ts = (int(d) for d in digits)
            if family == "ST":
                arch = Architecture("ST", layers, lists[0], (), ks, ss, kt, ts)
            else:
                spatial, temporal = lists if family == "S" else lists[::-1]
                arch = Architecture(family, layers, spatial, temporal, ks, ss, kt, ts)
        if len(rest) > 1:
            raise ValueError(f"unexpected tokens {rest}")
        instance = _INSTANCE.match(rest[0]) if rest else None
        if rest and instance is None:
            raise ValueError(f"{rest[0]!r} is not an instance suffix like '1' or '1r'")
    except IndexError:
        raise ValueError(f"{name!r} is not a valid model name: too few parts for a {ARCH_NAMES[family]} name") from None
    except ValueError as error:
        raise ValueError(f"{name!r} is not a valid model name: {error}") from None
    seed = int(instance["seed"]) if instance else None
    return ParsedName(arch, match["regression"] is not None, seed, bool(instance and instance["untrained"]))


def block_specs(arch: Architecture) -> list[tuple[int, tuple[int, int], tuple[int, int]]]:
    """(out channels, kernel, stride) of every conv block of the trunk, in order."""
    spatial = [(c, (arch.spatial_kernel, 1), (arch.spatial_stride, 1)) for c in arch.spatial_channels]
    temporal = [(c, (1, arch.temporal_kernel), (1, arch.temporal_stride)) for c in arch.temporal_channels]
    if arch.family == "S":
        return spatial + temporal
    if arch.family == "TS":
        return temporal + spatial
    if arch.family == "ST":
        k, s = arch.spatial_kernel, arch.spatial_stride
        return [(c, (k, k), (s, s)) for c in arch.spatial_channels]
    return spatial


def layer_shapes(arch: Architecture, shape: tuple[int, int] = (N_MUSCLES, N_TIME)) -> list[tuple[int, int, int]]:
    """(channels, muscles, steps) of every conv block's output on (muscles, steps) ``shape`` inputs, in order
    (TF-SAME: ceil(n / stride) per block and axis)."""
    shapes, size = [], tuple(shape)
    for channels, kernel, stride in block_specs(arch):
        size = tuple(same_padding(n, k, s)[0] for n, k, s in zip(size, kernel, stride))
        shapes.append((channels, *size))
    return shapes


MAX_HEAD_WEIGHTS = 2**28
"""Largest linear layer of a head (1 GiB of float32 weights): the autoencoder's flat linear decoder, features x
(C M T), exceeds it on trunks whose last layer is large (small strides), e.g. for most sampled S configurations on
the successor's 39 x 400 inputs."""


def head_layer_weights(
    arch: Architecture, task: str, n_channels: int, shape: tuple[int, int] = (N_MUSCLES, N_TIME)
) -> list[int]:
    """Weights of each linear layer of the head of ``task`` (neuromotor.convnets.models.PCRTNetwork) on
    ``n_channels`` x (muscles, steps) ``shape`` inputs: from the flattened last layer (classification, autoencoder,
    the Barlow projector's three layers) or per output step (regression); LSTM from its hidden state (the
    autoencoder per step: units -> C x M)."""
    spec = task_spec(task)
    if arch.family == "LSTM":
        features = int(arch.units)
    else:
        channels, muscles, steps = layer_shapes(arch, shape)[-1]
        features = channels * muscles * (1 if spec.kind == "regression" else steps)
    if spec.kind == "barlow":
        sizes = (features, *BARLOW_PROJECTOR)
        return [int(n_in) * int(n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    if spec.kind == "autoencoder" and arch.family == "LSTM":
        return [features * int(n_channels) * int(shape[0])]
    return [int(features) * task_output_size(task, n_channels, *shape)]


def head_applications(arch: Architecture, task: str, shape: tuple[int, int] = (N_MUSCLES, N_TIME)) -> int:
    """Times the head runs per sample: once per output step for regression (the LSTM's every step, a conv trunk's
    last-layer steps) and the LSTM's per-step decoder, else once."""
    spec = task_spec(task)
    per_step = spec.kind == "regression" or (spec.kind == "autoencoder" and arch.family == "LSTM")
    if not per_step:
        return 1
    return int(shape[1]) if arch.family == "LSTM" else layer_shapes(arch, shape)[-1][2]


def head_weights(arch: Architecture, task: str, n_channels: int, shape: tuple[int, int] = (N_MUSCLES, N_TIME)) -> int:
    """Weights of the largest linear layer of the head of ``task`` (:func:`head_layer_weights`)."""
    return max(head_layer_weights(arch, task, n_channels, shape))


def head_fits(arch: Architecture, task: str, n_channels: int, shape: tuple[int, int] = (N_MUSCLES, N_TIME)) -> bool:
    """Whether the head of ``task`` on this trunk stays within :data:`MAX_HEAD_WEIGHTS`."""
    return head_weights(arch, task, n_channels, shape) <= MAX_HEAD_WEIGHTS


def target_indices(output_steps: int, n_time: int = N_TIME) -> list[int]:
    """Time indices of the TDT targets for a network with ``output_steps`` output steps: k * floor(n_time /
    (output_steps - 1)), k = 0..output_steps - 1 (e.g. 4 -> 0, 106, 212, 318; 320 -> every step). Where that would
    pass the last step (output_steps - 1 divides n_time, e.g. 5 of 400: 0, 100, ..., 400) the step is
    floor((n_time - 1) / (output_steps - 1)) instead (0, 99, ..., 396), so every index lies in the window; DeepDraw's
    working cases are unchanged."""
    if output_steps <= 1:
        return [0] * output_steps
    step = n_time // (output_steps - 1)
    if step * (output_steps - 1) > n_time - 1:
        step = (n_time - 1) // (output_steps - 1)
    return [k * step for k in range(output_steps)]


def output_steps(arch: Architecture, n_time: int = N_TIME) -> int:
    """Output time steps of a trunk: ``n_time`` (DeepDraw 320, the successor 400) ceil-divided by the temporal stride
    once per temporal layer (``n_time`` for the LSTM family)."""
    if arch.family == "LSTM":
        return n_time
    steps = n_time
    layers = arch.n_layers
    for _ in range(layers):
        steps = math.ceil(steps / arch.temporal_stride)
    return steps
