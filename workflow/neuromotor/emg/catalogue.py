"""The catalogue of the EMG study's 31 models (Aeles et al. 2021, Methods): names, families and layer settings.

Pure data without torch, so that planning a run (``rules/common.smk``) stays light; the modules themselves are
built by :mod:`neuromotor.emg.models`.
"""

from __future__ import annotations

from dataclasses import dataclass

from neuromotor.io.emg_mat import N_MUSCLES, N_TIME

N_FEATURES = N_TIME * N_MUSCLES
FAMILIES = ("svm", "linear", "mlp", "cnn")


@dataclass(frozen=True)
class ModelSpec:
    """One named model of the study.

    Attributes:
        name: the original's name (e.g. ``Mlp2Layer64Unit_Tanh``).
        family: ``svm``, ``linear`` (``MlpLinear``), ``mlp`` or ``cnn``.
        C: the SVM's regularisation constant.
        hidden: MLP hidden units; ``depth``: MLP weight layers (2 or 3); ``activation``: ``relu`` or ``tanh``.
        convs: CNN layers as (in channels, out channels, kernel, stride).
    """

    name: str
    family: str
    C: float | None = None
    hidden: int = 0
    depth: int = 1
    activation: str = "relu"
    convs: tuple[tuple[int, int, int, int], ...] = ()

    # What the family decides, in one place (planning, training and models read these, never the family itself):

    @property
    def softmax(self) -> bool:
        """Whether predictions and the training loss go through a softmax (MLPs, CNNs)."""
        return self.family in ("mlp", "cnn")

    @property
    def trained_by_sgd(self) -> bool:
        """Networks are trained by SGD (with the ``training`` schedule); SVMs are fitted by LinearSVC."""
        return self.family != "svm"

    @property
    def muscle_major(self) -> bool:
        """The input layout: (N, 1, 1600) muscle-major for the 1-D CNNs, (N, 1600) time-major otherwise."""
        return self.family == "cnn"

    @property
    def linear(self) -> bool:
        """One Linear(1600, classes) layer (the SVMs' decision functions and ``MlpLinear``)."""
        return self.family in ("svm", "linear")


def _catalogue() -> dict[str, ModelSpec]:
    specs = [
        ModelSpec(f"SvmLinearL2C{suffix}", "svm", C=c)
        for suffix, c in (
            ("1ep1", 10.0), ("1e0", 1.0), ("1em1", 0.1), ("5em2", 0.05), ("1em2", 0.01), ("5em3", 0.005),
            ("1em3", 0.001),
        )
    ]  # fmt: skip
    specs.append(ModelSpec("MlpLinear", "linear"))
    for depth in (2, 3):
        for hidden in (64, 128, 256, 512, 768):
            for activation in ("relu", "tanh"):
                suffix = "_Tanh" if activation == "tanh" else ""
                specs.append(ModelSpec(f"Mlp{depth}Layer{hidden}Unit{suffix}", "mlp", hidden=hidden, depth=depth,
                                       activation=activation))
    specs += [
        ModelSpec("Cnn1DC3", "cnn", convs=((1, 16, 3, 1), (16, 24, 3, 1), (24, 48, 4, 2), (48, 48, 3, 2))),
        ModelSpec("Cnn1DC6", "cnn", convs=((1, 16, 6, 1), (16, 24, 6, 1), (24, 48, 4, 2), (48, 48, 6, 3))),
        ModelSpec("Cnn1DC8", "cnn", convs=((1, 24, 8, 2), (24, 32, 8, 3), (32, 48, 6, 3))),
    ]
    return {spec.name: spec for spec in specs}


MODELS: dict[str, ModelSpec] = _catalogue()
"""Every model of the study by name (7 SVMs, ``MlpLinear``, 20 MLPs, 3 CNNs)."""


def model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown EMG model {name!r}; known: {list(MODELS)}") from None


def conv_lengths(spec: ModelSpec, length: int = N_FEATURES) -> list[int]:
    """Output length of every conv layer: ⌊(L − k)/s⌋ + 1, no padding."""
    lengths = []
    for _, _, kernel, stride in spec.convs:
        length = (length - kernel) // stride + 1
        lengths.append(length)
    return lengths
