"""Convnet report figures: they are drawn from arrays, empty inputs give a placeholder, bad shapes are named."""

import numpy as np
import pytest
from matplotlib.image import imread

from neuromotor.plots.convnets import plot_learning_curves, plot_search_accuracy, plot_trained_vs_untrained


def curve(family, task, n, metric="accuracy"):
    epoch = np.arange(1, n + 1) / 2
    return {
        "label": f"{family} seed 1", "family": family, "task": task, "metric": metric, "epoch": epoch,
        "train_loss": 3 / epoch, "val_loss": 3.2 / epoch, "val_metric": np.linspace(0.05, 0.9, n),
    }  # fmt: skip


def test_figures_are_written(tmp_path):
    plot_learning_curves(
        [curve("S", "art", 6), curve("LSTM", "art", 4), curve("ST", "tdt", 5, "error_cm")], tmp_path / "curves.png"
    )
    runs = ["art on spindle_info"] * 4 + ["art on spindle_firing"] * 2
    families = ["S", "S", "ST", "LSTM", "S", "TS"]
    plot_search_accuracy(runs, families, [2, 8, 4, 4, 6, 2], [0.3, 0.9, 0.7, 0.8, 0.6, 0.2], tmp_path / "search.png")
    plot_trained_vs_untrained(
        ["art", "art", "tdt"],
        ["S 1", "ST 1", "S 1"],
        ["S", "ST", "S"],
        [0.9, 0.8, 2.0],
        [0.05, 0.04, 40.0],
        tmp_path / "controls.png",
    )
    for name in ("curves", "search", "controls"):
        image = imread(tmp_path / f"{name}.png")
        assert image.shape[0] > 300 and image.std() > 0.05  # something was drawn


def test_empty_inputs_give_a_placeholder(tmp_path):
    plot_learning_curves([], tmp_path / "a.png")
    plot_search_accuracy([], [], [], [], tmp_path / "b.png")
    plot_trained_vs_untrained([], [], [], [], [], tmp_path / "c.png")
    assert all((tmp_path / f"{n}.png").stat().st_size > 1000 for n in "abc")


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"plot_search_accuracy: depth must have shape \(n,\) with n = 2"):
        plot_search_accuracy(["r", "r"], ["S", "S"], [1, 2, 3], [0.1, 0.2], tmp_path / "x.png")
    bad = curve("S", "art", 3)
    bad["val_loss"] = bad["val_loss"][:2]
    with pytest.raises(ValueError, match=r"curves\[0\]\['val_loss'\]"):
        plot_learning_curves([bad], tmp_path / "x.png")
    with pytest.raises(ValueError, match="lacks the keys"):
        plot_learning_curves([{"label": "x"}], tmp_path / "x.png")
