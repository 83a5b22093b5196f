"""The SVM report figures: each function writes a PNG, and bad arguments are named."""

import numpy as np
import pytest

from neuromotor.plots import svm as plots
from neuromotor.svm.data import label_pairs

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LABELS = list(range(1, 21))
PAIRS = np.array(label_pairs(LABELS))
INPUTS = ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing")


def assert_png(path):
    assert path.is_file(), f"{path} was not written"
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 1000
    assert not list(path.parent.glob(".*.partial")), "a temporary file was left behind"


def accuracies(seed=0):
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(0.45, 1.0, len(PAIRS)) for name in INPUTS}
    values["joint_coords"][3] = np.nan  # a pair without classifier
    return values


def matrix(per_pair):
    out = np.full((len(LABELS), len(LABELS)), np.nan)
    for (i, j), value in zip(PAIRS, per_pair):
        out[i - 1, j - 1] = out[j - 1, i - 1] = value
    return out


def test_pairwise_matrices(tmp_path):
    plots.plot_pairwise_matrices({name: matrix(a) for name, a in accuracies().items()}, LABELS, tmp_path / "m.png")
    assert_png(tmp_path / "m.png")
    two = {"muscle_coords": np.array([[np.nan, 0.8], [0.8, np.nan]])}
    plots.plot_pairwise_matrices(two, [1, 11], tmp_path / "two.png")
    assert_png(tmp_path / "two.png")
    with pytest.raises(ValueError, match="plot_pairwise_matrices: matrices\\['joint_coords'\\] must have shape"):
        plots.plot_pairwise_matrices({"joint_coords": np.zeros((3, 3))}, LABELS, tmp_path / "bad.png")


def test_multiclass(tmp_path):
    values = {name: {"none": [0.3], "plane": [0.3, 0.35], "size": [0.2, 0.3, 0.4], "speed": [0.3] * 4,
                     "size_plane": [0.25] * 6} for name in INPUTS}  # fmt: skip
    plots.plot_multiclass(values, tmp_path / "c.png", chance=0.05)
    assert_png(tmp_path / "c.png")
    plots.plot_multiclass({"spindle_firing": {"none": [0.2]}}, tmp_path / "one.png")
    assert_png(tmp_path / "one.png")
    with pytest.raises(ValueError, match="unknown suppressed variables \\['colour'\\]"):
        plots.plot_multiclass({"spindle_firing": {"colour": [0.2]}}, tmp_path / "bad.png")


def test_circle(tmp_path):
    plots.plot_circle(PAIRS, accuracies(), LABELS, tmp_path / "circle.png", threshold=0.7)
    assert_png(tmp_path / "circle.png")
    plots.plot_circle(np.array([[1, 11]]), {"endeffector_coords": np.array([1.0])}, [1, 11], tmp_path / "none.png")
    assert_png(tmp_path / "none.png")
    with pytest.raises(ValueError, match="plot_circle: pairs use labels \\[20\\]"):
        plots.plot_circle(PAIRS, accuracies(), LABELS[:-1], tmp_path / "bad.png")
    with pytest.raises(ValueError, match="accuracies\\['muscle_coords'\\] must have shape \\(P,\\) with P = 190"):
        plots.plot_circle(PAIRS, {"muscle_coords": np.ones(5)}, LABELS, tmp_path / "bad.png")


def test_pairwise_distribution(tmp_path):
    plots.plot_pairwise_distribution(accuracies(), tmp_path / "d.png")
    assert_png(tmp_path / "d.png")
    plots.plot_pairwise_distribution({"joint_coords": np.array([0.5])}, tmp_path / "single.png")
    assert_png(tmp_path / "single.png")
    with pytest.raises(ValueError, match="accuracies is empty"):
        plots.plot_pairwise_distribution({}, tmp_path / "bad.png")
