"""The training recipe of the original ``Trainer`` (Sandbrink et al. 2023, Methods), on data held in memory.

Adam on mini-batches of a seeded permutation per epoch (incomplete last batch dropped, as the original's
⌊n / batch⌋ steps per epoch); every ``val_interval`` steps (and after the last step) the whole validation set is
evaluated and the weights with the lowest validation loss are kept. ``schedule``: ``effective`` = constant learning
rate for all epochs (what the original did, its early stopping never fired); ``plateau`` = the intended rule: after
``patience_epochs`` epochs of steps without a better validation loss the learning rate is divided by ``decay`` and
the best weights (and optimiser state) are restored; training stops at the second decay once ``min_epochs`` epochs
have passed.

Speed: the data are tensors in memory (on the GPU when they fit), a batch is one indexing operation; on the CPU the
model and the data use the channels-last layout (about 1.5-2x faster convolutions in oneDNN). ``amp="bf16"``: on a
GPU, the training steps and the validations run the conv families' forward passes in bfloat16 autocast (convolutions
and linear layers; layer norm and the loss are float32 under autocast, the weights and Adam's state stay float32, so
no loss scaling is needed); the LSTM family, and everything on the CPU, stay float32 (``amp_devices`` of
:func:`fit` and :func:`evaluate` widens that, e.g. to run the bfloat16 path on the CPU in tests).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from neuromotor.convnets.architecture import task_spec
from neuromotor.train.batches import epoch_batches

log = logging.getLogger(__name__)

SCHEDULES = ("effective", "plateau")
AMP = ("off", "bf16")
BARLOW_LAMBDA = 5e-3
"""Weight of the off-diagonal (redundancy) term of the Barlow Twins loss (Zbontar et al. 2021)."""
AUGMENT_MAX_SHIFT = 0.1
"""Barlow Twins time-shift augmentation: up to this fraction of the window, either way."""
AUGMENT_MUSCLE_DROP = 0.1
"""Barlow Twins muscle augmentation: the probability that a muscle's inputs are zeroed in a view."""
AUGMENT_NOISE = 0.1
"""Barlow Twins noise augmentation: Gaussian noise of this fraction of each input channel's batch standard
deviation."""
AMP_DEVICES = ("cuda",)
"""Device types on which ``amp="bf16"`` autocasts by default: GPUs (on a CPU bfloat16 is slower than float32
without native bfloat16 units, and CPU runs stay the float32 reference)."""


@dataclass(frozen=True)
class Recipe:
    """Training settings of one model (Sandbrink et al. 2023, Methods: conv 5e-4 / 256, LSTM 1e-3 / 128, 50 epochs,
    validation every 100 steps)."""

    epochs: int = 50
    batch_size: int = 256
    learning_rate: float = 5e-4
    schedule: str = "effective"
    val_interval: int = 100
    patience_epochs: float = 5
    min_epochs: float = 40
    decay: float = 4.0
    eval_batch_size: int = 200
    amp: str = "off"

    def __post_init__(self):
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.amp not in AMP:
            raise ValueError(f"amp must be one of {AMP}, got {self.amp!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.val_interval < 1 or self.eval_batch_size < 1:
            raise ValueError(f"epochs, batch_size, val_interval and eval_batch_size must be >= 1: {self}")


def task_loss(task: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy (classification, target = class indices) or mean squared error (regressions,
    target (B, T_out, k); autoencoder, target = the input (B, C, M, T)). Barlow Twins: :func:`barlow_loss`."""
    if task_spec(task).kind == "classification":
        return F.cross_entropy(output, target)
    return F.mse_loss(output, target)


def barlow_loss(z1: torch.Tensor, z2: torch.Tensor, lambd: float = BARLOW_LAMBDA, eps: float = 1e-5) -> torch.Tensor:
    """The Barlow Twins loss (Zbontar et al. 2021) of two views' embeddings (B, D): each embedding dimension is
    standardised over the batch, C = z1n^T z2n / B is the (D, D) cross-correlation, and the loss is
    sum_i (1 - C_ii)^2 + lambd * sum_{i != j} C_ij^2."""
    def standardise(z):
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + eps)

    c = standardise(z1).T @ standardise(z2) / len(z1)
    diagonal = torch.diagonal(c)
    on = (1 - diagonal).pow(2).sum()
    off = c.pow(2).sum() - diagonal.pow(2).sum()
    return on + lambd * off


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One Barlow Twins view of a batch x (B, C, M, T) (Marin Vargas et al. 2024's augmentations *time*, *muscle*,
    *noise*, all three applied): a per-sample time shift of up to :data:`AUGMENT_MAX_SHIFT` of the window either way
    (the edges held), muscles zeroed with probability :data:`AUGMENT_MUSCLE_DROP` (per sample and muscle, all
    channels and steps), then Gaussian noise of :data:`AUGMENT_NOISE` times each channel's standard deviation over
    the batch. The successor's *close* / *far* augmentations (muscle permutations within anatomical groups) are not
    implemented. ``generator`` lies on x's device."""
    n, channels, muscles, steps = x.shape
    max_shift = int(AUGMENT_MAX_SHIFT * steps)
    shift = torch.randint(-max_shift, max_shift + 1, (n, 1), generator=generator, device=x.device)
    index = (torch.arange(steps, device=x.device)[None] - shift).clamp(0, steps - 1)
    x = torch.take_along_dim(x, index[:, None, None, :].expand(n, channels, muscles, steps), dim=3)
    keep = torch.rand((n, 1, muscles, 1), generator=generator, device=x.device) >= AUGMENT_MUSCLE_DROP
    x = x * keep.to(x.dtype)
    scale = x.std(dim=(0, 2, 3), keepdim=True) if n > 1 else torch.ones_like(x[:1, :, :1, :1])
    return x + AUGMENT_NOISE * scale * torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _barlow_batch_loss(model: torch.nn.Module, x: torch.Tensor, precision, generator: torch.Generator) -> torch.Tensor:
    """The Barlow Twins loss of a batch: two :func:`augment` views through the network (and projector)."""
    first, second = augment(x, generator), augment(x, generator)
    with precision:
        z1, z2 = model(first), model(second)
    return barlow_loss(z1.float(), z2.float())


def task_metric_name(task: str) -> str:
    """The task's metric (:attr:`neuromotor.convnets.architecture.TaskSpec.metric`): ``accuracy`` (ART),
    ``error_cm`` (TDT: mean Euclidean hand-position error, cm), ``r2`` (successor regressions, autoencoder) or
    ``barlow_loss``."""
    return task_spec(task).metric


class _R2:
    """Running per-component sums of a regression's targets and errors: R^2 per component (pooled over samples and
    steps) averaged over the components with variance, and the RMSE over all values (float64)."""

    def __init__(self):
        self.n, self.sums = 0, None

    @staticmethod
    def components(values: torch.Tensor) -> torch.Tensor:
        """(B, T_out, k) -> (B T_out, k); an autoencoder's (B, C, M, T) -> (B T, C M)."""
        if values.ndim == 4:
            return values.permute(0, 3, 1, 2).flatten(2).flatten(0, 1)
        return values.flatten(0, -2)

    def add(self, output: torch.Tensor, target: torch.Tensor) -> None:
        y, error = self.components(target).double(), self.components(output).double() - self.components(target).double()
        sums = torch.stack([y.sum(0), y.pow(2).sum(0), error.pow(2).sum(0)])
        self.sums = sums if self.sums is None else self.sums + sums
        self.n += len(y)

    def result(self) -> dict[str, float]:
        if not self.n:
            return {"r2": math.nan, "rmse": math.nan}
        total, squares, sse = self.sums.cpu().numpy()
        sst = squares - total**2 / self.n
        varying = sst > 1e-12 * np.maximum(squares, 1e-300)
        r2 = float(np.mean(1 - sse[varying] / sst[varying])) if varying.any() else math.nan
        return {"r2": r2, "rmse": float(np.sqrt(sse.sum() / (self.n * len(sse))))}


def _metric_sum(task: str, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum over the batch of correct predictions (ART) or of per-sample mean position errors (TDT)."""
    if task_spec(task).kind == "classification":
        return (output.argmax(dim=1) == target).sum()
    return torch.linalg.vector_norm(output[..., :3] - target[..., :3], dim=-1).mean(dim=-1).sum()


def memory_format(device: torch.device) -> torch.memory_format:
    """Channels-last on the CPU (faster oneDNN convolutions), the default layout elsewhere."""
    return torch.channels_last if device.type == "cpu" else torch.contiguous_format


def to_device(
    array: np.ndarray | torch.Tensor, device: torch.device, model_device: torch.device | None = None
) -> torch.Tensor:
    """An input (n, C, H, W) or target array as a tensor on ``device``; inputs in the :func:`memory_format` of the
    model's device (``model_device``, default ``device``), so batches need no layout change."""
    tensor = torch.as_tensor(array).to(device)
    if tensor.ndim == 4:
        return tensor.contiguous(memory_format=memory_format(model_device or device))
    return tensor


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """The model on ``device`` in the layout of :func:`memory_format`."""
    return model.to(device=device, memory_format=memory_format(device))


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def autocast(model: torch.nn.Module, amp: str = "off", devices: Sequence[str] = AMP_DEVICES):
    """The mixed-precision context of a forward pass: bfloat16 autocast for ``amp="bf16"`` on a device of type
    ``devices`` (default: GPUs) for the conv families; a no-op otherwise (other devices, LSTM family, ``off``), so
    those runs stay float32 bit for bit."""
    if amp not in AMP:
        raise ValueError(f"amp must be one of {AMP}, got {amp!r}")
    device = _model_device(model)
    if amp == "bf16" and device.type in devices and getattr(model, "lstm", None) is None:
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.inference_mode()
def evaluate(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    task: str,
    batch_size: int = 200,
    amp: str = "off",
    amp_devices: Sequence[str] = AMP_DEVICES,
) -> dict[str, float]:
    """Loss and metric over every sample (eval mode; batches of ``batch_size``, results are sample means):
    ``{"loss": ..., "accuracy": ...}`` (ART), ``{"loss": mse, "error_cm": ...}`` (TDT), ``{"loss": mse, "r2": ...,
    "rmse": ...}`` (successor regressions; autoencoder: the reconstruction's), ``{"loss": ..., "barlow_loss": ...}``
    (barlow: the loss of two augmented views drawn from a fixed seed, the same views for every call). ``amp``: see
    :func:`autocast` (the loss is computed in float32 from the outputs)."""
    was_training = model.training
    model.eval()
    device = _model_device(model)
    kind, metric = task_spec(task).kind, task_metric_name(task)
    n = len(inputs)
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    metric_sum = torch.zeros((), dtype=torch.float64, device=device)
    r2 = _R2()
    views = torch.Generator(device=device).manual_seed(0) if kind == "barlow" else None
    for start in range(0, n, batch_size):
        x = inputs[start : start + batch_size].to(device, non_blocking=True)
        y = targets[start : start + batch_size].to(device, non_blocking=True)
        if kind == "barlow":
            loss_sum += _barlow_batch_loss(model, x, autocast(model, amp, amp_devices), views).double() * len(x)
            continue
        with autocast(model, amp, amp_devices):
            output = model(x)
        output = output.float()
        target = x if kind == "autoencoder" else y
        loss_sum += task_loss(task, output, target).double() * len(x)
        if metric == "r2":
            r2.add(output, target)
        else:
            metric_sum += _metric_sum(task, output, y).double()
    model.train(was_training)
    if n == 0:
        return {"loss": math.nan, metric: math.nan} | ({"rmse": math.nan} if metric == "r2" else {})
    loss = float(loss_sum) / n
    if metric == "r2":
        return {"loss": loss, **r2.result()}
    return {"loss": loss, metric: loss if kind == "barlow" else float(metric_sum) / n}


@dataclass
class FitResult:
    """What a training run leaves: the best weights, when they were reached, and the validation history."""

    best_state: dict[str, torch.Tensor]
    best_step: int
    best_val: dict[str, float]
    history: list[dict] = field(default_factory=list)
    steps: int = 0
    steps_per_epoch: int = 0
    final_lr: float = 0.0
    train_time_s: float = 0.0
    train_samples: int = 0

    @property
    def samples_per_s(self) -> float:
        return self.train_samples / self.train_time_s if self.train_time_s > 0 else math.nan


def _state_copy(module) -> dict:
    return copy.deepcopy(module.state_dict())


def fit(
    model: torch.nn.Module,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    val_x: torch.Tensor,
    val_y: torch.Tensor,
    task: str,
    recipe: Recipe,
    generator: torch.Generator,
    amp_devices: Sequence[str] = AMP_DEVICES,
) -> FitResult:
    """Train ``model`` in place (on the device of its parameters and the data) with ``recipe``
    (``recipe.amp`` autocasts on the device types ``amp_devices``: :func:`autocast`).

    The data may lie on the model's device or on the CPU (then each batch is copied over). ``generator`` (CPU)
    draws the batch order; dropout draws from torch's global generator of the device. Barlow Twins (a task of kind
    ``barlow``): each step's loss is :func:`barlow_loss` of two :func:`augment` views of the batch; the autoencoder's
    target is the input itself. Returns
    the best-validation weights (not loaded into ``model``) and one history row per validation:
    step, epoch, lr, train_loss (mean over the steps since the previous row), val_loss, val_<metric>, elapsed_s.
    """
    n = len(train_x)
    steps_per_epoch = n // recipe.batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"{n} training samples give no full batch of {recipe.batch_size}; lower the batch size")
    total_steps = recipe.epochs * steps_per_epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.learning_rate, betas=(0.9, 0.999), eps=1e-8)
    metric = task_metric_name(task)
    kind = task_spec(task).kind
    lr = recipe.learning_rate
    best_loss, best_step, best_val = math.inf, 0, {}
    best_state = _state_copy(model)
    best_optimizer = _state_copy(optimizer)
    last_improvement, decays = 0, 0
    history: list[dict] = []
    device = _model_device(model)
    precision = autocast(model, recipe.amp, amp_devices)
    views = None
    if kind == "barlow":  # the views' generator (on the model's device) is seeded from the batch-order generator
        views = torch.Generator(device=device).manual_seed(int(torch.randint(2**62, (1,), generator=generator)))
    running = torch.zeros((), device=device)
    running_steps = 0
    train_time = 0.0
    started = time.perf_counter()
    step = 0
    model.train()
    stop = False
    for epoch in range(recipe.epochs):
        tick = time.perf_counter()
        for index in epoch_batches(n, recipe.batch_size, generator, drop_last=True):
            index = index.to(train_x.device, non_blocking=True)
            x = train_x[index].to(device, non_blocking=True)
            y = train_y[index].to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            if kind == "barlow":
                loss = _barlow_batch_loss(model, x, precision, views)
            else:
                with precision:
                    output = model(x)
                loss = task_loss(task, output.float(), x if kind == "autoencoder" else y)
            loss.backward()
            optimizer.step()
            running += loss.detach()
            running_steps += 1
            step += 1
            if step % recipe.val_interval and step != total_steps:
                continue
            train_time += time.perf_counter() - tick
            val = evaluate(model, val_x, val_y, task, recipe.eval_batch_size, recipe.amp, amp_devices)
            history.append(
                {
                    "step": step,
                    "epoch": step / steps_per_epoch,
                    "lr": lr,
                    "train_loss": float(running) / running_steps,
                    "val_loss": val["loss"],
                    f"val_{metric}": val[metric],
                    "elapsed_s": time.perf_counter() - started,
                }
            )
            running.zero_()
            running_steps = 0
            if val["loss"] < best_loss:
                best_loss, best_step, best_val = val["loss"], step, val
                best_state = _state_copy(model)
                if recipe.schedule == "plateau":
                    best_optimizer = _state_copy(optimizer)
                last_improvement = step
            elif recipe.schedule == "plateau" and step - last_improvement >= recipe.patience_epochs * steps_per_epoch:
                lr /= recipe.decay
                model.load_state_dict(best_state)
                optimizer.load_state_dict(best_optimizer)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                last_improvement = step
                decays += 1
                log.info(
                    "step %d: no improvement for %g epochs, lr -> %g, best weights restored",
                    step,
                    recipe.patience_epochs,
                    lr,
                )
                if decays == 2:
                    if step < recipe.min_epochs * steps_per_epoch:
                        decays = 1
                    else:
                        stop = True
                        break
            tick = time.perf_counter()
        else:
            train_time += time.perf_counter() - tick
        if stop:
            break
        log.info("epoch %d/%d: step %d, %s", epoch + 1, recipe.epochs, step, history[-1] if history else "")
    return FitResult(
        best_state=best_state,
        best_step=best_step,
        best_val=best_val,
        history=history,
        steps=step,
        steps_per_epoch=steps_per_epoch,
        final_lr=lr,
        train_time_s=train_time,
        train_samples=step * recipe.batch_size,
    )


def history_columns(task: str) -> list[str]:
    return ["step", "epoch", "lr", "train_loss", "val_loss", f"val_{task_metric_name(task)}", "elapsed_s"]
