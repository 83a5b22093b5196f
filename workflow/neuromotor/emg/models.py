"""The 31 models of the EMG study (Aeles et al. 2021, Methods) as PyTorch modules that return logits (no softmax
module).

Input orders: SVMs and MLPs see a cycle (200, 8) flattened time-major (index t·8 + c); the 1-D CNNs see it
muscle-major (index c·200 + t) as one channel of length 1,600, so their kernels cross muscle boundaries. Relevance
is always mapped back to (N, 200, 8) with :func:`to_time_muscle`.

Softmax is not part of any module: ``ModelSpec.softmax`` says whether the original applied it (MLPs and CNNs) for
predictions and the training loss; LRP and "logits" always use the module as built here.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from neuromotor.emg.catalogue import FAMILIES, MODELS, N_FEATURES, ModelSpec, conv_lengths, model_spec
from neuromotor.io.emg_mat import N_MUSCLES, N_TIME

__all__ = [
    "FAMILIES", "MODELS", "N_FEATURES", "ModelSpec", "build_model", "conv_lengths", "model_input", "model_spec",
    "parameter_count", "step_divisors", "svm_to_linear", "to_time_muscle",
]  # fmt: skip


def _init_(module: nn.Module, generator: torch.Generator | None) -> None:
    """The original's initialisation: W ~ N(0, 1/fan_in) with fan_in = inputs (Linear) or k·d_in (conv); b = 0."""
    if isinstance(module, (nn.Linear, nn.Conv1d)):
        fan_in = module.weight[0].numel()
        with torch.no_grad():
            module.weight.normal_(0.0, fan_in**-0.5, generator=generator)
            module.bias.zero_()


def build_model(spec: ModelSpec | str, n_classes: int, generator: torch.Generator | None = None) -> nn.Sequential:
    """The logits model of ``spec`` for ``n_classes`` classes, initialised as the original (seeded by ``generator``).

    SVMs are built like ``MlpLinear`` (one Linear(1600, C)); their weights come from :func:`svm_to_linear`.
    """
    spec = model_spec(spec) if isinstance(spec, str) else spec
    layers: list[nn.Module] = []
    if spec.linear:
        layers.append(nn.Linear(N_FEATURES, n_classes))
    elif not spec.convs:  # an MLP
        activation = nn.Tanh if spec.activation == "tanh" else nn.ReLU
        width = N_FEATURES
        for _ in range(spec.depth - 1):
            layers += [nn.Linear(width, spec.hidden), activation()]
            width = spec.hidden
        layers.append(nn.Linear(width, n_classes))
    else:
        for d_in, d_out, kernel, stride in spec.convs:
            layers += [nn.Conv1d(d_in, d_out, kernel, stride), nn.ReLU()]
        flat = spec.convs[-1][1] * conv_lengths(spec)[-1]
        layers += [nn.Flatten(), nn.Linear(flat, n_classes)]
    model = nn.Sequential(*layers)
    for module in model:
        _init_(module, generator)
    return model


def model_input(spec: ModelSpec, cycles: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Cycles (N, 200, 8) in the model's input layout: (N, 1600) time-major, or (N, 1, 1600) muscle-major (CNN)."""
    cycles = np.asarray(cycles)
    n = cycles.shape[0]
    if spec.muscle_major:
        flat = cycles.transpose(0, 2, 1).reshape(n, 1, N_FEATURES)
    else:
        flat = cycles.reshape(n, N_FEATURES)
    return torch.as_tensor(np.ascontiguousarray(flat), dtype=dtype)


def to_time_muscle(spec: ModelSpec, values: np.ndarray) -> np.ndarray:
    """Inverse of :func:`model_input` for arrays in the model's input layout (relevance, bounds) → (N, 200, 8)."""
    values = np.asarray(values)
    n = values.shape[0]
    if spec.muscle_major:
        return np.ascontiguousarray(values.reshape(n, N_MUSCLES, N_TIME).transpose(0, 2, 1))
    return values.reshape(n, N_TIME, N_MUSCLES)


def svm_to_linear(coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray, n_classes: int) -> nn.Linear:
    """A fitted ``LinearSVC``'s decision function as ``Linear(1600, n_classes)`` in float64.

    ``coef`` is (K, 1600) (or (1, 1600) for two classes, converted to rows [−w; w] and biases [−b; b]), ``classes``
    the K labels it was fitted on (``classes_``). A class without training samples gets the one-vs-rest solution of
    an all-negative problem, w = 0 and b = −1, so every score stays finite.
    """
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64).ravel()
    classes = np.asarray(classes)
    if classes.size == 2 and coef.shape[0] == 1:
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    weight = np.zeros((n_classes, coef.shape[1]))
    bias = -np.ones(n_classes)
    weight[classes] = coef
    bias[classes] = intercept
    layer = nn.Linear(coef.shape[1], n_classes, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(bias))
    return layer


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def step_divisors(model: nn.Sequential, input_length: int = N_FEATURES) -> dict[str, float]:
    """The original toolbox's per-parameter step divisors (Aeles et al. 2021, Methods), by parameter name of ``model``.

    Linear: weight √fan_in, bias fan_out^¼. Conv (toolbox 2-D conv with a 1-wide kernel, so k_w = W_out = 1):
    weight √(k · d_in · L_out), bias √L_out.
    """
    divisors = {}
    length = input_length
    for index, module in enumerate(model):
        if isinstance(module, nn.Conv1d):
            length = (length - module.kernel_size[0]) // module.stride[0] + 1
            divisors[f"{index}.weight"] = math.sqrt(module.kernel_size[0] * module.in_channels * length)
            divisors[f"{index}.bias"] = math.sqrt(length)
        elif isinstance(module, nn.Linear):
            divisors[f"{index}.weight"] = math.sqrt(module.in_features)
            divisors[f"{index}.bias"] = module.out_features**0.25
    return divisors
