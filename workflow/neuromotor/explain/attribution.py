"""Seven attribution methods for classifiers with LogSoftmax output, plus a random control (Cui et al. 2023, Methods).

Every method explains ``f(x) = output[target]`` of a model whose output does not depend on the other samples of the
batch (freeze BatchNorms first: :func:`neuromotor.eeg.batchnorm.freeze`). ``g(x) = ∂f/∂x``; ``g̃`` is the gradient
with a modified backward rule at the activation modules named by the model's ``activation_names`` (every other
module keeps its ordinary gradient). ``a_in``, ``a_out`` = input and output of an activation module.

==========================  =====================================================  ================  ============
method                      backward at the activations                            heatmap           computed by
==========================  =====================================================  ================  ============
``saliency``                ordinary                                               g (signed)        Captum
``gradient_x_input``        ordinary                                               g ⊙ x             Captum
``deeplift`` (Rescale)      grad_out · Δa_out / Δa_in where |Δa_in| > 1e-5, else   g̃ ⊙ x             Captum
                            ordinary; Δ = value at x − value at the baseline 0
``integrated_gradients``    ordinary                                               x ⊙ mean over     own
                                                                                   α ∈ linspace(0,
                                                                                   1, 100) of g(αx)
``epsilon_lrp``             grad_out · a_out / (a_in + ε sgn a_in), ε = 1e-5,      g̃ ⊙ x             zennit hook
                            sgn 0 = +1
``deconvolution``           max(grad_out, 0)                                       g̃                 zennit
``guided_backprop``         1[a_out > 0] · max(grad_out, 0)                        g̃                 zennit (ReLU)
                                                                                                     / hook
``random``                  —                                                      U[0, 1), seeded   numpy
==========================  =====================================================  ================  ============

Library use: Captum's ``Saliency(abs=False)``, ``InputXGradient`` and ``DeepLift(eps=1e-5)`` compute exactly the
first three (Captum's DeepLift rescales at ReLU/ELU modules only and keeps ordinary gradients elsewhere, LogSoftmax
included; its ``eps`` is the original's threshold 1e-5, the two differ only at |Δa_in| = 1e-5 exactly). zennit
supplies the machinery that swaps backward rules of chosen modules (``Composite``, ``Gradient``) and two rules that
match the original's backward hooks (``TNNLS2_Deep_Learning_Interpretability_samplefile.py``) exactly:
``ReLUDeconvNet`` (for any activation) and ``ReLUGuidedBackprop`` (for ReLU; on ELU it would multiply by the ELU's
derivative, so ELUs get :class:`GuidedBackpropHook`). The original's ε rule acts on the activations only, unlike
zennit's and Captum's ε-LRP (rules on linear layers), so it is a zennit hook of this module. Integrated gradients
here is the uniform 100-point average including both endpoints, which neither Captum's quadratures nor zennit's
(α from 1/n to 1) compute.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import torch
from captum.attr import DeepLift, InputXGradient, Saliency
from captum.attr._core.deep_lift import SUPPORTED_NON_LINEAR as CAPTUM_NONLINEAR
from torch import nn

from neuromotor.explain.methods import METHODS
from neuromotor.explain.zennit_import import load_zennit

load_zennit()
from zennit.attribution import Gradient  # noqa: E402
from zennit.core import Composite, Hook  # noqa: E402
from zennit.rules import ReLUDeconvNet, ReLUGuidedBackprop  # noqa: E402

# ---------------------------------------------------------------------------------------------------------------
# zennit hooks for the original's activation rules (its update_activ_EpsilonLRP, ..._guidedbackpropogation)


class _ActivationHook(Hook):
    """A zennit hook that keeps the activation's input and output of the forward pass for its backward rule."""

    def forward(self, module, input, output):
        self.stored_tensors["input"] = input[0].detach()
        self.stored_tensors["output"] = output.detach()


class EpsilonActivationHook(_ActivationHook):
    """ε-LRP at an activation: ``grad_in = grad_out · a_out / (a_in + ε sgn a_in)`` with ``sgn 0 = +1``."""

    def __init__(self, epsilon: float = 1e-5):
        super().__init__()
        self.epsilon = epsilon

    def copy(self):
        return EpsilonActivationHook(self.epsilon)

    def backward(self, module, grad_input, grad_output):
        a_in, a_out = self.stored_tensors["input"], self.stored_tensors["output"]
        denominator = a_in + self.epsilon * torch.where(a_in >= 0, 1.0, -1.0).to(a_in.dtype)
        return (grad_output[0] * a_out / denominator,)


class GuidedBackpropHook(_ActivationHook):
    """Guided backpropagation at any activation: ``grad_in = 1[a_out > 0] · max(grad_out, 0)``."""

    def backward(self, module, grad_input, grad_output):
        return (grad_output[0].clamp(min=0) * (self.stored_tensors["output"] > 0),)


# ---------------------------------------------------------------------------------------------------------------
# helpers


def activation_names(model: nn.Module) -> tuple[str, ...]:
    """The activation modules the modified rules act on (the model's ``activation_names``)."""
    names = tuple(getattr(model, "activation_names", ()))
    present = dict(model.named_modules())
    missing = [name for name in names if name not in present]
    if missing:
        raise ValueError(f"model {type(model).__name__} lacks its activation modules {missing}")
    return names


class _NamedRules(Composite):
    """A zennit composite that puts the hook ``rule(name, module)`` on every module named in ``names``."""

    def __init__(self, names: Sequence[str], rule):
        self.names, self.rule = set(names), rule
        super().__init__(module_map=self._map)

    def _map(self, ctx, name, module):
        return self.rule(name, module) if name in self.names else None


def _one_hot(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(target, output.shape[1]).to(output.dtype)


def _modified_gradient(model, x, target, rule, names) -> torch.Tensor:
    """g̃: the gradient of output[target] with ``rule(name, module)``'s hook at the named activations."""
    composite = _NamedRules(names, rule)
    with Gradient(model=model, composite=composite) as attributor:
        _, gradient = attributor(x.detach().clone().requires_grad_(True), lambda output: _one_hot(output, target))
    return gradient.detach()


def _gradient(model, x, target) -> torch.Tensor:
    x = x.detach().clone().requires_grad_(True)
    output = model(x)
    (gradient,) = torch.autograd.grad(output, x, grad_outputs=_one_hot(output, target))
    return gradient


# ---------------------------------------------------------------------------------------------------------------
# the methods (one batch each)


def saliency(model, x, target) -> torch.Tensor:
    """g(x), signed."""
    x = x.detach().clone().requires_grad_(True)
    return Saliency(model).attribute(x, target=target, abs=False).detach()


def gradient_x_input(model, x, target) -> torch.Tensor:
    """g(x) ⊙ x."""
    x = x.detach().clone().requires_grad_(True)
    return InputXGradient(model).attribute(x, target=target).detach()


def deeplift(model, x, target, threshold: float = 1e-5) -> torch.Tensor:
    """g̃ ⊙ x with the Rescale rule at the activations against the baseline 0: Captum's ``DeepLift`` with
    ``eps = threshold`` (it rescales where |Δa_in| >= eps and keeps the ordinary gradient elsewhere, on exactly the
    activation types of the models, and ordinary gradients through convolutions, pooling, linear layers, the frozen
    BatchNorms and LogSoftmax)."""
    rescaled = {name for name, module in model.named_modules() if type(module) in CAPTUM_NONLINEAR}
    if rescaled != set(activation_names(model)):
        raise ValueError(
            f"deeplift: Captum would rescale at {sorted(rescaled)}, the model's activations are "
            f"{sorted(activation_names(model))}"
        )
    x = x.detach().clone().requires_grad_(True)
    explainer = DeepLift(model, multiply_by_inputs=True, eps=threshold)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        return explainer.attribute(x, baselines=torch.zeros_like(x), target=target).detach()


def integrated_gradients(model, x, target, steps: int = 100, batch_size: int = 256) -> torch.Tensor:
    """x ⊙ (1/steps) Σ_k g(α_k x), α = linspace(0, 1, steps) (both endpoints), target fixed from the real input.
    Up to ``batch_size`` path points are evaluated per pass."""
    alphas = torch.linspace(0, 1, steps, dtype=x.dtype, device=x.device)
    total = torch.zeros_like(x)
    chunk = max(1, batch_size // max(1, x.shape[0]))
    for start in range(0, steps, chunk):
        alpha = alphas[start : start + chunk]
        path = (alpha.view(-1, *([1] * x.dim())) * x).reshape(-1, *x.shape[1:])
        gradient = _gradient(model, path, target.repeat(len(alpha)))
        total += gradient.reshape(len(alpha), *x.shape).sum(0)
    return x * total / steps


def epsilon_lrp(model, x, target, epsilon: float = 1e-5) -> torch.Tensor:
    """g̃ ⊙ x with the ε rule at the activations."""
    names = activation_names(model)
    return _modified_gradient(model, x, target, lambda name, module: EpsilonActivationHook(epsilon), names) * x


def deconvolution(model, x, target) -> torch.Tensor:
    """g̃ with ``grad_in = max(grad_out, 0)`` at the activations (zennit's DeconvNet rule)."""
    return _modified_gradient(model, x, target, lambda name, module: ReLUDeconvNet(), activation_names(model))


def guided_backprop(model, x, target) -> torch.Tensor:
    """g̃ with ``grad_in = 1[a_out > 0] · max(grad_out, 0)`` (zennit's rule on ReLUs, :class:`GuidedBackpropHook`
    on other activations)."""

    def rule(name, module):
        return ReLUGuidedBackprop() if isinstance(module, nn.ReLU) else GuidedBackpropHook()

    return _modified_gradient(model, x, target, rule, activation_names(model))


def random_heatmaps(seeds: Sequence[int], shape: tuple[int, ...]) -> np.ndarray:
    """(len(seeds), *shape) float64 draws from U[0, 1), one generator per sample seed."""
    return (
        np.stack([np.random.default_rng(seed).random(shape) for seed in seeds]) if len(seeds) else np.empty((0, *shape))
    )


GRADIENT_METHODS = {
    "saliency": saliency,
    "gradient_x_input": gradient_x_input,
    "deeplift": deeplift,
    "integrated_gradients": integrated_gradients,
    "epsilon_lrp": epsilon_lrp,
    "deconvolution": deconvolution,
    "guided_backprop": guided_backprop,
}


def attribute(
    model: nn.Module,
    x: torch.Tensor,
    target: torch.Tensor,
    method: str,
    *,
    batch_size: int = 32,
    seeds: Sequence[int] | None = None,
    ig_steps: int = 100,
    epsilon: float = 1e-5,
    deeplift_threshold: float = 1e-5,
) -> np.ndarray:
    """Heatmaps of one method for every sample, ``batch_size`` samples at a time.

    Args:
        model: outputs (B, classes) (the LogSoftmax for the EEG models); each sample's output must not depend on
            the others (frozen BatchNorm), and activations named by ``model.activation_names``.
        x: (N, ...) input; target: (N,) int64 class explained per sample.
        seeds: per-sample seeds of the ``random`` control (required for it).

    Returns:
        (N, ...) float64 heatmaps, the shape of ``x``.
    """
    if method == "random":
        if seeds is None or len(seeds) != x.shape[0]:
            raise ValueError("attribute: method 'random' needs one seed per sample")
        return random_heatmaps(seeds, tuple(x.shape[1:]))
    if method not in GRADIENT_METHODS:
        raise ValueError(f"unknown attribution method {method!r}; known: {list(METHODS)}")
    options = {
        "integrated_gradients": {"steps": ig_steps},
        "epsilon_lrp": {"epsilon": epsilon},
        "deeplift": {"threshold": deeplift_threshold},
    }.get(method, {})
    function = GRADIENT_METHODS[method]
    parts = [
        function(model, x[start : start + batch_size], target[start : start + batch_size], **options)
        for start in range(0, x.shape[0], batch_size)
    ]
    return torch.cat(parts).detach().cpu().numpy() if parts else np.empty(tuple(x.shape))
