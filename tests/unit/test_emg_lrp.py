"""LRP of the EMG study through zennit (neuromotor.explain.lrp) against an independent NumPy implementation of the
rule formulas of LRP toolbox 1.3, the closed form of the linear SVM, and conservation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from neuromotor.emg.models import MODELS, build_model, model_input
from neuromotor.explain.lrp import (
    CONV_RULES,
    DENSE_RULES,
    EPSILON,
    as_float64,
    lrp,
    relevance_key,
    relevance_maps,
    rules_for,
)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


# --- an independent NumPy LRP (LRP toolbox 1.3; toolbox conventions) --------------------------------------------------


def sign(z):
    return np.where(z >= 0, 1.0, -1.0)


def patches(x, kernel, stride):
    """(N, C, L) → (N, L_out, C·k) receptive fields; element [n, j, c·k + t] = x[n, c, j·s + t]."""
    n, c, length = x.shape
    l_out = (length - kernel) // stride + 1
    index = np.arange(l_out)[:, None] * stride + np.arange(kernel)[None, :]  # (L_out, k)
    return x[:, :, index].transpose(0, 2, 1, 3).reshape(n, l_out, c * kernel), index


def unpatch(r, shape, index):
    """Sum relevance of receptive-field elements (N, L_out, C·k) back onto the input (N, C, L)."""
    n, c, _ = shape
    l_out, kernel = index.shape
    out = np.zeros(shape)
    r = r.reshape(n, l_out, c, kernel)
    for j in range(l_out):
        np.add.at(out, (slice(None), slice(None), index[j]), r[:, j].reshape(n, c, kernel))
    return out


def dense_rule(x, w, b, r_out, rule, low=None, high=None, alpha=2.0):
    """One layer z = x wᵀ + b on (..., D) inputs with w (O, D): relevance (..., D) from r_out (..., O)."""
    contributions = x[..., None, :] * w  # (..., O, D)
    if rule == "epsilon":
        z = contributions.sum(-1) + b
        return np.einsum("...od,...o->...d", contributions, r_out / (z + EPSILON * sign(z)))
    if rule == "alphabeta":
        beta_t = 1.0 - alpha
        zp, zn = np.maximum(contributions, 0), np.minimum(contributions, 0)
        big_p = zp.sum(-1) + np.maximum(b, 0)
        big_n = zn.sum(-1) + np.minimum(b, 0)
        return np.einsum("...od,...o->...d", alpha * zp, r_out / (big_p + 1e-16)) + np.einsum(
            "...od,...o->...d", beta_t * zn, r_out / (big_n - 1e-16)
        )
    if rule == "flat":
        return np.broadcast_to((r_out / w.shape[1]).sum(-1, keepdims=True), x.shape).copy()
    if rule == "zb":
        z = contributions - low[..., None, :] * np.maximum(w, 0) - high[..., None, :] * np.minimum(w, 0)
        return np.einsum("...od,...o->...d", z, r_out / (z.sum(-1) + 1e-16))
    raise ValueError(rule)


def reference_lrp(model: nn.Sequential, x: np.ndarray, classes: np.ndarray, configuration: str, low=None,
                  high=None) -> np.ndarray:
    """ε / α-β / flat / zB LRP of a Sequential of Linear, Conv1d, ReLU, Tanh and Flatten modules."""
    weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Linear, nn.Conv1d))]
    first = weighted[0]

    def rule_of(index, module):
        if index == first and configuration.endswith(("_zb", "_zB")):
            return "zb"
        if index == first and configuration.endswith("_flat"):
            return "flat"
        if configuration.startswith("composite_alpha") and isinstance(module, nn.Conv1d):
            return "alphabeta"
        return "epsilon"

    alpha = 1.0 if configuration.startswith("composite_alpha1") else 2.0
    inputs, a = [], x
    for module in model:
        inputs.append(a)
        with torch.no_grad():
            a = module(torch.as_tensor(a)).numpy()
    r = a * np.eye(a.shape[1])[classes]
    for index in reversed(range(len(model))):
        module, a_in = model[index], inputs[index]
        if isinstance(module, nn.Flatten):
            r = r.reshape(a_in.shape)
        elif isinstance(module, nn.Linear):
            w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
            r = dense_rule(a_in, w, b, r, rule_of(index, module), low, high, alpha)
        elif isinstance(module, nn.Conv1d):
            w = module.weight.detach().numpy()
            kernel, stride = module.kernel_size[0], module.stride[0]
            p, where = patches(a_in, kernel, stride)
            rule, lp, hp = rule_of(index, module), None, None
            if rule == "zb":
                lp, _ = patches(np.broadcast_to(low, a_in.shape[1:])[None], kernel, stride)
                hp, _ = patches(np.broadcast_to(high, a_in.shape[1:])[None], kernel, stride)
            r_p = dense_rule(p, w.reshape(w.shape[0], -1), module.bias.detach().numpy(), r.transpose(0, 2, 1),
                             rule, lp, hp, alpha)
            r = unpatch(r_p, a_in.shape, where)
        # activations pass relevance unchanged
    return r


# --- small models with nonzero biases ---------------------------------------------------------------------------


def with_random_biases(model: nn.Sequential, seed: int = 0) -> nn.Sequential:
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model:
            if isinstance(module, (nn.Linear, nn.Conv1d)):
                module.bias.copy_(0.1 * torch.randn(module.bias.shape, generator=generator, dtype=torch.float64))
    return model


def small_models():
    torch.manual_seed(3)
    mlp_relu = nn.Sequential(nn.Linear(24, 10), nn.ReLU(), nn.Linear(10, 7), nn.ReLU(), nn.Linear(7, 4))
    mlp_tanh = nn.Sequential(nn.Linear(24, 10), nn.Tanh(), nn.Linear(10, 4))
    cnn = nn.Sequential(nn.Conv1d(1, 3, 4, 2), nn.ReLU(), nn.Conv1d(3, 5, 3, 1), nn.ReLU(), nn.Conv1d(5, 4, 2, 2),
                        nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4, 4))
    return {"mlp_relu": mlp_relu, "mlp_tanh": mlp_tanh, "cnn": cnn}


@pytest.fixture(scope="module")
def models():
    return {name: with_random_biases(as_float64(model)) for name, model in small_models().items()}


def inputs_for(name, n=6, seed=1):
    rng = np.random.default_rng(seed)
    shape = (n, 1, 24) if name == "cnn" else (n, 24)
    x = rng.uniform(-0.2, 1.0, shape)
    x[0, ..., :3] = 0.0  # exact zeros exercise the stabilisers
    return x


@pytest.mark.parametrize("name", ["mlp_relu", "mlp_tanh", "cnn"])
def test_zennit_equals_the_numpy_reference_for_every_rule_configuration(models, name):
    model = models[name]
    x = inputs_for(name)
    low, high = x.min(axis=0, keepdims=True) - 0.05, x.max(axis=0, keepdims=True) + 0.05
    with torch.no_grad():
        logits = model(torch.as_tensor(x))
    classes = {"act": np.array([0, 1, 2, 3, 0, 1]), "dom": logits.argmax(1).numpy()}
    rules = rules_for(model)
    assert rules == (CONV_RULES if name == "cnn" else DENSE_RULES)
    maps = relevance_maps(model, torch.as_tensor(x), {k: torch.as_tensor(v) for k, v in classes.items()}, rules,
                          low, high)
    for (target, rule), relevance in maps.items():
        expected = reference_lrp(model, x, classes[target], rule, low[0], high[0])
        scale = np.abs(expected).max()
        assert relevance.shape == x.shape
        np.testing.assert_allclose(relevance, expected, rtol=0, atol=1e-12 * scale, err_msg=f"{target} {rule}")


def test_epsilon_lrp_of_an_mlp_equals_numpy_to_1e6():
    """The issue's criterion on a small MLP built by the study's own constructor (ReLU, nonzero biases)."""
    model = with_random_biases(as_float64(build_model("Mlp2Layer64Unit", 5, torch.Generator().manual_seed(0))))
    x = np.random.default_rng(4).uniform(0, 1, (4, 200, 8))
    flat = model_input(MODELS["Mlp2Layer64Unit"], x, torch.float64)
    classes = np.array([0, 4, 2, 1])
    relevance = lrp(model, flat, torch.as_tensor(classes), "epsilon")
    expected = reference_lrp(model, flat.numpy(), classes, "epsilon")
    np.testing.assert_allclose(relevance, expected, rtol=1e-6, atol=1e-6 * np.abs(expected).max())


def test_svm_epsilon_relevance_is_the_closed_form_and_sums_to_the_spec_value():
    rng = np.random.default_rng(2)
    layer = nn.Linear(1600, 6, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(rng.normal(0, 0.05, (6, 1600))))
        layer.bias.copy_(torch.as_tensor(rng.normal(0, 0.5, 6)))
    x = torch.as_tensor(rng.uniform(0, 1, (5, 1600)))
    classes = torch.tensor([0, 5, 2, 2, 3])
    relevance = lrp(nn.Sequential(layer), x, classes, "epsilon")
    w = layer.weight.detach().numpy()[classes]
    b = layer.bias.detach().numpy()[classes]
    f = (x.numpy() * w).sum(1) + b
    closed = x.numpy() * w * (f / (f + EPSILON * sign(f)))[:, None]
    np.testing.assert_allclose(relevance, closed, rtol=1e-12)
    np.testing.assert_allclose(relevance.sum(1), (f - b) * f / (f + EPSILON * sign(f)), rtol=1e-10)


CONSERVATIVE = [
    (model, rule)
    for model in ("Mlp3Layer64Unit", "Mlp2Layer64Unit_Tanh", "Cnn1DC8")
    for rule in ("epsilon", "epsilon_zb", "epsilon_flat")
    if rule in rules_for(build_model(model, 2))
]


@pytest.mark.parametrize("model_name, rule", CONSERVATIVE)
def test_relevance_conserves_the_logit_without_biases(model_name, rule):
    """Without biases, ε leaks only about ε/|z| per neuron and zB/flat are conservative: Σ R = z_c (1e-3)."""
    spec = MODELS[model_name]
    model = as_float64(build_model(spec, 6, torch.Generator().manual_seed(5)))
    x = model_input(spec, np.random.default_rng(5).uniform(0, 1, (8, 200, 8)), torch.float64)
    with torch.no_grad():
        logits = model(x)
    predicted = logits.argmax(1)
    low = x.min(0, keepdim=True).values.numpy() - 0.1
    high = x.max(0, keepdim=True).values.numpy() + 0.1
    relevance = lrp(model, x, predicted, rule, low, high)
    explained = logits[torch.arange(8), predicted].numpy()
    np.testing.assert_allclose(relevance.reshape(8, -1).sum(1), explained, rtol=1e-3)


def test_staged_batched_relevance_equals_one_full_composite_per_cycle(models):
    """relevance_maps (upper layers once per upper rule, batches, stacked class choices) = zennit's composite of
    the configuration applied to one cycle at a time."""
    from neuromotor.explain.lrp import composite
    from neuromotor.explain.zennit_import import load_zennit

    load_zennit()
    from zennit.attribution import Gradient

    model = models["cnn"]
    x = torch.as_tensor(inputs_for("cnn", n=7))
    low, high = x.min(0, keepdim=True).values.numpy() - 0.1, x.max(0, keepdim=True).values.numpy() + 0.1
    classes = {"act": torch.tensor([0, 1, 2, 3, 0, 1, 2]), "dom": torch.tensor([3, 3, 1, 0, 2, 2, 1])}
    together = relevance_maps(model, x, classes, CONV_RULES, low, high, batch_size=3)
    for rule in CONV_RULES:
        for target, chosen in classes.items():
            for i in range(7):
                with Gradient(model=model, composite=composite(rule, low, high)) as attributor:
                    _, expected = attributor(x[i : i + 1].clone(),
                                             lambda z, c=int(chosen[i]): z * torch.eye(4, dtype=z.dtype)[c])
                np.testing.assert_allclose(together[(target, rule)][i], expected[0].detach().numpy(), rtol=1e-10,
                                           atol=1e-14, err_msg=f"{rule} {target} {i}")


def test_zb_requires_bounds_and_keys_follow_the_original_names(models):
    with pytest.raises(ValueError, match="zB bounds"):
        lrp(models["mlp_relu"], torch.as_tensor(inputs_for("mlp_relu")), torch.zeros(6, dtype=torch.long),
            "epsilon_zb")
    assert relevance_key("act", "composite_alpha2_zB") == "R_pred_act_composite_alpha2_zB"
    assert len(CONV_RULES) * 2 == 18 and len(DENSE_RULES) * 2 == 4
