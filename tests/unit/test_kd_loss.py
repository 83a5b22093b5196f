"""The KD loss (Zeng et al. 2022) against its formula computed by hand, including the KLDivLoss 'mean' averaging over
batch x classes of the original."""

import math

import pytest
import torch

from neuromotor.kd.loss import distillation_kl, kd_loss

STUDENT = [[2.0, 0.0, -1.0], [0.5, 1.5, 0.0]]
TEACHER = [[1.0, 3.0, 0.0], [0.0, 0.0, 4.0]]
LABELS = [0, 2]


def _softmax(row, temperature):
    exps = [math.exp(v / temperature) for v in row]
    return [e / sum(exps) for e in exps]


def _by_hand(alpha, temperature, divisor):
    """(1 - alpha) CE + alpha T^2 sum_b sum_c p (log p - log q) / divisor, with plain floats."""
    ce = -sum(math.log(_softmax(row, 1.0)[label]) for row, label in zip(STUDENT, LABELS)) / len(STUDENT)
    kl = 0.0
    for s_row, t_row in zip(STUDENT, TEACHER):
        p, q = _softmax(t_row, temperature), _softmax(s_row, temperature)
        kl += sum(pc * (math.log(pc) - math.log(qc)) for pc, qc in zip(p, q))
    kl /= divisor
    return (1 - alpha) * ce + alpha * temperature**2 * kl, ce, kl


def _tensors():
    return torch.tensor(STUDENT, dtype=torch.float64), torch.tensor(TEACHER, dtype=torch.float64), torch.tensor(LABELS)


@pytest.mark.parametrize("alpha, temperature", [(0.8, 20.0), (0.5, 5.0), (0.8, 30.0), (0.3, 1.0)])
def test_mean_reduction_divides_by_batch_times_classes(alpha, temperature):
    total, ce, kl = _by_hand(alpha, temperature, divisor=2 * 3)  # B x C
    loss = kd_loss(*_tensors(), alpha, temperature, "mean")
    assert loss.total.item() == pytest.approx(total, rel=1e-12)
    assert loss.ce.item() == pytest.approx(ce, rel=1e-12)
    assert loss.kl.item() == pytest.approx(kl, rel=1e-12)


def test_batchmean_divides_by_the_batch_only():
    total, _, kl = _by_hand(0.8, 20.0, divisor=2)
    loss = kd_loss(*_tensors(), 0.8, 20.0, "batchmean")
    assert loss.total.item() == pytest.approx(total, rel=1e-12)
    assert loss.kl.item() == pytest.approx(kl, rel=1e-12)


def test_limits_of_alpha_and_the_factor_between_reductions():
    student, teacher, labels = _tensors()
    ce = torch.nn.functional.cross_entropy(student, labels)
    assert kd_loss(student, teacher, labels, 0.0, 20.0).total.item() == pytest.approx(ce.item(), rel=1e-12)
    kl_mean = distillation_kl(student, teacher, 20.0, "mean")
    assert kd_loss(student, teacher, labels, 1.0, 20.0).total.item() == pytest.approx(400 * kl_mean.item())
    # KL_mean = KL_batchmean / C
    assert kl_mean.item() == pytest.approx(distillation_kl(student, teacher, 20.0, "batchmean").item() / 3)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
def test_twenty_classes_match_pytorch_kldivloss_of_the_original():
    """PyTorch announces that KLDivLoss's 'mean' will become 'batchmean'; the library computes the original's
    factor explicitly, so it does not depend on that default."""
    generator = torch.Generator().manual_seed(0)
    student, teacher = torch.randn(32, 20, generator=generator), 5 * torch.rand(32, 20, generator=generator)
    labels = torch.randint(0, 20, (32,), generator=generator)
    T, alpha = 20.0, 0.8
    original_kl = torch.nn.KLDivLoss()(  # default reduction='mean', as the original
        torch.log_softmax(student / T, dim=1), torch.softmax(teacher / T, dim=1)
    )
    expected = (1 - alpha) * torch.nn.functional.cross_entropy(student, labels) + alpha * T * T * original_kl
    assert kd_loss(student, teacher, labels, alpha, T).total.item() == pytest.approx(expected.item(), rel=1e-6)
    # the effective weight of the per-sample KL is alpha T^2 / 20 = 16
    batchmean = distillation_kl(student, teacher, T, "batchmean")
    assert (alpha * T * T * original_kl).item() == pytest.approx(16 * batchmean.item(), rel=1e-5)


def test_gradients_reach_the_student_only_and_bad_arguments_are_named():
    student, teacher, labels = _tensors()
    student.requires_grad_(True)
    kd_loss(student, teacher, labels, 0.8, 20.0).total.backward()
    assert student.grad is not None and teacher.grad is None
    with pytest.raises(ValueError, match="kl_reduction must be one of"):
        distillation_kl(student, teacher, 2.0, "sum")
    with pytest.raises(ValueError, match="alpha must be in"):
        kd_loss(student, teacher, labels, 1.5, 2.0)
    with pytest.raises(ValueError, match=r"must both be \(B, C\)"):
        distillation_kl(student, teacher[:, :2], 2.0)
