"""Checkpoints: a dict with the model's ``state_dict`` and what is needed to rebuild and judge it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from neuromotor.errors import ModelFileError
from neuromotor.io.store import atomic_file


def save_checkpoint(path: str | Path, model: torch.nn.Module, **metadata) -> None:
    """Write ``{"state_dict": ..., **metadata}`` atomically; tensors are moved to the CPU first so that a checkpoint
    written on a GPU loads anywhere. Metadata must be plain Python (numbers, strings, lists, dicts)."""
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
    with atomic_file(path) as tmp:
        torch.save({"state_dict": state, **metadata}, tmp)


def load_checkpoint(path: str | Path, required: tuple[str, ...] = ()) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (weights only; no code is unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: checkpoint not found")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated or foreign files raise a zoo of exception types
        raise ModelFileError(f"{path}: not a readable checkpoint ({type(error).__name__}: {error})") from None
    if not isinstance(checkpoint, Mapping) or "state_dict" not in checkpoint:
        raise ModelFileError(f"{path}: checkpoint lacks 'state_dict'")
    missing = [key for key in required if key not in checkpoint]
    if missing:
        raise ModelFileError(f"{path}: checkpoint lacks {missing}")
    return dict(checkpoint)


def restore(model: torch.nn.Module, checkpoint: Mapping, path: str | Path = "checkpoint") -> torch.nn.Module:
    """Load the checkpoint's weights into ``model`` (strict), with a clear error on an architecture mismatch."""
    try:
        model.load_state_dict(checkpoint["state_dict"], strict=True)
    except RuntimeError as error:
        raise ModelFileError(f"{path}: weights do not fit the model: {error}") from None
    return model
