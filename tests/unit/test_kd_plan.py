"""The KD job plan: config checks, names of conditions and result files, subjects, resource estimates."""

import pytest

from neuromotor.config import validate_config
from neuromotor.errors import ConfigError
from neuromotor.kd import plan
from neuromotor.kd.data import Layout


def kd_config(change=None):
    config = validate_config({"kd": change or {}})  # runs plan.check_config: raises ConfigError naming the key
    assert plan.check_config(config) == []
    return config["kd"]


def test_defaults_are_the_original_plan():
    kd = kd_config()
    assert kd["models"] == ["MSCNN", "EUNet", "MKCNN", "XceptionTime", "MINDS"]
    assert kd["folds"] == [0, 1, 2, 3] and kd["train"]["epochs"] == 100 and kd["train"]["batch_size"] == 32
    assert kd["distillation"] == [{"alpha": 0.8, "T": 20}] and kd["kl_reduction"] == "mean"
    assert plan.kd_layout(kd) == Layout() and kd["data"]["emg_channels"] == [4, 5, 6, 7]
    assert plan.conditions(kd) == ["US", "EMG", "EMG_KD_a0.80_T20"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"folds": [0, 4]}, "config key 'kd.folds': [4] do not exist; kd.layout.trials = 8 gives folds 0..3"),
        ({"layout": {"trials": 5}}, "config key 'kd.layout': invalid KD layout: trials must be even"),
        ({"layout": {"gestures": 2, "windows_per_gesture": 2}, "train": {"batch_size": 64}},
         "config key 'kd.train.batch_size': 64 exceeds the 24 training samples"),
        ({"distillation": [{"alpha": 0.8, "T": 20}, {"alpha": 0.801, "T": 20}]}, "settings"),
    ],
)  # fmt: skip
def test_inconsistent_settings_are_named(change, message):
    with pytest.raises(ConfigError, match=None) as error:
        kd_config(change)
    assert message in str(error.value)


def test_schema_errors_name_the_key():
    with pytest.raises(ConfigError, match="config key 'kd.models.0': 'ResNet' is not allowed"):
        validate_config({"kd": {"models": ["ResNet"]}})
    with pytest.raises(ConfigError, match="unknown config key 'kd.distillation.0.temperature'"):
        validate_config({"kd": {"distillation": [{"alpha": 0.5, "T": 5, "temperature": 5}]}})
    with pytest.raises(ConfigError, match="kd.kl_reduction"):
        validate_config({"kd": {"kl_reduction": "sum"}})


def test_names_of_conditions_and_result_files():
    assert plan.kd_tag(0.8, 20) == "a0.80_T20" and plan.kd_tag(0.5, 5.0) == "a0.50_T5"
    assert plan.condition_name("student_kd", 0.8, 30) == "EMG_KD_a0.80_T30"
    assert plan.matrix_path("MINDS", "EMG", "paper") == "results/kd/matrices/MINDS/MINDS_EMG_paper.txt"
    assert plan.matrix_path("MKCNN", "EMG_KD_a0.80_T20", "honest") == (
        "results/kd/matrices/MKCNN-kd-MKCNN/MKCNN-kd-MKCNN_EMG_KD_a0.80_T20_honest.txt"
    )
    assert plan.run_dir("EUNet", 3, 2, "US") == "results/kd/runs/EUNet/s3/fold2/US"
    with pytest.raises(ValueError, match="role must be"):
        plan.condition_name("pupil")
    targets = plan.target_paths(kd_config({"models": ["EUNet"], "distillation": [{"alpha": 0.5, "T": 5}, {"alpha": 0.8, "T": 30}]}))
    assert sum("/matrices/" in path for path in targets) == 4 * 2  # (US, EMG, 2 KD) x 2 protocols
    assert "results/kd/table.tsv" in targets and "results/kd/figures/boxplot.png" in targets


def test_subjects_of_both_sources(tmp_path):
    kd = kd_config({"synthetic": {"subjects": 3}})
    assert plan.subject_files(kd)[2] == (
        "results/kd/synthetic/data/EMG/s3_synthetic_EMG.txt", "results/kd/synthetic/data/US/s3_synthetic_US.txt"
    )  # fmt: skip
    for folder, suffix in (("EMG", "EMG"), ("US", "US")):
        (tmp_path / folder).mkdir()
        for name in ("s2_b", "s1_a"):
            (tmp_path / folder / f"{name}_{suffix}.txt").write_text("")
    files = plan.subject_files(kd_config({"data": {"source": "files", "dir": str(tmp_path)}}))
    assert [path.rsplit("/", 1)[1] for path, _ in files] == ["s1_a_EMG.txt", "s2_b_EMG.txt"]
    with pytest.raises(ConfigError, match="config key 'kd.data.dir'.*expected files"):
        plan.subject_files(kd_config({"data": {"source": "files", "dir": str(tmp_path / "none")}}))


def test_subjects_are_numbered_from_1_and_seeded_by_their_0_based_index():
    kd = kd_config({"synthetic": {"subjects": 2}, "models": ["MSCNN"], "folds": [0]})
    files = plan.subject_files(kd)
    assert plan.subject_inputs(files, 1) == {"emg": files[0][0], "us": files[0][1]}  # s1_synthetic_*.txt
    assert [folder for _, _, folder in plan.runs(kd, 2) if folder.endswith("/US")] == [
        "results/kd/runs/MSCNN/s1/fold0/US", "results/kd/runs/MSCNN/s2/fold0/US"
    ]  # fmt: skip
    assert plan.collect_inputs(kd, 2, "MSCNN", "EMG")[0] == "results/kd/runs/MSCNN/s1/fold0/EMG/result.tsv"
    assert [plan.subject_index(n) for n in plan.subject_numbers(2)] == [0, 1]
    for missing in (0, 3):
        with pytest.raises(ConfigError, match=f"subject {missing} does not exist \\(subjects 1..2\\)"):
            plan.subject_inputs(files, missing)
    with pytest.raises(ValueError, match="numbered from 1"):
        plan.subject_index(0)


def test_resource_estimates_follow_the_compute():
    layout = Layout()
    minutes = {name: plan.train_minutes(name, "EMG", layout, 100, 500.0) for name in ("MSCNN", "EUNet", "MKCNN", "XceptionTime", "MINDS")}
    assert minutes["MINDS"] > minutes["XceptionTime"] > minutes["MSCNN"] >= 5
    assert plan.train_minutes("MINDS", "EMG", layout, 100, 500.0, "US") > 2 * minutes["MINDS"] - 5
    assert plan.train_mem_mb("MINDS", "EMG", layout, 32) > plan.train_mem_mb("MSCNN", "EMG", layout, 32) > 1500
