"""Logging set-up for workflow jobs: messages go to the job's log file (and stderr)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def log_to(path: str | Path | None, level: int = logging.INFO) -> None:
    """Send the library's log records to ``path`` (created with its folder) and to stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w"))
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers, force=True)
    sys.excepthook = _log_uncaught


def _log_uncaught(exc_type, exc_value, traceback) -> None:
    """Put the error that ends a job into its log file, not only on the terminal."""
    logging.getLogger("neuromotor").critical("job failed: %s", exc_value, exc_info=(exc_type, exc_value, traceback))
