"""Cost model of the PCRT stages (the requests of rules/pcrt.smk), checked against measured ``benchmark:`` files of
real runs at two scales (tests/fixtures/pcrt_benchmarks.tsv, tests/unit/test_pcrt_cost_model.py).

Measured (surrogate backend): a generation shard of 8 items takes 1.7-2.9 s, of 40 items 3-21 s (mean 9.5 s); the
dataset assembly peaks at 82 MB (n_train 16), 264 MB (n_train 960) and 9.1 GB (n_train 160,000, issue 15)."""

from __future__ import annotations

import math

from neuromotor.costs import memory_request_mb, runtime_request_min

# Seconds per generation item (one source character x repeat, up to `max_attempts` tries) by muscle backend. The
# surrogate's is measured here (benchmark files); `table` and `opensim` add the MoBL-ARMS muscle cost measured by
# tests/bench/bench_mobl_muscles.py (docs/performance.md: 13-16 core-h for the table, 42-56 for per-step OpenSim,
# over the paper's 429,000 items), so about 0.13 and 0.47 s per item more.
SECONDS_PER_ITEM = {"surrogate": 0.45, "table": 0.6, "opensim": 1.0}
JOB_START_S = 1.0  # reading the characters and start points (the interpreter's start is not in the benchmark)
DATASET_BASE_MB = 100.0  # the interpreter, numpy and zarr
DATASET_MB_PER_1000_TRAIN = 57.0  # one split of windows held: the measured 9.1 GB at n_train = 160,000


def items_per_shard(samples_per_letter: int, repeats: int, shards: int) -> int:
    """The largest shard's items: the (source, repeat) items of a (label, plane) split into ``shards`` parts."""
    if shards < 1:
        raise ValueError(f"pcrt.generation.shards: expected >= 1, got {shards}")
    return math.ceil(samples_per_letter * repeats / shards)


def generate_seconds(items: int, backend: str) -> float:
    """Expected seconds of one generation shard of ``items`` items."""
    per_item = SECONDS_PER_ITEM.get(backend, max(SECONDS_PER_ITEM.values()))
    return JOB_START_S + items * per_item


def generate_runtime_min(pcrt: dict, attempt: int = 1) -> int:
    """Minutes one generation shard requests (pcrt config section: characters, generation, muscle.backend)."""
    generation = pcrt["generation"]
    items = items_per_shard(pcrt["characters"]["samples_per_letter"], generation["repeats"], generation["shards"])
    return runtime_request_min(generate_seconds(items, pcrt["muscle"]["backend"]), attempt)


def dataset_peak_mb(n_train: int) -> float:
    """Expected peak resident MB of the dataset assembly (one split of windows held in memory)."""
    return DATASET_BASE_MB + DATASET_MB_PER_1000_TRAIN * n_train / 1000


def dataset_mem_mb(n_train: int, attempt: int = 1) -> int:
    """MB the dataset assembly requests: the expected peak with 40 % headroom, at least 2 GB."""
    return memory_request_mb(dataset_peak_mb(n_train), attempt, floor_mb=2000)
