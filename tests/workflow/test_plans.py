"""Dry-runs of the shipped configs: the default plan and the paper-scale plans (job counts, speed)."""

import time

import pytest

from tests.runner import PROJECT_ROOT, Workflow

pytestmark = pytest.mark.workflow


def test_default_config_dry_run(tmp_path):
    workflow = Workflow(tmp_path / "default", {})
    counts = workflow.planned_jobs()
    assert counts["pcrt_generate"] == 20 * 2
    assert counts["pcrt_dataset"] == 1
    assert counts["svm_fit"] == 4 * 2  # inputs x variants, 190 pairs per job
    assert counts["svm_evaluate"] == 1


def test_paper_deepdraw_plan_job_counts_and_dry_run_time(tmp_path):
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/deepdraw.yaml").read_text())
    workflow = Workflow(tmp_path / "paper", paper)
    started = time.perf_counter()
    counts = workflow.planned_jobs()
    elapsed = time.perf_counter() - started
    dataset_and_svm = {rule: n for rule, n in counts.items() if rule.startswith(("pcrt_", "svm_"))}
    assert dataset_and_svm == {
        "pcrt_characters": 1,
        "pcrt_startpoints": 1,
        "pcrt_surrogate": 1,
        "pcrt_generate": 20 * 2 * 75,
        "pcrt_surrogate_report": 1,
        "pcrt_surrogate_figure": 1,
        "pcrt_select": 1,
        "pcrt_dataset": 1,
        "pcrt_figures": 1,
        "svm_features": 4,
        "svm_fit": 4 * 2 * 190,  # inputs x variants x pairs, one pair per job
        "svm_evaluate": 1,
        "svm_figures": 1,
    }
    assert elapsed < 30, f"paper dry-run took {elapsed:.1f} s"


def test_invalid_config_stops_before_any_job(tmp_path):
    workflow = Workflow(tmp_path / "bad", {"pcrt": {"muscle": {"quantity": "tendon"}}})
    result = workflow.run("-n", check=False)
    assert result.returncode != 0
    assert "pcrt.muscle.quantity" in result.stdout + result.stderr
    assert "fiber_length" in result.stdout + result.stderr


def test_missing_model_file_is_named_before_any_job(tmp_path):
    workflow = Workflow(tmp_path / "nomodel", {"pcrt": {"muscle": {"model_path": "models/absent.osim"}}})
    result = workflow.run("-n", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "pcrt.muscle.model_path" in output and "absent.osim" in output
