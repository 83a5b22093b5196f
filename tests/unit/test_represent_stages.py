"""The representation stages end to end through the library, on a small synthetic PCRT dataset and real (tiny)
networks of the convnets stage: activations, RDMs, tuning, invariance, decoding, tSNE, CKA, summary, figures."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from neuromotor.convnets.models import Architecture, build_network, network_config
from neuromotor.io.store import open_store, read_arrays
from neuromotor.io.tables import read_tsv
from neuromotor.represent import activations as act
from neuromotor.represent import figures, stages, summary
from neuromotor.represent.plan import cka_comparisons
from neuromotor.represent.synthetic import write_synthetic_dataset
from neuromotor.train.checkpoint import save_checkpoint

ARCHITECTURES = {
    "S": Architecture("S", 2, (4, 8), (8, 8), spatial_kernel=3, spatial_stride=2, temporal_kernel=3, temporal_stride=3),
    "LSTM": Architecture("LSTM", 2, (4, 4), (), spatial_kernel=3, spatial_stride=2, units=12),
}
CFG = {
    "activations": {"fraction": {"S": 0.5, "LSTM": 0.25}, "seed": 2000, "batch_size": 16},
    "rdm": {"per_class": 3, "seed": 1219, "kendall": True,
            "inputs": ["spindle_firing", "muscle_coords", "joint_coords", "endeffector_coords"]},
    "tuning": {"planes": ["horall", "vertall"], "threshold": 0.2, "test_size": 0.2, "random_state": 42, "onset": 32,
               "tcoff": "original", "models": {"vel": [0, 1, 2, 3], "acc": [0, 1, 2, 3], "ee": [0, 1, 2, 3],
                                               "eepolar": [0, 1, 2, 3]},
               "labels": "auc", "label_max_iter": 10, "quantile": 0.9, "violin_floor": -0.1, "min_trajectories": 4},
    "pd": {"bins": 18, "ci_level": 0.975},
    "invariance": {"enabled": True, "heights": {"horizontal": [-3.0, 0.0, 3.0], "vertical": [27.0, 30.0, 33.0]},
                   "reference": {"horizontal": 0.0, "vertical": 30.0}, "min_units": 3, "min_trajectories": 2},
    "decoding": {"alpha": 1.0, "targets": ["ee", "eepolar", "vel", "acc"]},
    "tsne": {"enabled": True, "n_samples": 30, "n_pca": 10, "perplexity": 5.0, "max_iter": 250, "random_state": 0},
    "cka": {"cca": True, "cca_pca": 5},
}  # fmt: skip


def write_model(directory, family, task, seed):
    """A final-model folder as the convnets stage writes it: config.json, init.pt, best.pt (shifted weights)."""
    directory.mkdir(parents=True, exist_ok=True)
    config = network_config(ARCHITECTURES[family], task, "spindle_info", seed=seed)
    torch.manual_seed(seed)
    model = build_network(config)
    save_checkpoint(directory / "init.pt", model)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    save_checkpoint(directory / "best.pt", model)
    (directory / "config.json").write_text(json.dumps(config))
    return model


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("represent")
    dataset = root / "dataset.zarr"
    write_synthetic_dataset(dataset, n_train=80, n_test=120, labels=range(1, 5))
    out = root / "results"
    models, stores = {}, {}
    for family in ("S", "LSTM"):
        for task in ("art", "tdt"):
            model_dir = root / "convnets" / task / family / "seed1"
            models[(task, family)] = write_model(model_dir, family, task, 1)
            for state in ("trained", "untrained"):
                key = out / task / family / "seed1" / state
                model = {"task": task, "family": family, "seed": 1, "state": state}
                stages.extract_network(
                    dataset, model_dir, model=model, activations_cfg=CFG["activations"], rdm_cfg=CFG["rdm"],
                    device="cpu", out_activations=key / "activations.zarr", out_rdm_table=key / "rdm.tsv",
                    out_rdm_store=key / "rdm.zarr",
                )  # fmt: skip
                stages.analyse_units(
                    key / "activations.zarr", **{f"{k}_cfg": CFG[k] for k in ("tuning", "pd", "invariance", "decoding",
                                                                              "tsne")},
                    threads=1, out_units=key / "units.zarr", out_units_table=key / "units.tsv", out_pd=key / "pd.tsv",
                    out_invariance=key / "invariance.tsv", out_decoding=key / "decoding.tsv", out_tsne=key / "tsne.zarr",
                )  # fmt: skip
                stores[(task, family, 1, state)] = key
    stages.input_representations(
        dataset, rdm_cfg=CFG["rdm"], tsne_cfg=CFG["tsne"], subsets=CFG["activations"]["fraction"], subset_seed=2000,
        out_rdm_table=out / "inputs/rdm.tsv", out_rdm_store=out / "inputs/rdm.zarr", out_tsne=out / "inputs/tsne.zarr",
    )  # fmt: skip
    comparisons = cka_comparisons(["art", "tdt"], ["trained", "untrained"])
    for family in ("S", "LSTM"):
        stages.compare_cka(
            {(t, s): out / t / family / "seed1" / s / "activations.zarr" for t in ("art", "tdt")
             for s in ("trained", "untrained")},
            {t: ARCHITECTURES[family].family for t in ("art", "tdt")}, comparisons, family=family, seed=1,
            cka_cfg=CFG["cka"], out_table=out / f"cka/{family}/seed1.tsv", out_store=out / f"cka/{family}/seed1.zarr",
        )  # fmt: skip
    for family in ("S", "LSTM"):  # the twins as search models of an ART-vs-TDT sweep
        stages.sweep_cka(
            dataset, root / "convnets/art" / family / "seed1", root / "convnets/tdt" / family / "seed1",
            family=family, configuration=f"config_{family}", input_key="spindle_info",
            activations_cfg=CFG["activations"], device="cpu", out_table=out / f"cka_sweep/{family}.tsv",
        )  # fmt: skip
    kinds = ("rdm", "units", "pd", "invariance", "decoding")
    tables = {kind: [out / f"{key}/{kind}.tsv" for key in stores.values()] for kind in kinds}
    tables["rdm"].insert(0, out / "inputs/rdm.tsv")
    tables["cka"] = [out / f"cka/{family}/seed1.tsv" for family in ("S", "LSTM")]
    tables["cka_sweep"] = [out / f"cka_sweep/{family}.tsv" for family in ("S", "LSTM")]
    summary_paths = {kind: out / f"summary/{kind}.tsv" for kind in (*tables, "stats")}
    summary.summarise(tables, ci_level=0.975, out=summary_paths)
    figure_paths = {name: out / f"figures/{name}.png" for name in figures.FIGURES}
    figures.make_figures(
        summary=summary_paths, units_stores={k: v / "units.zarr" for k, v in stores.items()},
        cka_stores={(f, 1): out / f"cka/{f}/seed1.zarr" for f in ("S", "LSTM")},
        tsne_stores={k: v / "tsne.zarr" for k, v in stores.items()}, input_tsne=out / "inputs/tsne.zarr",
        plane="horall", orientation="horizontal", threshold=0.2, quantile=0.9, floor=-0.1, out=figure_paths,
    )  # fmt: skip
    return {"root": root, "dataset": dataset, "out": out, "models": models, "stores": stores,
            "summary": summary_paths, "figures": figure_paths}  # fmt: skip


def test_activations_match_the_network_and_the_dataset(run):
    store = run["stores"][("art", "S", 1, "trained")] / "activations.zarr"
    data = read_arrays(store, "activations")
    attrs = dict(open_store(store).attrs)
    network = run["models"][("art", "S")]
    rows = act.test_subset(120, 0.5, 2000)
    np.testing.assert_array_equal(data["index"], rows)
    assert len(rows) == 60 and len(set(rows)) == 60
    assert attrs["n_layers"] == 5 and attrs["time_stride"] == [1, 1, 1, 3, 9]
    assert [list(data[f"layer_{k}"].shape[1:]) for k in range(1, 5)] == [list(s) for s in network.feature_shapes]
    test = read_arrays(run["dataset"], "test")
    np.testing.assert_array_equal(data["layer_0"], test["spindle_info"][rows].transpose(0, 3, 1, 2))
    # the stored layers are the trained network's outputs on those inputs
    trained = torch.nn.Module.eval(network)
    with torch.no_grad():
        expected = trained.layer_outputs(torch.from_numpy(data["layer_0"][:8]))
    np.testing.assert_allclose(data["layer_4"][:8], expected[3].numpy(), atol=1e-5)
    assert data["kinvars"].shape == (60, 33, 320)
    np.testing.assert_allclose(data["kinvars"][:, 32], np.linalg.norm(np.gradient(
        test["endeffector_coords"][rows].astype(np.float64), axis=-1), axis=1), atol=1e-4)  # fmt: skip
    lstm = read_arrays(run["stores"][("art", "LSTM", 1, "untrained")] / "activations.zarr", "activations")
    assert lstm["layer_3"].shape == (30, 12, 1, 320) and len(lstm["index"]) == 30


def test_untrained_store_holds_the_initial_weights_outputs(run):
    trained = read_arrays(run["stores"][("art", "S", 1, "trained")] / "activations.zarr", "activations", ["layer_4"])
    untrained = read_arrays(run["stores"][("art", "S", 1, "untrained")] / "activations.zarr", "activations", ["layer_4"])
    assert not np.allclose(trained["layer_4"], untrained["layer_4"])


def test_rdm_tables(run):
    rows = read_tsv(run["summary"]["rdm"])
    inputs = [r for r in rows if r["state"] == "input"]
    assert [r["representation"] for r in inputs] == CFG["rdm"]["inputs"]
    network = [r for r in rows if r["representation"] == "network"]
    assert len(network) == 2 * 2 * (5 + 4)  # tasks x states x layers (S: 5, LSTM: 4)
    assert all(r["n"] == 12 and -1 <= r["similarity"] <= 1 for r in network)
    s_rows = [r for r in network if r["family"] == "S" and r["task"] == "art" and r["state"] == "trained"]
    assert [r["depth"] for r in s_rows] == [0, 0.25, 0.5, 0.75, 1.0]
    layer0 = s_rows[0]["similarity"]
    spindle_info = [r for r in inputs if r["representation"] == "spindle_firing"]
    assert spindle_info and np.isfinite(layer0)


def test_units_pd_invariance_decoding_tables(run):
    units = read_tsv(run["summary"]["units"])
    classes = {"direction", "speed", "direction_speed", "cartesian_position", "polar_position", "acceleration",
               "labels"}  # fmt: skip
    assert {r["class"] for r in units} == classes
    s_layers = {r["layer"] for r in units if r["family"] == "S"}
    assert s_layers == set(range(5))
    layer0 = [r for r in units if r["family"] == "S" and r["layer"] == 0 and r["class"] == "direction"]
    assert all(r["n_units"] == 50 for r in layer0)  # 25 rows x 2 channels of the input
    # spindle lengths and velocities of this dataset depend on the hand's position and movement: some input units
    # are tuned to the position
    position = [r for r in units if r["layer"] == 0 and r["class"] == "cartesian_position" and r["plane"] == "horall"]
    assert max(r["n_tuned"] for r in position) > 0
    pd_rows = read_tsv(run["summary"]["pd"])
    assert all(sum(r[f"bin_{b:02d}"] for b in range(18)) == r["n_tuned"] for r in pd_rows)
    invariance = read_tsv(run["summary"]["invariance"])
    assert {r["orientation"] for r in invariance} == {"horizontal", "vertical"}
    assert all(np.isnan(r["mean_abs_dpd"]) or 0 <= r["mean_abs_dpd"] <= np.pi for r in invariance)
    assert all(np.isnan(r["mean_abs_dpd"]) or r["n_tuned_both"] >= 3 for r in invariance)
    decoding = read_tsv(run["summary"]["decoding"])
    ee_input = [r for r in decoding if r["layer"] == 0 and r["target"] == "ee" and r["split"] == "train"]
    assert ee_input and all(r["r2"] > 0.5 and r["mean_distance"] >= 0 for r in ee_input)


def test_units_store_layout(run):
    path = run["stores"][("tdt", "LSTM", 1, "trained")] / "units.zarr"
    root = open_store(path)
    assert len(root.attrs["designs"]) == 16
    units = read_arrays(path, "", ["layer", "row", "channel"])
    group = read_arrays(path, "horall", ["metrics", "coef", "labels", "n_samples"])
    n_units = 25 * 2 + 13 * 4 + 7 * 4 + 12  # input, two conv layers (25 -> 13 -> 7 rows), LSTM units
    assert len(units["layer"]) == n_units and group["metrics"].shape == (n_units, 16, 2, 3)
    assert np.isfinite(group["labels"]).all()
    heights = read_arrays(path, "heights_horizontal", ["height", "pd", "r2"])
    assert heights["pd"].shape == (3, n_units)


def test_cka_of_trained_and_untrained_twins(run):
    rows = read_tsv(run["summary"]["cka"])
    layer0 = [r for r in rows if r["layer_a"] == 0 and r["layer_b"] == 0]
    assert all(r["cka"] == pytest.approx(1.0, abs=1e-9) for r in layer0)  # the same inputs
    assert all(r["cca"] == pytest.approx(1.0, abs=1e-9) for r in layer0)
    assert all(0 <= r["cka"] <= 1 + 1e-12 for r in rows)
    comparisons = {(r["task_a"], r["state_a"], r["task_b"], r["state_b"]) for r in rows}
    assert comparisons == {("art", "trained", "art", "untrained"), ("tdt", "trained", "tdt", "untrained"),
                           ("art", "trained", "tdt", "trained"), ("art", "untrained", "tdt", "untrained")}  # fmt: skip


def test_sweep_cka_of_the_task_twins(run):
    rows = read_tsv(run["summary"]["cka_sweep"])
    assert [(r["family"], r["layer"]) for r in rows] == [("S", k) for k in range(5)] + [("LSTM", k) for k in range(4)]
    assert all(r["n"] == (60 if r["family"] == "S" else 30) for r in rows)
    assert all(r["cka"] == pytest.approx(1.0, abs=1e-9) for r in rows if r["layer"] == 0)  # the same inputs
    # the same layer of the twins, recomputed from the stored activations of the final-model stores
    art = read_arrays(run["stores"][("art", "S", 1, "trained")] / "activations.zarr", "activations", ["layer_4"])
    tdt = read_arrays(run["stores"][("tdt", "S", 1, "trained")] / "activations.zarr", "activations", ["layer_4"])
    from neuromotor.represent.cka import linear_cka

    assert rows[4]["cka"] == pytest.approx(linear_cka(art["layer_4"], tdt["layer_4"]), abs=1e-9)


def test_statistics_and_figures(run):
    stats = read_tsv(run["summary"]["stats"])
    quantities = {r["quantity"] for r in stats}
    assert {"q90:direction", "q90:labels", "pd_deviation", "rdm_similarity"} <= quantities
    assert all(r["n"] == 1 and np.isnan(r["p"]) for r in stats)  # one seed: no test
    for path in run["figures"].values():
        assert path.stat().st_size > 5000, path
    assert not list(run["out"].rglob(".*.partial"))


def test_streamed_layers_equal_the_whole_forward_pass(run):
    """forward_layer (the RDM sample, one layer at a time) and the batch stream give forward_layers' arrays."""
    network = run["models"][("art", "S")]
    inputs = np.random.default_rng(0).standard_normal((37, 2, 25, 320)).astype(np.float32)
    whole = act.forward_layers(network, inputs, 100)
    assert act.n_layers(network, inputs) == len(whole) == 5
    for k in (0, 2, 4):
        np.testing.assert_allclose(act.forward_layer(network, inputs, k, 8), whole[k], atol=1e-5)
    batches = list(act.layer_batches(network, inputs, 10))
    assert [len(b[0]) for b in batches] == [10, 10, 10, 7]
