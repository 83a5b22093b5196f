"""Shared test set-up: run from the project root so relative paths (config/, resources/) resolve."""

import os
from pathlib import Path

import pytest

from tests.runner import TINY_CONFIG, Workflow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = PROJECT_ROOT.parent / "shared" / "models"


@pytest.fixture(autouse=True, scope="session")
def _run_from_project_root():
    previous = Path.cwd()
    os.chdir(PROJECT_ROOT)
    yield
    os.chdir(previous)


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one CPU thread for a module's tests (their numbers and speed then do not depend on the machine's
    load), restored afterwards."""
    import torch  # not at the top: most test modules never need it

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Workflow:
    """The tiny PCRT plan, run once to completion (shared by the read-only checks)."""
    workflow = Workflow(tmp_path_factory.mktemp("tiny"), TINY_CONFIG)
    workflow.run("pcrt")
    return workflow
