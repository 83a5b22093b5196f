"""The neural-prediction stages: the only module the ``scripts/neural_*.py`` entry points import.

1. :func:`write_synthetic` — a synthetic session file in the successor's layout with planted tuning;
2. :func:`predict_model` — predictivity of every neuron from every layer of one network (trained or untrained);
3. :func:`predict_baselines` — the linear baselines (muscles, hand, joints);
4. :func:`summarise` — the tables per neuron, per layer, per model (with its task performance), per baseline;
5. :func:`figures` — predictivity per layer, predictivity against task performance;
6. :func:`vs_paper` — the successor's published findings against this run.

Signature style: inputs, then ``*``, the config pieces, ``seed``, ``out``.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuromotor.io.store import atomic_file
from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.neural import predict
from neuromotor.neural.features import BASELINES, baseline_features, check_model_input, layer_features
from neuromotor.neural.session import Session, read_session, write_session

log = logging.getLogger(__name__)

UNIT_KEYS = ("session", "area", "model", "task", "family", "seed", "state", "layer")
"""What identifies a layer (or baseline) of one model state on one session."""
NEURON_COLUMNS = (*UNIT_KEYS, "neuron", "ev", "ev_fold_mean", "alpha_median", "components")
"""Columns of the per-neuron tables (a baseline's ``model`` is ``baseline``, its ``layer`` the baseline's name)."""
LAYER_COLUMNS = (*UNIT_KEYS, "layer_index", "median_ev", "mean_ev", "neurons")
MODEL_COLUMNS = (
    "session",
    "area",
    "task",
    "family",
    "seed",
    "state",
    "best_layer",
    "best_median_ev",
    "metric",
    "test_metric",
    "performance",
)
"""``performance``: the test metric oriented so that larger is better (accuracy; minus the TDT error in cm)."""


def rng_seed(seed: int, *identifiers: int | str) -> int:
    """A seed from the config seed and stable identifiers (strings through their CRC-32)."""
    words = [int(seed)] + [i if isinstance(i, int) else zlib.crc32(str(i).encode()) for i in identifiers]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def _read(path, cfg: Mapping) -> Session:
    return read_session(path, align=cfg["align"], muscle_scale=cfg["muscle_scale"], bin_s=cfg["bin_s"])


# ---- 1. synthetic session ---------------------------------------------------------------------------------------


def write_synthetic(
    config: str | Path,
    weights: str | Path,
    *,
    synthetic: Mapping,
    data: Mapping,
    dt: float,
    seed: int,
    out: Mapping[str, str | Path],
) -> dict:
    """Write a synthetic session (``out['session']``) with the muscle count of the network at ``config`` and neurons
    tuned (``synthetic['tuning']``) to layer ``synthetic['plant']['layer']`` of that network with ``weights``
    (beyond what the linear baselines hold), or to the hand velocity; the truth to ``out['truth']`` (JSON)."""
    from neuromotor.convnets.models import build_network, read_config
    from neuromotor.neural import synthetic as synth
    from neuromotor.train.checkpoint import load_checkpoint, restore

    rng = np.random.default_rng(rng_seed(seed, "neural-synthetic", synthetic["session"]))
    network_config = read_config(Path(config).parent)
    _, n_muscles, _ = network_config["input_shape"]
    limb = synth.synthetic_limb(
        int(synthetic["trials"]),
        int(n_muscles),
        rng,
        durations_range=tuple(synthetic["durations"]),
        align=int(data["align"]),
    )
    empty = Session(
        np.zeros((len(limb["durations"]), synth.N_BINS, 1)),
        limb["durations"],
        limb["muscles"],
        limb["endeffector"],
        limb["joints"],
        np.arange(len(limb["durations"])),
        int(data["align"]),
    )
    mask = empty.mask()
    plant = synthetic["plant"]
    truth = {
        "session": synthetic["session"],
        "area": synthetic["area"],
        "tuning": synthetic["tuning"],
        "neurons": int(synthetic["neurons"]),
    }
    if synthetic["tuning"] == "layer":
        model = build_network(network_config)
        restore(model, load_checkpoint(weights), weights)
        layers = layer_features(model.eval(), empty, dt)
        index = int(plant["layer"])
        if not 1 <= index <= len(layers):
            raise ValueError(
                f"config key 'neural.synthetic.plant.layer': {index}; the network {network_config['name']} has layers "
                f"1..{len(layers)}"
            )
        kinematics = np.concatenate([baseline_features(empty, name) for name in BASELINES], axis=-1)
        drive, _ = synth.planted_drive(
            layers[index - 1], mask, int(synthetic["neurons"]), int(synthetic["components"]), rng, exclude=kinematics
        )
        truth |= {"model": network_config["name"], "layer": f"layer{index}", "weights": Path(weights).stem}
    else:
        velocity = limb["endeffector"][..., 1]  # (N, T, 2)
        drive, _ = synth.planted_drive(velocity, mask, int(synthetic["neurons"]), 2, rng)
        truth |= {"baseline": "hand"}
    rates = synthetic["rate_hz"]
    session = synth.synthetic_session(
        limb, drive, rng, baseline_hz=rates["baseline"], modulation_hz=rates["modulation"], align=int(data["align"])
    )
    write_session(out["session"], session, muscle_scale=float(data["muscle_scale"]))
    with atomic_file(out["truth"]) as tmp:
        Path(tmp).write_text(json.dumps(truth, indent=1) + "\n")
    log.info(
        "synthetic session %s: %d trials, %d neurons, tuning %s",
        synthetic["session"],
        session.n_trials,
        session.n_neurons,
        truth,
    )
    return truth


# ---- 2-3. predictivity ------------------------------------------------------------------------------------------


def score_features(
    session: Session, values: np.ndarray, *, prediction: Mapping, seed: int
) -> tuple[predict.Predictivity, int]:
    """Held-out predictivity of every neuron of ``session`` from per-bin ``values`` (N, T, F): PCA to
    ``prediction['pca_components']``, ridge over the alpha grid, folds by trial (seeded by the session only: the
    same folds for every model), and the number of components kept."""
    mask = session.mask()
    x, trials = predict.samples(values, mask)
    y, _ = predict.samples(session.spikes, mask)
    x = predict.pca_scores(x, int(prediction["pca_components"]))
    grid = prediction["alphas"]
    return (
        predict.cross_validated(
            x,
            y,
            trials,
            folds=int(prediction["folds"]),
            inner_folds=int(prediction["inner_folds"]),
            alphas=predict.alpha_grid(grid["log10_min"], grid["log10_max"], grid["n"]),
            seed=seed,
        ),
        x.shape[1],
    )


def _neuron_rows(identity: Mapping, layer: str, result: predict.Predictivity, components: int) -> list[dict]:
    return [
        dict(identity)
        | {
            "layer": layer,
            "neuron": u,
            "ev": float(result.ev[u]),
            "ev_fold_mean": float(np.nanmean(result.ev_folds[:, u])),
            "alpha_median": float(np.median(result.alphas[:, u])),
            "components": components,
        }
        for u in range(len(result.ev))
    ]


def predict_model(
    session_path: str | Path,
    config: str | Path,
    weights: str | Path,
    *,
    data: Mapping,
    prediction: Mapping,
    dt: float,
    identity: Mapping,
    seed: int,
    device=None,
    out: str | Path,
) -> list[dict]:
    """Per-neuron predictivity (:data:`NEURON_COLUMNS`) of every layer 1..K of the network (``config`` and
    ``weights``) on the session's muscles; ``identity``: session, area, task, family, seed, state."""
    from neuromotor.convnets.models import build_network, read_config
    from neuromotor.train.checkpoint import load_checkpoint, restore

    session = _read(session_path, data)
    network_config = read_config(Path(config).parent)
    check_model_input(session, network_config["input_shape"], str(session_path), str(config))
    model = build_network(network_config)
    restore(model, load_checkpoint(weights), weights)
    layers = layer_features(model.eval(), session, dt, device=device)
    fold_seed = rng_seed(seed, "neural-folds", identity["session"])
    rows = []
    for index, values in enumerate(layers, start=1):
        result, components = score_features(session, values, prediction=prediction, seed=fold_seed)
        rows += _neuron_rows(identity | {"model": network_config["name"]}, f"layer{index}", result, components)
        log.info("%s layer%d: median EV %.3f", network_config["name"], index, float(np.nanmedian(result.ev)))
    write_tsv(out, rows, NEURON_COLUMNS)
    return rows


def predict_baselines(
    session_path: str | Path,
    *,
    data: Mapping,
    prediction: Mapping,
    baselines: Sequence[str],
    identity: Mapping,
    seed: int,
    out: str | Path,
) -> list[dict]:
    """Per-neuron predictivity of the linear baselines (kinematics per bin, same PCA, ridge and folds)."""
    session = _read(session_path, data)
    fold_seed = rng_seed(seed, "neural-folds", identity["session"])
    rows = []
    base = dict(identity) | {"model": "baseline", "task": "linear", "family": "-", "seed": 0, "state": "-"}
    for name in baselines:
        result, components = score_features(
            session, baseline_features(session, name, str(session_path)), prediction=prediction, seed=fold_seed
        )
        rows += _neuron_rows(base, name, result, components)
        log.info("baseline %s: median EV %.3f", name, float(np.nanmedian(result.ev)))
    write_tsv(out, rows, NEURON_COLUMNS)
    return rows


# ---- 4. summary -------------------------------------------------------------------------------------------------


def layer_table(rows: Sequence[Mapping]) -> list[dict]:
    """Median and mean EV per (session, model state or baseline, layer), in first-seen order."""
    groups: dict[tuple, list[Mapping]] = {}
    for row in rows:
        key = tuple(row[c] for c in UNIT_KEYS)
        groups.setdefault(key, []).append(row)
    out = []
    for key, members in groups.items():
        ev = np.array([float(m["ev"]) for m in members])
        layer = key[-1]
        index = int(layer[5:]) if layer.startswith("layer") and layer[5:].isdigit() else 0
        out.append(
            dict(zip(UNIT_KEYS, key))
            | {
                "layer_index": index,
                "median_ev": float(np.nanmedian(ev)) if np.isfinite(ev).any() else np.nan,
                "mean_ev": float(np.nanmean(ev)) if np.isfinite(ev).any() else np.nan,
                "neurons": int(np.isfinite(ev).sum()),
            }
        )
    return out


def performance(metric: str, value: float) -> float:
    """Task performance, larger better: accuracy as it is, minus an error (``error_cm``)."""
    return float(value) if metric == "accuracy" else -float(value)


def model_table(layers: Sequence[Mapping], final: Sequence[Mapping]) -> list[dict]:
    """Per (session, model state): the best layer by median EV and the model's test metric from the convnets
    stage's ``final.tsv`` (trained: ``test_metric``; untrained: ``untrained_test_metric``)."""
    metrics = {(r["task"], r["family"], int(r["seed"])): r for r in final}
    best: dict[tuple, Mapping] = {}
    for row in layers:
        if row["model"] == "baseline":
            continue
        key = (row["session"], row["area"], row["task"], row["family"], int(row["seed"]), row["state"])
        if key not in best or float(row["median_ev"]) > float(best[key]["median_ev"]):
            best[key] = row
    out = []
    for key, row in best.items():
        final_row = metrics.get(key[2:5])
        metric = final_row["metric"] if final_row else ""
        value = np.nan
        if final_row:
            value = float(final_row["test_metric" if key[5] == "trained" else "untrained_test_metric"])
        out.append(
            dict(zip(("session", "area", "task", "family", "seed", "state"), key))
            | {
                "best_layer": row["layer"],
                "best_median_ev": float(row["median_ev"]),
                "metric": metric,
                "test_metric": value,
                "performance": performance(metric, value) if final_row else np.nan,
            }
        )
    return out


def summarise(
    model_tables: Sequence[str | Path],
    baseline_tables: Sequence[str | Path],
    final_table: str | Path | None,
    *,
    out: Mapping[str, str | Path],
) -> dict[str, list[dict]]:
    """``out['predictivity']`` (every neuron row), ``out['layers']``, ``out['models']``, ``out['baselines']``."""
    rows = [row for path in [*model_tables, *baseline_tables] for row in read_tsv(path, NEURON_COLUMNS)]
    layers = layer_table(rows)
    final = (
        read_tsv(final_table, ("task", "family", "seed", "metric", "test_metric", "untrained_test_metric"))
        if final_table
        else []
    )
    models = model_table(layers, final)
    baselines = [row for row in layers if row["model"] == "baseline"]
    write_tsv(out["predictivity"], rows, NEURON_COLUMNS)
    write_tsv(out["layers"], layers, LAYER_COLUMNS)
    write_tsv(out["models"], models, MODEL_COLUMNS)
    write_tsv(out["baselines"], baselines, LAYER_COLUMNS)
    return {"predictivity": rows, "layers": layers, "models": models, "baselines": baselines}


# ---- 5. figures -------------------------------------------------------------------------------------------------


def figures(layers_table: str | Path, models_table: str | Path, *, out: Mapping[str, str | Path]) -> None:
    """``out['layers']``: median predictivity per layer of every model state, baselines as lines;
    ``out['performance']``: each model state's best-layer predictivity against its task performance."""
    from neuromotor.neural.figures import plot_layers, plot_performance

    layers = read_tsv(layers_table, LAYER_COLUMNS)
    plot_layers(layers, out["layers"])
    plot_performance(read_tsv(models_table, MODEL_COLUMNS), layers, out["performance"])


# ---- 6. against the paper ---------------------------------------------------------------------------------------


def vs_paper(
    reference: str | Path,
    models_table: str | Path,
    baselines_table: str | Path,
    *,
    scale: Mapping,
    out: Mapping[str, str | Path],
) -> list[dict]:
    """The successor's findings (study ``neural`` of the reference table) against this run."""
    from neuromotor.fidelity.stages import write_vs_paper
    from neuromotor.neural.findings import measurements

    found = measurements(read_tsv(models_table, MODEL_COLUMNS), read_tsv(baselines_table, LAYER_COLUMNS), scale)
    return write_vs_paper(
        reference, "neural", found, scale, out_tsv=out["table"], out_png=out.get("figure"), out_html=out.get("html")
    )
