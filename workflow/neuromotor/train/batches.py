"""Mini-batches as index tensors over data held in memory (a job loads its data once; no per-batch file reads)."""

from __future__ import annotations

from collections.abc import Iterator

import torch


def epoch_batches(
    n_samples: int, batch_size: int, generator: torch.Generator | None = None, drop_last: bool = False
) -> Iterator[torch.Tensor]:
    """Index batches of one epoch: a permutation drawn from ``generator`` (None = file order), cut into
    ``batch_size`` pieces; with ``drop_last`` the last incomplete batch is skipped."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = torch.randperm(n_samples, generator=generator) if generator is not None else torch.arange(n_samples)
    stop = n_samples - n_samples % batch_size if drop_last else n_samples
    for start in range(0, stop, batch_size):
        yield order[start : start + batch_size]


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU torch generator (batch order is drawn on the CPU whatever the model's device, so it is the same)."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
