"""The KD report figures: each function writes a PNG, and bad arguments are named."""

import numpy as np
import pytest

from neuromotor.plots import kd as plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CONDITIONS = ("EMG", "EMG_KD_a0.80_T20", "US")


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000
    assert not list(path.parent.glob(".*.partial"))


def test_box_plot_of_per_subject_accuracy(tmp_path):
    rng = np.random.default_rng(0)
    accuracy = {
        protocol: {model: {c: rng.uniform(60, 100, 8) for c in CONDITIONS} for model in ("MSCNN", "EUNet", "MINDS")}
        for protocol in ("paper", "honest")
    }
    plots.plot_accuracy_boxes(accuracy, tmp_path / "box.png")
    assert_png(tmp_path / "box.png")
    plots.plot_accuracy_boxes({"honest": {"MSCNN": {"US": np.array([99.0])}}}, tmp_path / "one.png")
    assert_png(tmp_path / "one.png")


def test_box_plot_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="plot_accuracy_boxes: accuracy is empty"):
        plots.plot_accuracy_boxes({}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="unknown protocols"):
        plots.plot_accuracy_boxes({"best": {"MSCNN": {"US": np.ones(2)}}}, tmp_path / "x.png")
    uneven = {"paper": {"MSCNN": {"EMG": np.ones(8), "US": np.ones(7)}}}
    with pytest.raises(ValueError, match=r"accuracy\['paper'\]\['MSCNN'\]\['US'\] must have shape \(S,\) with S = 8"):
        plots.plot_accuracy_boxes(uneven, tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


def test_epoch_curves(tmp_path):
    curves = {"MSCNN": {c: np.random.default_rng(1).uniform(0, 100, (4, 15)) for c in CONDITIONS}}
    plots.plot_epoch_curves(curves, tmp_path / "curves.png")
    assert_png(tmp_path / "curves.png")
    with pytest.raises(ValueError, match=r"curves\['MSCNN'\]\['US'\] must have shape \(R, E\)"):
        plots.plot_epoch_curves({"MSCNN": {"US": np.ones(15)}}, tmp_path / "bad.png")


def test_condition_titles():
    assert [plots.condition_title(c) for c in CONDITIONS] == ["sEMG w/o KD", "sEMG w/ KD (a0.80_T20)", "US (teacher)"]
