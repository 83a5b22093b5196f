"""The training protocol of the KD study (Zeng et al. 2022): AdamW, fixed epochs, the test fold evaluated
after every epoch, and both checkpoints kept from one run:

- ``paper`` protocol: the epoch with the best test accuracy (the original's optimistic selection; the first such
  epoch on ties), checkpoint ``best.pt``;
- ``honest`` protocol: the final epoch, checkpoint ``final.pt``.

A distilled student sees precomputed teacher logits of its paired ultrasound samples (the teacher is frozen and
in eval mode, so its outputs do not depend on the batch; computing them once is the same as per batch).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from neuromotor.kd.loss import KL_REDUCTIONS, kd_loss
from neuromotor.train.batches import epoch_batches, seeded_generator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation of one run: AdamW, no schedule, ``epochs`` passes of shuffled batches (last partial dropped)."""

    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    @classmethod
    def from_config(cls, section: dict) -> "TrainSettings":
        return cls(
            epochs=int(section["epochs"]),
            batch_size=int(section["batch_size"]),
            lr=float(section["lr"]),
            weight_decay=float(section["weight_decay"]),
            betas=tuple(float(b) for b in section["betas"]),
            eps=float(section["eps"]),
        )


@dataclass(frozen=True)
class Distillation:
    """The KD loss's weight ``alpha`` of the KL term, temperature and KL averaging (see :mod:`.loss`)."""

    alpha: float
    temperature: float
    kl_reduction: str = "mean"

    def __post_init__(self) -> None:
        if self.kl_reduction not in KL_REDUCTIONS:
            raise ValueError(f"kl_reduction must be one of {KL_REDUCTIONS}, got {self.kl_reduction!r}")


@dataclass
class RunResult:
    """Per-epoch history and the two checkpoints' states of one run (accuracies in %)."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_accuracy: float = -1.0
    best_state: dict | None = None
    final_state: dict | None = None

    @property
    def final_epoch(self) -> int:
        return self.history[-1]["epoch"]

    @property
    def final_accuracy(self) -> float:
        return self.history[-1]["test_acc"]


def _state_copy(model: nn.Module) -> dict:
    return {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 32) -> torch.Tensor:
    """Logits (N, C) of ``model`` in eval mode, batch by batch in file order; on the model's device."""
    model.eval()
    return torch.cat([model(x[start : start + batch_size]) for start in range(0, len(x), batch_size)])


@torch.no_grad()
def evaluate(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    teacher_logits: torch.Tensor | None = None,
    distillation: Distillation | None = None,
) -> tuple[float, float]:
    """(mean loss, top-1 accuracy in %) on a test set; the loss is the KD loss when a teacher is given (as the
    original logged it), cross-entropy otherwise. Accuracy comes from the model alone."""
    logits = predict_logits(model, x, batch_size)
    if teacher_logits is None:
        loss = F.cross_entropy(logits, y)
    else:
        loss = _batched_kd_loss(logits, teacher_logits, y, batch_size, distillation)
    accuracy = 100.0 * (logits.argmax(dim=1) == y).double().mean()
    return float(loss), float(accuracy)


def _batched_kd_loss(logits, teacher_logits, y, batch_size, distillation: Distillation) -> torch.Tensor:
    """Sample-weighted mean over test batches of the per-batch KD loss (its KL average depends on the batch)."""
    total = torch.zeros((), dtype=torch.float64, device=logits.device)
    for start in range(0, len(y), batch_size):
        part = slice(start, start + batch_size)
        total += _distilled(logits[part], teacher_logits[part], y[part], distillation).total.double() * len(y[part])
    return total / len(y)


def _distilled(logits, teacher_logits, y, distillation: Distillation):
    return kd_loss(logits, teacher_logits, y, distillation.alpha, distillation.temperature, distillation.kl_reduction)


def train_run(
    model: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    settings: TrainSettings,
    seed: int,
    teacher_logits: tuple[torch.Tensor, torch.Tensor] | None = None,
    distillation: Distillation | None = None,
) -> RunResult:
    """Train ``model`` (already on its device, initialised) and test it after every epoch.

    Parameters
    ----------
    train, test : (x (N, 1, 4, W) float32, y (N,) int64) on the model's device.
    seed : seeds the batch order (a CPU generator) and dropout (torch's global generator).
    teacher_logits : (train (N_train, C), test (N_test, C)) of the frozen teacher on the paired samples; with
        ``distillation``, the loss is the KD loss, otherwise cross-entropy.

    Returns a :class:`RunResult` with one history row per epoch (``epoch``, ``train_loss``, ``test_loss``,
    ``test_acc`` and, for distillation, ``train_ce`` and ``train_kl``) and the best and final states.
    """
    if (teacher_logits is None) != (distillation is None):
        raise ValueError("teacher_logits and distillation go together")
    x_train, y_train = train
    x_test, y_test = test
    if len(x_train) < settings.batch_size:
        raise ValueError(f"{len(x_train)} training samples cannot fill one batch of {settings.batch_size}")
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=settings.lr, betas=settings.betas, eps=settings.eps, weight_decay=settings.weight_decay
    )
    torch.manual_seed(seed)
    order = seeded_generator(seed)
    result = RunResult()
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        model.train()
        sums = torch.zeros(3, dtype=torch.float64, device=x_train.device)
        batches = 0
        for index in epoch_batches(len(x_train), settings.batch_size, order, drop_last=True):
            index = index.to(x_train.device)
            logits = model(x_train[index])
            if distillation is None:
                loss = F.cross_entropy(logits, y_train[index])
                parts = (loss, loss, torch.zeros_like(loss))
            else:
                parts = _distilled(logits, teacher_logits[0][index], y_train[index], distillation)
            optimiser.zero_grad(set_to_none=True)
            parts[0].backward()
            optimiser.step()
            sums += torch.stack([p.detach().double() for p in parts])
            batches += 1
        means = (sums / batches).tolist()
        test_teacher = None if teacher_logits is None else teacher_logits[1]
        test_loss, test_acc = evaluate(model, x_test, y_test, settings.batch_size, test_teacher, distillation)
        row = {"epoch": epoch, "train_loss": means[0], "test_loss": test_loss, "test_acc": test_acc}
        if distillation is not None:
            row |= {"train_ce": means[1], "train_kl": means[2]}
        result.history.append(row)
        if test_acc > result.best_accuracy:
            result.best_epoch, result.best_accuracy, result.best_state = epoch, test_acc, _state_copy(model)
        log.info(
            "epoch %d/%d: train loss %.4f, test loss %.4f, test accuracy %.2f %% (%.1f s)",
            epoch, settings.epochs, means[0], test_loss, test_acc, time.perf_counter() - started,
        )  # fmt: skip
    result.final_state = _state_copy(model)
    return result
