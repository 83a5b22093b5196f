"""The KD training protocol (Zeng et al. 2022) on synthetic subjects: the ultrasound teacher beats the sEMG
baseline, runs repeat exactly, both protocols are read from one run, and the training jobs write what the
aggregation needs."""

import math

import numpy as np
import pytest
import torch

from neuromotor.io.tables import read_tsv
from neuromotor.kd.data import Layout, fold_rows, subject_samples
from neuromotor.kd.models import build_model, init_weights
from neuromotor.kd.stages import train_distilled, train_single
from neuromotor.kd.synthetic import SyntheticSpec, synthetic_emg, synthetic_us
from neuromotor.kd.train import Distillation, TrainSettings, predict_logits, train_run
from neuromotor.io.store import write_arrays
from neuromotor.train.checkpoint import load_checkpoint

DEMO = Layout(trials=8, gestures=6, windows_per_gesture=8, first_window=2, slot_windows=12, trial_windows=74)
TINY = Layout(trials=4, gestures=4, windows_per_gesture=10, first_window=1, slot_windows=12, trial_windows=50)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _samples(layout, seed=2023, subject=0):
    emg = synthetic_emg(layout, SyntheticSpec(), seed, subject)[:, 4:8]
    return subject_samples(emg, synthetic_us(layout, SyntheticSpec(), seed, subject), layout)


def _split(samples, layout, name, fold=0):
    train, test = fold_rows(layout, fold)
    x, y = torch.from_numpy(samples[name]), torch.from_numpy(samples["label"])
    return (x[train], y[train]), (x[test], y[test])


def _trained(name, modality, samples, layout, epochs, seed=0):
    torch.manual_seed(seed)
    model = init_weights(build_model(name, modality))
    train, test = _split(samples, layout, modality.lower())
    return model, train_run(model, train, test, TrainSettings(epochs=epochs), seed)


@pytest.mark.slow
def test_the_ultrasound_teacher_beats_the_semg_baseline():
    samples = _samples(DEMO)
    _, teacher = _trained("MSCNN", "US", samples, DEMO, epochs=12)
    _, student = _trained("MSCNN", "EMG", samples, DEMO, epochs=12)
    assert teacher.best_accuracy > 95.0 and teacher.final_accuracy > 90.0
    assert teacher.best_accuracy > student.best_accuracy + 10.0
    assert teacher.final_accuracy > student.final_accuracy + 10.0
    assert student.best_accuracy > 100 / 6 + 10  # the sEMG carries some information too


def test_runs_repeat_exactly_and_the_paper_protocol_is_the_best_epoch():
    samples = _samples(TINY)
    model_a, a = _trained("MSCNN", "EMG", samples, TINY, epochs=4, seed=5)
    _, b = _trained("MSCNN", "EMG", samples, TINY, epochs=4, seed=5)
    assert a.history == b.history
    assert all(torch.equal(a.final_state[k], b.final_state[k]) for k in a.final_state)
    accuracies = [row["test_acc"] for row in a.history]
    assert [row["epoch"] for row in a.history] == [1, 2, 3, 4]
    assert a.best_epoch == 1 + int(np.argmax(accuracies))  # first epoch of the maximum
    assert a.best_accuracy == max(accuracies) >= a.final_accuracy == accuracies[-1]
    # the final state is the model as trained, the best state the one that scored best_accuracy
    assert all(torch.equal(a.final_state[k], v) for k, v in model_a.state_dict().items())
    check = build_model("MSCNN", "EMG")
    check.load_state_dict(a.best_state)
    (_, _), (x_test, y_test) = _split(samples, TINY, "emg")
    accuracy = 100.0 * (predict_logits(check, x_test).argmax(1) == y_test).double().mean().item()
    assert accuracy == pytest.approx(a.best_accuracy)


def test_distillation_with_alpha_zero_is_plain_cross_entropy():
    samples = _samples(TINY)
    train, test = _split(samples, TINY, "emg")
    logits = (torch.randn(len(train[1]), 20), torch.randn(len(test[1]), 20))
    runs = []
    for distillation in (None, Distillation(0.0, 20.0)):
        torch.manual_seed(3)
        model = build_model("EUNet", "EMG")
        runs.append(train_run(model, train, test, TrainSettings(epochs=2), 3,
                              None if distillation is None else logits, distillation))  # fmt: skip
    plain, distilled = runs
    assert [r["test_acc"] for r in plain.history] == [r["test_acc"] for r in distilled.history]
    assert [r["train_loss"] for r in plain.history] == [r["train_ce"] for r in distilled.history]
    assert all(r["train_kl"] > 0 for r in distilled.history)
    with pytest.raises(ValueError, match="go together"):
        train_run(model, train, test, TrainSettings(epochs=1), 0, logits, None)


def _store(tmp_path):
    samples = _samples(TINY, seed=4)
    write_arrays(tmp_path / "s1.zarr", {"": samples}, attrs={"layout": TINY.as_dict()})
    return tmp_path / "s1.zarr"


def _outputs(folder):
    return {"best": folder / "best.pt", "final": folder / "final.pt", "epochs": folder / "epochs.tsv",
            "result": folder / "result.tsv"}  # fmt: skip


def test_training_jobs_write_checkpoints_histories_and_results(tmp_path):
    store = _store(tmp_path)
    train_cfg = {"epochs": 3, "batch_size": 32, "lr": 1e-3, "weight_decay": 0.01, "betas": [0.9, 0.999], "eps": 1e-8}
    teacher = _outputs(tmp_path / "US")
    train_single(store, "MSCNN", "teacher", 1, 1, train_cfg, 7, "cpu", 1, teacher)
    rows = read_tsv(teacher["result"])
    assert [(r["protocol"], r["condition"], r["fold"]) for r in rows] == [("paper", "US", 1), ("honest", "US", 1)]
    assert rows[0]["accuracy"] >= rows[1]["accuracy"] and rows[1]["epoch"] == 3
    assert math.isnan(rows[0]["alpha"]) and rows[0]["n_test"] == 2 * 4 * 10
    best = load_checkpoint(teacher["best"], required=("epoch", "arch", "accuracy", "protocol"))
    assert (best["arch"], best["epoch"], best["protocol"]) == ("MSCNN", rows[0]["epoch"], "paper")
    assert best["accuracy"] == rows[0]["accuracy"]
    assert {r["protocols"] for r in read_tsv(teacher["epochs"])} == {"paper+honest"}

    student = _outputs(tmp_path / "KD")
    distillation = {"alpha": 0.8, "T": 20, "kl_reduction": "mean"}
    train_distilled(store, "MSCNN", 1, 1, train_cfg, distillation, 7, "cpu", 1,
                    {"best": teacher["best"], "final": teacher["final"]}, student)  # fmt: skip
    rows = read_tsv(student["result"])
    assert [r["condition"] for r in rows] == ["EMG_KD_a0.80_T20"] * 2
    assert [r["teacher_epoch"] for r in rows] == [best["epoch"], 3]
    history = read_tsv(student["epochs"])
    expected = {"paper+honest"} if best["epoch"] == 3 else {"paper", "honest"}  # one run per teacher checkpoint
    assert {r["protocols"] for r in history} == expected and len(history) == 3 * len(expected)
    assert load_checkpoint(student["final"])["teacher_epochs"] == [best["epoch"], 3]
    assert not list(tmp_path.rglob(".*.partial"))
