"""Dry-runs of the shipped configs: the default plan and the paper-scale plans (job counts; their dry-run time is
printed by tests/bench/bench_plan_parse.py, never asserted here: it depends on the machine's load)."""

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


def test_paper_deepdraw_plan_job_counts(tmp_path):
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/deepdraw.yaml").read_text())
    workflow = Workflow(tmp_path / "paper", paper)
    counts = workflow.planned_jobs()
    dataset_and_svm = {rule: n for rule, n in counts.items() if rule.startswith(("pcrt_", "svm_"))}
    backend = paper["pcrt"].get("muscle", {}).get("backend", "surrogate")
    muscle_rules = {  # the muscle backend's model and its validation report and figure
        "surrogate": ("pcrt_surrogate", "pcrt_surrogate_report", "pcrt_surrogate_figure"),
        "table": ("pcrt_muscle_table", "pcrt_table_report", "pcrt_table_figure"),
    }[backend]
    assert dataset_and_svm == {
        "pcrt_characters": 1,
        "pcrt_startpoints": 1,
        **{rule: 1 for rule in muscle_rules},
        "pcrt_generate": 20 * 2 * paper["pcrt"]["generation"]["shards"],  # labels x planes x shards
        "pcrt_select": 1,
        "pcrt_dataset": 1,
        "pcrt_figures": 1,
        "svm_features": 4,
        "svm_fit": 4 * 2 * 19,  # inputs x variants x ceil(190 pairs / 10 per job)
        "svm_evaluate": 1,
        "svm_figures": 1,
    }


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


def test_paper_emg_signatures_plan_job_counts(tmp_path):
    """The EMG paper plan on placeholder files in the original layout: 7 experiments x 31 models and the subject-count sweep,
    78 x 20 x 10 = 15,600 subset fits per task in jobs of emg_signatures.subsample.fits_per_job = 200."""
    import yaml

    import numpy as np

    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.io.emg_mat import write_emg_mat

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/emg_signatures.yaml").read_text())
    workflow = Workflow(tmp_path / "emg_paper", paper)
    directory = workflow.path / paper["emg_signatures"]["data"]["directory"]
    directory.mkdir(parents=True)
    for stem in CONDITIONS.values():  # the planning reads only the headers: one cycle per participant suffices
        write_emg_mat(directory / f"{stem}.mat", np.zeros((78, 200, 8)), np.eye(78))
    counts = workflow.planned_jobs("emg_signatures")
    sweep = paper["emg_signatures"]["subsample"]
    fits_per_task = 78 * len(sweep["sizes"]) * sweep["repetitions"]
    assert fits_per_task == 15_600
    assert counts == {
        "emg_run_svm": 7 * 7,  # experiments x SVMs
        "emg_run_network": 7 * 24,  # experiments x (MlpLinear, 20 MLPs, 3 CNNs)
        "emg_accuracy": 1,
        "emg_signature": 7,
        "emg_subsample": 2 * fits_per_task // sweep["fits_per_job"],  # 2 tasks x 78 jobs
        "emg_robustness": 2,
        "emg_cross_condition": 1,
        "emg_paper_figures": 1,
        "emg_signatures": 1,
    }


def test_paper_eeg_plan_job_counts(tmp_path):
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/eeg.yaml").read_text())
    workflow = Workflow(tmp_path / "paper_eeg", paper)
    counts = workflow.planned_jobs("eeg")
    assert {rule: n for rule, n in counts.items() if rule.startswith("eeg")} == {
        "eeg_data": 1,
        "eeg_train": 2 * 11,  # models x held-out subjects
        "eeg_probe": 2 * 11,
        "eeg_attribute": 2 * 11 * 8,  # models x subjects x methods (7 + the random control)
        "eeg_summary": 1,
        "eeg_figures": 1,
        "eeg_cam": 1,  # the demo sample's class-activation map and band power
        "eeg_band_power": 1,
        "eeg": 1,
    }


def test_paper_kd_plan_job_counts(tmp_path):
    """The KD paper plan: 8 subjects x 4 folds x 5 networks, each as US teacher, sEMG student without KD and sEMG
    student with KD (one (alpha, T)); one aggregation job per result matrix, one statistics job."""
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/kd.yaml").read_text())
    assert paper["kd"]["train"]["epochs"] == 100
    workflow = Workflow(tmp_path / "paper_kd", paper)
    counts = workflow.planned_jobs("kd")
    runs = 8 * 4 * 5  # subjects x folds x networks
    assert counts == {
        "kd_synthetic": 8,
        "kd_prepare": 8,
        "kd_teacher": runs,
        "kd_student": runs,
        "kd_student_kd": runs,
        "kd_collect": 5 * 2,  # networks x (US, EMG)
        "kd_collect_kd": 5,
        "kd_stats": 1,
        "kd_figures": 1,
        "kd": 1,
    }


def test_paper_convnets_plan_job_counts(tmp_path):
    """The DeepDraw networks: 50 configurations per family in two search runs (ART on spindle_firing for S, T-S,
    ST; ART on spindle_info for all four families), searched by successive halving (rungs of 50 / 17 / 6 / 2
    configurations per family in part jobs of 10 slots: 5 / 2 / 1 / 1 jobs), the best configuration of S, ST and
    LSTM trained for ART, TDT and TDT-pv with seeds 1-5, each with its untrained control (in the same job). The
    original's full search (convnets.search.strategy: full, with the TDT run) was 550 search jobs and 3 tables."""
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/deepdraw.yaml").read_text())
    workflow = Workflow(tmp_path / "paper_convnets", paper)
    counts = workflow.planned_jobs("convnets")
    assert {rule: n for rule, n in counts.items() if rule.startswith("convnets")} == {
        "convnets_search_part": (3 + 4) * (5 + 2 + 1 + 1),  # (run, family) groups x part jobs of the 4 rungs
        "convnets_summary": 2,
        "convnets_final": 3 * 3 * 5,  # families x tasks x seeds
        "convnets_experiment": 2 * 5,  # experiment 4: the pinned 1-channel S and ST models x seeds (ART)
        "convnets_experiment_table": 1,
        "convnets_figures": 1,
        "convnets": 1,
    }


def test_paper_representations_plan_job_counts(tmp_path):
    """The representational analyses of the DeepDraw networks: S, ST and LSTM for ART and TDT, seeds 1-5, trained
    and untrained (60 model states, one network and one units job each), CKA per family and seed, one job each for
    the input RDMs, the summary and the figures. No ART-vs-TDT sweep: it needs every configuration fully trained by
    both an ART and a TDT search (strategy full; 150 jobs), which the paper plan's successive halving does not."""
    import yaml

    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/deepdraw.yaml").read_text())
    workflow = Workflow(tmp_path / "paper_representations", paper)
    counts = workflow.planned_jobs("representations")
    assert {rule: n for rule, n in counts.items() if rule.startswith("representations")} == {
        "representations_inputs": 1,
        "representations_network": 2 * 3 * 5 * 2,  # tasks x families x seeds x (trained, untrained)
        "representations_units": 2 * 3 * 5 * 2,
        "representations_cka": 3 * 5,  # families x seeds
        "representations_experiment_rdm": 2 * 5 * 2,  # experiment 4: families x seeds x (trained, untrained)
        "representations_experiment_summary": 1,
        "representations_summary": 1,
        "representations_figures": 1,
        "representations_polar": 3,  # polar tuning maps: the first task's trained networks of seed 1, per family
        "representations": 1,
    }


def test_paper_deepdraw_plans_name_their_inputs():
    """The faithful DeepDraw plan uses the paper's inputs (UCI characters, MoBL-ARMS through OpenSim's table
    backend, the original start points, each a checksummed download); the stand-in plan the project's own, at the
    same scale and with the same analyses."""
    import yaml

    from neuromotor.config import load_config

    faithful = load_config(PROJECT_ROOT / "config/paper/deepdraw.yaml")
    standin = load_config(PROJECT_ROOT / "config/paper/deepdraw_standin.yaml")
    pcrt = faithful["pcrt"]
    assert pcrt["characters"]["source"] == "uci"
    assert pcrt["characters"]["uci_path"] == faithful["data"]["uci_characters"]["path"]
    assert pcrt["muscle"]["model_path"].endswith("MoBL_ARMS_module5_scaleIK.osim")
    assert pcrt["muscle"]["model_path"] == faithful["data"]["mobl_arms"]["path"]
    assert (pcrt["muscle"]["backend"], pcrt["muscle"]["quantity"]) == ("table", "fiber_length")
    startpoints = faithful["data"]["deepdraw_startpoints"]
    assert pcrt["startpoints"]["path"] == startpoints["path"] and len(startpoints["sha256"]) == 64
    assert standin["pcrt"]["characters"]["source"] == "templates"
    assert standin["pcrt"]["muscle"]["model_path"] == "resources/arm_model/neuromotor_arm.osim"
    assert standin["pcrt"]["muscle"]["backend"] == "surrogate"
    raw = {name: yaml.safe_load((PROJECT_ROOT / f"config/paper/{name}.yaml").read_text()) for name in ("deepdraw", "deepdraw_standin")}
    for section in ("svm", "convnets", "representations"):
        assert raw["deepdraw"][section] == raw["deepdraw_standin"][section], section
    assert raw["deepdraw"]["pcrt"]["assembly"] == raw["deepdraw_standin"]["pcrt"]["assembly"]
