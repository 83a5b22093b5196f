"""Perturbation test, post-processing and deletion test (Cui et al. 2023, Methods) against brute-force and
closed-form references."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuromotor.explain.perturbation import (
    PerturbationEffects,
    PostProcessing,
    deletion_test,
    draw_patches,
    patch_lengths,
    patch_relevance,
    pearson,
    perturbation_effects,
    perturbation_scores,
    postprocess,
    smooth_time,
    zscore,
)


def test_patch_lengths_of_the_spec():
    np.testing.assert_array_equal(patch_lengths(384), [38, 76, 116, 154, 192])


def test_patches_lie_inside_the_window_and_cover_all_channels():
    rng = np.random.default_rng(0)
    lengths = patch_lengths()
    channels, starts = draw_patches(rng, lengths, n_patches=2000)
    assert channels.shape == starts.shape == (5, 2000)
    assert channels.min() == 0 and channels.max() == 29
    assert starts.min() == 0 and np.all(starts + lengths[:, None] <= 384 - 1)  # start <= 384 - length - 1
    assert np.all(starts.max(axis=1) == 384 - lengths - 1)
    again = draw_patches(np.random.default_rng(0), lengths, n_patches=2000)
    np.testing.assert_array_equal(again[0], channels)


def test_patch_relevance_sums_the_heatmap_inside_each_patch():
    rng = np.random.default_rng(1)
    heatmaps = rng.normal(size=(3, 30, 384))
    lengths = patch_lengths()
    channels, starts = (np.stack(arrays) for arrays in zip(*(draw_patches(rng, lengths, 7) for _ in range(3))))
    fast = patch_relevance(heatmaps, channels, starts, lengths)
    for n in range(3):
        for level, length in enumerate(lengths):
            for p in range(7):
                c, s = channels[n, level, p], starts[n, level, p]
                assert fast[n, level, p] == pytest.approx(heatmaps[n, c, s : s + length].sum(), abs=1e-9)


class Linear(torch.nn.Module):
    """logits = <W_k, x>: zeroing part of x drops logit k by exactly the sum of W_k ⊙ x over that part."""

    def __init__(self, weight):
        super().__init__()
        self.weight = weight

    def forward(self, x):
        return torch.einsum("bct,kct->bk", x[:, 0], self.weight)


def test_perturbation_effects_equal_brute_force_and_linear_closed_form():
    rng = np.random.default_rng(2)
    weight = torch.as_tensor(rng.normal(size=(2, 30, 384)))
    model = Linear(weight)
    x = torch.as_tensor(rng.normal(size=(2, 1, 30, 384)))
    target = torch.tensor([1, 0])
    lengths = patch_lengths()
    channels, starts = (np.stack(a) for a in zip(*(draw_patches(rng, lengths, 9) for _ in range(2))))
    effects = perturbation_effects(model, x, target, channels, starts, lengths, batch_size=10)
    contribution = (weight[target] * x[:, 0]).numpy()  # the linear model's exact Grad × Input
    np.testing.assert_allclose(effects.reference, contribution.sum((1, 2)))
    np.testing.assert_allclose(effects.patch, patch_relevance(contribution, channels, starts, lengths), atol=1e-9)
    np.testing.assert_allclose(effects.channel, contribution.sum(2), atol=1e-9)
    # hence Grad × Input of a linear model is perfectly faithful: every correlation is 1
    patch_r, channel_r = perturbation_scores(contribution * 384, effects, channels, starts, lengths)
    np.testing.assert_allclose(patch_r, 1.0)
    np.testing.assert_allclose(channel_r, 1.0)
    # brute force for one patch
    n, level, p = 1, 3, 4
    c, s, length = channels[n, level, p], starts[n, level, p], lengths[level]
    perturbed = x[n : n + 1].clone()
    perturbed[0, 0, c, s : s + length] = 0
    drop = model(x[n : n + 1])[0, target[n]] - model(perturbed)[0, target[n]]
    assert effects.patch[n, level, p] == pytest.approx(float(drop))


def test_random_heatmaps_give_correlations_near_zero_on_average():
    rng = np.random.default_rng(3)
    weight = torch.as_tensor(rng.normal(size=(2, 30, 384)))
    x = torch.as_tensor(rng.normal(size=(20, 1, 30, 384)))
    target = torch.zeros(20, dtype=torch.long)
    lengths = patch_lengths()
    channels, starts = (np.stack(a) for a in zip(*(draw_patches(rng, lengths, 100) for _ in range(20))))
    effects = perturbation_effects(Linear(weight), x, target, channels, starts, lengths)
    patch_r, channel_r = perturbation_scores(rng.random((20, 30, 384)), effects, channels, starts, lengths)
    assert np.abs(patch_r.mean(0)).max() < 0.08 and abs(channel_r.mean()) < 0.15


def test_pearson_matches_numpy_and_is_nan_for_constants():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 50)), rng.normal(size=(3, 50))
    np.testing.assert_allclose(pearson(a, b), [np.corrcoef(a[i], b[i])[0, 1] for i in range(3)])
    assert np.isnan(pearson(np.ones(5), np.arange(5.0)))


def test_postprocessing_order_thresholds_floor_and_smoothing():
    rng = np.random.default_rng(5)
    heatmaps = rng.normal(size=(2, 30, 384)) ** 3
    smoothed, channel = postprocess(heatmaps, PostProcessing())
    c = heatmaps.mean(axis=2)
    expected_channel = (c - c.mean(1, keepdims=True)) / c.std(1, keepdims=True) - 1
    np.testing.assert_allclose(channel, expected_channel)
    z = (heatmaps - heatmaps.mean((1, 2), keepdims=True)) / heatmaps.std((1, 2), keepdims=True)
    shifted = np.maximum(z - 2, -1)
    assert shifted.min() >= -1
    for j in (0, 3, 100, 380, 383):  # window [max(0, j - 5), min(384, j + 5))
        window = shifted[..., max(0, j - 5) : min(384, j + 5)]
        np.testing.assert_allclose(smoothed[..., j], window.mean(-1))
    assert smoothed.min() >= -1


def test_smoothing_window_is_ten_points_in_the_interior():
    impulse = np.zeros(384)
    impulse[200] = 1.0
    smoothed = smooth_time(impulse, 5)
    np.testing.assert_allclose(smoothed[196:206], 0.1)  # j - 5 <= 200 < j + 5
    assert smoothed[195] == 0 and smoothed[206] == 0


def test_zscore_of_a_constant_is_zero():
    np.testing.assert_array_equal(zscore(np.ones((2, 3)), axes=(1,)), 0)


def test_deletion_test_deletes_what_the_maps_mark_and_reports_the_target_probability():
    rng = np.random.default_rng(6)
    x = torch.as_tensor(rng.normal(size=(3, 1, 30, 384)))
    weight = torch.as_tensor(rng.normal(size=(2, 30, 384))) * 0.01

    def log_probabilities(inputs):
        return torch.log_softmax(Linear(weight)(inputs), dim=1)

    smoothed = rng.uniform(-1, 1, size=(3, 30, 384)) - 0.8
    channel = rng.normal(size=(3, 30))
    target = torch.tensor([0, 1, 1])
    result = deletion_test(log_probabilities, x, target, smoothed, channel, batch_size=2)
    for n in range(3):
        kept = x[n : n + 1].clone()
        kept[0, 0][torch.as_tensor(smoothed[n] > -1)] = 0
        assert result.p_sample[n] == pytest.approx(float(log_probabilities(kept).exp()[0, target[n]]))
        kept = x[n : n + 1].clone()
        kept[0, 0, torch.as_tensor(channel[n] > 0)] = 0
        assert result.p_channel[n] == pytest.approx(float(log_probabilities(kept).exp()[0, target[n]]))
    np.testing.assert_allclose(result.fraction_deleted, (smoothed > -1).mean((1, 2)))
    np.testing.assert_array_equal(result.channel_mask, channel > 0)
    np.testing.assert_allclose(result.channel_fraction_deleted, (smoothed > -1).mean(2))


def test_perturbation_effects_container():
    effects = PerturbationEffects(np.zeros(1), np.zeros((1, 5, 3)), np.zeros((1, 30)))
    assert effects.patch.shape == (1, 5, 3)
