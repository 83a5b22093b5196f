"""The representation figures: every plot writes a PNG from small arrays, empty inputs give a placeholder, and bad
shapes fail naming the function and the argument."""

from __future__ import annotations

import numpy as np
import pytest

from neuromotor.plots import represent as plots


@pytest.fixture
def rng():
    return np.random.default_rng(5)


def test_every_figure_is_written(tmp_path, rng):
    curves = [{"task": "art", "family": "S", "state": state, "depth": np.linspace(0, 1, 5),
               "similarity": rng.uniform(0, 0.2, (3, 5))} for state in ("trained", "untrained")]  # fmt: skip
    plots.plot_rdm_similarity(curves, {"spindles": 0.015, "end-effector": 0.005}, tmp_path / "rdm.png")
    violins = {("art", "S"): {"direction": {"trained": [rng.uniform(-0.1, 1, 30) for _ in range(4)],
                                            "untrained": [rng.uniform(-0.1, 0.3, 30) for _ in range(4)]}}}  # fmt: skip
    plots.plot_tuning_violins(violins, tmp_path / "violins.png")
    plots.plot_pd_histograms({("art", "S", "trained"): rng.integers(0, 5, (4, 18))}, tmp_path / "pd.png")
    plots.plot_pd_uniformity({("art", "S"): {"trained": rng.uniform(0, 1, (2, 4))}}, tmp_path / "uniformity.png")
    plots.plot_cka_matrices({("S", "art trained vs art untrained"): rng.uniform(0, 1, (4, 4))}, tmp_path / "cka.png")
    plots.plot_tsne({("art", "S"): {"layer 0": (rng.normal(size=(20, 2)), np.arange(20) % 4 + 1)}}, tmp_path / "t.png")
    plots.plot_invariance({("art", "S", "horizontal"): (np.arange(5.0), rng.uniform(0, 3, (3, 5)))},
                          tmp_path / "invariance.png")  # fmt: skip
    plots.plot_decoding({("art", "S", "trained"): {"ee u": rng.uniform(0, 1, (2, 4))}}, tmp_path / "decoding.png")
    for path in tmp_path.iterdir():
        assert path.stat().st_size > 3000, path


def test_empty_inputs_give_placeholders(tmp_path):
    plots.plot_tuning_violins({}, tmp_path / "a.png")
    plots.plot_pd_histograms({}, tmp_path / "b.png")
    plots.plot_cka_matrices({}, tmp_path / "c.png")
    plots.plot_tsne({}, tmp_path / "d.png")
    plots.plot_decoding({}, tmp_path / "e.png")
    plots.plot_invariance({("art", "S", "horizontal"): (np.arange(3.0), np.full((2, 3), np.nan))}, tmp_path / "f.png")
    assert all(path.stat().st_size > 1000 for path in tmp_path.iterdir())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda out: plots.plot_pd_histograms({("a", "S", "trained"): np.zeros(18)}, out), "plot_pd_histograms"),
        (lambda out: plots.plot_invariance({("a", "S", "h"): (np.arange(4.0), np.zeros((2, 5)))}, out), "deviation"),
        (lambda out: plots.plot_rdm_similarity([{"task": "a", "family": "S", "state": "trained",
                                                 "depth": np.zeros(3), "similarity": np.zeros((2, 4))}], {}, out),
         "similarity"),
    ],
)  # fmt: skip
def test_bad_shapes_name_the_argument(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
