"""The knowledge-distillation loss of the original (Zeng et al. 2022).

    L = (1 - alpha) CE(z_s, y) + alpha T^2 KL,
    KL = sum_b sum_c p_bc (log p_bc - log q_bc) / D,   p = softmax(z_t / T),  log q = log_softmax(z_s / T),

with D = B x C under ``kl_reduction="mean"`` (PyTorch ``KLDivLoss``'s default, which the original used: it averages
over every element, so the KL term is 1/C of the per-sample KL divergence) or D = B under ``"batchmean"`` (the
per-sample KL divergence averaged over the batch). With alpha = 0.8, T = 20 and C = 20, the faithful ``mean``
weighs the batch-mean KL by alpha T^2 / C = 16 (``batchmean``: by alpha T^2 = 320).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

KL_REDUCTIONS = ("mean", "batchmean")


class KDLoss(NamedTuple):
    """The total loss and its two parts, each a scalar tensor: ``total = (1 - alpha) ce + alpha T^2 kl``."""

    total: torch.Tensor
    ce: torch.Tensor
    kl: torch.Tensor


def distillation_kl(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float, reduction: str = "mean"
) -> torch.Tensor:
    """KL(p_teacher || q_student) at ``temperature``, summed over (B, C) and divided by B x C (``mean``) or B
    (``batchmean``). Logits are (B, C)."""
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"kl_reduction must be one of {KL_REDUCTIONS}, got {reduction!r}")
    if student_logits.shape != teacher_logits.shape or student_logits.ndim != 2:
        raise ValueError(
            f"student and teacher logits must both be (B, C), got {tuple(student_logits.shape)} and "
            f"{tuple(teacher_logits.shape)}"
        )
    log_q = F.log_softmax(student_logits / temperature, dim=1)
    p = F.softmax(teacher_logits / temperature, dim=1)
    total = F.kl_div(log_q, p, reduction="sum")  # sum p (log p - log q), with 0 log 0 = 0
    divisor = student_logits.numel() if reduction == "mean" else student_logits.shape[0]
    return total / divisor


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor,
    alpha: float,
    temperature: float,
    kl_reduction: str = "mean",
) -> KDLoss:
    """The distillation loss of a batch: student logits (B, C), teacher logits (B, C), labels (B,) int64."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    ce = F.cross_entropy(student_logits, labels)
    kl = distillation_kl(student_logits, teacher_logits, temperature, kl_reduction)
    return KDLoss((1.0 - alpha) * ce + alpha * temperature**2 * kl, ce, kl)
