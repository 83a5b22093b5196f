"""The EMG study's plan (experiments, comparisons, subsample jobs), config checks and figures."""

from __future__ import annotations

import numpy as np
import pytest

from neuromotor.config import validate_config
from neuromotor.emg import plan
from neuromotor.emg.models import FAMILIES
from neuromotor.errors import ConfigError
from neuromotor.plots.emg import plot_accuracy, plot_cross_condition, plot_robustness, plot_signatures


def test_experiments_follow_the_listed_conditions():
    assert [e.name for e in plan.experiments(["pedalling_150W_day1"])] == ["pedalling_150W_baseline_day1"]
    names = [e.name for e in plan.experiments(list(plan.CONDITIONS))]
    assert len(names) == 7 and names[0] == "pedalling_150W_baseline_day1"
    transfer = plan.experiment("walking_robustness_day2")
    assert (transfer.mode, transfer.train, transfer.test) == ("transfer", "walking_day1", "walking_day2")
    assert plan.experiments(["pedalling_150W_day2"]) == []  # a transfer needs its day-1 baseline too
    listed = ["pedalling_day1_vs_day2", "pedalling_vs_walking", "walking_day1_vs_day2"]
    assert list(plan.comparisons(listed, ["pedalling_150W_day1", "pedalling_150W_day2", "walking_day1"])) == [
        "pedalling_day1_vs_day2", "pedalling_vs_walking"]  # fmt: skip
    assert plan.baseline_experiment("walking") == "walking_baseline_day1"


def test_paper_scale_subsample_plan_has_15600_fits_per_task():
    cfg = validate_config({"emg_signatures": {
        "data": {"source": "files", "directory": "x", "participants": 78},
        "subsample": {"targets": [], "sizes": list(range(2, 79, 4)), "repetitions": 10, "fits_per_job": 200},
    }})["emg_signatures"]  # fmt: skip
    assert len(cfg["subsample"]["sizes"]) == 20
    items = plan.subsample_items(plan.subsample_targets(cfg), cfg["subsample"]["sizes"], 10)
    assert len(items) == 15_600 and len(set(items)) == 15_600
    chunks = plan.subsample_chunks(cfg)
    assert len(chunks) == 78 and all(len(c) == 200 for c in chunks)
    assert {item[0] for item in chunks[4]} == {5}  # 200 per job = one target participant per job
    assert [item for c in plan.chunk(items, 7) for item in c] == items


def test_models_always_include_the_signature_model():
    cfg = validate_config({"emg_signatures": {"models": ["Cnn1DC8"]}})["emg_signatures"]
    assert plan.models(cfg) == ["SvmLinearL2C1em2", "Cnn1DC8"]


@pytest.mark.parametrize(
    "section, message",
    [
        ({"subsample": {"tasks": ["walking"]}}, "task 'walking' needs condition 'walking_day1'"),
        ({"subsample": {"sizes": [2, 40]}}, "'emg_signatures.subsample.sizes': [2, 40] must be strictly increasing"),
        ({"subsample": {"targets": [13]}}, "'emg_signatures.subsample.targets': [13] are not participants 1..12"),
        ({"data": {"source": "files"}}, "'emg_signatures.data.directory': required"),
        ({"data": {"conditions": ["walking_day2"]}, "subsample": {"tasks": []}}, "define no experiment"),
        ({"training": {"iterations": [5]}}, "one entry per phase"),
        ({"models": ["Cnn1DC9"]}, "'Cnn1DC9' is not allowed"),
    ],
)
def test_invalid_sections_name_the_key(section, message):
    with pytest.raises(ConfigError) as error:
        validate_config({"emg_signatures": section})
    assert message in str(error.value)


# --- figures -----------------------------------------------------------------------------------------------------


def test_figures_are_written_and_check_their_inputs(tmp_path):
    summary = [{"experiment": "e1", "model": m, "family": f, "accuracy_mean_pct": 90.0, "accuracy_std_pct": 3.0}
               for m, f in (("SvmLinearL2C1em2", "svm"), ("Cnn1DC8", "cnn"), ("MlpLinear", "linear"))]
    plot_accuracy(summary, FAMILIES, tmp_path / "accuracy.png")
    rng = np.random.default_rng(0)
    mean = rng.uniform(0, 1, (3, 200, 8))
    plot_signatures([1, 2, 5], mean, mean > 0.8, mean > 0.9, list("ABCDEFGH"), "t", tmp_path / "sig.png")
    with pytest.raises(ValueError, match=r"plot_signatures: signature must have shape \(P, T, 8\)"):
        plot_signatures([1, 2, 5], mean, mean[:, :, :4] > 0.8, None, list("ABCDEFGH"), "t", tmp_path / "bad.png")
    rows = [{"size": n, "comparison": c, "in_curve": n in (4, 6), "r": r, "ci_low": r - 0.1, "ci_high": r + 0.05}
            for n in (2, 4, 6, 8) for c, r in (("baseline", 0.9), ("control", 0.1), ("within", 0.8))]
    plot_robustness(rows, "pedalling", tmp_path / "robustness.png")
    no_curve = [{**row, "in_curve": False, "ci_low": float("nan"), "ci_high": float("nan")} for row in rows]
    plot_robustness(no_curve, "pedalling", tmp_path / "no_curve.png")  # sizes 2 and all only: no interval to draw
    plot_cross_condition([{"comparison": "a_vs_b", "r": 0.8, "ci_low": 0.7, "ci_high": 0.85, "n": 5}],
                         tmp_path / "cross.png")
    with pytest.raises(ValueError, match="plot_accuracy: summary row lacks the keys"):
        plot_accuracy([{"experiment": "e1"}], FAMILIES, tmp_path / "x.png")
    for name in ("accuracy", "sig", "robustness", "cross"):
        assert (tmp_path / f"{name}.png").stat().st_size > 5000
    assert not (tmp_path / "bad.png").exists()
