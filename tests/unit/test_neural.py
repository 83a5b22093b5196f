"""Neural prediction (issue 19.3): the successor's session format, the folds, the ridge path, PCA, resampling, the
planted tuning recovered by the stages, the findings, determinism and bad files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

from neuromotor.convnets.models import Architecture, PCRTNetwork, network_config
from neuromotor.errors import DataFormatError
from neuromotor.io.tables import read_tsv
from neuromotor.neural import predict, resample
from neuromotor.neural import stages
from neuromotor.neural.findings import measurements, spearman
from neuromotor.neural.session import Session, read_session, trial_mask, write_session
from neuromotor.neural.synthetic import synthetic_limb
from neuromotor.train.checkpoint import save_checkpoint

DATA = {"align": 100, "bin_s": 0.01, "muscle_scale": 1000.0}
PREDICTION = {
    "pca_components": 75,
    "alphas": {"log10_min": -2.0, "log10_max": 5.0, "n": 15},
    "folds": 5,
    "inner_folds": 5,
}
SYNTHETIC = {
    "session": "Synth_20240101",
    "area": "CN",
    "trials": 30,
    "neurons": 8,
    "durations": [120, 200],
    "tuning": "layer",
    "plant": {"layer": 3},
    "components": 20,
    "rate_hz": {"baseline": 80.0, "modulation": 60.0},
}
ARCH = Architecture("S", 2, (4, 8), (8, 8), spatial_kernel=3, spatial_stride=2, temporal_kernel=3, temporal_stride=3)


def _model_dir(path, seed):
    """A model directory as the convnets stage writes it: config.json, best.pt, and init.pt (another seed)."""
    path.mkdir(parents=True, exist_ok=True)
    config = network_config(ARCH, "art", "spindle_info", seed)
    (path / "config.json").write_text(json.dumps(config))
    torch.manual_seed(seed)
    save_checkpoint(path / "best.pt", PCRTNetwork(ARCH, "art"))
    torch.manual_seed(seed + 1000)
    save_checkpoint(path / "init.pt", PCRTNetwork(ARCH, "art"))
    return path


def _session(n=6, bins=400, neurons=3, muscles=25, seed=0) -> Session:
    rng = np.random.default_rng(seed)
    limb = synthetic_limb(n, muscles, rng, durations_range=(50, 120))
    return Session(
        rng.random((n, bins, neurons)),
        limb["durations"],
        limb["muscles"],
        limb["endeffector"],
        limb["joints"],
        np.arange(n),
    )


# ---- the file format --------------------------------------------------------------------------------------------


def test_session_round_trip_in_the_successor_layout(tmp_path):
    session = _session()
    path = tmp_path / "Snap_20190829_active_mvt_end_at100.hdf5"
    write_session(path, session)
    with h5py.File(path) as handle:
        assert set(handle) == {
            "trial_ids",
            "data_ids",
            "trial_durations",
            "muscle_coords",
            "endeff_coords",
            "spike_counts",
            "joint_coords",
        }
        assert handle["spike_counts"].shape == (6, 400, 3)
        assert handle["muscle_coords"].shape == (6, 25, 400, 2)
        assert handle["endeff_coords"].shape == (6, 400, 2, 2)
        np.testing.assert_allclose(handle["muscle_coords"][0, 0, 0, 0], 1000 * session.muscles[0, 0, 0, 0], rtol=1e-6)
    back = read_session(path)
    np.testing.assert_allclose(back.muscles, session.muscles, rtol=1e-6)
    np.testing.assert_allclose(back.spikes, session.spikes, rtol=1e-6)
    np.testing.assert_array_equal(back.durations, session.durations)
    assert back.mask().sum() == int(np.minimum(session.durations, 300).sum())


def _write_raw(path, **arrays):
    with h5py.File(path, "w") as handle:
        for key, values in arrays.items():
            handle.create_dataset(key, data=values)


def _raw(n=4):
    return {
        "spike_counts": np.ones((n, 400, 2)),
        "trial_durations": np.full(n, 50),
        "muscle_coords": np.ones((n, 5, 400, 2)),
        "endeff_coords": np.ones((n, 400, 2, 2)),
    }


@pytest.mark.parametrize(
    "change, key, words",
    [
        ({"spike_counts": None}, "spike_counts", "missing key"),
        ({"trial_durations": np.full(3, 50)}, "trial_durations", "3 trials"),
        ({"trial_durations": np.array([50, 0, 50, 50])}, "trial_durations", "bins >= 1"),
        ({"muscle_coords": np.ones((4, 5, 300, 2))}, "muscle_coords", "(4, 5, 300, 2)"),
        ({"endeff_coords": np.ones((4, 400, 2))}, "endeff_coords", "3 axes"),
        ({"spike_counts": np.full((4, 400, 2), np.nan)}, "spike_counts", "NaN"),
        ({"spike_counts": np.ones((1, 400, 2))}, "spike_counts", "at least 2"),
    ],
)
def test_bad_files_fail_naming_file_and_key(tmp_path, change, key, words):
    arrays = _raw() | change
    arrays = {k: v for k, v in arrays.items() if v is not None}
    path = tmp_path / "Bad_1_active_mvt_end_at100.hdf5"
    _write_raw(path, **arrays)
    with pytest.raises(DataFormatError) as error:
        read_session(path)
    message = str(error.value)
    assert str(path) in message and repr(key) in message and words in message


def test_missing_and_foreign_files_fail_naming_the_file(tmp_path):
    with pytest.raises(DataFormatError, match="session file not found"):
        read_session(tmp_path / "none.hdf5")
    text = tmp_path / "text.hdf5"
    text.write_text("not hdf5")
    with pytest.raises(DataFormatError, match="not an HDF5 file"):
        read_session(text)


# ---- folds, PCA, ridge, resampling ------------------------------------------------------------------------------


def test_folds_never_split_a_trial_and_hold_each_trial_out_once():
    folds = predict.trial_folds(23, 5, seed=4)
    assert sorted(np.bincount(folds)) == [4, 4, 5, 5, 5]
    np.testing.assert_array_equal(folds, predict.trial_folds(23, 5, seed=4))
    assert not np.array_equal(folds, predict.trial_folds(23, 5, seed=5))
    with pytest.raises(ValueError, match="3 trials cannot be split into 5 folds"):
        predict.trial_folds(3, 5, seed=0)


def test_cross_validation_holds_whole_trials_out(monkeypatch):
    """Every fit of the outer and inner loops gets all of a trial's samples or none (the first target column holds
    the trial id)."""
    rng = np.random.default_rng(0)
    trials = np.repeat(np.arange(12), rng.integers(3, 9, size=12))
    x, y = rng.normal(size=(len(trials), 4)), rng.normal(size=(len(trials), 2))
    y[:, 0] = trials
    counts = np.bincount(trials)
    fits = []
    original = predict.ridge_path

    def spy(xf, yf, alphas):
        ids, seen = np.unique(yf[:, 0].astype(int), return_counts=True)
        fits.append(len(ids))
        np.testing.assert_array_equal(seen, counts[ids])
        return original(xf, yf, alphas)

    monkeypatch.setattr(predict, "ridge_path", spy)
    result = predict.cross_validated(x, y, trials, folds=4, inner_folds=3, seed=1)
    assert len(fits) == 4 * (3 + 1) and max(fits) == 9 and min(fits) == 6  # 9 training trials, 6 in an inner fit
    assert result.prediction.shape == y.shape and np.all(np.isfinite(result.prediction))


def test_ridge_path_matches_the_closed_form():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(50, 6)), rng.normal(size=(50, 3))
    coefficients, intercepts = predict.ridge_path(x, y, np.array([0.1, 10.0]))
    xc, yc = x - x.mean(0), y - y.mean(0)
    for a, alpha in enumerate((0.1, 10.0)):
        expected = np.linalg.solve(xc.T @ xc + alpha * np.eye(6), xc.T @ yc)
        np.testing.assert_allclose(coefficients[a], expected, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(intercepts[a], y.mean(0) - x.mean(0) @ expected, rtol=1e-8, atol=1e-10)


def test_explained_variance_and_alpha_grid():
    y = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 2.0]])
    ev = predict.explained_variance(y, np.array([[1.0, 0], [2.0, 0], [4.0, 0]]))
    assert ev[0] == pytest.approx(1 - np.var([0, 0, -1]) / np.var([1, 2, 3])) and np.isnan(ev[1])
    grid = predict.alpha_grid(-2, 5, 15)
    assert len(grid) == 15 and grid[0] == pytest.approx(0.01) and grid[-1] == pytest.approx(1e5)


def test_pca_keeps_75_components_and_drops_dead_units():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 120))
    assert predict.pca_scores(x, 75).shape == (400, 75)
    dead = np.column_stack([rng.normal(size=(50, 3)), np.zeros((50, 4))])
    assert predict.pca_scores(dead, 75).shape == (50, 3)


def test_resampling_to_network_steps_and_back():
    bins = np.arange(400, dtype=float) * 0.01  # a ramp in seconds
    steps = resample.resample(bins, 0.01, 0.015, 320)
    np.testing.assert_allclose(steps[:260], np.arange(260) * 0.015, atol=1e-12)
    assert np.all(steps[270:] == bins[-1])  # past 3.99 s the last bin is held
    layer = np.arange(80, dtype=float)[None, None, None, :] * np.ones((2, 3, 1, 80))  # T_l = 80: 4 steps each
    per_bin = resample.layer_to_bins(layer, 320, 0.015, 0.01, 400)
    assert per_bin.shape == (2, 400, 3)
    np.testing.assert_allclose(per_bin[0, :100, 0], np.arange(100) * 0.01 / 0.06, atol=1e-5)


# ---- the planted tuning through the stages ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A synthetic session tuned to layer 3 of a known network, scored with that network (trained), its untrained
    weights, and the linear baselines."""
    root = tmp_path_factory.mktemp("neural")
    model = _model_dir(root / "model", seed=3)
    out = {"session": root / "Synth_20240101_active_mvt_end_at100.hdf5", "truth": root / "truth.json"}
    truth = stages.write_synthetic(
        model / "config.json", model / "best.pt", synthetic=SYNTHETIC, data=DATA, dt=0.015, seed=11, out=out
    )
    identity = {"session": "Synth_20240101", "area": "CN", "task": "art", "family": "S", "seed": 3}
    tables = {}
    for state, weights in (("trained", "best.pt"), ("untrained", "init.pt")):
        tables[state] = root / f"{state}.tsv"
        stages.predict_model(
            out["session"],
            model / "config.json",
            model / weights,
            data=DATA,
            prediction=PREDICTION,
            dt=0.015,
            identity=identity | {"state": state},
            seed=11,
            out=tables[state],
        )
    tables["baselines"] = root / "baselines.tsv"
    stages.predict_baselines(
        out["session"],
        data=DATA,
        prediction=PREDICTION,
        baselines=["muscles", "hand", "joints"],
        identity={"session": "Synth_20240101", "area": "CN"},
        seed=11,
        out=tables["baselines"],
    )
    return root, truth, tables, out


def _medians(path):
    rows = read_tsv(path)
    return {
        layer: float(np.median([r["ev"] for r in rows if r["layer"] == layer]))
        for layer in dict.fromkeys(r["layer"] for r in rows)
    }


@pytest.mark.slow
def test_the_planted_layer_predicts_best_and_baselines_are_below(planted):
    _, truth, tables, _ = planted
    assert truth["layer"] == "layer3"
    trained = _medians(tables["trained"])
    assert list(trained) == ["layer1", "layer2", "layer3", "layer4"]
    assert max(trained, key=trained.get) == "layer3"
    assert trained["layer3"] > 0.3
    untrained = _medians(tables["untrained"])
    baselines = _medians(tables["baselines"])
    assert max(untrained.values()) < trained["layer3"] - 0.1
    assert max(baselines.values()) < min(0.1, trained["layer3"] - 0.2)


@pytest.mark.slow
def test_summary_figures_and_findings(planted, tmp_path):
    root, _, tables, _ = planted
    final = tmp_path / "final.tsv"
    final.write_text("task\tfamily\tseed\tmetric\ttest_metric\tuntrained_test_metric\nart\tS\t3\taccuracy\t0.8\t0.05\n")
    out = {name: tmp_path / f"{name}.tsv" for name in ("predictivity", "layers", "models", "baselines")}
    summary = stages.summarise([tables["trained"], tables["untrained"]], [tables["baselines"]], final, out=out)
    models = {r["state"]: r for r in summary["models"]}
    assert models["trained"]["best_layer"] == "layer3" and models["trained"]["performance"] == 0.8
    assert models["untrained"]["performance"] == 0.05
    assert len(summary["predictivity"]) == 8 * (4 + 4 + 3)
    pngs = {"layers": tmp_path / "layers.png", "performance": tmp_path / "performance.png"}
    stages.figures(out["layers"], out["models"], out=pngs)
    assert all(p.stat().st_size > 10_000 for p in pngs.values())
    scale = {"pca_components": 75, "ridge_alphas": 15, "cv_folds": 5, "bin_ms": 10.0}
    found = {m.quantity: m for m in measurements(summary["models"], summary["baselines"], scale)}
    linear = found["trained_vs_linear"].value
    assert linear["task_trained"] > linear["linear"]
    versus = found["trained_vs_untrained"].value
    assert versus["task_trained"] > versus["untrained"]
    assert np.isnan(found["position_velocity_tasks_best"].value["position_velocity"])  # no TDT model here
    assert np.isnan(found["predictivity_performance_spearman"].value)  # 2 model states: below 3
    assert found["pca_components"].value == 75


@pytest.mark.slow
def test_velocity_tuning_is_recovered_by_the_kinematic_baselines(tmp_path):
    """Neurons tuned to the hand velocity: the hand baseline (and the muscles, whose velocities carry the hand's)
    predict them; the same baselines predict nothing of the layer-planted session (previous test)."""
    model = _model_dir(tmp_path / "model", seed=5)
    out = {"session": tmp_path / "Synth_1_active_mvt_end_at100.hdf5", "truth": tmp_path / "truth.json"}
    stages.write_synthetic(
        model / "config.json",
        model / "best.pt",
        synthetic=SYNTHETIC | {"tuning": "velocity"},
        data=DATA,
        dt=0.015,
        seed=2,
        out=out,
    )
    table = tmp_path / "baselines.tsv"
    stages.predict_baselines(
        out["session"],
        data=DATA,
        prediction=PREDICTION,
        baselines=["muscles", "hand"],
        identity={"session": "Synth_1", "area": "S1"},
        seed=2,
        out=table,
    )
    medians = _medians(table)
    assert medians["hand"] > 0.4 and medians["muscles"] > 0.4


@pytest.mark.slow
def test_stages_are_deterministic(planted, tmp_path):
    root, _, tables, out = planted
    model = root / "model"
    again = tmp_path / "again.tsv"
    stages.predict_model(
        out["session"],
        model / "config.json",
        model / "best.pt",
        data=DATA,
        prediction=PREDICTION,
        dt=0.015,
        identity={
            "session": "Synth_20240101",
            "area": "CN",
            "task": "art",
            "family": "S",
            "seed": 3,
            "state": "trained",
        },
        seed=11,
        out=again,
    )
    assert again.read_bytes() == tables["trained"].read_bytes()
    second = {"session": tmp_path / "s.hdf5", "truth": tmp_path / "t.json"}
    stages.write_synthetic(
        model / "config.json", model / "best.pt", synthetic=SYNTHETIC, data=DATA, dt=0.015, seed=11, out=second
    )
    with h5py.File(second["session"]) as a, h5py.File(out["session"]) as b:
        for key in a:
            np.testing.assert_array_equal(a[key][()], b[key][()])


@pytest.mark.slow
def test_a_model_with_other_muscles_fails_naming_the_key(planted, tmp_path):
    root, _, _, out = planted
    other = tmp_path / "wide"
    other.mkdir()
    config = network_config(ARCH, "art", "spindle_info", 1) | {"input_shape": [2, 39, 400]}
    (other / "config.json").write_text(json.dumps(config))
    save_checkpoint(other / "best.pt", PCRTNetwork(ARCH, "art", 2, (39, 400)))
    with pytest.raises(DataFormatError, match="'muscle_coords' holds 25 muscles; the network .* takes 39"):
        stages.predict_model(
            out["session"],
            other / "config.json",
            other / "best.pt",
            data=DATA,
            prediction=PREDICTION,
            dt=0.01,
            identity={"session": "s", "area": "CN"},
            seed=1,
            out=tmp_path / "x.tsv",
        )


def test_spearman():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 25]) == pytest.approx(0.8)
    assert np.isnan(spearman([1, 2], [3, 4]))
    assert trial_mask(np.array([2]), 1, 5).tolist() == [[False, True, True, False, False]]


# ---- the plan ---------------------------------------------------------------------------------------------------


def _plan_config(**changes):
    """The demo config with ``changes`` as its neural section, defaults filled in by the schema (the plan-level
    checks are the tests')."""
    import yaml

    from neuromotor.config import schema_problems

    raw = yaml.safe_load(open("config/config.yaml"))
    raw["neural"] = changes
    assert schema_problems(raw) == []
    return raw


def test_plan_jobs_and_config_problems():
    from neuromotor.neural import plan

    config = _plan_config()
    states = plan.planned_states(config["neural"], config["convnets"])
    assert [s.key for s in states][:2] == ["art/S/seed1/trained", "art/S/seed1/untrained"]
    assert len(plan.model_tables(config["neural"], config["convnets"])) == len(states) == 16
    assert plan.check_config(config) == []
    assert plan.plant_state(config["neural"], config["convnets"]).key == "art/S/seed1/trained"
    bad = _plan_config(
        data={"source": "files"}, models={"tasks": ["tdt_pv"]}, synthetic={"plant": {"family": "TS", "seed": 9}}
    )
    problems = plan.check_config(bad)
    assert any(p.startswith("config key 'neural.data.sessions': empty") for p in problems)
    assert any(p.startswith("config key 'neural.models': selects none") for p in problems)
    synthetic = _plan_config(synthetic={"plant": {"family": "TS", "seed": 9}, "durations": [100, 350]})
    problems = plan.check_config(synthetic)
    assert any("'neural.synthetic.plant'" in p and "seed 9" in p for p in problems)
    assert any("'neural.synthetic.durations'" in p and "400-bin" in p for p in problems)


def test_cost_model_grows_with_the_session():
    from neuromotor.neural import plan

    small, large = plan._memory_mb((40, 400, 12), 500), plan._memory_mb((500, 400, 200), 500)
    assert 1500 < small < large
    widths = plan.architecture_widths(ARCH, (25, 320))
    assert widths == [4 * 13, 8 * 7, 8 * 7, 8 * 7]  # channels x rows: rows 25 -> 13 -> 7 (spatial stride 2)
    small, large = plan.model_seconds((40, 400, 12), widths, 10**6), plan.model_seconds((500, 400, 200), widths, 10**6)
    assert 10 < small < large
    assert plan.model_seconds((40, 400, 12), [4096] * 4, 10**6) > 4 * small  # PCA grows as the layer's width squared


@pytest.mark.slow
def test_vs_paper_judges_the_reference_rows_of_study_neural(planted, tmp_path):
    from neuromotor.neural.findings import scale

    root, _, tables, _ = planted
    out = {name: tmp_path / f"{name}.tsv" for name in ("predictivity", "layers", "models", "baselines")}
    stages.summarise([tables["trained"], tables["untrained"]], [tables["baselines"]], None, out=out)
    neural = _plan_config()["neural"]
    from neuromotor.represent.plan import ModelState

    states = [ModelState("art", "S", 3, "trained"), ModelState("art", "S", 3, "untrained")]
    for source, expected in (("synthetic", "not comparable at this scale"), ("files", "agrees")):
        run_scale = scale(neural | {"data": neural["data"] | {"source": source}}, states, 1)
        rows = stages.vs_paper(
            "resources/reference/published.tsv",
            out["models"],
            out["baselines"],
            scale=run_scale,
            out={"table": tmp_path / f"vs_paper_{source}.tsv"},
        )
        verdicts = {r["quantity"]: r["verdict"] for r in rows}
        assert verdicts["trained_vs_linear"] == expected and verdicts["trained_vs_untrained"] == expected
        assert verdicts["pca_components"] == verdicts["ridge_alphas"] == verdicts["cv_folds"] == "agrees"
        assert verdicts["bin_ms"] == "agrees"
        assert verdicts["position_velocity_tasks_best"] == "missing from this run"  # no position/velocity task
        assert verdicts["median_predictivity"] == "not checked (unknown)"


def test_the_successors_limb_tasks_count_as_position_velocity_tasks():
    """position_velocity_tasks_best sets the hand/limb position and velocity regressions against the other tasks
    (acceleration, joints, autoencoding, action recognition)."""
    from neuromotor.neural.findings import measurements

    def row(task, ev):
        return {"session": "s", "area": "CN", "task": task, "state": "trained", "best_median_ev": ev, "performance": ev}

    models = [row("limb_pos_vel", 0.4), row("hand_vel", 0.3), row("joints_pos", 0.5), row("limb_pos_vel_acc", 0.2)]
    baselines = [{"session": "s", "area": "CN", "median_ev": 0.1}]
    scale = {"pca_components": 75, "ridge_alphas": 15, "cv_folds": 5, "bin_ms": 10.0}
    found = {m.quantity: m for m in measurements(models, baselines, scale)}
    assert found["position_velocity_tasks_best"].value == {"position_velocity": 0.4, "other": 0.5}
    assert "joints_pos, limb_pos_vel_acc" in found["position_velocity_tasks_best"].note
