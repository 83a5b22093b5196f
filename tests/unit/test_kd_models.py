"""The five KD networks for both modalities (Zeng et al. 2022): parameter counts, output and intermediate shapes,
non-negative logits where the original ends in a ReLU, a training step of every (network, modality), the
original's initialisation, and the compute tables the job requests are based on."""

import pytest
import torch
from torch import nn

from neuromotor.kd.models import (
    ARCHITECTURES,
    MINDS,
    MKCNN,
    MODALITIES,
    build_model,
    count_parameters,
    init_weights,
)
from neuromotor.kd.plan import ACTIVATION_MFLOATS, FORWARD_MMACS

PARAMETERS = {
    ("EUNet", "EMG"): 228_084, ("EUNet", "US"): 1_079_668,
    ("MKCNN", "EMG"): 613_844, ("MKCNN", "US"): 1_793_492,
    ("MSCNN", "EMG"): 484_948, ("MSCNN", "US"): 3_090_836,
    ("XceptionTime", "EMG"): 340_444, ("XceptionTime", "US"): 340_444,
    ("MINDS", "EMG"): 3_862_156, ("MINDS", "US"): 3_862_156,
}  # fmt: skip
PAIRS = sorted(PARAMETERS)


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tests/conftest.py


def _input(modality, batch=2, seed=0):
    return torch.randn(batch, 1, 4, MODALITIES[modality], generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name, modality", PAIRS, ids=[f"{n}-{m}" for n, m in PAIRS])
def test_parameter_count(name, modality):
    assert count_parameters(build_model(name, modality)) == PARAMETERS[(name, modality)]


@pytest.mark.parametrize("name, modality", PAIRS, ids=[f"{n}-{m}" for n, m in PAIRS])
def test_a_training_step_of_every_network(name, modality):
    """Forward (B, 1, 4, W) -> (B, 20), backward reaches every parameter, one AdamW step changes the output."""
    torch.manual_seed(0)
    model = build_model(name, modality)
    x, y = _input(modality), torch.tensor([3, 17])
    logits = model(x)
    assert logits.shape == (2, 20)
    torch.nn.functional.cross_entropy(logits, y).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    optimiser.step()
    model.eval()
    with torch.no_grad():
        after = model(x)
    if name in ("MINDS", "XceptionTime"):
        assert (after >= 0).all()  # final ReLU, as the original
    assert not torch.equal(after, logits.detach())


@pytest.mark.parametrize("name", ["MINDS", "XceptionTime"])
def test_logits_after_a_final_relu_are_non_negative(name):
    for modality in MODALITIES:
        with torch.no_grad():
            assert (build_model(name, modality).eval()(_input(modality, 3)) >= 0).all()


def test_intermediate_shapes():
    with torch.no_grad():
        for modality, streams, flat in (("EMG", (320, 2, 8), (128, 3, 2)), ("US", (320, 2, 32), (128, 3, 8))):
            model = MKCNN(modality).eval()
            trunk = model.trunk(_input(modality))
            assert trunk.shape[1:] == streams
            assert model.depthwise(model.fusion(trunk)).shape[1:] == flat
        assert MINDS("US").eval().blocks(_input("US")).shape[1:] == (1024, 4, 32)
        minds_emg = MINDS("EMG").eval()
        assert minds_emg.blocks(_input("EMG", 1)).shape[1:] == (1024, 4, 256)


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="model must be one of"):
        build_model("ResNet", "EMG")
    with pytest.raises(ValueError, match="modality must be one of"):
        build_model("EUNet", "EEG")
    assert list(ARCHITECTURES) == ["MSCNN", "EUNet", "MKCNN", "XceptionTime", "MINDS"]


def test_original_initialisation():
    torch.manual_seed(1)
    model = init_weights(build_model("MKCNN", "US"))
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert all(torch.count_nonzero(m.bias) == 0 for m in linear)
    first = linear[0]  # Xavier normal: std = sqrt(2 / (fan_in + fan_out))
    expected = (2 / (first.in_features + first.out_features)) ** 0.5
    assert abs(first.weight.std().item() / expected - 1) < 0.02
    conv = model.streams[0][0]  # Kaiming normal, fan_out, ReLU gain: std = sqrt(2 / (out x kernel))
    expected = (2 / (conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1])) ** 0.5
    assert abs(conv.weight.std().item() / expected - 1) < 0.1
    assert torch.count_nonzero(conv.bias) > 0  # default bias kept
    torch.manual_seed(2)
    mscnn = build_model("MSCNN", "EMG")
    before = mscnn.streams[0][0].weight.clone()
    torch.manual_seed(2)
    assert torch.equal(init_weights(build_model("MSCNN", "EMG")).streams[0][0].weight, before)  # Conv1d untouched


def _count(model, modality):
    """Multiply-accumulates of convolutions and dense layers, and every leaf module's output size, per sample."""
    macs, outputs = [0], [0]

    def hook(module, args, out):
        if isinstance(module, (nn.Conv1d, nn.Conv2d)):
            macs[0] += out.numel() * module.weight[0].numel()
        elif isinstance(module, nn.Linear):
            macs[0] += out.numel() * module.in_features
        if not list(module.children()):
            outputs[0] += out.numel()

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 1, 4, MODALITIES[modality]))
    for handle in handles:
        handle.remove()
    return macs[0] / 1e6, outputs[0] / 1e6


def test_compute_tables_of_the_job_requests():
    for name, modality in PAIRS:
        macs, outputs = _count(build_model(name, modality), modality)
        assert FORWARD_MMACS[(name, modality)] == pytest.approx(macs, rel=0.02), (name, modality)
        assert ACTIVATION_MFLOATS[(name, modality)] == pytest.approx(outputs, rel=0.02), (name, modality)
