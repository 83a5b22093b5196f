"""PCRT network families: the spec's feature-map shapes and parameter counts, TF-SAME padding, layer norm, heads,
names, initialisation (Sandbrink et al. 2023, Methods)."""

import math

import numpy as np
import pytest
import torch

from neuromotor.convnets.models import (
    Architecture,
    ConvBlock,
    PCRTNetwork,
    build_network,
    configuration_name,
    model_name,
    network_config,
    output_steps,
    parameter_counts,
    parse_name,
    same_padding,
    target_indices,
)

S_7293 = "spatial_temporal_4_8-16-16-32_32-32-64-64_7293"
S_5272 = "spatial_temporal_4_8-16-16-32_64-64-64-64_5272"
ST_7272 = "spatiotemporal_4_8-8-32-64_7272"
LSTM_PAPER = "lstm_3_8-16-16_256"


def network(name: str, channels: int = 2, task: str = "art") -> PCRTNetwork:
    torch.manual_seed(0)
    return PCRTNetwork(parse_name(name).architecture, task, channels)


@pytest.mark.parametrize(
    "name, channels, original",
    [(S_7293, 2, 80_112), (S_5272, 1, 104_872), (S_7293, 1, 80_056), (ST_7272, 1, 116_424), (ST_7272, 2, 116_816)],
)
def test_parameter_counts_by_the_original_rule(name, channels, original):
    assert parameter_counts(network(name, channels))["original"] == original


def test_s7293_feature_maps_layer_norm_and_classifier_sizes():
    model = network(S_7293)
    # (channels, rows, time) = the spec's rows x time x channels
    assert model.feature_shapes == [
        (8, 13, 320), (16, 7, 320), (16, 4, 320), (32, 2, 320),
        (32, 2, 107), (32, 2, 36), (64, 2, 12), (64, 2, 4),
    ]  # fmt: skip
    assert sum(b.norm.weight.numel() + b.norm.bias.numel() for b in model.blocks) == 528
    assert model.head.in_features == 512
    assert sum(p.numel() for p in model.head.parameters()) == 10_260
    counts = parameter_counts(model)
    assert counts["total"] == 80_112 + 528 + 10_260
    x = torch.randn(3, 2, 25, 320)
    assert model(x).shape == (3, 20)
    outputs = model.layer_outputs(x)
    assert [tuple(o.shape[1:]) for o in outputs] == model.feature_shapes
    assert all((o >= 0).all() for o in outputs)  # after ReLU


def test_st7272_feature_maps_and_lstm_logits():
    model = network(ST_7272)
    assert model.feature_shapes == [(8, 13, 160), (8, 7, 80), (32, 4, 40), (64, 2, 20)]
    assert model.head.in_features == 2560
    lstm = network(LSTM_PAPER)
    x = torch.randn(2, 2, 25, 320)
    assert lstm(x).shape == (2, 20)
    layers = lstm.layer_outputs(x)
    assert [tuple(o.shape[1:]) for o in layers] == [(8, 25, 320), (16, 25, 320), (16, 25, 320), (256, 1, 320)]
    assert lstm.arch.depth == 4


def test_lstm_prediction_is_the_last_time_step():
    model = network("lstm_1_8_16_52").eval()
    x = torch.randn(2, 2, 25, 320)
    hidden = model.layer_outputs(x)[-1][:, :, 0, :]  # (B, units, T)
    assert torch.allclose(model(x), model.head(hidden[:, :, -1]), atol=1e-6)


@pytest.mark.parametrize(
    "size, kernel, stride", [(25, 7, 2), (320, 9, 3), (107, 9, 3), (13, 5, 1), (4, 3, 2), (2, 9, 1)]
)
def test_same_padding_is_tensorflows(size, kernel, stride):
    out, before, after = same_padding(size, kernel, stride)
    assert out == math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    assert (before, after) == (total // 2, total - total // 2)


def test_conv_block_matches_a_direct_same_convolution_and_layer_norm():
    torch.manual_seed(1)
    block = ConvBlock(2, 3, (1, 9), (1, 3), (5, 320), eps=1e-12)
    with torch.no_grad():
        block.norm.weight.copy_(torch.tensor([0.5, 1.5, 2.0]))
        block.norm.bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
    x = torch.randn(2, 2, 5, 320, dtype=torch.float64)
    block = block.double()
    # reference: explicit loops over output positions with TF's SAME convention (pad 3 before, 4 after)
    w = block.conv.weight.detach().numpy()
    xn = x.numpy()
    conv = np.zeros((2, 3, 5, 107))
    for o in range(107):
        for k in range(9):
            t = 3 * o - 3 + k
            if 0 <= t < 320:
                conv[:, :, :, o] += np.einsum("ci,bih->bch", w[:, :, 0, k], xn[:, :, :, t])
    mean = conv.mean(axis=(1, 2, 3), keepdims=True)
    var = conv.var(axis=(1, 2, 3), keepdims=True)
    gamma, beta = block.norm.weight.detach().numpy(), block.norm.bias.detach().numpy()
    expected = np.maximum((conv - mean) / np.sqrt(var + 1e-12) * gamma[:, None, None] + beta[:, None, None], 0)
    np.testing.assert_allclose(block(x).detach().numpy(), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("task, outputs", [("tdt", 3), ("tdt_pv", 6)])
def test_tdt_head_outputs_per_time_step(task, outputs):
    model = network(S_7293, task=task)
    assert model(torch.randn(2, 2, 25, 320)).shape == (2, 4, outputs)
    assert target_indices(model.output_steps) == [0, 106, 212, 318]
    assert output_steps(model.arch) == 4
    lstm = network("lstm_1_8_16_52", task=task)
    assert lstm(torch.randn(1, 2, 25, 320)).shape == (1, 320, outputs)
    assert target_indices(320) == list(range(320))


def test_tdt_head_at_a_time_step_reads_only_that_column():
    model = network("spatiotemporal_2_8-16_5252", task="tdt").eval()
    x = torch.randn(1, 2, 25, 320)
    last = model.layer_outputs(x)[-1]  # (1, C, S, T)
    changed = last.clone()
    changed[..., 5] += 1.0
    base = model.head(last.permute(0, 3, 2, 1).flatten(2))
    moved = model.head(changed.permute(0, 3, 2, 1).flatten(2))
    differs = (base - moved).abs().sum(dim=-1)[0]
    assert torch.allclose(model(x), base) and differs[5] > 0 and (differs[torch.arange(80) != 5] == 0).all()


@pytest.mark.parametrize(
    "name, family, depth",
    [
        (S_7293, "S", 8),
        (ST_7272, "ST", 4),
        ("temporal_spatial_2_8-16_32-64_3523", "TS", 4),
        ("lstm_3_8-16-16_256_51", "LSTM", 4),
    ],
)
def test_names_round_trip(name, family, depth):
    parsed = parse_name(name)
    assert parsed.architecture.family == family and parsed.architecture.depth == depth
    assert configuration_name(parsed.architecture) == name
    assert model_name(parsed.architecture, "art", 3) == name + "_3"
    assert model_name(parsed.architecture, "art", 3, untrained=True) == name + "_3r"
    twin = model_name(parsed.architecture, "tdt", 1)
    assert parse_name(twin).regression and parse_name(twin).seed == 1
    assert twin.split("_r_")[0] in ("spatial_temporal", "temporal_spatial", "spatiotemporal", "lstm")


def test_name_details():
    s = parse_name(S_7293).architecture
    assert (s.spatial_kernel, s.spatial_stride, s.temporal_kernel, s.temporal_stride) == (7, 2, 9, 3)
    assert s.spatial_channels == (8, 16, 16, 32) and s.temporal_channels == (32, 32, 64, 64)
    ts = parse_name("temporal_spatial_2_8-16_32-64_3523").architecture
    assert ts.temporal_channels == (8, 16) and ts.spatial_channels == (32, 64)  # temporal list first in T-S names
    assert model_name(s, "tdt") == "spatial_temporal_r_4_8-16-16-32_32-32-64-64_7293"
    paper_lstm = parse_name("lstm_3_8-16-16_256_2r")
    assert paper_lstm.architecture.spatial_kernel == 5 and paper_lstm.seed == 2 and paper_lstm.untrained
    for bad in ("lstm_3_8-16-16", "spatial_temporal_4_8_7293", "resnet_50", "spatiotemporal_4_8-8-32-64_7272_x"):
        with pytest.raises(ValueError, match="model name"):
            parse_name(bad)
    with pytest.raises(ValueError, match="single digit"):
        Architecture("S", 1, (8,), (8,), 11, 1, 3, 1)


def test_initialisation_glorot_uniform_zero_biases():
    model = network(S_7293)
    for block in model.blocks:
        weight = block.conv.weight
        fan_in, fan_out = weight.shape[1] * weight[0, 0].numel(), weight.shape[0] * weight[0, 0].numel()
        bound = math.sqrt(6 / (fan_in + fan_out))
        assert weight.abs().max() <= bound and weight.abs().max() > 0.8 * bound
        assert (block.norm.weight == 1).all() and (block.norm.bias == 0).all()
    assert (model.head.bias == 0).all()
    lstm = network("lstm_1_8_16_52")
    assert all((p == 0).all() for n, p in lstm.lstm.named_parameters() if n.startswith("bias"))
    bound = math.sqrt(6 / (16 + 13 * 8))  # one gate's input matrix (16 x 104)
    assert lstm.lstm.weight_ih_l0.abs().max() <= bound


def test_build_network_from_config_is_seeded_and_rejects_bad_configs():
    config = network_config(parse_name(S_7293).architecture, "art", "spindle_firing", seed=2)
    assert config["input_shape"] == [1, 25, 320] and config["name"] == S_7293 + "_2"
    torch.manual_seed(5)
    first = build_network(config)
    torch.manual_seed(5)
    second = build_network(config)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    from neuromotor.errors import ModelFileError

    with pytest.raises(ModelFileError, match="invalid"):
        build_network({**config, "architecture": {"family": "S"}})
    with pytest.raises(ValueError, match="input must have shape"):
        first(torch.randn(1, 2, 25, 320))
