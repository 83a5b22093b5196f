"""Benchmark of the EEG study's compute paths against torch's direct float64 convolutions, single-threaded.

    python tests/bench/bench_eeg.py [--train 200] [--samples 10]

Prints, per model: one training epoch on ``--train`` epochs (plain ``nn.Conv2d`` modules run one after the other vs the
workflow's FFT / matrix-product convolutions and EEGNet's spatial-first input block, same weights), the perturbation test of one held-out sample (1 + 5 × 100 + 30
forwards; plain model with frozen BatchNorm vs the workflow's frozen model) and every attribution method
per sample. Outputs of both paths are compared (max abs difference).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from neuromotor.eeg.batchnorm import batch_statistics, freeze
from neuromotor.eeg.models import build_model
from neuromotor.eeg.synthetic import PlantedEffect, synthetic_eeg
from neuromotor.eeg.train import as_input
from neuromotor.explain.attribution import METHODS, attribute
from neuromotor.explain.perturbation import draw_patches, patch_lengths, perturbation_effects


def plain_copy(model: nn.Module) -> nn.Module:
    """The same model with every convolution replaced by a plain ``nn.Conv2d`` (torch's direct algorithm), run
    module by module."""
    import copy

    plain = copy.deepcopy(model)
    for name, module in list(plain.named_modules()):
        if isinstance(module, nn.Conv2d) and type(module) is not nn.Conv2d:
            conv = nn.Conv2d(
                module.in_channels,
                module.out_channels,
                module.kernel_size,
                padding=module.padding,
                groups=module.groups,
                bias=module.bias is not None,
            ).double()
            conv.load_state_dict(module.state_dict())
            parent, _, child = name.rpartition(".")
            setattr(plain.get_submodule(parent) if parent else plain, child, conv)
    plain.spatial_first = False  # EEGNet: the modules one after the other
    return plain


def seconds(function, repeat: int = 1) -> float:
    """Mean wall time of ``repeat`` calls after one untimed warm-up call."""
    function()
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat


def train_epoch(model, x, y, batch_size=50):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for start in range(0, len(y), batch_size):
        optimizer.zero_grad()
        F.nll_loss(model(x[start : start + batch_size]), y[start : start + batch_size]).backward()
        optimizer.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=int, default=200, help="training epochs (samples) per timed epoch")
    parser.add_argument("--samples", type=int, default=10, help="held-out samples for the perturbation/attribution")
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset = synthetic_eeg([args.train // 2, args.train // 2, args.samples + args.samples % 2], PlantedEffect(), 0)
    train, test = dataset.without_subject(3), dataset.of_subject(3)
    x_train, y_train = as_input(train.data), torch.as_tensor(train.state)
    x_test = as_input(test.data)[: args.samples]
    lengths = patch_lengths()
    rng = np.random.default_rng(0)
    channels, starts = (np.stack(a) for a in zip(*(draw_patches(rng, lengths) for _ in range(len(x_test)))))
    print(f"single thread, float64; training on {len(y_train)} epochs, tests on {len(x_test)} held-out epochs\n")
    print(f"{'model':18s} {'step':38s} {'plain conv2d':>13s} {'workflow':>10s} {'ratio':>7s} {'max |diff|':>11s}")
    for name in ("interpretable_cnn", "eegnet"):
        torch.manual_seed(0)
        model = build_model(name)
        plain = plain_copy(model)
        fast_s = seconds(lambda: train_epoch(model, x_train, y_train))
        plain_s = seconds(lambda: train_epoch(plain, x_train, y_train))
        print(f"{name:18s} {'training epoch (s)':38s} {plain_s:13.2f} {fast_s:10.2f} {plain_s / fast_s:6.1f}x")
        model.eval()
        plain = plain_copy(model).eval()
        statistics = batch_statistics(model, x_test)
        frozen, frozen_plain = freeze(model, statistics), freeze(plain, statistics)
        with torch.no_grad():
            target = frozen(x_test).argmax(1)
        results = {}

        def probe(net, key):
            results[key] = perturbation_effects(net.logits, x_test, target, channels, starts, lengths)

        fast_s = seconds(lambda: probe(frozen, "fast")) / len(x_test)
        plain_s = seconds(lambda: probe(frozen_plain, "plain")) / len(x_test)
        difference = np.abs(results["fast"].patch - results["plain"].patch).max()
        print(
            f"{'':18s} {'perturbation test, per sample (s)':38s} {plain_s:13.3f} {fast_s:10.3f} "
            f"{plain_s / fast_s:6.1f}x {difference:11.1e}"
        )
        for method in METHODS:
            seeds = list(range(len(x_test)))
            fast_s = seconds(lambda: attribute(frozen, x_test, target, method, seeds=seeds)) / len(x_test)
            plain_s = seconds(lambda: attribute(frozen_plain, x_test, target, method, seeds=seeds)) / len(x_test)
            difference = np.abs(
                attribute(frozen, x_test, target, method, seeds=seeds)
                - attribute(frozen_plain, x_test, target, method, seeds=seeds)
            ).max()
            print(
                f"{'':18s} {method + ', per sample (s)':38s} {plain_s:13.4f} {fast_s:10.4f} "
                f"{plain_s / fast_s:6.1f}x {difference:11.1e}"
            )


if __name__ == "__main__":
    main()
