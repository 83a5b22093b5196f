"""The class-activation map traced to the input and the relative band power of one EEG sample (the sibling
``VisTechnique.py`` of Cui et al. 2023), with planted effects; their figures, stage and plan."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuromotor.eeg import plan
from neuromotor.eeg.batchnorm import freeze
from neuromotor.eeg.models import InterpretableCNN
from neuromotor.eeg.report import band_power_sample
from neuromotor.eeg.vis_technique import (
    BANDS,
    CamPositions,
    cam_activations,
    cam_map,
    cam_positions,
    gaussian_map,
    relative_band_power,
    trace_to_input,
)
from neuromotor.errors import DataFormatError
from neuromotor.io.eeg_mat import CHANNELS, eeg_info, write_eeg_mat
from neuromotor.io.tables import read_tsv
from neuromotor.plots.eeg import plot_band_power, plot_cam

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py

SFREQ = 128.0
TIME = np.arange(384) / SFREQ


def noise(seed=0, sd=1.0):
    return sd * np.random.default_rng(seed).normal(size=(30, 384))


# ---------------------------------------------------------------------------------------------------------------
# band power


def test_planted_alpha_and_theta_give_the_highest_relative_power_on_their_channels():
    x = noise()
    alpha, theta = [3, 17, 28], [8, 22]
    x[alpha] += 6 * np.sin(2 * np.pi * 10.0 * TIME + 0.3)
    x[theta] += 6 * np.sin(2 * np.pi * 6.0 * TIME)
    power = relative_band_power(x)
    assert power.shape == (4, 30)
    names = list(BANDS)
    assert set(np.argsort(-power[names.index("alpha")])[:3]) == set(alpha)
    assert set(np.argsort(-power[names.index("theta")])[:2]) == set(theta)
    assert power[names.index("alpha"), alpha].min() > 0.6  # most of their power; white noise puts ~4/64 there
    others = np.setdiff1d(np.arange(30), alpha + theta)
    assert power[names.index("alpha"), others].max() < 0.2
    assert np.all(power >= 0) and np.all(power.sum(0) <= 1 + 1e-9)  # bands cover 1–30 Hz of 0–64 Hz


def test_band_power_of_a_flat_channel_is_zero_and_bad_input_is_refused():
    x = noise(1)
    x[4] = 0.0
    power = relative_band_power(x)
    assert np.all(power[:, 4] == 0) and np.all(power[:, 5] > 0)
    x[7, 100] = np.nan
    with pytest.raises(ValueError, match=r"relative_band_power: x must be finite, found nan at index \(7, 100\)"):
        relative_band_power(x)
    with pytest.raises(ValueError, match="relative_band_power: x must have 2 dimensions, got shape \\(384,\\)"):
        relative_band_power(np.zeros(384))
    with pytest.raises(ValueError, match="relative_band_power: x must have 2 dimensions"):
        relative_band_power(np.zeros((1, 30, 384)))
    with pytest.raises(ValueError, match="band 'gamma' must satisfy"):
        relative_band_power(noise(), bands={"gamma": (30.0, 80.0)})


# ---------------------------------------------------------------------------------------------------------------
# class-activation map


def bump(center: int, width: int = 40) -> np.ndarray:
    """A positive Hann bump of ``width`` points centred at ``center`` (length 384)."""
    out = np.zeros(384)
    out[center - width // 2 : center + width // 2] = np.hanning(width)
    return out


def planted_model(seed=0) -> InterpretableCNN:
    """An InterpretableCNN whose pointwise filter 0 reads channel 5 and filter 1 channel 20 (the others small random
    mixtures), all depthwise kernels box filters, and whose classifier weighs feature maps 0–1 (from pointwise
    filter 0) for class 0 and 2–3 (from filter 1) for class 1; BatchNorm frozen to the identity."""
    generator = torch.Generator().manual_seed(seed)
    model = InterpretableCNN().double()
    with torch.no_grad():
        model.pointwise.weight.copy_(0.01 * torch.randn(16, 1, 30, 1, generator=generator, dtype=torch.float64))
        model.pointwise.weight[0, 0, 5, 0] = 1.0
        model.pointwise.weight[1, 0, 20, 0] = 1.0
        model.pointwise.bias.zero_()
        model.depthwise.weight.fill_(1 / 64)
        model.depthwise.bias.zero_()
        model.fc.weight.copy_(0.01 * torch.rand(2, 32, generator=generator, dtype=torch.float64))
        model.fc.weight[0, :2] = 1.0
        model.fc.weight[1, 2:4] = 1.0
    identity = (torch.zeros(32, dtype=torch.float64), torch.ones(32, dtype=torch.float64))
    return freeze(model, {"batchnorm": identity})


def planted_input(seed=0) -> np.ndarray:
    x = noise(seed, sd=0.05)
    x[5] += 10 * bump(100)
    x[20] += 10 * bump(280)
    return x


@pytest.mark.parametrize("state, channel, center", [(0, 5, 100), (1, 20, 280)])
def test_the_cam_map_peaks_at_the_burst_the_explained_class_weighs(state, channel, center):
    result = cam_map(planted_model(), planted_input(), state)
    heatmap = result.heatmap
    assert heatmap.shape == (30, 384)
    assert len(result.positions.filters) == 100 and set(result.positions.filters) <= {2 * state, 2 * state + 1}
    assert set(result.channels) == {channel}
    assert np.argmax(heatmap.mean(axis=1)) == channel
    assert abs(int(np.argmax(heatmap[channel])) - center) <= 8
    assert abs(heatmap.mean()) < 1e-12 and np.all(np.abs(heatmap) < np.sqrt(heatmap.size))


def test_cam_activations_are_the_ones_the_classifier_pools():
    model = planted_model()
    x = planted_input()
    pre, post = cam_activations(model, x)
    assert pre.shape == post.shape == (32, 321)
    weights, bias = model.fc.weight.numpy(), model.fc.bias.numpy()
    with torch.no_grad():
        logits = model.logits(torch.as_tensor(x)[None, None])[0].numpy()
    np.testing.assert_allclose(post.mean(1) @ weights.T + bias, logits, rtol=1e-12, atol=1e-12)


def test_positions_with_opposite_signs_before_and_after_batchnorm_are_not_traced():
    pre = np.array([[-1.0, 2.0, 3.0, 0.5]])
    post = np.array([[5.0, 4.0, 1.0, 0.1]])
    positions = cam_positions(pre, post, np.array([1.0]), top=3)
    assert positions.times.tolist() == [1, 2] and positions.values.tolist() == [4.0, 1.0]
    with pytest.raises(ValueError, match="cam_positions: top must be in"):
        cam_positions(pre, post, np.array([1.0]), top=5)
    with pytest.raises(ValueError, match="cam_positions: pre and post must have the same shape"):
        cam_positions(pre, post[:, :3], np.array([1.0]))


def test_tracing_follows_the_original_loop():
    """Channel p = argmax_c sign(pre[i, j]) · Σ_t x[c, j + t] k_i[t] · w[i // 2, c], time j + 32, position by
    position (the loop of ``VisTechnique.py``, eqs. 13–15)."""
    rng = np.random.default_rng(3)
    x, pointwise, depthwise = rng.normal(size=(30, 384)), rng.normal(size=(16, 30)), rng.normal(size=(32, 64))
    pre = rng.normal(size=(32, 321))
    positions = CamPositions(rng.integers(0, 32, 20), rng.integers(0, 321, 20), np.zeros(20))
    channels, times = trace_to_input(x, pre, positions, pointwise, depthwise)
    for k, (i, j) in enumerate(zip(positions.filters, positions.times)):
        contribution = np.sum(x[:, j : j + 64] * depthwise[i], axis=1) * pointwise[i // 2]
        assert channels[k] == np.argmax(contribution * np.sign(pre[i, j]))
        assert times[k] == j + 32


def test_gaussian_map_counts_each_traced_point_once_and_is_normalised():
    single = gaussian_map([1], [5], (3, 40), radius=4)
    assert np.array_equal(gaussian_map([1, 1], [5, 5], (3, 40), radius=4), single)
    assert np.unravel_index(np.argmax(single), single.shape) == (1, 5)
    raised = single > single.min()
    assert raised[1, 1:9].all() and raised.sum() == 8  # t ∈ [q − r, q + r)
    raw = np.zeros(40)
    raw[1:9] = np.exp(-((np.arange(1, 9) - 5) ** 2) / 32) / (4 * np.sqrt(2 * np.pi))
    rms = np.sqrt(np.sum(raw**2) / 120)  # over the whole (3, 40) map, before the mean is removed
    np.testing.assert_allclose(single[1], (raw - raw.sum() / 120) / rms)
    assert abs(single.mean()) < 1e-12
    edge = gaussian_map([0], [0], (2, 40), radius=4)
    assert (edge > edge.min()).sum() == 4  # truncated at the start
    assert not gaussian_map([], [], (3, 40)).any()
    with pytest.raises(ValueError, match="gaussian_map: traced points must lie in a \\(3, 40\\) map"):
        gaussian_map([3], [0], (3, 40))


def test_cam_map_refuses_bad_input():
    model = planted_model()
    x = planted_input()
    x[2, 7] = np.nan
    with pytest.raises(ValueError, match=r"cam_activations: x must be finite, found nan at index \(2, 7\)"):
        cam_map(model, x, 0)
    with pytest.raises(ValueError, match=r"cam_activations: x must have shape \(30, T\), got shape \(29, 384\)"):
        cam_map(model, np.zeros((29, 384)), 0)
    with pytest.raises(ValueError, match="cam_activations: x must have 2 dimensions"):
        cam_map(model, np.zeros((1, 30, 384)), 0)
    with pytest.raises(ValueError, match="cam_map: state must be a class index in \\[0, 2\\), got 2"):
        cam_map(model, planted_input(), 2)
    with pytest.raises(ValueError, match="freeze the model's BatchNorm first"):
        cam_map(InterpretableCNN().double(), planted_input(), 0)


# ---------------------------------------------------------------------------------------------------------------
# figures, stage, plan


def test_figures_are_written_and_check_their_arguments(tmp_path):
    info = eeg_info()
    result = cam_map(planted_model(), planted_input(), 0)
    plot_cam(tmp_path / "cam.png", planted_input(), result.heatmap, info, "title")
    power = relative_band_power(planted_input())
    plot_band_power(tmp_path / "bands.png", power, info, list(BANDS), "title")
    assert (tmp_path / "cam.png").stat().st_size > 10_000 and (tmp_path / "bands.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="plot_cam: heatmap must have shape \\(30, T\\)"):
        plot_cam(tmp_path / "x.png", np.zeros((30, 384)), np.zeros((30, 383)), info, "t")
    with pytest.raises(ValueError, match="plot_cam: heatmap must be finite"):
        plot_cam(tmp_path / "x.png", np.zeros((30, 384)), np.full((30, 384), np.nan), info, "t")
    with pytest.raises(ValueError, match="plot_band_power: power must have shape \\(B, 30\\)"):
        plot_band_power(tmp_path / "x.png", np.zeros((4, 29)), info, list(BANDS), "t")
    with pytest.raises(ValueError, match="plot_band_power: need 4 band labels"):
        plot_band_power(tmp_path / "x.png", power, info, ["a"], "t")
    with pytest.raises(ValueError, match="plot_band_power: power must be fractions in \\[0, 1\\]"):
        plot_band_power(tmp_path / "x.png", power + 1, info, list(BANDS), "t")
    assert not (tmp_path / "x.png").exists()


def test_band_power_stage_writes_the_sample_and_names_a_bad_index(tmp_path):
    data = noise(2)[None].repeat(3, axis=0) + np.arange(3)[:, None, None]
    data[1, [10, 11]] += 8 * np.sin(2 * np.pi * 10.0 * TIME)
    write_eeg_mat(tmp_path / "d.mat", data, np.array([0, 1, 0]), np.array([1, 1, 2]))
    out = {"figure": tmp_path / "f.png", "table": tmp_path / "t.tsv"}
    band_power_sample(str(tmp_path / "d.mat"), 1, 1, out)
    rows = read_tsv(out["table"])
    assert [r["channel"] for r in rows] == list(CHANNELS) and set(rows[0]) == {"channel", *BANDS}
    assert {r["channel"] for r in sorted(rows, key=lambda r: -r["alpha"])[:2]} == {CHANNELS[10], CHANNELS[11]}
    assert out["figure"].stat().st_size > 10_000
    with pytest.raises(DataFormatError, match="config key 'eeg.figures.samples': subject 2 of .* has 1 epochs"):
        band_power_sample(str(tmp_path / "d.mat"), 2, 1, out)


def test_plan_lists_the_cam_of_interpretable_cnn_samples_and_the_band_power_of_every_sample():
    eeg = {
        "figures": {
            "samples": [
                {"model": "interpretable_cnn", "subject": 1, "index": 98},
                {"model": "eegnet", "subject": 1, "index": 98},
                {"model": "eegnet", "subject": 3, "index": 2},
            ]
        }
    }
    assert plan.cam_paths(eeg) == [
        "results/eeg/figures/cam/interpretable_cnn_sub01_sample098.png",
        "results/eeg/cam/interpretable_cnn_sub01_sample098.tsv",
    ]
    assert plan.band_power_paths(eeg) == [
        "results/eeg/figures/band_power/sub01_sample098.png",
        "results/eeg/band_power/sub01_sample098.tsv",
        "results/eeg/figures/band_power/sub03_sample002.png",
        "results/eeg/band_power/sub03_sample002.tsv",
    ]
    targets = plan.target_paths(eeg)
    assert set(plan.cam_paths(eeg) + plan.band_power_paths(eeg)) <= set(targets)
    assert "results/eeg/figures/samples" in targets


def test_cam_map_matches_a_position_by_position_reference():
    """A trained-looking random model: the map equals the one computed position by position (CAM ≥ its 100th
    largest value, sign check, tracing, one Gaussian per distinct point, mean removed, divided by the RMS of the
    summed Gaussians)."""
    torch.manual_seed(4)
    model = InterpretableCNN().double()
    batch = 10 * torch.randn(8, 1, 30, 384, dtype=torch.float64)
    from neuromotor.eeg.batchnorm import batch_statistics

    frozen = freeze(model, batch_statistics(model, batch))
    x = batch[5, 0].numpy()
    state = 1
    pre, post = cam_activations(frozen, x)
    cam = post * frozen.fc.weight.numpy()[state][:, None]
    threshold = np.sort(cam, axis=None)[-100]
    pointwise = frozen.pointwise.weight.numpy()[:, 0, :, 0]
    depthwise = frozen.depthwise.weight.numpy()[:, 0, 0, :]
    marked = np.zeros((30, 384), dtype=bool)
    for i in range(32):
        for j in range(321):
            if cam[i, j] >= threshold and pre[i, j] * post[i, j] >= 0:
                contribution = np.sum(x[:, j : j + 64] * depthwise[i], axis=1) * pointwise[i // 2]
                marked[np.argmax(contribution * np.sign(pre[i, j])), j + 32] = True
    reference = np.zeros((30, 384))
    for p, q in zip(*np.nonzero(marked)):
        for t in range(max(0, q - 32), min(384, q + 32)):
            reference[p, t] += np.exp(-((t - q) ** 2) / (2 * 32**2)) / (32 * np.sqrt(2 * np.pi))
    reference = (reference - reference.mean()) / np.sqrt(np.mean(reference**2))
    np.testing.assert_allclose(cam_map(frozen, x, state).heatmap, reference, atol=1e-12)
