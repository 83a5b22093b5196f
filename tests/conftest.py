"""Shared test set-up: run from the project root so relative paths (config/, resources/) resolve."""

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = PROJECT_ROOT.parent / "shared" / "models"


@pytest.fixture(autouse=True, scope="session")
def _run_from_project_root():
    previous = Path.cwd()
    os.chdir(PROJECT_ROOT)
    yield
    os.chdir(previous)
