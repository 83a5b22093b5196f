"""The 31 EMG models, their input orders, the SVM conversion, the splits and the training schedule
(Aeles et al. 2021, Methods)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.svm import LinearSVC
from torch import nn

from neuromotor.emg.folds import (
    cv_classes,
    cv_folds,
    cv_partition,
    equalize_population,
    transfer_classes,
    transfer_fold,
)
from neuromotor.emg.models import (
    MODELS,
    build_model,
    conv_lengths,
    model_input,
    parameter_count,
    step_divisors,
    svm_to_linear,
    to_time_muscle,
)
from neuromotor.emg.train import Schedule, fit_svm, l1_loss, parameter_groups, predictions, train_network
from neuromotor.errors import DataFormatError
from neuromotor.io.emg_mat import EmgRecording


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


# --- architectures ----------------------------------------------------------------------------------------------

PARAMETERS_78 = {
    "SvmLinearL2C1em2": 124_878, "MlpLinear": 124_878,
    "Mlp2Layer64Unit": 107_534, "Mlp2Layer128Unit": 214_990, "Mlp2Layer256Unit": 429_902,
    "Mlp2Layer512Unit": 859_726, "Mlp2Layer768Unit": 1_289_550,
    "Mlp3Layer64Unit": 111_694, "Mlp3Layer128Unit": 231_502, "Mlp3Layer256Unit": 495_694,
    "Mlp3Layer512Unit": 1_122_382, "Mlp3Layer768Unit": 1_880_142,
    "Cnn1DC3": 1_503_046, "Cnn1DC6": 1_005_718, "Cnn1DC8": 341_462,
}  # fmt: skip


def test_catalogue_holds_the_31_models_of_the_spec():
    families = [spec.family for spec in MODELS.values()]
    assert len(MODELS) == 31
    assert (families.count("svm"), families.count("linear"), families.count("mlp"), families.count("cnn")) == (
        7, 1, 20, 3)  # fmt: skip
    assert {spec.C for spec in MODELS.values() if spec.family == "svm"} == {10, 1, 0.1, 0.05, 0.01, 0.005, 0.001}
    assert MODELS["SvmLinearL2C1em2"].C == 0.01
    assert [name for name, spec in MODELS.items() if spec.softmax] == [
        name for name in MODELS if name.startswith(("Mlp2", "Mlp3", "Cnn"))
    ]


@pytest.mark.parametrize("name, expected", PARAMETERS_78.items())
def test_parameter_counts_for_78_participants(name, expected):
    assert parameter_count(build_model(name, 78)) == expected


def test_tanh_variants_have_the_same_size_and_use_tanh():
    model = build_model("Mlp3Layer128Unit_Tanh", 78)
    assert parameter_count(model) == 231_502
    assert sum(isinstance(m, nn.Tanh) for m in model) == 2 and not any(isinstance(m, nn.ReLU) for m in model)


def test_conv_lengths_and_flatten_sizes():
    assert conv_lengths(MODELS["Cnn1DC3"]) == [1598, 1596, 797, 398]
    assert conv_lengths(MODELS["Cnn1DC6"]) == [1595, 1590, 794, 263]
    assert conv_lengths(MODELS["Cnn1DC8"]) == [797, 264, 87]
    for name, flat in (("Cnn1DC3", 19_104), ("Cnn1DC6", 12_624), ("Cnn1DC8", 4_176)):
        model = build_model(name, 5)
        assert model[-1].in_features == flat
        assert model(torch.zeros(2, 1, 1600)).shape == (2, 5)


def test_input_orders_and_their_inverse():
    cycles = np.arange(2 * 200 * 8, dtype=float).reshape(2, 200, 8)
    dense = model_input(MODELS["MlpLinear"], cycles).numpy()
    conv = model_input(MODELS["Cnn1DC3"], cycles).numpy()
    t, c = 37, 5
    assert dense.shape == (2, 1600) and dense[1, t * 8 + c] == cycles[1, t, c]  # time-major
    assert conv.shape == (2, 1, 1600) and conv[1, 0, c * 200 + t] == cycles[1, t, c]  # muscle-major
    np.testing.assert_array_equal(to_time_muscle(MODELS["MlpLinear"], dense), cycles)
    np.testing.assert_array_equal(to_time_muscle(MODELS["Cnn1DC3"], conv), cycles)


def test_initialisation_is_the_original_one_and_seeded():
    model = build_model("Mlp2Layer768Unit", 78, torch.Generator().manual_seed(1))
    assert model[0].weight.std().item() == pytest.approx(1600**-0.5, rel=0.01)
    assert model[2].weight.std().item() == pytest.approx(768**-0.5, rel=0.02)
    assert all(float(m.bias.detach().abs().max()) == 0 for m in model if isinstance(m, nn.Linear))
    conv = build_model("Cnn1DC3", 3, torch.Generator().manual_seed(1))
    assert conv[2].weight.std().item() == pytest.approx((3 * 16) ** -0.5, rel=0.05)
    again = build_model("Mlp2Layer768Unit", 78, torch.Generator().manual_seed(1))
    assert torch.equal(model[0].weight, again[0].weight)


def test_step_divisors_follow_the_toolbox():
    divisors = step_divisors(build_model("Cnn1DC8", 78))
    assert divisors["0.weight"] == pytest.approx(np.sqrt(8 * 1 * 797))
    assert divisors["0.bias"] == pytest.approx(np.sqrt(797))
    assert divisors["4.weight"] == pytest.approx(np.sqrt(6 * 32 * 87))
    assert divisors["7.weight"] == pytest.approx(np.sqrt(4176)) and divisors["7.bias"] == pytest.approx(78**0.25)
    groups = parameter_groups(build_model("Mlp2Layer64Unit", 10), 0.005, "groups")
    assert [g["lr"] for g in groups] == pytest.approx([0.005 / 40, 0.005 / 64**0.25, 0.005 / 8, 0.005 / 10**0.25])
    assert parameter_groups(build_model("Mlp2Layer64Unit", 10), 0.005, "none")[0]["lr"] == 0.005


# --- SVM ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_classes", [2, 5])
def test_svm_conversion_equals_decision_function(n_classes):
    rng = np.random.default_rng(n_classes)
    x = rng.uniform(0, 1, (12 * n_classes, 1600))
    y = np.repeat(np.arange(n_classes), 12)
    x[np.arange(len(y)), y * 7] += 1.0
    classifier = LinearSVC(C=0.01, dual=True, tol=1e-4, max_iter=1000, random_state=0).fit(x, y)
    layer = svm_to_linear(classifier.coef_, classifier.intercept_, classifier.classes_, n_classes)
    scores = classifier.decision_function(x)
    if n_classes == 2:
        scores = np.stack([-scores, scores], axis=1)
    with torch.no_grad():
        np.testing.assert_allclose(layer(torch.as_tensor(x)).numpy(), scores, rtol=1e-7)
    assert layer.weight.dtype == torch.float64


def test_fit_svm_maps_classes_and_gives_absent_classes_the_all_negative_solution():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 2, 3], 10)  # class 1 has no training cycle (possible in transfer mode)
    x = rng.uniform(0, 1, (30, 1600)) + np.eye(4)[y].repeat(400, axis=1)
    layer = fit_svm(x, y, C=0.01, n_classes=4)
    assert layer.weight.shape == (4, 1600)
    assert float(layer.weight.detach()[1].abs().max()) == 0 and float(layer.bias.detach()[1]) == -1
    with torch.no_grad():
        assert (layer(torch.as_tensor(x)).argmax(1).numpy() == y).all()


# --- splits ------------------------------------------------------------------------------------------------------


def full_scale_labels(participants=78, cycles=30):
    return np.repeat(np.arange(participants), cycles)


def test_cv_splits_at_full_scale():
    label = full_scale_labels()
    partition = cv_partition(label)
    np.testing.assert_array_equal(partition.permutation, np.random.RandomState(1234).permutation(2340))
    assert [split.size for split in partition.splits] == [234] * 10
    permuted = label[partition.permutation]
    for split in partition.splits:
        assert np.all(np.bincount(permuted[split], minlength=78) == 3)
    all_test = np.sort(np.concatenate(partition.splits))
    np.testing.assert_array_equal(all_test, np.arange(2340))  # the test sets partition the data
    features = np.zeros((2340, 200, 8))
    folds = list(cv_folds(features, label, partition))
    assert [f.name for f in folds] == [f"fold{k}" for k in range(10)]
    assert all(len(f.y_train) == 1872 and len(f.y_test) == 234 and len(f.y_val) == 234 for f in folds)
    np.testing.assert_array_equal(folds[3].test_index, partition.splits[3])
    np.testing.assert_array_equal(folds[3].y_val, permuted[partition.splits[4]])
    np.testing.assert_array_equal(folds[9].y_val, permuted[partition.splits[0]])
    np.testing.assert_array_equal(folds[3].file_row, partition.permutation[partition.splits[3]])
    np.testing.assert_array_equal(cv_partition(label).splits[5], partition.splits[5])  # same for every model


def test_cv_split_errors_and_equalize_population():
    with pytest.raises(DataFormatError, match="class 1 has 9 cycles; CV needs at least 10"):
        cv_partition(np.repeat([0, 1], [30, 9]), source="file.mat")
    with pytest.raises(DataFormatError, match="unequal sizes"):
        cv_partition(np.repeat([0, 1], [30, 25]))
    label = np.repeat([0, 1, 2], [12, 10, 15])
    kept = equalize_population(label)
    assert np.all(np.bincount(label[kept]) == 10)
    np.testing.assert_array_equal(kept[:10], np.arange(10))


def test_cv_drops_empty_columns_and_transfer_keeps_them():
    target = np.zeros((40, 6), dtype=np.uint8)
    target[np.arange(40), np.repeat([1, 3, 4, 5], 10)] = 1
    recording = EmgRecording(np.zeros((40, 200, 8)), target)
    classes = cv_classes(recording)
    assert classes.participant.tolist() == [2, 4, 5, 6] and classes.label.tolist() == list(np.repeat(range(4), 10))
    day2 = EmgRecording(np.ones((20, 200, 8)), target[10:30])
    train, test = transfer_classes(recording, day2)
    assert train.n_classes == 6 and test.label.tolist() == list(np.repeat([3, 4], 10))
    fold = transfer_fold(recording, day2)
    assert fold.name == "part-0" and len(fold.y_train) == 40 and len(fold.y_test) == 20
    np.testing.assert_array_equal(fold.x_val, fold.x_train)
    with pytest.raises(DataFormatError, match="same columns"):
        transfer_classes(recording, EmgRecording(np.ones((4, 200, 8)), np.eye(4, dtype=np.uint8)))


# --- training ----------------------------------------------------------------------------------------------------


def separable_cycles(n_classes=4, per_class=10, seed=0):
    rng = np.random.default_rng(seed)
    label = np.repeat(np.arange(n_classes), per_class)
    x = rng.uniform(0, 0.3, (len(label), 200, 8))
    for c in range(n_classes):
        x[label == c, 20 * c : 20 * c + 30, c] += 0.7
    return x, label


@pytest.mark.parametrize("name", ["MlpLinear", "Mlp3Layer64Unit_Tanh", "Cnn1DC3", "Cnn1DC6", "Cnn1DC8"])
def test_every_network_family_trains_and_keeps_the_best_validation_state(name):
    spec = MODELS[name]
    x, y = separable_cycles()
    xv, yv = separable_cycles(seed=1)
    model = build_model(spec, 4, torch.Generator().manual_seed(0))
    before = l1_loss(predictions(spec, model, model_input(spec, xv)), torch.as_tensor(yv))
    schedule = Schedule(iterations=(40, 20), learning_rates=(0.05, 0.01), eval_every=10)
    history = train_network(spec, model, x, y, xv, yv, schedule, seed=3)
    after = l1_loss(predictions(spec, model, model_input(spec, xv)), torch.as_tensor(yv))
    assert [h["lr"] for h in history] == [0.05, 0.01]
    assert [e[0] for e in history[0]["evaluations"]] == [10, 20, 30, 40]
    assert after == pytest.approx(history[-1]["best_val_loss_l1"], rel=1e-5)  # the restored state is the best
    assert history[-1]["best_val_loss_l1"] == min(e[1] for e in history[-1]["evaluations"])
    assert after < before


def test_training_is_reproducible_and_mlp_linear_uses_squared_error():
    spec = MODELS["MlpLinear"]
    x, y = separable_cycles()
    schedule = Schedule(iterations=(30,), learning_rates=(0.005,), eval_every=10)
    weights = []
    for _ in range(2):
        model = build_model(spec, 4, torch.Generator().manual_seed(0))
        train_network(spec, model, x, y, x, y, schedule, seed=9)
        weights.append(model[0].weight.detach().clone())
    assert torch.equal(weights[0], weights[1])
    model = build_model(spec, 4, torch.Generator().manual_seed(0))
    scores = predictions(spec, model, model_input(spec, x[:3]))
    assert not torch.allclose(scores.sum(1), torch.ones(3))  # raw scores, no softmax
