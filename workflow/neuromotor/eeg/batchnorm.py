"""BatchNorm handling of the EEG study (Cui et al. 2023, Methods).

The models' BatchNorms keep no running statistics: they normalise with the statistics of the batch they see, also in
eval mode, and the original evaluates a held-out subject as one batch. For attribution, each BatchNorm is replaced by
the fixed affine map it applied to that batch (:func:`freeze`), so that a sample's output and gradients no longer
depend on the other samples. Statistics come from :func:`batch_statistics` over any set of samples: the held-out
subject (``bn_eval: batch``, the original's transductive normalisation) or the training subjects (``train_stats``).
"""

from __future__ import annotations

import copy
from typing import Mapping

import numpy as np
import torch
from torch import nn

Statistics = dict[str, tuple[torch.Tensor, torch.Tensor]]
"""BatchNorm module name → (per-channel mean, per-channel std = sqrt(biased variance + eps)), float64."""


class FrozenBatchNorm2d(nn.Module):
    """``(x - mean) / std * weight + bias`` per channel, with fixed statistics (no dependence on the batch)."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        for name, value in (("mean", mean), ("std", std), ("weight", weight), ("bias", bias)):
            self.register_buffer(name, value.detach().clone())

    @property
    def scale(self) -> torch.Tensor:
        """Per-channel factor of the affine map."""
        return self.weight / self.std

    @property
    def shift(self) -> torch.Tensor:
        """Per-channel offset of the affine map."""
        return self.bias - self.mean * self.weight / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        view = (1, -1) + (1,) * (x.dim() - 2)
        return (x - self.mean.view(view)) / self.std.view(view) * self.weight.view(view) + self.bias.view(view)


def batchnorm_names(model: nn.Module) -> list[str]:
    """Names of the model's BatchNorm2d modules in definition order (= forward order for the EEG models)."""
    return [name for name, module in model.named_modules() if isinstance(module, nn.BatchNorm2d)]


class _Stop(Exception):
    """Ends a forward pass once the statistics of the wanted layer are collected."""


def _moments(values: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    """Count, mean and sum of squared deviations per channel (axis 1) of a (B, C, ...) tensor."""
    flat = values.detach().transpose(0, 1).reshape(values.shape[1], -1)
    mean = flat.mean(1)
    return flat.shape[1], mean, ((flat - mean[:, None]) ** 2).sum(1)


def _combine(a, b):
    """Chan et al.'s pairwise update of (count, mean, M2)."""
    if a is None:
        return b
    (n_a, mean_a, m2_a), (n_b, mean_b, m2_b) = a, b
    n = n_a + n_b
    delta = mean_b - mean_a
    return n, mean_a + delta * n_b / n, m2_a + m2_b + delta**2 * n_a * n_b / n


@torch.no_grad()
def batch_statistics(model: nn.Module, x: torch.Tensor, batch_size: int = 256) -> Statistics:
    """Per-channel mean and std (biased variance + eps, as BatchNorm uses them) of every BatchNorm's input, over all
    samples of ``x`` (B, 1, 30, 384), as if they formed one batch.

    Layers are handled in forward order: the statistics of layer k are gathered with layers before k frozen to
    theirs, which is exactly what one forward of the whole batch in batch-statistics mode computes; samples are
    processed ``batch_size`` at a time, so memory does not grow with the number of samples.
    """
    model = copy.deepcopy(model).eval()
    stats: Statistics = {}
    for name in batchnorm_names(model):
        module = model.get_submodule(name)
        collected = None

        def collect(_module, inputs):
            nonlocal collected
            collected = _combine(collected, _moments(inputs[0]))
            raise _Stop

        handle = module.register_forward_pre_hook(collect)
        for start in range(0, x.shape[0], batch_size):
            try:
                model(x[start : start + batch_size])
            except _Stop:
                pass
        handle.remove()
        count, mean, m2 = collected
        stats[name] = (mean, torch.sqrt(m2 / count + module.eps))
        _replace(model, name, _frozen(module, stats[name]))
    return stats


def _frozen(module: nn.BatchNorm2d, statistics: tuple[torch.Tensor, torch.Tensor]) -> FrozenBatchNorm2d:
    reference = module.weight if module.affine else statistics[0]
    mean, std = (value.to(device=reference.device, dtype=reference.dtype) for value in statistics)
    ones = torch.ones_like(mean)
    weight = module.weight if module.affine else ones
    bias = module.bias if module.affine else torch.zeros_like(mean)
    return FrozenBatchNorm2d(mean, std, weight, bias)


def _replace(model: nn.Module, name: str, new: nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, child, new)


def freeze(model: nn.Module, statistics: Mapping[str, tuple[torch.Tensor, torch.Tensor]]) -> nn.Module:
    """A copy of ``model`` in eval mode (dropout off) with every BatchNorm replaced by its fixed affine map under
    ``statistics`` (from :func:`batch_statistics`), parameters not requiring gradients."""
    frozen = copy.deepcopy(model).eval()
    names = batchnorm_names(frozen)
    missing = [name for name in names if name not in statistics]
    if missing:
        raise ValueError(f"freeze: no statistics for BatchNorm layers {missing}; have {sorted(statistics)}")
    for name in names:
        _replace(frozen, name, _frozen(frozen.get_submodule(name), statistics[name]))
    for parameter in frozen.parameters():
        parameter.requires_grad_(False)
    return frozen


def statistics_to_arrays(statistics: Statistics) -> dict[str, np.ndarray]:
    """Flat arrays for storage: ``<layer>/mean`` and ``<layer>/std``."""
    arrays = {}
    for name, (mean, std) in statistics.items():
        arrays[f"{name}.mean"] = mean.cpu().numpy()
        arrays[f"{name}.std"] = std.cpu().numpy()
    return arrays


def statistics_from_arrays(arrays: Mapping) -> Statistics:
    """Inverse of :func:`statistics_to_arrays`."""
    names = sorted({key.rsplit(".", 1)[0] for key in arrays})
    as_tensor = lambda values: torch.as_tensor(np.asarray(values), dtype=torch.float64)  # noqa: E731
    return {name: (as_tensor(arrays[f"{name}.mean"]), as_tensor(arrays[f"{name}.std"])) for name in names}
