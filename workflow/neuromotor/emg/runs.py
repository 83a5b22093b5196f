"""The EMG workflow steps that fit models and compute LRP relevance (torch, zennit, scikit-learn).

- :func:`run_model` — one (experiment, model): every fold's fit, predictions and LRP relevance (``relevance.zarr``,
  one group per fold), checkpoints and ``scores.json`` (docs/studies.md).
- :func:`run_subsample_chunk` — one job of the subject-count sweep: the target's signature from each of its subsets
  (:func:`subset_signatures` from the seeded draws, or :func:`subset_signatures_from_files` from the original subset
  files; Aeles et al. 2021, Methods).

The light steps (synthetic data, accuracy, signatures, robustness statistics) are in :mod:`neuromotor.emg.stages`.
Randomness comes from the config seed and stable identifiers (experiment, model, fold; task, target, size,
repetition), never from the job layout; outputs are written atomically.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
import zarr

from neuromotor.emg import plan
from neuromotor.emg.folds import (
    Fold,
    cv_classes,
    cv_folds,
    cv_partition,
    equalize_population,
    transfer_classes,
    transfer_fold,
)
from neuromotor.emg.models import build_model, model_input, model_spec, to_time_muscle
from neuromotor.emg.subsamples import draw_participants, subset_generator, subset_recording, target_signature
from neuromotor.emg.train import Schedule, accuracy, feature_bounds, fit_svm, l1_loss, predictions, train_network
from neuromotor.errors import DataFormatError
from neuromotor.explain.lrp import TARGETS, as_float64, relevance_key, relevance_maps, rules_for
from neuromotor.io.emg_mat import MUSCLES, EmgRecording, load_emg_mat, load_emg_subset
from neuromotor.io.store import atomic_directory, write_array, write_arrays, write_json
from neuromotor.train.checkpoint import save_checkpoint
from neuromotor.train.runtime import derived_seed, setup_torch

log = logging.getLogger(__name__)

RELEVANCE_ATTRS = {"axes": ["cycle", "time", "muscle"], "units": "relevance (logit units)", "muscles": list(MUSCLES)}


# ---------------------------------------------------------------------------------------------------------------
# one (experiment, model)


def experiment_folds(
    experiment: plan.Experiment, train: EmgRecording, test: EmgRecording, split_seed: int, equalize: bool
) -> tuple[list[Fold], np.ndarray, dict]:
    """The folds of an experiment, the participant of every class, and the split arrays for the store's root."""
    if experiment.mode == "transfer":
        classes, _ = transfer_classes(train, test)
        return [transfer_fold(train, test)], classes.participant, {}
    classes = cv_classes(train)
    rows = equalize_population(classes.label) if equalize else np.arange(train.n_cycles)
    partition = cv_partition(classes.label[rows], seed=split_seed, source=train.path)
    folds = list(cv_folds(train.features[rows], classes.label[rows], partition, rows=rows))
    return folds, classes.participant, {"permutation": rows[partition.permutation],
                                        "splits": np.stack(partition.splits)}


def fit_fold(spec, fold: Fold, n_classes: int, schedule: Schedule | None, seed: int, device: torch.device):
    """Fit one fold's model; returns (logits model, training history)."""
    if not spec.trained_by_sgd:
        layer = fit_svm(model_input(spec, fold.x_train, torch.float64).numpy(), fold.y_train, spec.C, n_classes,
                        seed=seed)
        return torch.nn.Sequential(layer), []
    generator = torch.Generator().manual_seed(seed)
    model = build_model(spec, n_classes, generator)
    history = train_network(spec, model, fold.x_train, fold.y_train, fold.x_val, fold.y_val, schedule, seed, device)
    return model, history


def explain_fold(spec, model: torch.nn.Module, fold: Fold, device: torch.device, batch_size: int | None = None
                 ) -> dict:
    """Predictions, accuracy, L1 loss and every relevance array of one fold (relevance as (N, 200, 8) float64).

    LRP runs in batches of ``batch_size`` cycles (default: 16 on a CPU, where small batches stay in cache; 256 on a
    GPU)."""
    batch_size = batch_size or (256 if device.type == "cuda" else 16)
    model64 = as_float64(model).to(device)
    x = model_input(spec, fold.x_test, torch.float64).to(device)
    y_pred = predictions(spec, model64, x).cpu()
    with torch.no_grad():
        predicted = torch.cat([model64(x[i : i + 1024]) for i in range(0, len(x), 1024)]).argmax(dim=1).cpu()
    true = torch.as_tensor(fold.y_test, dtype=torch.long)
    low, high = feature_bounds(spec, fold.x_train)
    rules = rules_for(model64)
    maps = relevance_maps(model64, x, {"act": true, "dom": predicted}, rules, low, high, batch_size)
    out = {
        "acc": np.float64(accuracy(y_pred.numpy(), fold.y_test)),
        "loss_l1": np.float64(l1_loss(y_pred, true)),
        "y_pred": y_pred.numpy(),
        "true_class": fold.y_test.astype(np.int64),
        "predicted_class": predicted.numpy().astype(np.int64),
        "test_index": fold.test_index.astype(np.int64),
        "file_row": fold.file_row.astype(np.int64),
    }
    for target in TARGETS:
        for rule in rules:
            out[relevance_key(target, rule)] = to_time_muscle(spec, maps[(target, rule)])
    return out


def run_model(
    experiment_name: str,
    model_name: str,
    files: Mapping[str, str],
    emg_cfg: Mapping,
    seed: int,
    threads: int,
    out_relevance: str,
    out_checkpoints: str,
    out_scores: str,
) -> None:
    """Fit and explain one model on every fold of one experiment (docs/studies.md).

    ``files`` maps the experiment's conditions to their ``.mat`` files. Writes ``relevance.zarr`` (root: split
    arrays and attrs; one group per fold with ``acc``, ``loss_l1``, ``y_pred``, ``true_class``, ``predicted_class``,
    ``test_index``, ``file_row``, ``participant`` and the ``R_pred_*`` arrays), one checkpoint per fold and
    ``scores.json``.
    """
    started = time.perf_counter()
    experiment = plan.experiment(experiment_name)
    spec = model_spec(model_name)
    train = load_emg_mat(files[experiment.train])
    test = train if experiment.mode == "cv" else load_emg_mat(files[experiment.test])
    folds, participants, split_arrays = experiment_folds(
        experiment, train, test, emg_cfg["split_seed"], emg_cfg["data"]["equalize_population"]
    )
    schedule = Schedule.from_config(emg_cfg["training"]) if spec.trained_by_sgd else None
    device = setup_torch(emg_cfg["training"]["device"] if spec.trained_by_sgd else "cpu", threads)
    scores = []
    with atomic_directory(out_relevance) as tmp_store, atomic_directory(out_checkpoints) as tmp_checkpoints:
        root = zarr.open_group(store=str(tmp_store), mode="w", zarr_format=3)
        root.attrs.update({
            "experiment": experiment.name, "mode": experiment.mode, "model": spec.name, "family": spec.family,
            "train_file": train.path, "test_file": test.path, "participants": participants.tolist(),
            "muscles": list(train.muscles), "seed": seed, "split_seed": emg_cfg["split_seed"],
            "relevance_order": "(cycle, time, muscle)", "epsilon": 1e-5, "stabilizer": 1e-16,
        })  # fmt: skip
        for name, values in split_arrays.items():
            write_array(root, name, values)
        for fold in folds:
            fold_seed = derived_seed(seed, "emg", experiment.name, spec.name, fold.name)
            model, history = fit_fold(spec, fold, len(participants), schedule, fold_seed, device)
            outputs = explain_fold(spec, model, fold, device)
            outputs["participant"] = participants[fold.y_test]
            group = root.require_group(fold.name)
            for name, values in outputs.items():
                write_array(group, name, values, attrs=RELEVANCE_ATTRS if name.startswith("R_pred") else None)
            save_checkpoint(Path(tmp_checkpoints) / f"{fold.name}.pt", model, model_name=spec.name,
                            n_classes=len(participants), experiment=experiment.name, fold=fold.name)
            scores.append({"fold": fold.name, "acc": float(outputs["acc"]), "loss_l1": float(outputs["loss_l1"]),
                           "n_test": int(len(fold.y_test)), "history": history})
            log.info("%s %s %s: accuracy %.4f", experiment.name, spec.name, fold.name, outputs["acc"])
    accuracies = np.array([s["acc"] for s in scores])
    write_json(out_scores, sort_keys=True, payload={
        "experiment": experiment.name, "model": spec.name, "family": spec.family, "n_classes": len(participants),
        "folds": scores, "acc_mean": float(accuracies.mean()), "acc_std": float(accuracies.std()),
        "device": str(device), "seconds": time.perf_counter() - started,
    })  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# subject-count subsets


def subset_signatures(
    recording: EmgRecording, task_id: int, items: np.ndarray, model: str, split_seed: int, seed: int,
    fit: str = "target",
) -> dict[str, np.ndarray]:
    """The target's signature from each subset (target k, size N, repetition S) of ``items`` (n, 3) (Aeles et al. 2021,
    Methods).

    Subsets holding every participant are identical whatever S, so each distinct subset is computed once.
    Returns ``mean`` (n, 200, 8), ``target_detected`` and ``accuracy`` (n,), ``members`` (n, columns) bool; see
    :func:`neuromotor.emg.subsamples.target_signature` for ``fit``.
    """
    participants = recording.participants
    items = np.asarray(items, dtype=np.int64).reshape(-1, 3)
    out = {
        "mean": np.full((len(items), 200, len(MUSCLES)), np.nan),
        "target_detected": np.full(len(items), np.nan),
        "accuracy": np.full(len(items), np.nan),
        "members": np.zeros((len(items), recording.target.shape[1]), dtype=bool),
    }
    computed = {}
    for i, (k, n, s) in enumerate(items.tolist()):
        if k not in participants:
            raise DataFormatError(f"{recording.path}: subsample target participant {k} has no cycles; participants "
                                  f"present: {participants.tolist()}")
        chosen = draw_participants(participants, k, n, subset_generator(seed, task_id, k, n, s))
        key = (k, *chosen.tolist())
        if key not in computed:
            computed[key] = target_signature(subset_recording(recording, k, chosen), model, split_seed,
                                             fit_seed=derived_seed(seed, "emg-subsample", *key) % 2**31, fit=fit)
        result = computed[key]
        out["mean"][i], out["target_detected"][i], out["accuracy"][i] = (result.mean, result.target_detected,
                                                                        result.accuracy)
        out["members"][i, chosen - 1] = True
    return out


def subset_signatures_from_files(
    files: Sequence[str], items: np.ndarray, n_columns: int, model: str, split_seed: int, seed: int,
    fit: str = "target",
) -> dict[str, np.ndarray]:
    """As :func:`subset_signatures`, from the original subset files (one per item, same order) instead of the
    seeded draws; ``members`` comes from each file's label columns (``n_columns`` wide in the output)."""
    items = np.asarray(items, dtype=np.int64).reshape(-1, 3)
    if len(files) != len(items):
        raise ValueError(f"subset_signatures_from_files: {len(files)} files for {len(items)} subsets")
    out = {
        "mean": np.full((len(items), 200, len(MUSCLES)), np.nan),
        "target_detected": np.full(len(items), np.nan),
        "accuracy": np.full(len(items), np.nan),
        "members": np.zeros((len(items), n_columns), dtype=bool),
    }
    for i, ((k, n, s), path) in enumerate(zip(items.tolist(), files)):
        subset = load_emg_subset(path, k, n)
        if subset.recording.target.shape[1] > n_columns or subset.members.max() > n_columns:
            raise DataFormatError(f"{subset.recording.path}: key 'Target_Subject' has "
                                  f"{subset.recording.target.shape[1]} label columns; the baseline file has "
                                  f"{n_columns}")
        key = (k, *subset.members.tolist())
        result = target_signature(subset.recording, model, split_seed,
                                  fit_seed=derived_seed(seed, "emg-subsample", *key) % 2**31, fit=fit)
        out["mean"][i], out["target_detected"][i], out["accuracy"][i] = (result.mean, result.target_detected,
                                                                        result.accuracy)
        out["members"][i, subset.members - 1] = True
    return out


def run_subsample_chunk(
    task: str,
    items: Sequence[Sequence[int]],
    data_file: str,
    emg_cfg: Mapping,
    seed: int,
    out_store: str,
    subset_files: Sequence[str] | None = None,
) -> None:
    """One job of the subject-count sweep: :func:`subset_signatures` of its subsets (or, with ``subset_files``,
    :func:`subset_signatures_from_files`), written to ``out_store``."""
    setup_torch("cpu", 1)
    task_id = plan.TASKS[task][0]
    model = emg_cfg["signatures"]["model"]
    items = np.asarray(items, dtype=np.int64).reshape(-1, 3)
    baseline = load_emg_mat(data_file)
    fit = emg_cfg["subsample"]["fit"]
    if subset_files:
        arrays = subset_signatures_from_files(subset_files, items, baseline.target.shape[1], model,
                                              emg_cfg["split_seed"], seed, fit)
    else:
        arrays = subset_signatures(baseline, task_id, items, model, emg_cfg["split_seed"], seed, fit)
    write_arrays(out_store, {"": {"item": items, **arrays}},
                 attrs={"task": task, "task_id": task_id, "seed": seed, "model": model, "file": data_file,
                        "fit": fit, "source": "files" if subset_files else "draws"},
                 array_attrs={"item": {"columns": ["target", "size", "repetition"]},
                              "mean": {"axes": ["item", "time", "muscle"]}})
