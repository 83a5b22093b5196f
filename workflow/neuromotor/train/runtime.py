"""Device choice and reproducible torch set-up for one training or evaluation job."""

from __future__ import annotations

import os
import zlib

import numpy as np
import torch

DEVICES = ("auto", "cpu", "cuda")


def select_device(preference: str = "auto") -> torch.device:
    """The device a job runs on: ``auto`` = the first GPU when one is visible, else the CPU (so rules that request
    ``gpu=1`` still run on machines without one); ``cuda`` fails clearly when no GPU is there."""
    if preference not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {preference!r}")
    if preference == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    if preference == "cuda":
        raise RuntimeError("device 'cuda' requested but torch sees no GPU (CUDA_VISIBLE_DEVICES, driver, torch build)")
    return torch.device("cpu")


def derived_seed(seed: int, *identifiers: int | str) -> int:
    """A 63-bit seed from the config seed and stable identifiers of the item (model name, fold, ...); strings enter
    through their CRC-32, which, unlike ``hash``, is the same in every process."""
    words = [seed] + [i if isinstance(i, int) else zlib.crc32(str(i).encode()) for i in identifiers]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0] >> np.uint64(1))


def setup_torch(
    device: str = "auto",
    threads: int | None = None,
    *,
    deterministic: bool = True,
    warn_only: bool = False,
) -> torch.device:
    """Set up torch for one training or analysis job and return its device (:func:`select_device` of ``device``:
    ``auto``, ``cpu`` or ``cuda``). The one set-up every job calls.

    ``threads``: torch's CPU threads, the job's share, so a job gives the same numbers however many others run beside
    it (None leaves them as they are). On a GPU, ``deterministic`` requests torch's deterministic kernels
    (``warn_only``: warn instead of failing where a kernel has none) and disables cuDNN's autotuner;
    ``deterministic=False`` lets cuDNN pick the fastest kernels instead. On the CPU nothing more is set: the CPU
    kernels the project's networks use are deterministic (each study tests it), and the global flag would cost every
    job about a second of imports (``torch._inductor``). Seeds stay with the code that draws (each model's
    initialisation and batch order take their own derived seed: :func:`derived_seed`).
    """
    chosen = select_device(device)
    if threads is not None:
        torch.set_num_threads(max(1, int(threads)))
    if chosen.type == "cuda":
        torch.backends.cudnn.benchmark = not deterministic
        if deterministic:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
            torch.use_deterministic_algorithms(True, warn_only=warn_only)
    return chosen
