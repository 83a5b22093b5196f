"""Signature extraction, subject-count subsets and the robustness statistics (Aeles et al. 2021, Methods and Results),
including recovery of the planted signatures of the synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neuromotor.emg import plan
from neuromotor.emg.folds import cv_classes
from neuromotor.emg.models import MODELS
from neuromotor.emg.robustness import (
    fisher_z,
    next_participant,
    paired_conditions,
    participant_pooled,
    pearson,
    pool_r,
    pool_z,
    rmse,
    versus_reference,
    within_configuration,
)
from neuromotor.emg.signatures import (
    activation_signature,
    mean_cycle,
    normalise_cycles,
    participant_signatures,
    peak_counts,
    recovery,
    signature_vector,
)
from neuromotor.emg.runs import experiment_folds, explain_fold, fit_fold
from neuromotor.emg.subsamples import draw_participants, subset_generator, subset_recording, target_signature
from neuromotor.emg.synthetic import SyntheticSettings, condition_data, planted_mask
from neuromotor.io.emg_mat import EmgRecording


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


# --- normalisation and the signature criterion --------------------------------------------------------------------


def test_normalisation_makes_every_cycle_peak_at_one_and_negatives_nan():
    rng = np.random.default_rng(0)
    relevance = rng.normal(0, 1, (5, 200, 8))
    relevance[3] = -np.abs(relevance[3])  # a cycle with no positive relevance at all
    normalised = normalise_cycles(relevance)
    assert np.all(np.isnan(normalised[relevance < 0]))
    for cycle in (0, 1, 2, 4):
        assert np.nanmax(normalised[cycle]) == 1.0 and np.nanmin(normalised[cycle]) >= 0
        np.testing.assert_allclose(normalised[cycle][relevance[cycle] >= 0],
                                   relevance[cycle][relevance[cycle] >= 0] / relevance[cycle].max())
    assert np.all(np.isnan(normalised[3]))


def test_signature_needs_the_threshold_in_every_cycle_and_lies_within_the_mean_above_it():
    normalised = np.full((3, 200, 8), 0.1)
    normalised[:, 10, 2] = [0.9, 0.5, 0.25]  # above 0.2 in all three cycles: in the signature
    normalised[:, 11, 2] = [0.9, 0.9, 0.15]  # one cycle below: not
    normalised[:, 12, 2] = [0.9, 0.9, np.nan]  # NaN counts as not above
    signature = activation_signature(normalised, 0.2)
    assert np.argwhere(signature).tolist() == [[10, 2]]
    rng = np.random.default_rng(1)
    noisy = normalise_cycles(rng.uniform(-0.5, 1, (200, 8)) + 0.2 * rng.normal(size=(30, 200, 8)))
    signature = activation_signature(noisy)
    assert 0 < signature.sum() < (mean_cycle(noisy) > 0.2).sum()
    assert np.all(mean_cycle(noisy)[signature] > 0.2)  # the signature lies within {mean cycle > threshold}


def test_signature_vectors_are_muscle_major_and_peaks_are_counted_per_muscle():
    mean = np.zeros((200, 8))
    mean[5, 1] = np.nan
    mean[7, 1] = 0.7
    vector = signature_vector(mean)
    assert vector.shape == (1600,) and vector[1 * 200 + 7] == 0.7 and vector[1 * 200 + 5] == 0
    mean = np.zeros((200, 8))
    mean[[30, 90, 150], 4] = [0.5, 0.1, 0.3]
    assert peak_counts(mean).tolist() == [0, 0, 0, 0, 2, 0, 0, 0]


def test_recovery_scores():
    planted = np.zeros((200, 8), bool)
    planted[0:20, 0] = True
    signature = np.zeros((200, 8), bool)
    signature[10:30, 0] = True
    found = recovery(signature, planted)
    assert found == {"recall": 0.5, "precision": 0.5, "chance": 20 / 1600, "enrichment": 0.5 / (20 / 1600)}


@pytest.fixture(scope="module")
def synthetic():
    settings = SyntheticSettings(participants=12)
    features, target = condition_data(5, "pedalling_150W_day1", settings)
    return EmgRecording(features, target, path="synthetic"), settings


def test_planted_signatures_are_recovered_far_above_chance(synthetic):
    """The whole procedure on synthetic data: 10-fold CV of SvmLinearL2C1em2, ε-LRP of the true class, signatures;
    every participant's signature points fall into its planted regions many times more often than chance."""
    recording, settings = synthetic
    spec = MODELS["SvmLinearL2C1em2"]
    folds, participants, _ = experiment_folds(plan.experiment("pedalling_150W_baseline_day1"), recording,
                                              recording, 1234, False)
    relevance, owner, correct = [], [], []
    for fold in folds:
        model, _ = fit_fold(spec, fold, len(participants), None, 0, torch.device("cpu"))
        out = explain_fold(spec, model, fold, torch.device("cpu"))
        assert sorted(k for k in out if k.startswith("R_pred")) == sorted(
            f"R_pred_{t}_{r}" for t in ("act", "dom") for r in ("epsilon", "epsilon_zb"))
        assert out["R_pred_act_epsilon"].shape == (36, 200, 8)
        relevance.append(out["R_pred_act_epsilon"])
        owner.append(participants[fold.y_test])
        correct.append(out["acc"])
    assert np.mean(correct) > 0.9
    result = participant_signatures(np.concatenate(relevance), np.concatenate(owner), participants)
    assert result["n_cycles"].tolist() == [30] * 12
    scores = [recovery(result["signature"][i], planted_mask(5, int(p), settings)) for i, p in enumerate(participants)]
    enrichment = np.array([s["enrichment"] for s in scores])
    recall = np.array([s["recall"] for s in scores])
    assert np.all(enrichment > 3), enrichment  # chance: 1
    assert np.mean(enrichment) > 8 and np.mean(recall) > 0.3


# --- subsets -----------------------------------------------------------------------------------------------------


def test_subsets_are_reproducible_hold_the_target_and_n_participants(synthetic):
    recording, _ = synthetic
    participants = recording.participants
    chosen = draw_participants(participants, 7, 5, subset_generator(1, 1, 7, 5, 2))
    again = draw_participants(participants, 7, 5, subset_generator(1, 1, 7, 5, 2))
    other = draw_participants(participants, 7, 5, subset_generator(1, 1, 7, 5, 3))
    np.testing.assert_array_equal(chosen, again)
    assert 7 in chosen and len(chosen) == 5 and len(set(chosen)) == 5
    assert not np.array_equal(chosen, other)
    subset = subset_recording(recording, 7, chosen)
    assert subset.n_cycles == 5 * 30 and subset.target.shape[1] == 12  # all columns kept
    classes = cv_classes(subset)
    assert np.sum(classes.label == 0) == 30  # the target is class 0 after the column swap
    rows = np.flatnonzero(np.isin(recording.column + 1, chosen))
    np.testing.assert_array_equal(subset.features, recording.features[rows])  # original row order
    np.testing.assert_array_equal(subset.features[classes.label == 0], recording.features[recording.column == 6])
    everyone = [draw_participants(participants, 3, 12, subset_generator(1, 1, 3, 12, s)) for s in (1, 2)]
    np.testing.assert_array_equal(everyone[0], everyone[1])
    with pytest.raises(ValueError, match="subset size 13"):
        draw_participants(participants, 3, 13, subset_generator(1, 1, 3, 13, 1))


def test_subset_signature_approaches_the_baseline_and_beats_the_control(synthetic):
    recording, _ = synthetic
    participants = recording.participants[:6]  # a 6-participant study keeps the test fast
    full = {k: target_signature(subset_recording(recording, k, participants)) for k in (2, 3)}
    small = target_signature(subset_recording(recording, 2, draw_participants(participants, 2, 3,
                                                                                subset_generator(0, 1, 2, 3, 1))))
    assert full[2].target_detected == 1.0 and small.mean.shape == (200, 8)
    own = pearson(signature_vector(small.mean), signature_vector(full[2].mean))
    control = pearson(signature_vector(small.mean), signature_vector(full[3].mean))
    assert own > 0.6 and own > control + 0.4


def test_fitting_only_the_targets_classifier_gives_the_signature_of_the_full_fit(synthetic):
    recording, _ = synthetic
    subset = subset_recording(recording, 4, np.array([1, 4, 6, 9]))
    target_only = target_signature(subset, fit="target")
    every_class = target_signature(subset, fit="all")
    a, b = signature_vector(target_only.mean), signature_vector(every_class.mean)
    np.testing.assert_allclose(a, b, rtol=0, atol=5e-3)  # near-zero relevance may flip sign (NaN) at solver tolerance
    assert pearson(a, b) > 0.99999
    assert np.isnan(target_only.accuracy) and 0.9 <= every_class.accuracy <= 1
    assert target_only.target_detected == every_class.target_detected == 1.0


# --- statistics ---------------------------------------------------------------------------------------------------


def test_pearson_rmse_and_fisher_pooling():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert pearson(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert np.isnan(pearson(a, np.ones(50)))
    assert rmse([1, 2, np.nan], [1, 4, 3]) == pytest.approx(np.sqrt(2.0))
    assert np.isnan(fisher_z([1.0, -1.0])).all()
    r = np.array([0.2, 0.5, 0.7, 0.9, 1.0])
    pooled = pool_r(r)
    z = np.arctanh(r[:4])
    half = 1.959963984540054 * z.std(ddof=1) / 2
    assert pooled.n == 4
    assert pooled.r == pytest.approx(np.tanh(z.mean()))
    assert (pooled.ci_low, pooled.ci_high) == pytest.approx((np.tanh(z.mean() - half), np.tanh(z.mean() + half)))
    wide = pool_z(np.array([-3.0, 3.0, 0.0]))
    assert -1 <= wide.ci_low < wide.r < wide.ci_high <= 1
    assert np.isnan(pool_r(np.array([1.0])).r)


def test_reference_comparisons_within_configuration_and_conditions():
    rng = np.random.default_rng(4)
    reference = rng.uniform(0, 1, (4, 30))
    signatures = reference[:, None, :] + 0.05 * rng.normal(size=(4, 3, 30))
    r, e = versus_reference(signatures, reference)
    assert r.shape == (4, 3) and np.all(r > 0.9) and np.all(e < 0.1)
    control, _ = versus_reference(signatures, next_participant(reference))
    assert participant_pooled(control).r < participant_pooled(r).r
    np.testing.assert_array_equal(next_participant(np.arange(4)), [1, 2, 3, 0])
    pooled, error = within_configuration(signatures)
    assert pooled.n == 4 and pooled.r > 0.9 and error < 0.1
    identical = np.repeat(reference[:, None, :], 2, axis=1)
    assert within_configuration(identical)[0].n == 0  # r = 1 everywhere: z infinite, treated as NaN
    stats = paired_conditions(reference, reference + 0.01 * rng.normal(size=(4, 30)))
    assert stats["n"] == 4 and stats["r"] > 0.99 and stats["rmse_mean"] < 0.02
