"""The EEG models (parameter counts and shapes of the spec), their fast convolutions, BatchNorm freezing and LOSO
training with both evaluation protocols."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from neuromotor.eeg.batchnorm import FrozenBatchNorm2d, batch_statistics, batchnorm_names, freeze
from neuromotor.eeg.models import (
    PARAMETER_COUNTS,
    ChannelConv2d,
    EEGNet,
    InterpretableCNN,
    TimeConv2d,
    build_model,
    count_parameters,
    correlation_moments,
)
from neuromotor.eeg.synthetic import PlantedEffect, synthetic_eeg
from neuromotor.eeg.train import TrainSettings, as_input, log_probabilities, train_loso


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def batch(n=12, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return 10 * torch.randn(n, 1, 30, 384, generator=generator, dtype=torch.float64)


def trained_looking(name, seed=0):
    """A model with non-trivial BatchNorm affine parameters (fresh ones are 1 and 0)."""
    torch.manual_seed(seed)
    model = build_model(name)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.5, 0.5)
    return model


@pytest.mark.parametrize("name, count", [("interpretable_cnn", 2706), ("eegnet", 1714)])
def test_parameter_counts_of_the_spec(name, count):
    assert count_parameters(build_model(name)) == count == PARAMETER_COUNTS[name]


def test_interpretable_cnn_shapes():
    model, x = build_model("interpretable_cnn"), batch(3)
    hidden = model.depthwise(model.pointwise(x))
    assert model.pointwise(x).shape == (3, 16, 1, 384) and hidden.shape == (3, 32, 1, 321)
    assert model.GAP(hidden).shape == (3, 32, 1, 1) and model(x).shape == (3, 2)


def test_eegnet_shapes():
    model, x = build_model("eegnet"), batch(3)
    first = model.conv1(x)
    assert first.shape == (3, 8, 30, 385)
    second = model.depthwise(model.batchnorm1(first))
    assert second.shape == (3, 16, 1, 385)
    pooled = model.pooling1(model.activ1(model.batchnorm2(second)))
    assert pooled.shape[-1] == 96
    separable = model.separable(pooled)
    assert separable.shape[-1] == 97 and model.pooling2(separable).flatten(1).shape == (3, 192)
    assert model(x).shape == (3, 2)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (TimeConv2d(1, 8, (1, 64), padding=(0, 32), bias=False), (5, 1, 30, 384)),
        (TimeConv2d(16, 32, (1, 64), groups=16), (5, 16, 1, 384)),
        (TimeConv2d(16, 16, (1, 16), padding=(0, 8), groups=16, bias=False), (5, 16, 1, 96)),
        (ChannelConv2d(1, 16, (30, 1)), (5, 1, 30, 384)),
        (ChannelConv2d(8, 16, (30, 1), groups=8, bias=False), (5, 8, 30, 385)),
    ],
)
def test_fast_convolutions_equal_torch_conv2d(layer, shape):
    layer = layer.double()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    reference = F.conv2d(x, layer.weight, layer.bias, padding=layer.padding, groups=layer.groups)
    fast = layer(x)
    torch.testing.assert_close(fast, reference, rtol=0, atol=1e-12)
    (grad_fast,) = torch.autograd.grad(fast.sum(), x)
    (grad_reference,) = torch.autograd.grad(reference.sum(), x)
    torch.testing.assert_close(grad_fast, grad_reference, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["interpretable_cnn", "eegnet"])
def test_probabilities_sum_to_one(name):
    model = build_model(name).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(batch()).exp().sum(1), torch.ones(12, dtype=torch.float64))


@pytest.mark.parametrize("name", ["interpretable_cnn", "eegnet"])
def test_frozen_model_reproduces_batch_statistics_and_is_sample_independent(name):
    model, x = trained_looking(name).eval(), batch(20)
    with torch.no_grad():
        reference = model(x)  # eval mode: BatchNorms still use this batch's statistics
        frozen = freeze(model, batch_statistics(model, x, batch_size=7))
        assert all(isinstance(frozen.get_submodule(n), FrozenBatchNorm2d) for n in batchnorm_names(model))
        torch.testing.assert_close(frozen(x), reference, rtol=0, atol=1e-10)
        single = torch.cat([frozen(x[i : i + 1]) for i in range(len(x))])
        torch.testing.assert_close(single, reference, rtol=0, atol=1e-10)
        assert not torch.allclose(model(x[:5]), reference[:5], atol=1e-6)  # unfrozen: depends on the batch


@pytest.mark.parametrize("kernel, padding, length", [(64, 32, 384), (16, 8, 96), (5, 0, 40)])
def test_correlation_moments_equal_brute_force(kernel, padding, length):
    rows = 10 * torch.randn(13, length, dtype=torch.float64) + 3
    count, sums, second = correlation_moments(rows, kernel, padding)
    windows = F.pad(rows, (padding, padding)).unfold(1, kernel, 1).reshape(-1, kernel)
    assert count == windows.shape[0]
    torch.testing.assert_close(sums, windows.sum(0), rtol=1e-12, atol=1e-9)
    torch.testing.assert_close(second, windows.T @ windows, rtol=1e-12, atol=1e-8)


@pytest.mark.parametrize("mode", ["train", "frozen"])
def test_eegnet_spatial_first_input_block_equals_the_modules_in_order(mode):
    model, x = trained_looking("eegnet", seed=3), batch(6).requires_grad_(True)
    if mode == "frozen":
        model = freeze(model.eval(), batch_statistics(model, x.detach()))
    else:
        model.train()
    fast = model.input_block(x)
    reference = model.depthwise(model.batchnorm1(model.conv1(x)))  # torch's own BatchNorm on conv1's output
    torch.testing.assert_close(fast, reference, rtol=0, atol=1e-10)
    used = (model.conv1, model.batchnorm1, model.depthwise)
    inputs = [x] + [p for module in used for p in module.parameters() if p.requires_grad]
    for a, b in zip(
        torch.autograd.grad(fast.square().sum(), inputs), torch.autograd.grad(reference.square().sum(), inputs)
    ):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


def test_batch_statistics_are_biased_std_with_eps():
    model, x = trained_looking("interpretable_cnn").eval(), batch(9)
    with torch.no_grad():
        inputs = model.activ(model.depthwise(model.pointwise(x)))
    mean, std = batch_statistics(model, x, batch_size=4)["batchnorm"]
    torch.testing.assert_close(mean, inputs.mean((0, 2, 3)), rtol=0, atol=1e-12)
    expected = torch.sqrt(inputs.var((0, 2, 3), unbiased=False) + 1e-5)
    torch.testing.assert_close(std, expected, rtol=1e-12, atol=0)


def test_freeze_needs_statistics_of_every_layer():
    with pytest.raises(ValueError, match="no statistics"):
        freeze(build_model("eegnet"), {})


@pytest.fixture(scope="module")
def separable_data():
    effect = PlantedEffect(amplitude_uv=40.0)
    return synthetic_eeg([40, 40, 20], effect, seed=1)


def split(dataset, subject):
    train, test = dataset.without_subject(subject), dataset.of_subject(subject)
    return (as_input(train.data), torch.as_tensor(train.state), as_input(test.data), torch.as_tensor(test.state))


@pytest.mark.parametrize("bn_eval", ["batch", "train_stats"])
def test_loso_training_learns_and_labels_both_protocols(separable_data, bn_eval):
    x_train, y_train, x_test, y_test = split(separable_data, 3)
    settings = TrainSettings(epochs=5, batch_size=10, lr=5e-3, bn_eval=bn_eval)
    result = train_loso("interpretable_cnn", x_train, y_train, x_test, y_test, settings, seed=4, subject=3)
    accuracies = [row["test_accuracy"] for row in result.history]
    assert [row["epoch"] for row in result.history] == list(range(1, 6))
    assert result.epochs["honest"] == 5 and accuracies[result.epochs["best_test_epoch"] - 1] == max(accuracies)
    assert result.history[-1]["train_accuracy"] > 0.85 and max(accuracies) >= 0.85
    model = build_model("interpretable_cnn")
    model.load_state_dict(result.states["honest"])
    statistics = batch_statistics(model, x_test if bn_eval == "batch" else x_train)
    final = (log_probabilities(model, x_test, statistics).argmax(1) == y_test).double().mean().item()
    assert final == pytest.approx(accuracies[-1])
    again = train_loso("interpretable_cnn", x_train, y_train, x_test, y_test, settings, seed=4, subject=3)
    assert [row["test_accuracy"] for row in again.history] == accuracies  # seeded, deterministic


def test_models_are_seeded_by_model_and_subject(separable_data):
    x_train, y_train, x_test, y_test = split(separable_data, 3)
    settings = TrainSettings(epochs=1, batch_size=20)
    one = train_loso("eegnet", x_train, y_train, x_test, y_test, settings, seed=4, subject=3)
    two = train_loso("eegnet", x_train, y_train, x_test, y_test, settings, seed=4, subject=2)
    assert not torch.equal(one.states["honest"]["conv1.weight"], two.states["honest"]["conv1.weight"])
    assert isinstance(build_model("eegnet"), EEGNet) and isinstance(build_model("interpretable_cnn"), InterpretableCNN)
    with pytest.raises(ValueError, match="unknown EEG model"):
        build_model("resnet")
    assert np.isfinite(one.history[0]["train_loss"])
