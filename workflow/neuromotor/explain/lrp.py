"""Layer-wise relevance propagation with zennit: the rule configurations of the EMG study (Aeles et al. 2021, Methods).

A configuration assigns a rule to every weighted layer of a logits model (Linear, Conv; activations and flatten pass
relevance unchanged):

==========================  ===================  ===========  =====  ==============
configuration               first weighted layer other convs  dense  models
==========================  ===================  ===========  =====  ==============
``epsilon``                 ε                    ε            ε      all
``epsilon_zb``              zB                   ε            ε      all
``epsilon_flat``            flat                 ε            ε      with conv
``composite_alpha2``        α2β1                 α2β1         ε      with conv
``composite_alpha2_flat``   flat                 α2β1         ε      with conv
``composite_alpha2_zB``     zB                   α2β1         ε      with conv
``composite_alpha1``        α1β0                 α1β0         ε      with conv
``composite_alpha1_flat``   flat                 α1β0         ε      with conv
``composite_alpha1_zB``     zB                   α1β0         ε      with conv
==========================  ===================  ===========  =====  ==============

ε = 1e-5; the other rules' stabilizers are 1e-16 (zennit's default 1e-6 changes results slightly). The relevance at
the output is z ⊙ onehot(class): ``act`` explains the true class, ``dom`` the predicted one (argmax of the logits).
Everything runs in float64 on a copy of the model. zB needs per-feature bounds shaped like the first layer's input.

:func:`composite` is the zennit composite of one configuration (the mapping below); :func:`relevance_maps`
computes many configurations and class choices with the same zennit rules in two stages that share work (see there).
"""

from __future__ import annotations

import copy
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import nn

from neuromotor.explain.zennit_import import load_zennit

load_zennit()
from zennit.attribution import Gradient  # noqa: E402
from zennit.composites import (  # noqa: E402
    EpsilonAlpha2Beta1,
    EpsilonAlpha2Beta1Flat,
    LayerMapComposite,
    SpecialFirstLayerMapComposite,
)
from zennit.core import Composite  # noqa: E402
from zennit.rules import AlphaBeta, Epsilon, Flat, Pass, ZBox  # noqa: E402
from zennit.types import Activation, Convolution  # noqa: E402

from neuromotor.explain.lrp_configurations import CONV_RULES, DENSE_RULES, TARGETS  # noqa: E402, F401 (re-exported)

EPSILON = 1e-5
STABILIZER = 1e-16
WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d)


def has_conv(model: nn.Module) -> bool:
    return any(isinstance(module, Convolution) for module in model.modules())


def rules_for(model: nn.Module) -> tuple[str, ...]:
    """The configurations of Aeles et al. 2021 that apply to ``model`` (2 for dense models, 9 with convolutions)."""
    return CONV_RULES if has_conv(model) else DENSE_RULES


def relevance_key(target: str, rule: str) -> str:
    """Name of a relevance array, as in the original outputs: ``R_pred_<act|dom>_<rule>``."""
    return f"R_pred_{target}_{rule}"


def composite(rule: str, low: np.ndarray | None = None, high: np.ndarray | None = None) -> Composite:
    """The zennit composite of one rule configuration (module docstring); ``low``/``high`` for the zB ones."""
    epsilon = Epsilon(epsilon=EPSILON)
    passing = [(Activation, Pass())]
    if rule.endswith(("_zb", "_zB")):
        if low is None or high is None:
            raise ValueError(f"rule configuration {rule!r} needs the zB bounds low and high")
        first = ZBox(torch.as_tensor(low, dtype=torch.float64), torch.as_tensor(high, dtype=torch.float64),
                     stabilizer=STABILIZER)
    elif rule.endswith("_flat"):
        first = Flat(stabilizer=STABILIZER)
    else:
        first = None
    if rule.startswith("composite_alpha"):
        alpha = 2 if rule.startswith("composite_alpha2") else 1
        if first is None and alpha == 2:
            return EpsilonAlpha2Beta1(epsilon=EPSILON, stabilizer=STABILIZER)
        if isinstance(first, Flat) and alpha == 2:
            return EpsilonAlpha2Beta1Flat(epsilon=EPSILON, stabilizer=STABILIZER)
        layer_map = passing + [
            (Convolution, AlphaBeta(alpha=alpha, beta=alpha - 1, stabilizer=STABILIZER)),
            (nn.Linear, epsilon),
        ]
    elif rule.startswith("epsilon"):
        layer_map = passing + [(Convolution, epsilon), (nn.Linear, epsilon)]
    else:
        raise ValueError(f"unknown LRP rule configuration {rule!r}; known: {CONV_RULES}")
    if first is None:
        return LayerMapComposite(layer_map=layer_map)
    return SpecialFirstLayerMapComposite(layer_map=layer_map, first_map=[(WEIGHTED, first)])


def as_float64(model: nn.Module) -> nn.Module:
    """A float64 copy of ``model`` in evaluation mode, on the device of ``model``."""
    return copy.deepcopy(model).double().eval()


def lrp(
    model: nn.Module,
    x: torch.Tensor,
    classes: torch.Tensor,
    rule: str,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    batch_size: int = 16,
) -> np.ndarray:
    """Relevance of ``x`` (N, ...) for the logit of ``classes`` (N,) under one rule configuration.

    ``model`` must already be float64 (:func:`as_float64`); returns a float64 array shaped like ``x``.
    """
    return relevance_maps(model, x, {"target": classes}, (rule,), low, high, batch_size)[("target", rule)]


def _stages(rule: str) -> tuple[str, str]:
    """A configuration as (rule of the layers above the first weighted one, rule of the first): ``epsilon``,
    ``alpha2`` or ``alpha1`` above; ``same``, ``flat`` or ``zb`` for the first layer."""
    if rule not in CONV_RULES:
        raise ValueError(f"unknown LRP rule configuration {rule!r}; known: {CONV_RULES}")
    upper = "epsilon" if rule.startswith("epsilon") else rule.split("_")[1]
    first = "zb" if rule.endswith(("_zb", "_zB")) else "flat" if rule.endswith("_flat") else "same"
    return upper, first


def _conv_rule(upper: str):
    if upper == "epsilon":
        return Epsilon(epsilon=EPSILON)
    alpha = int(upper[-1])
    return AlphaBeta(alpha=alpha, beta=alpha - 1, stabilizer=STABILIZER)


def _layer_rule(upper: str, module: nn.Module):
    return _conv_rule(upper) if isinstance(module, Convolution) else Epsilon(epsilon=EPSILON)


def _upper_composite(upper: str) -> Composite:
    """The rules of every layer above the first weighted one."""
    return LayerMapComposite(
        layer_map=[(Activation, Pass()), (Convolution, _conv_rule(upper)), (nn.Linear, Epsilon(epsilon=EPSILON))]
    )


def _first_composite(upper: str, first: str, layer: nn.Module, low, high) -> Composite:
    """The rule of the first weighted layer."""
    if first == "zb":
        if low is None or high is None:
            raise ValueError("rule configurations with zB need the zB bounds low and high")
        rule = ZBox(torch.as_tensor(low, dtype=torch.float64), torch.as_tensor(high, dtype=torch.float64),
                    stabilizer=STABILIZER)
    elif first == "flat":
        rule = Flat(stabilizer=STABILIZER)
    else:
        rule = _layer_rule(upper, layer)
    return LayerMapComposite(layer_map=[(WEIGHTED, rule)])


def relevance_maps(
    model: nn.Sequential,
    x: torch.Tensor,
    classes: Mapping[str, torch.Tensor],
    rules: Sequence[str],
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    batch_size: int = 16,
) -> dict[tuple[str, str], np.ndarray]:
    """Relevance for several output classes (e.g. ``{"act": true, "dom": predicted}``) and rule configurations.

    The result equals one :func:`composite` per configuration (tested), computed with less work: relevance is
    propagated from the output to the first weighted layer once per rule of the upper layers (ε, α2β1, α1β0), and
    only the first layer's step is repeated for its variants (same rule, flat, zB); the class choices of a batch go
    through the same passes, each distinct (cycle, class) once (true = predicted class for most cycles). Small
    batches are fastest on a CPU (the activations stay in cache). ``model``: a float64 ``nn.Sequential`` (or a
    single layer) returning logits, see :func:`as_float64`.
    Returns ``{(choice, rule): (N, ...) float64}``.
    """
    if not isinstance(model, nn.Sequential):
        model = nn.Sequential(model)  # a single layer (e.g. a converted SVM)
    device = next(model.parameters()).device
    x = torch.as_tensor(x, dtype=torch.float64, device=device)
    first_index = next(i for i, module in enumerate(model) if isinstance(module, WEIGHTED))
    head, tail = model[: first_index + 1], model[first_index + 1 :]
    names = list(classes)
    chosen = torch.stack([torch.as_tensor(classes[name], device=device) for name in names])  # (choices, N)
    plans: dict[str, list[tuple[str, str]]] = {}
    for rule in rules:
        upper, first = _stages(rule)
        plans.setdefault(upper, []).append((rule, first))
    out = {(name, rule): np.empty(tuple(x.shape)) for name in names for rule in rules}
    for start in range(0, len(x), batch_size):
        stop = min(start + batch_size, len(x))
        # each distinct (cycle, class) once: with a correct prediction, "act" and "dom" are the same explanation
        pairs = torch.stack([torch.arange(start, stop, device=device).repeat(len(names)),
                             chosen[:, start:stop].reshape(-1)])
        unique, inverse = torch.unique(pairs, dim=1, return_inverse=True)
        batch, target = x[unique[0]], unique[1]

        def output_relevance(logits: torch.Tensor) -> torch.Tensor:
            onehot = torch.zeros_like(logits)
            onehot[torch.arange(len(target)), target] = 1.0
            return logits * onehot

        with torch.no_grad():
            first_output = head(batch)
        for upper, members in plans.items():
            if len(tail):
                with Gradient(model=tail, composite=_upper_composite(upper)) as attributor:
                    _, upper_relevance = attributor(first_output.clone(), output_relevance)
            else:
                upper_relevance = output_relevance(first_output)
            for rule, first in members:
                composite_ = _first_composite(upper, first, model[first_index], low, high)
                with Gradient(model=head, composite=composite_) as attributor:
                    _, relevance = attributor(batch.clone(), upper_relevance)
                relevance = relevance[inverse].detach().cpu().numpy()
                relevance = relevance.reshape(len(names), stop - start, *x.shape[1:])
                for i, name in enumerate(names):
                    out[(name, rule)][start:stop] = relevance[i]
    return out
