"""Fitting the EMG models: linear SVMs and the three-phase SGD schedule of MLPs and CNNs (Aeles et al. 2021, Methods).

Schedule (this project's choice: standard ``torch.optim.SGD``, without lrp_toolbox's rescaling of the back-propagated
signal, so not bit-exact with the original): phases of ``iterations[i]`` updates at ``learning_rates[i]``, each update
on ``batch_size`` distinct random training cycles drawn independently per iteration (no epochs), loss **summed** over
the batch (softmax cross-entropy, or ½‖z − y‖² for ``MlpLinear``), no momentum, no weight decay. Every ``eval_every``
updates the validation "L1 loss" Σ|ŷ − y| / N_val is computed; at the end of a phase the best evaluated weights of that
phase are restored. ``update_scaling: groups`` divides each parameter's step by the toolbox's divisor
(:func:`neuromotor.emg.models.step_divisors`); ``none`` uses the plain learning rate.
"""

from __future__ import annotations

import copy
import logging
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC
from torch import nn

from neuromotor.emg.models import ModelSpec, model_input, step_divisors, svm_to_linear

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    """The training schedule (config ``emg_signatures.training``); defaults are the original's."""

    iterations: tuple[int, ...] = (10_000, 10_000, 10_000)
    learning_rates: tuple[float, ...] = (0.005, 0.001, 0.0005)
    batch_size: int = 5
    eval_every: int = 500
    update_scaling: str = "groups"

    @classmethod
    def from_config(cls, training: dict) -> "Schedule":
        return cls(
            iterations=tuple(training["iterations"]),
            learning_rates=tuple(training["learning_rates"]),
            batch_size=training["batch_size"],
            eval_every=training["eval_every"],
            update_scaling=training["update_scaling"],
        )


def fit_svm(x_train: np.ndarray, y_train: np.ndarray, C: float, n_classes: int, seed: int = 0) -> nn.Linear:
    """``LinearSVC(penalty='l2', loss='squared_hinge', dual=True, C, tol=1e-4, max_iter=1000)``, one-vs-rest, on
    time-major features (N, 1600), returned as a float64 ``Linear(1600, n_classes)`` of decision scores.

    The conversion is checked against ``decision_function`` (rtol 1e-7). ``seed`` fixes liblinear's coordinate order.
    """
    classifier = LinearSVC(penalty="l2", loss="squared_hinge", dual=True, C=C, tol=1e-4, max_iter=1000,
                           random_state=seed % 2**31)
    with _quiet_convergence():
        classifier.fit(x_train, y_train)
    layer = svm_to_linear(classifier.coef_, classifier.intercept_, classifier.classes_, n_classes)
    probe = x_train[: min(16, len(x_train))]
    scores = classifier.decision_function(probe)
    if scores.ndim == 1:
        scores = np.stack([-scores, scores], axis=1)
    with torch.no_grad():
        converted = layer(torch.as_tensor(probe, dtype=torch.float64)).numpy()[:, classifier.classes_]
    np.testing.assert_allclose(converted, scores, rtol=1e-7, atol=1e-12)
    return layer


@contextmanager
def _quiet_convergence():
    """LinearSVC warns when max_iter ends a fit (the original ran with that limit too): log it instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield
    for warning in caught:
        log.info("LinearSVC: %s", warning.message)


def parameter_groups(model: nn.Sequential, lr: float, scaling: str) -> list[dict]:
    """SGD parameter groups: one per parameter, with lr / divisor (``groups``) or lr (``none``)."""
    if scaling == "none":
        return [{"params": list(model.parameters()), "lr": lr}]
    if scaling != "groups":
        raise ValueError(f"update_scaling must be 'groups' or 'none', got {scaling!r}")
    divisors = step_divisors(model)
    return [{"params": [p], "lr": lr / divisors[name]} for name, p in model.named_parameters()]


def predictions(spec: ModelSpec, model: nn.Module, x: torch.Tensor, batch: int = 1024) -> torch.Tensor:
    """ŷ: softmax probabilities (MLP, CNN) or raw scores (SVM, ``MlpLinear``), (N, C)."""
    with torch.no_grad():
        logits = torch.cat([model(x[i : i + batch]) for i in range(0, len(x), batch)])
    return torch.softmax(logits, dim=1) if spec.softmax else logits


def l1_loss(y_pred: torch.Tensor, labels: torch.Tensor) -> float:
    """Σ|ŷ − y| / N with one-hot y."""
    onehot = F.one_hot(labels, y_pred.shape[1]).to(y_pred.dtype)
    return float((y_pred - onehot).abs().sum() / len(labels))


def _batch_loss(spec: ModelSpec, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    if spec.softmax:
        return F.cross_entropy(logits, labels, reduction="sum")
    onehot = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
    return 0.5 * ((logits - onehot) ** 2).sum()


def train_network(
    spec: ModelSpec,
    model: nn.Sequential,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    schedule: Schedule,
    seed: int,
    device: torch.device = torch.device("cpu"),
) -> list[dict]:
    """Train ``model`` in place on cycles (N, 200, 8) with labels (N,); returns one record per phase (best
    iteration, best validation L1 loss, every evaluation as [iteration, loss])."""
    model.to(device)
    xt = model_input(spec, x_train).to(device)
    yt = torch.as_tensor(y_train, dtype=torch.long, device=device)
    xv = model_input(spec, x_val).to(device)
    yv = torch.as_tensor(y_val, dtype=torch.long, device=device)
    rng = np.random.default_rng(seed)
    batch = min(schedule.batch_size, len(xt))
    history = []
    for phase, (iterations, lr) in enumerate(zip(schedule.iterations, schedule.learning_rates)):
        optimizer = torch.optim.SGD(parameter_groups(model, lr, schedule.update_scaling), lr=lr)
        best_loss, best_iteration, best_state, evaluations = np.inf, 0, None, []
        for iteration in range(1, iterations + 1):
            index = torch.as_tensor(rng.choice(len(xt), batch, replace=False), device=device)
            optimizer.zero_grad(set_to_none=True)
            _batch_loss(spec, model(xt[index]), yt[index]).backward()
            optimizer.step()
            if iteration % schedule.eval_every == 0 or iteration == iterations:
                loss = l1_loss(predictions(spec, model, xv), yv)
                evaluations.append([iteration, loss])
                if loss < best_loss:
                    best_loss, best_iteration = loss, iteration
                    best_state = copy.deepcopy(model.state_dict())
        if best_state is not None:
            model.load_state_dict(best_state)
        history.append({"phase": phase, "lr": lr, "best_iteration": best_iteration, "best_val_loss_l1": best_loss,
                        "evaluations": evaluations})
        log.info("%s phase %d (lr %g): best validation L1 loss %.4f at iteration %d", spec.name, phase, lr,
                 best_loss, best_iteration)
    return history


def feature_bounds(spec: ModelSpec, x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature min and max over the training cycles (zB bounds), in the model's input layout with a batch axis
    of 1: (1, 1600) or (1, 1, 1600)."""
    low = model_input(spec, x_train.min(axis=0, keepdims=True), dtype=torch.float64).numpy()
    high = model_input(spec, x_train.max(axis=0, keepdims=True), dtype=torch.float64).numpy()
    return low, high


def accuracy(y_pred: np.ndarray, labels: Sequence[int]) -> float:
    return float(np.mean(np.argmax(y_pred, axis=1) == np.asarray(labels)))
