"""The seven attribution methods and the random control: closed forms on tiny models, identities of the spec on the
EEG models, cross-checks against independent implementations, and localisation of a planted effect."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from neuromotor.eeg.batchnorm import batch_statistics, freeze
from neuromotor.eeg.models import build_model
from neuromotor.eeg.synthetic import PlantedEffect, synthetic_eeg
from neuromotor.eeg.train import TrainSettings, as_input, train_loso
from neuromotor.explain.attribution import METHODS, attribute, random_heatmaps
from neuromotor.explain.zennit_import import load_zennit

load_zennit()
from zennit.attribution import Gradient  # noqa: E402
from zennit.composites import NameMapComposite  # noqa: E402
from zennit.core import Hook  # noqa: E402

HIGH = ("gradient_x_input", "deeplift", "integrated_gradients", "epsilon_lrp")
"""The methods the spec ranks high."""


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


# ---------------------------------------------------------------------------------------------------------------
# closed forms


class TinyLinear(nn.Module):
    """f(x) = W x + b on a (B, 1, 3, 4) input: every method has a closed form in W and x."""

    activation_names = ()

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.linear = nn.Linear(weight.shape[1], weight.shape[0]).double()
        with torch.no_grad():
            self.linear.weight.copy_(weight)
            self.linear.bias.copy_(bias)

    def forward(self, x):
        return self.linear(x.flatten(1))


def test_every_method_on_a_linear_model_equals_its_closed_form():
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(2, 12, generator=generator, dtype=torch.float64)
    model = TinyLinear(weight, torch.tensor([0.3, -0.2], dtype=torch.float64))
    x = torch.randn(5, 1, 3, 4, generator=generator, dtype=torch.float64)
    target = torch.tensor([0, 1, 1, 0, 1])
    w = weight[target].reshape(5, 1, 3, 4).numpy()
    expected = {
        "saliency": w,
        "gradient_x_input": w * x.numpy(),  # = w ⊙ x
        "deeplift": w * x.numpy(),
        "integrated_gradients": w * x.numpy(),  # zero baseline, constant gradient
        "epsilon_lrp": w * x.numpy(),
        "deconvolution": w,  # no activation to modify: the plain gradient
        "guided_backprop": w,
    }
    for method, closed_form in expected.items():
        np.testing.assert_allclose(
            attribute(model, x, target, method, batch_size=2), closed_form, rtol=1e-12, atol=1e-14, err_msg=method
        )


class TinyMLP(nn.Module):
    """log_softmax(W2 σ(W1 x + b1) + b2) with one activation module ``act``."""

    activation_names = ("act",)

    def __init__(self, activation: nn.Module, seed: int = 0):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.hidden = nn.Linear(12, 6).double()
        self.act = activation
        self.out = nn.Linear(6, 2).double()
        with torch.no_grad():
            for layer in (self.hidden, self.out):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator, dtype=torch.float64))
                layer.bias.copy_(torch.randn(layer.bias.shape, generator=generator, dtype=torch.float64))
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, x):
        return self.softmax(self.out(self.act(self.hidden(x.flatten(1)))))


def closed_forms(model: TinyMLP, x: np.ndarray, target: np.ndarray, elu: bool) -> dict[str, np.ndarray]:
    """Every method of the spec for TinyMLP, written out in numpy."""
    w1, b1 = model.hidden.weight.detach().numpy(), model.hidden.bias.detach().numpy()
    w2, b2 = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    act = (lambda z: np.where(z > 0, z, np.expm1(z))) if elu else (lambda z: np.maximum(z, 0))
    slope = (lambda z: np.where(z > 0, 1.0, np.exp(z))) if elu else (lambda z: (z > 0).astype(float))
    flat = x.reshape(len(x), -1)
    one_hot = np.eye(2)[target]

    def backward_to_hidden(z):  # δ_a = W2ᵀ (e_t − softmax(o))
        o = act(z) @ w2.T + b2
        p = np.exp(o - o.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        return (one_hot - p) @ w2

    z = flat @ w1.T + b1
    delta = backward_to_hidden(z)
    gradient = (slope(z) * delta) @ w1
    reference = act(b1)  # activation values at the baseline x = 0
    changed = np.abs(z - b1) > 1e-5
    multiplier = np.where(changed, (act(z) - reference) / np.where(changed, z - b1, 1), slope(z))
    epsilon = act(z) / (z + 1e-5 * np.where(z >= 0, 1.0, -1.0))
    path = [
        (slope(a * flat @ w1.T + b1) * backward_to_hidden(a * flat @ w1.T + b1)) @ w1 for a in np.linspace(0, 1, 100)
    ]
    forms = {
        "saliency": gradient,
        "gradient_x_input": gradient * flat,
        "deeplift": ((multiplier * delta) @ w1) * flat,
        "integrated_gradients": flat * np.mean(path, axis=0),
        "epsilon_lrp": ((epsilon * delta) @ w1) * flat,
        "deconvolution": np.maximum(delta, 0) @ w1,
        "guided_backprop": ((act(z) > 0) * np.maximum(delta, 0)) @ w1,
    }
    return {method: value.reshape(x.shape) for method, value in forms.items()}


@pytest.mark.parametrize("activation", [nn.ReLU(), nn.ELU()], ids=["relu", "elu"])
def test_every_method_on_a_one_hidden_layer_network_equals_its_closed_form(activation):
    model = TinyMLP(activation, seed=3)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(7, 1, 3, 4, generator=generator, dtype=torch.float64)
    with torch.no_grad():
        target = model(x).argmax(1)
    expected = closed_forms(model, x.numpy(), target.numpy(), elu=isinstance(activation, nn.ELU))
    for method, closed_form in expected.items():
        np.testing.assert_allclose(
            attribute(model, x, target, method, batch_size=3), closed_form, rtol=1e-9, atol=1e-12, err_msg=method
        )
    distinct = ("saliency", "deconvolution", "guided_backprop", "deeplift", "epsilon_lrp")
    for a in distinct:  # the closed forms differ, so the comparison can fail
        for b in distinct:
            if a < b and not (isinstance(activation, nn.ReLU) and {a, b} <= {"deeplift", "epsilon_lrp"}):
                assert not np.allclose(expected[a], expected[b]), (a, b)


def test_random_control_is_seeded_uniform_per_sample():
    one = random_heatmaps([5, 6], (30, 384))
    assert one.shape == (2, 30, 384) and one.min() >= 0 and one.max() < 1
    np.testing.assert_array_equal(random_heatmaps([6], (30, 384))[0], one[1])
    model = TinyLinear(torch.ones(2, 12, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    x, target = torch.ones(2, 1, 3, 4, dtype=torch.float64), torch.tensor([0, 1])
    heatmaps = attribute(model, x, target, "random", seeds=[5, 6])
    np.testing.assert_array_equal(heatmaps, random_heatmaps([5, 6], (1, 3, 4)))
    with pytest.raises(ValueError, match="one seed per sample"):
        attribute(model, x, target, "random")
    with pytest.raises(ValueError, match="unknown attribution method"):
        attribute(model, x, target, "occlusion")


# ---------------------------------------------------------------------------------------------------------------
# identities of the spec on the EEG models (frozen BatchNorm)


def frozen_model(name: str, x: torch.Tensor, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(name)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return freeze(model, batch_statistics(model, x))


@pytest.fixture(scope="module")
def eeg_batch():
    generator = torch.Generator().manual_seed(2)
    return 10 * torch.randn(6, 1, 30, 384, generator=generator, dtype=torch.float64)


@pytest.mark.parametrize("name", ["interpretable_cnn", "eegnet"])
def test_spec_identities_on_the_eeg_models(name, eeg_batch):
    x = eeg_batch
    model = frozen_model(name, x)
    with torch.no_grad():
        target = model(x).argmax(1)
    heatmaps = {m: attribute(model, x, target, m, batch_size=4) for m in METHODS if m != "random"}
    # Grad × Input = Saliency ⊙ x exactly
    np.testing.assert_array_equal(heatmaps["gradient_x_input"], heatmaps["saliency"] * x.numpy())
    scale = np.abs(heatmaps["gradient_x_input"]).max()
    difference = np.abs(heatmaps["epsilon_lrp"] - heatmaps["gradient_x_input"]).max()
    if name == "interpretable_cnn":  # ReLU: ε-LRP ≈ Grad × Input
        assert difference < 1e-2 * scale
    else:  # ELU: they differ
        assert difference > 1e-1 * scale
    # integrated gradients: completeness up to the 100-point discretisation
    with torch.no_grad():
        f_x = model(x).gather(1, target[:, None])[:, 0].numpy()
        f_0 = model(torch.zeros_like(x)).gather(1, target[:, None])[:, 0].numpy()
    sums = heatmaps["integrated_gradients"].sum(axis=(1, 2, 3))
    np.testing.assert_allclose(sums, f_x - f_0, rtol=0.05, atol=0.02 * np.abs(f_x - f_0).max())
    # deconvolution and guided backprop are not multiplied by the input
    assert not np.allclose(heatmaps["deconvolution"], heatmaps["guided_backprop"])


class RescaleHook(Hook):
    """An independent DeepLIFT Rescale rule as a zennit hook, to cross-check Captum's DeepLift."""

    def __init__(self, reference_in, reference_out, threshold=1e-5):
        super().__init__()
        self.reference_in, self.reference_out, self.threshold = reference_in, reference_out, threshold

    def copy(self):
        return RescaleHook(self.reference_in, self.reference_out, self.threshold)

    def forward(self, module, input, output):
        self.stored_tensors["io"] = (input[0].detach(), output.detach())

    def backward(self, module, grad_input, grad_output):
        a_in, a_out = self.stored_tensors["io"]
        delta_in, delta_out = a_in - self.reference_in, a_out - self.reference_out
        rescaled = delta_in.abs() > self.threshold
        ratio = delta_out / torch.where(rescaled, delta_in, torch.ones_like(delta_in))
        return (torch.where(rescaled, grad_output[0] * ratio, grad_input[0]),)


@pytest.mark.parametrize("name", ["interpretable_cnn", "eegnet"])
def test_deeplift_equals_an_independent_rescale_rule(name, eeg_batch):
    x = eeg_batch
    model = frozen_model(name, x, seed=1)
    with torch.no_grad():
        target = model(x).argmax(1)
    references = {}
    handles = [
        model.get_submodule(n).register_forward_hook(lambda m, i, o, n=n: references.__setitem__(n, (i[0], o)))
        for n in model.activation_names
    ]
    with torch.no_grad():
        model(torch.zeros_like(x[:1]))
    for handle in handles:
        handle.remove()
    composite = NameMapComposite([((n,), RescaleHook(*references[n])) for n in model.activation_names])
    inputs = x.clone().requires_grad_(True)
    with Gradient(model=model, composite=composite) as attributor:
        _, gradient = attributor(inputs, lambda out: torch.nn.functional.one_hot(target, 2).double())
    expected = (gradient * x).detach().numpy()
    np.testing.assert_allclose(attribute(model, x, target, "deeplift"), expected, rtol=1e-9, atol=1e-12)
    assert not np.allclose(expected, attribute(model, x, target, "gradient_x_input"), rtol=1e-3)


def test_guided_backprop_on_relu_equals_the_spec_rule_on_any_activation(eeg_batch):
    """zennit's ReLU rule (used for InterpretableCNN) against the explicit 1[a_out > 0] max(grad_out, 0) rule."""
    from neuromotor.explain.attribution import GuidedBackpropHook

    x = eeg_batch
    model = frozen_model("interpretable_cnn", x, seed=2)
    with torch.no_grad():
        target = model(x).argmax(1)
    composite = NameMapComposite([(("activ",), GuidedBackpropHook())])
    with Gradient(model=model, composite=composite) as attributor:
        _, gradient = attributor(
            x.clone().requires_grad_(True), lambda out: torch.nn.functional.one_hot(target, 2).double()
        )
    np.testing.assert_allclose(attribute(model, x, target, "guided_backprop"), gradient.numpy(), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------------------------------
# localisation of the planted effect


@pytest.fixture(scope="module")
def trained_on_synthetic():
    """InterpretableCNN trained on 2 synthetic subjects, tested on a third (strong planted effect)."""
    torch.set_num_threads(1)
    effect = PlantedEffect(amplitude_uv=40.0)
    dataset = synthetic_eeg([40, 40, 24], effect, seed=1)
    train, test = dataset.without_subject(3), dataset.of_subject(3)
    x_train, x_test = as_input(train.data), as_input(test.data)
    settings = TrainSettings(epochs=5, batch_size=10, lr=5e-3)
    result = train_loso(
        "interpretable_cnn",
        x_train,
        torch.as_tensor(train.state),
        x_test,
        torch.as_tensor(test.state),
        settings,
        seed=4,
        subject=3,
    )
    model = build_model("interpretable_cnn")
    model.load_state_dict(result.states["honest"])
    frozen = freeze(model, batch_statistics(model, x_test))
    with torch.no_grad():
        predicted = frozen(x_test).argmax(1)
    drowsy = (predicted == 1) & (torch.as_tensor(test.state) == 1)
    return frozen, x_test[drowsy], predicted[drowsy], effect


def planted_auc(channel_relevance: np.ndarray, planted: np.ndarray) -> float:
    """Mean over samples of the probability that a planted channel outranks a non-planted one (ROC AUC)."""
    inside = channel_relevance[:, planted]
    outside = np.delete(channel_relevance, planted, axis=1)
    return float((inside[:, :, None] > outside[:, None, :]).mean())


@pytest.mark.slow
def test_high_ranked_methods_localise_the_planted_channels_far_better_than_random(trained_on_synthetic):
    model, x, target, effect = trained_on_synthetic
    assert len(x) >= 8, "the model should recognise most drowsy test epochs"
    x, target = x[:10], target[:10]
    scores, shares = {}, {}
    for method in (*HIGH, "random"):
        heatmaps = attribute(model, x, target, method, seeds=list(range(len(x))))[:, 0]
        scores[method] = planted_auc(heatmaps.mean(axis=2), effect.channel_indices)
        magnitude = np.abs(heatmaps)
        shares[method] = float((magnitude[:, effect.mask()].sum(1) / magnitude.sum((1, 2))).mean())
    assert 0.3 < scores["random"] < 0.7 and abs(shares["random"] - effect.mask().mean()) < 0.01
    for method in HIGH:
        assert scores[method] > 0.9, (method, scores)
        assert scores[method] - scores["random"] > 0.3, (method, scores)
        assert shares[method] > 3 * shares["random"], (method, shares)
