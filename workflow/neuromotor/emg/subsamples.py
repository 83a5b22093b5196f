"""Subject-count subsets (Aeles et al. 2021, Methods) and the target participant's signature from each.

For target k, size N and repetition S: the label columns of participants 1 and k are swapped (target → first column),
N − 1 of the other participants are drawn with a generator seeded from ``SeedSequence([seed, task_id, k, N, S])`` (this
project's choice: the original draw, ``matlab/Create_Subsamples_Robustness_*.m``, is unseeded), and all rows of the
target and the drawn participants are kept in their original order. Loading the subset in CV mode trims the empty
columns, so the target is class 0. The subset then runs the 10-fold CV of the signature model (``SvmLinearL2C1em2``),
and the target's 30 explained test cycles give its signature: the mean normalised ``R_pred_act_epsilon``.

The original subset files (``Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{m}_S{n}.mat``, read by
:func:`neuromotor.io.emg_mat.load_emg_subset`) can replace the seeded draws (config
``emg_signatures.subsample.source: files``); :func:`write_subset_files` writes that layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from neuromotor.emg.folds import cv_classes, cv_folds, cv_partition
from neuromotor.emg.models import model_input, model_spec, to_time_muscle
from neuromotor.emg.signatures import mean_cycle, normalise_cycles
from neuromotor.emg.train import fit_svm
from neuromotor.explain.lrp import lrp
from neuromotor.io.emg_mat import EmgRecording


def subset_generator(seed: int, task_id: int, target: int, size: int, repetition: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, task_id, target, size, repetition]))


def draw_participants(
    participants: np.ndarray, target: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """The ``size`` participants of one subset: the target and ``size − 1`` others drawn without replacement
    (ascending numbers)."""
    others = np.asarray([p for p in participants if p != target])
    if not 2 <= size <= others.size + 1:
        raise ValueError(f"subset size {size} is not between 2 and the {others.size + 1} participants available")
    drawn = rng.choice(others, size - 1, replace=False)
    return np.sort(np.concatenate([[target], drawn]))


def subset_recording(recording: EmgRecording, target: int, chosen: np.ndarray) -> EmgRecording:
    """The subset file of Aeles et al. 2021: rows of ``chosen`` participants in file order, all columns, columns 1 and
    ``target`` swapped."""
    rows = np.flatnonzero(np.isin(recording.column + 1, chosen))
    columns = np.arange(recording.target.shape[1])
    columns[[0, target - 1]] = columns[[target - 1, 0]]
    return EmgRecording(recording.features[rows], recording.target[rows][:, columns], recording.muscles,
                        recording.path)


FITS = ("target", "all")


@dataclass(frozen=True)
class SubsetResult:
    """The target's signature from one subset: ``mean`` (200, 8) normalised mean relevance (NaN possible);
    ``target_detected``: share of the target's test cycles with a positive target score; ``accuracy``: multi-class
    test accuracy of the subset (only when every one-vs-rest classifier is fitted, else NaN)."""

    mean: np.ndarray
    target_detected: float
    accuracy: float


def target_signature(
    subset: EmgRecording,
    model: str = "SvmLinearL2C1em2",
    split_seed: int = 1234,
    fit_seed: int = 0,
    fit: str = "target",
) -> SubsetResult:
    """10-fold CV of the linear-SVM signature model on a subset whose class 0 is the target; ε-LRP of the target's
    test cycles for the true class.

    The target's relevance depends only on its own one-vs-rest classifier (w₀, b₀), which one-vs-rest training fits
    independently of the other classes. ``fit="target"`` fits just that binary problem (target vs rest; N times less
    work for N participants; equal to the multi-class fit's row to the solver's tolerance, tested); ``fit="all"``
    fits every class as the original did, and also gives the subset's multi-class accuracy.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    spec = model_spec(model)
    classes = cv_classes(subset)
    partition = cv_partition(classes.label, seed=split_seed, source=f"subset of {subset.path}")
    relevance, correct, detected = [], 0, 0
    for fold in cv_folds(subset.features, classes.label, partition):
        x_train = model_input(spec, fold.x_train, torch.float64).numpy()
        if fit == "all":
            layer = fit_svm(x_train, fold.y_train, spec.C, classes.n_classes, seed=fit_seed)
        else:  # labels 0 (target) and 1 (rest): row 0 of the converted layer is the target's score
            layer = fit_svm(x_train, (fold.y_train != 0).astype(np.int64), spec.C, 2, seed=fit_seed)
        x_test = model_input(spec, fold.x_test, torch.float64)
        with torch.no_grad():
            scores = layer(x_test)
        correct += int(np.sum(scores.argmax(dim=1).numpy() == fold.y_test))
        is_target = fold.y_test == 0
        detected += int(np.sum(scores[is_target, 0].numpy() > 0))
        zeros = torch.zeros(int(is_target.sum()), dtype=torch.long)
        relevance.append(to_time_muscle(spec, lrp(layer, x_test[is_target], zeros, "epsilon")))
    relevance = np.concatenate(relevance)
    return SubsetResult(
        mean=mean_cycle(normalise_cycles(relevance)),
        target_detected=detected / len(relevance),
        accuracy=correct / subset.n_cycles if fit == "all" else float("nan"),
    )


def write_subset_files(
    recording: EmgRecording,
    task: str,
    items,
    directory: str | Path,
    seed: int,
) -> list[Path]:
    """Write subject-count subsets in the original layout (Aeles et al. 2021; the MATLAB
    ``Create_Subsamples_Robustness`` scripts): for each (target k, size N, repetition S) of ``items`` the file
    ``<directory>/Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{N}_S{S}.mat`` holds all rows of the target and
    N − 1 participants drawn with :func:`subset_generator` (``seed``, the task id, k, N, S), all label columns,
    columns 1 and k swapped. With synthetic ``recording`` data the planted signatures travel with the rows.

    Returns the paths written (in the order of ``items``).
    """
    from neuromotor.emg.plan import TASKS
    from neuromotor.io.emg_mat import subset_file_name, write_emg_mat

    task_id = TASKS[task][0]
    participants = recording.participants
    written = []
    for k, n, s in np.asarray(items, dtype=np.int64).reshape(-1, 3).tolist():
        chosen = draw_participants(participants, k, n, subset_generator(seed, task_id, k, n, s))
        subset = subset_recording(recording, k, chosen)
        path = Path(directory) / subset_file_name(task, k, n, s)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_emg_mat(path, subset.features, subset.target, recording.muscles)
        written.append(path)
    return written

