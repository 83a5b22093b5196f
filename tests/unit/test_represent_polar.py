"""Polar tuning maps of example units (Sandbrink et al. 2023, Fig. 5A-B): the layers and units chosen, the units'
samples on the input steps, and end to end from an activation store with a planted direction-tuned unit, fitted by
the units stage, to its map peaking at the planted direction and one PNG."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from neuromotor.plots.tuning_polar import plot_polar_tuning_maps, polar_activation_map
from neuromotor.represent import kinematics as kin
from neuromotor.represent import polar, stages
from neuromotor.represent.synthetic import synthetic_split

PREFERRED = 0.8  # radians
CFG = {
    "tuning": {"planes": ["horall"], "threshold": 0.2, "test_size": 0.2, "random_state": 42, "onset": 32,
               "tcoff": "original", "models": {"vel": [1, 3], "acc": [], "ee": [], "eepolar": [3]},
               "labels": "off", "label_max_iter": 10, "quantile": 0.9, "violin_floor": -0.1, "min_trajectories": 4},
    "pd": {"bins": 18},
    "invariance": {"enabled": False, "heights": {"horizontal": [0.0], "vertical": [30.0]},
                   "reference": {"horizontal": 0.0, "vertical": 30.0}, "min_units": 3, "min_trajectories": 2},
    "decoding": {"alpha": 1.0, "targets": []},
    "tsne": {"enabled": False, "n_samples": None, "n_pca": 2, "perplexity": 5.0, "max_iter": 250, "random_state": 0},
}  # fmt: skip


def test_shown_layers_are_evenly_spaced():
    assert polar.shown_layers(9) == [0, 3, 5, 8]  # the spindles and layers 3, 5, 8 of an 8-layer network
    assert polar.shown_layers(3) == [0, 1, 2]
    assert polar.shown_layers(1) == [0]
    assert polar.shown_layers(6, 2) == [0, 5]
    with pytest.raises(ValueError, match="n_layers >= 1"):
        polar.shown_layers(0)


def test_best_units_per_layer_skip_constant_and_missing_scores():
    layer = np.array([0, 0, 0, 1, 1, 1, 1, 2])
    score = np.array([0.3, 1.0, 0.5, np.nan, 0.2, 0.9, 0.2, np.nan])
    assert polar.best_units(layer, score, [0, 1, 2], per_layer=2) == [2, 0, 5, 4]  # tie 4/6: the lower first
    assert polar.best_units(layer, score, [1], per_layer=5) == [5, 4, 6]
    with pytest.raises(ValueError, match="same"):
        polar.best_units(layer, score[:3], [0])


def test_unit_on_input_steps_places_kept_samples_at_their_input_step():
    values = np.arange(2 * 8, dtype=float).reshape(2, 8)  # a layer of stride 4 over a 32-step window
    out = polar.unit_on_input_steps(values, np.array([2, 3, 5]), stride=4, window=32)
    assert out.shape == (2, 32)
    assert np.flatnonzero(np.isfinite(out[0])).tolist() == [8, 12, 20]
    assert out[1, 12] == values[1, 3] and np.isnan(out[1, 13])
    with pytest.raises(ValueError, match="kept indices"):
        polar.unit_on_input_steps(values, np.array([8]), stride=4, window=32)


def _write_activations(path, endeffector, rng):
    """An activations.zarr as the network job writes it: layer 0 (n, 2, 3, 320) and layer 1 (n, 4, 1, 160) of
    noise, with a planted direction-tuned unit (row 1, channel 2 of layer 1: cos(direction - PREFERRED))."""
    n, _, window = endeffector.shape
    velocity = kin.feature_components(endeffector, "horall")["vel"]  # (n, 2, 320) speed, direction
    planted = np.where(np.isfinite(velocity[:, 1]), np.cos(velocity[:, 1] - PREFERRED), 0.0)[:, ::2]  # stride 2
    layers = [rng.normal(size=(n, 2, 3, window)), rng.normal(size=(n, 4, 2, window // 2))]
    layers[1][:, 2, 1] = planted + 0.05 * rng.normal(size=planted.shape)
    root = zarr.open_group(store=str(path), mode="w", zarr_format=3)
    group = root.require_group("activations")
    for k, values in enumerate(layers):
        group.create_array(f"layer_{k}", data=values.astype(np.float32), chunks=(16,) + values.shape[1:])
    group.create_array("label", data=np.ones(n, dtype=np.int32))
    group.create_array("endeffector", data=endeffector.astype(np.float32))
    group.create_array("index", data=np.arange(n))
    root.attrs.update({"task": "art", "family": "S", "seed": 1, "state": "trained", "n_layers": 2,
                       "time_stride": [1, 2], "window": window, "layer_shapes": [list(v.shape[1:]) for v in layers]})


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("polar")
    data = synthetic_split(60, labels=range(1, 5), seed=3)
    horizontal = data["endeffector_coords"][data["plane"] == "horizontal"][:24]
    _write_activations(root / "activations.zarr", horizontal, np.random.default_rng(0))
    stages.analyse_units(root / "activations.zarr", **{f"{k}_cfg": CFG[k] for k in CFG}, out_units=root / "units.zarr",
                         out_units_table=root / "units.tsv", out_pd=root / "pd.tsv", out_invariance=root / "inv.tsv",
                         out_decoding=root / "decoding.tsv", out_tsne=root / "tsne.zarr")  # fmt: skip
    return root


def test_the_planted_unit_is_chosen_and_its_map_peaks_at_its_direction(planted):
    data = polar.example_unit_samples(planted / "activations.zarr", planted / "units.zarr", plane="horall", onset=32,
                                      tcoff="original", per_layer=2)  # fmt: skip
    n = data["n_trajectories"]
    assert n == 24 and data["layers"] == [0, 1]
    assert data["velocity"].shape == data["position"].shape == (n * 320, 2)
    assert data["activation"].shape == (n * 320, 4)
    best = data["units"][2]  # layer 1, best first
    assert (best["layer"], best["row"], best["channel"]) == (1, 1, 2) and best["r2"] > 0.9
    assert all(u["r2"] < 0.2 for i, u in enumerate(data["units"]) if i != 2)  # noise
    a = data["activation"][:, 2]
    steps = np.flatnonzero(np.isfinite(a.reshape(n, 320)[0]))
    assert steps.tolist() == (2 * kin.kept_time_indices(160, 2, 320)).tolist()  # the tuning fits' samples
    theta, r, values = polar_activation_map(data["velocity"][:, 1], data["velocity"][:, 0], a, sigma=1.5,
                                            r_max=np.nanquantile(data["velocity"][:, 0], 0.9))  # fmt: skip
    peak = theta[np.argmax(values[len(r) // 2 :].mean(axis=0))]
    assert abs(np.angle(np.exp(1j * (peak - PREFERRED)))) < 0.2


def test_the_stage_writes_one_png(planted, tmp_path):
    out = tmp_path / "polar.png"
    polar.polar_tuning_figure(planted / "activations.zarr", planted / "units.zarr", plane="horall", onset=32,
                              tcoff="original", out_png=out)  # fmt: skip
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000
    empty = tmp_path / "vertical.png"  # the units job fitted only the horizontal subset
    polar.polar_tuning_figure(planted / "activations.zarr", planted / "units.zarr", plane="vertall", onset=32,
                              tcoff="original", out_png=empty)  # fmt: skip
    assert empty.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_maps_plot_checks_shapes_and_handles_unsampled_units(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    velocity = np.column_stack([rng.gamma(2.0, 0.3, n), rng.uniform(-np.pi, np.pi, n)])
    position = np.column_stack([rng.uniform(0, 8, n), rng.uniform(-np.pi, np.pi, n)])
    activation = np.column_stack([np.cos(velocity[:, 1]), np.full(n, np.nan), position[:, 0]])
    activation[::2, 0] = np.nan  # a coarser layer: every other sample
    plot_polar_tuning_maps(velocity, position, activation, ["a", "never sampled", "c"], "units", tmp_path / "m.png")
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"plot_polar_tuning_maps: position must have shape \(N, 2\) with N = 2000"):
        plot_polar_tuning_maps(velocity, position[:10], activation, ["a", "b", "c"], "x", tmp_path / "bad.png")
    with pytest.raises(ValueError, match=r"activation must have shape \(N, 2\)"):
        plot_polar_tuning_maps(velocity, position, activation, ["a", "b"], "x", tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
