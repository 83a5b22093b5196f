"""Leave-one-subject-out training of the EEG classifiers (Cui et al. 2023, Methods) and their evaluation protocols.

One model per (architecture, held-out subject): Adam (lr 1e-3), batches of 50 drawn in a shuffled order, NLLLoss on
the LogSoftmax output, float64, a fixed number of epochs, no validation set. After every epoch the held-out subject
is evaluated as one batch; two accuracies are reported, each labelled with its protocol:

- ``honest``: the model after the last epoch (the original's procedure);
- ``best_test_epoch``: the epoch with the highest held-out accuracy (optimistic: chosen on the test subject).

BatchNorm statistics at evaluation (``bn_eval``): ``batch`` = the held-out subject's own (faithful), ``train_stats``
= those of the training subjects (an honest alternative).
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.nn import functional as F

from neuromotor.eeg.batchnorm import Statistics, batch_statistics, freeze
from neuromotor.eeg.models import build_model
from neuromotor.train.batches import epoch_batches, seeded_generator
from neuromotor.train.runtime import derived_seed

log = logging.getLogger(__name__)

BN_EVAL = ("batch", "train_stats")


@dataclass(frozen=True)
class TrainSettings:
    """Cui et al. 2023's recipe (Methods); ``stats_batch`` only bounds memory when gathering BatchNorm statistics."""

    epochs: int = 11
    batch_size: int = 50
    lr: float = 1e-3
    bn_eval: str = "batch"
    stats_batch: int = 256

    def __post_init__(self):
        if self.bn_eval not in BN_EVAL:
            raise ValueError(f"bn_eval must be one of {BN_EVAL}, got {self.bn_eval!r}")


@dataclass
class TrainResult:
    """Final (``honest``) and best-held-out-epoch (``best_test_epoch``) weights, one history row per epoch."""

    states: dict[str, dict]
    epochs: dict[str, int]
    history: list[dict] = field(default_factory=list)


def as_input(data: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """(N, 30, 384) µV → (N, 1, 30, 384) float64 model input."""
    return torch.as_tensor(np.asarray(data, dtype=np.float64), device=device)[:, None]


def evaluation_statistics(model, x_test, x_train, bn_eval: str, batch_size: int = 256) -> Statistics:
    """The BatchNorm statistics a held-out evaluation uses under ``bn_eval``."""
    source = x_test if bn_eval == "batch" else x_train
    return batch_statistics(model, source, batch_size)


@torch.no_grad()
def log_probabilities(model, x: torch.Tensor, statistics: Statistics, batch_size: int = 256) -> torch.Tensor:
    """(N, 2) LogSoftmax outputs of the model with its BatchNorms frozen to ``statistics`` (dropout off)."""
    frozen = freeze(model, statistics)
    return torch.cat([frozen(x[start : start + batch_size]) for start in range(0, x.shape[0], batch_size)])


def train_loso(
    model_name: str,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    settings: TrainSettings,
    seed: int,
    subject: int,
) -> TrainResult:
    """Train one model on the training subjects, evaluating the held-out subject after every epoch.

    Args:
        x_train, x_test: (N, 1, 30, 384) float64 on the training device; y_train, y_test: (N,) int64.
        seed, subject: the initial weights, the batch order and dropout derive from (seed, model, subject).
    """
    torch.manual_seed(derived_seed(seed, "eeg-init", model_name, subject))
    model = build_model(model_name).to(x_train.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    generator = seeded_generator(derived_seed(seed, "eeg-batches", model_name, subject))
    history, best_accuracy, best_state, best_epoch = [], -1.0, None, 0
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        model.train()
        losses, correct = [], 0
        for index in epoch_batches(len(y_train), settings.batch_size, generator):
            index = index.to(x_train.device)
            optimizer.zero_grad()
            output = model(x_train[index])
            loss = F.nll_loss(output, y_train[index])
            loss.backward()
            optimizer.step()
            losses.append(loss.item() * len(index))
            correct += int((output.argmax(1) == y_train[index]).sum())
        statistics = evaluation_statistics(model, x_test, x_train, settings.bn_eval, settings.stats_batch)
        output = log_probabilities(model, x_test, statistics, settings.stats_batch)
        accuracy = float((output.argmax(1) == y_test).double().mean())
        history.append(
            {
                "epoch": epoch,
                "train_loss": sum(losses) / len(y_train),
                "train_accuracy": correct / len(y_train),
                "test_loss": float(F.nll_loss(output, y_test)),
                "test_accuracy": accuracy,
                "bn_eval": settings.bn_eval,
                "seconds": time.perf_counter() - started,
            }
        )
        log.info("%s subject %d epoch %d: %s", model_name, subject, epoch, history[-1])
        if accuracy > best_accuracy:  # ties keep the earlier epoch
            best_accuracy, best_state, best_epoch = accuracy, copy.deepcopy(model.state_dict()), epoch
    states = {"honest": copy.deepcopy(model.state_dict()), "best_test_epoch": best_state}
    return TrainResult(
        states=states, epochs={"honest": settings.epochs, "best_test_epoch": best_epoch}, history=history
    )
