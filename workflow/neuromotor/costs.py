"""Shared helpers of the studies' cost models (``<study>/plan.py``): a job's expected seconds and megabytes become the
``runtime`` (minutes) and ``mem_mb`` it requests, with headroom, a floor, the retry's ``attempt`` scaling, and a cap
at what a typical cluster accepts (neuromotor.plan_cost flags any plan that still asks for more)."""

from __future__ import annotations

import math

MAX_RUNTIME_MIN = 7 * 24 * 60  # 7 days: the longest request a typical cluster partition accepts
MAX_MEM_MB = 64_000  # 64 GB: the largest memory request a typical cluster node accepts
GPU_FLOPS = 5e12  # sustained FLOP/s a request assumes for a GPU job: a quarter of docs/performance.md's 20 TFLOP/s


def runtime_request_min(seconds: float, attempt: int = 1, *, headroom: float = 2.0, floor_min: int = 10) -> int:
    """Minutes to request for a job expected to take ``seconds``: ``headroom`` x the estimate (at least ``floor_min``),
    times ``attempt``, capped at 7 days."""
    if seconds < 0 or attempt < 1:
        raise ValueError(f"runtime_request_min: seconds >= 0 and attempt >= 1 expected, got {seconds}, {attempt}")
    minutes = max(floor_min, math.ceil(headroom * seconds / 60))
    return min(MAX_RUNTIME_MIN, minutes * attempt)


def memory_request_mb(peak_mb: float, attempt: int = 1, *, headroom: float = 1.4, floor_mb: int = 1000) -> int:
    """Megabytes to request for a job whose peak resident memory is expected at ``peak_mb``: ``headroom`` x the
    estimate (at least ``floor_mb``), times ``attempt``, capped at 64 GB."""
    if peak_mb < 0 or attempt < 1:
        raise ValueError(f"memory_request_mb: peak_mb >= 0 and attempt >= 1 expected, got {peak_mb}, {attempt}")
    return min(MAX_MEM_MB, max(floor_mb, math.ceil(headroom * peak_mb)) * attempt)
