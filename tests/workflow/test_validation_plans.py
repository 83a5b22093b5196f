"""Dry-runs of the validation plans (config/validation/*.yaml, issue 14): each plans its study's jobs at the scale
docs/validation.md estimates, up to its vs_paper table (job counts only; the lead runs the plans)."""

import pytest
import yaml

from tests.runner import PROJECT_ROOT, Workflow

pytestmark = pytest.mark.workflow


def _plan(tmp_path, study: str) -> dict[str, int]:
    plan = yaml.safe_load((PROJECT_ROOT / f"config/validation/{study}.yaml").read_text())
    workflow = Workflow(tmp_path / study, plan)  # merged over config/config.yaml, as --configfile does
    return workflow.planned_jobs(f"vs_paper_{study}")


def test_deepdraw_validation_plan(tmp_path):
    counts = _plan(tmp_path, "deepdraw")
    assert counts["pcrt_generate"] == 20 * 2
    assert counts["svm_fit"] == 4  # 4 inputs, full variant only, 190 pairs per job
    assert "svm_fit_solver" not in counts  # liblinear is not affordable at this scale (docs/validation.md)
    assert counts["convnets_search"] == 2 and counts["convnets_final"] == 2  # S and ST, ART, seed 1
    assert counts["representations_network"] == 4  # 2 families x (trained, untrained)
    assert counts["vs_paper_deepdraw"] == 1


def test_deepdraw_plan_with_the_liblinear_comparison(tmp_path):
    plan = yaml.safe_load((PROJECT_ROOT / "config/validation/deepdraw.yaml").read_text())
    solvers = yaml.safe_load((PROJECT_ROOT / "config/validation/deepdraw_solvers.yaml").read_text())
    plan["svm"] |= solvers["svm"]  # the second --configfile, merged over the plan
    counts = Workflow(tmp_path / "liblinear", plan).planned_jobs("vs_paper_deepdraw")
    assert counts["svm_fit"] == 4 and counts["svm_fit_solver"] == 4 and counts["svm_evaluate_solver"] == 1


def test_kd_validation_plan(tmp_path):
    counts = _plan(tmp_path, "kd")
    runs = 4 * 2 * 3  # subjects x folds x networks
    assert counts["kd_teacher"] == counts["kd_student"] == counts["kd_student_kd"] == runs
    assert counts["vs_paper_kd"] == 1


def test_eeg_validation_plan(tmp_path):
    counts = _plan(tmp_path, "eeg")
    assert counts["eeg_train"] == 2 * 11  # models x held-out subjects
    assert counts["eeg_attribute"] == 2 * 11  # all 8 methods in one job (the demo's methods_per_job)
    assert counts["vs_paper_eeg"] == 1


def test_emg_validation_plan(tmp_path):
    counts = _plan(tmp_path, "emg_signatures")
    assert counts["emg_run_svm"] == 2 * 2  # CV experiments (pedalling, walking) x models
    assert counts["emg_robustness"] == 2  # one subject-count curve per task
    assert counts["emg_subsample"] == 2 * -(-10 * 20 * 5 // 72)  # tasks x targets x sizes x repetitions, 72 per job
    assert counts["vs_paper_emg_signatures"] == 1
