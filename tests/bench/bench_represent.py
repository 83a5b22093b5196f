"""Benchmark: the workflow's single-unit tuning-curve fits against the original per-unit loop, on the same
activations, and the extrapolation to the paper's plan.

Activations: the paper's S network (``spatial_temporal_4_8-16-16-32_32-32-64-64_7293``, 8 layers + the input,
778 units; initial weights of seed 1, or a trained model folder with ``--model``) on the horizontal trajectories
of a test split (the project's synthetic PCRT-like dataset by default, ``--dataset`` for a real
``dataset.zarr``). For every layer, the plane subset ``horall`` is split by trajectory (80/20, random state 42)
and every unit is regressed on the 16 designs of Sandbrink et al. 2023, Figure 5 (4 feature sets × 4 models), on the
kept time steps:

(i)  original: for each unit and feature set, the original's ``tune_row_vel``: the four models' designs built
     from the unit's samples, rows with a NaN regressor dropped, ``np.linalg.lstsq`` on [X, 1], then RMSE, R²
     (``r2_score``) and Pearson r (``np.corrcoef``) of the train and test predictions (the polar conversion of
     ``ee`` vectorised with arctan2, which favours the original);
(ii) workflow: :func:`neuromotor.represent.stages.fit_layers` — exactly what a ``representations_units`` job runs:
     per layer, the samples of all units, the designs, one pass of sufficient statistics and all fits at once.

Everything single-threaded and timed in CPU time of this process (``time.process_time``), so the ratio is per core and
other processes on the machine do not distort it. Prints per layer and in total the times, the ratio and the largest
|R²| difference (train and test, every unit and design; the units constant on all samples of a split, dead ReLUs, are
counted: both score them 1). Then extrapolates the measured per-sample costs to the paper's plan (Sandbrink et al. 2023,
Figures 5 and 6: S, ST and LSTM, 2 tasks × 5 seeds × trained/untrained, 4,000/2,000-trajectory subsets, both plane
subsets and the 43 plane heights), also for the label tuning (``--label-units`` units through the original's LinearSVC
per unit, and the vectorised ``auc`` method on all units).

    python tests/bench/bench_represent.py [--trajectories 1000] [--dataset dataset.zarr] [--model folder]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from neuromotor.convnets.models import Architecture, PCRTNetwork, load_network
from neuromotor.represent import activations as act
from neuromotor.represent import kinematics as kin
from neuromotor.represent import tuning as tun
from neuromotor.represent.stages import WINDOW, _label_tuning, fit_layers
from neuromotor.represent.synthetic import write_synthetic_dataset

PAPER_NETWORKS = {
    "S": Architecture("S", 4, (8, 16, 16, 32), (32, 32, 64, 64), 7, 2, 9, 3),
    "ST": Architecture("ST", 4, (8, 8, 32, 64), (), 7, 2, 7, 2),
    "LSTM": Architecture("LSTM", 3, (8, 16, 16), (), 5, 1, units=256),
}
"""The final analysed models of Sandbrink et al. 2023 (2-channel input)."""
PAPER_SUBSET = {"S": 4000, "ST": 4000, "LSTM": 2000}
PAPER_MODEL_STATES = 2 * 5 * 2  # tasks x seeds x (trained, untrained) per family
HEIGHTS = {"horizontal": 26, "vertical": 17}
TUNING = {"test_size": 0.2, "random_state": 42, "onset": 32, "tcoff": "original", "labels": "off"}
DESIGNS = [(name, model) for name in kin.FEATURE_SETS for model in range(4)]


def layer_table(arch: Architecture, channels: int = 2) -> list[tuple[int, int]]:
    """(units, kept time steps) of layers 0..K of a network (no forward pass needed)."""
    network = PCRTNetwork(arch, "art", channels)
    shapes = [(channels, 25, WINDOW)] + [tuple(s) for s in network.feature_shapes]
    lengths = [s[-1] for s in shapes]
    strides = act.layer_strides(network, lengths, WINDOW)
    return [(c * h, len(kin.kept_time_indices(t, s))) for (c, h, t), s in zip(shapes, strides)]


def _metrics(y, prediction):
    """The original's compute_metrics: RMSE, r2_score, Pearson r."""
    from sklearn.metrics import mean_squared_error, r2_score

    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pcc = np.corrcoef(y, prediction)[0, 1]
    return np.sqrt(mean_squared_error(y, prediction)), r2_score(y, prediction), pcc


def _linreg(x_train, x_test, y_train, y_test):
    """The original's feature_set + linreg: drop rows with a NaN regressor, lstsq on [X, 1], metrics."""
    keep_train, keep_test = ~np.isnan(x_train).any(axis=1), ~np.isnan(x_test).any(axis=1)
    design_train = np.column_stack([x_train[keep_train], np.ones(keep_train.sum())])
    design_test = np.column_stack([x_test[keep_test], np.ones(keep_test.sum())])
    c = np.linalg.lstsq(design_train, y_train[keep_train], rcond=None)[0]
    return c, _metrics(y_train[keep_train], design_train @ c), _metrics(y_test[keep_test], design_test @ c)


def original_layer(components_train, components_test, y_train, y_test):
    """The original per-unit procedure (``tune_row_vel`` for each feature set and unit): the designs of the four
    models built from the unit's samples, then lstsq and the metrics per model. The Cartesian-to-polar conversion
    of ``ee`` uses arctan2 instead of the original's per-sample Python angle function (far slower); otherwise the
    same work. Returns {(feature set, model): (U, 2) train and test R²}."""
    out = {}
    for name in kin.FEATURE_SETS:
        ctrain, ctest = components_train[name], components_test[name]
        r2 = np.zeros((4, y_train.shape[1], 2))
        for unit in range(y_train.shape[1]):
            y, yt = np.asarray(y_train[:, unit], np.float64), np.asarray(y_test[:, unit], np.float64)
            xtr, xte = ctrain, ctest
            r2[0, unit] = [m[1] for m in _linreg(xtr, xte, y, yt)[1:]]
            if name not in kin.POLAR_FEATURE_SETS:
                xtr = np.column_stack(kin.to_polar(xtr[:, 0], xtr[:, 1]))
                xte = np.column_stack(kin.to_polar(xte[:, 0], xte[:, 1]))
            for model, regressors in ((1, lambda x: np.column_stack([np.cos(x[:, 1]), np.sin(x[:, 1])])),
                                      (2, lambda x: x[:, :1]),
                                      (3, lambda x: np.column_stack([x[:, 0] * np.cos(x[:, 1]), x[:, 0] * np.sin(x[:, 1])]))):  # fmt: skip
                r2[model, unit] = [m[1] for m in _linreg(regressors(xtr), regressors(xte), y, yt)[1:]]
        for model in range(4):
            out[(name, model)] = r2[model]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trajectories", type=int, default=1000, help="test trajectories of the synthetic split")
    parser.add_argument("--dataset", help="a dataset.zarr (test split) instead of the synthetic data")
    parser.add_argument("--model", help="a final model folder (config.json, best.pt) instead of the untrained S net")
    parser.add_argument("--label-units", type=int, default=16, help="units timed through the original label SVM")
    args = parser.parse_args()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset
        if dataset is None:
            dataset = Path(tmp) / "dataset.zarr"
            write_synthetic_dataset(dataset, n_train=20, n_test=args.trajectories)
        n_test = act.split_length(dataset, "test")
        ee_all = act.read_rows(dataset, "test", ["endeffector_coords"], np.arange(n_test))["endeffector_coords"]
        rows = np.flatnonzero(kin.plane_mask(ee_all, "horall"))
        data = act.read_rows(dataset, "test", ["spindle_info", "endeffector_coords", "label"], rows)
    if args.model:
        network = load_network(args.model, "best")
    else:
        torch.manual_seed(1)
        network = PCRTNetwork(PAPER_NETWORKS["S"], "art", 2).eval()
    layers = act.forward_layers(network, act.network_input(data["spindle_info"], "spindle_info"), 100)
    strides = act.layer_strides(network, [layer.shape[-1] for layer in layers], WINDOW)
    features = kin.feature_components(data["endeffector_coords"], "horall")
    trajectories = np.arange(len(rows))
    print(f"{len(rows)} horizontal trajectories; {len(layers)} layers, "
          f"{sum(l.shape[1] * l.shape[2] for l in layers)} units; 16 designs per unit; single-threaded\n")

    # the workflow, as a job runs it (all layers of the plane subset); imports warmed up first
    fit_layers(lambda k: layers[k][:, :, :1], strides[:1], data["label"], trajectories, features, TUNING, DESIGNS[:1])
    started = time.process_time()
    fast = fit_layers(lambda k: layers[k], strides, data["label"], trajectories, features, TUNING, DESIGNS)
    workflow_total = time.process_time() - started

    # per layer: the workflow again (for per-layer times) and the original loop on the same samples and designs
    split = tun.trajectory_split(len(rows))
    models = {name: [0, 1, 2, 3] for name in kin.FEATURE_SETS}
    header = f"{'layer':>5} {'units':>6} {'train samples':>13} {'original s':>11} {'workflow s':>11} {'ratio':>7} {'max |dR2|':>10} {'constant':>8}"
    print(header)
    totals = {"original": 0.0, "workflow": 0.0, "unit_samples": 0.0}
    worst = 0.0
    for k, (values, stride) in enumerate(zip(layers, strides)):
        kept = kin.kept_time_indices(values.shape[-1], stride)
        times = kin.sample_times(kept, stride)
        y_train = tun.layer_samples(values, split[0], kept)
        y_test = tun.layer_samples(values, split[1], kept)
        sub = lambda idx: {name: f[idx] for name, f in features.items()}  # noqa: E731
        keys, d_train = tun.tuning_designs(sub(split[0]), models, np.arange(len(split[0])), times)
        _, d_test = tun.tuning_designs(sub(split[1]), models, np.arange(len(split[1])), times)
        started = time.process_time()
        fits = tun.fit_linear_models(d_train, d_test, y_train, y_test)
        t_workflow = time.process_time() - started
        components_train = {n: tun.feature_samples(f[split[0]], np.arange(len(split[0])), times) for n, f in features.items()}
        components_test = {n: tun.feature_samples(f[split[1]], np.arange(len(split[1])), times) for n, f in features.items()}
        started = time.process_time()
        reference = original_layer(components_train, components_test, y_train, y_test)
        t_original = time.process_time() - started
        constant = (np.ptp(y_train, axis=0) == 0) | (np.ptp(y_test, axis=0) == 0)
        original_r2 = np.stack([reference[key] for key in keys])  # (designs, U, [train, test])
        diff = np.abs(fits.metrics[..., 1] - original_r2)
        layer_worst = float(np.nanmax(diff)) if diff.size else 0.0
        assert np.array_equal(np.isnan(fits.metrics[..., 1]), np.isnan(original_r2))
        np.testing.assert_array_equal(fast[k]["fits"].metrics, fits.metrics)  # the job's path gives the same numbers
        worst = max(worst, layer_worst)
        totals["original"] += t_original
        totals["workflow"] += t_workflow
        totals["unit_samples"] += y_train.shape[1] * (len(y_train) + len(y_test))
        print(f"{k:>5} {y_train.shape[1]:>6} {len(y_train):>13} {t_original:>11.2f} {t_workflow:>11.3f} "
              f"{t_original / t_workflow:>6.0f}x {layer_worst:>10.1e} {int(constant.sum()):>8}")
    ratio = totals["original"] / totals["workflow"]
    print(f"{'all':>5} {'':>6} {'':>13} {totals['original']:>11.2f} {totals['workflow']:>11.3f} {ratio:>6.0f}x "
          f"{worst:>10.1e}")
    print(f"\nworkflow job path (fit_layers, samples and designs included): {workflow_total:.2f} s -> "
          f"{totals['original'] / workflow_total:.0f}x against the original loop")
    print(f"largest |R2 difference| (train and test, every unit and design): {worst:.2e} "
          f"({'identical within 1e-6' if worst <= 1e-6 else 'DIFFERENT'})")

    # label tuning: the original's SVM per unit (on a few units of the first conv layer) and the vectorised method
    values = layers[1]
    kept = kin.kept_time_indices(values.shape[-1], strides[1])
    y_train, y_test = tun.layer_samples(values, split[0], kept), tun.layer_samples(values, split[1], kept)
    labels_train = np.repeat(data["label"][split[0]], len(kept))
    labels_test = np.repeat(data["label"][split[1]], len(kept))
    classes = sorted(np.unique(data["label"]).tolist())
    units = slice(0, args.label_units)
    started = time.process_time()
    _label_tuning(y_train[:, units], y_test[:, units], labels_train, labels_test, classes, 10, 1)
    svm_per_unit_sample = (time.process_time() - started) / (args.label_units * (len(y_train) + len(y_test)))
    started = time.process_time()
    tun.label_scores_auc(y_train, labels_train, y_test, labels_test, classes)
    auc_per_unit_sample = (time.process_time() - started) / (y_train.shape[1] * (len(y_train) + len(y_test)))

    # direction fits per plane height (as the invariance analysis runs them) and population decoding
    heights = np.round(data["endeffector_coords"][:, 2, 0], 3)
    started, height_samples = time.process_time(), 0.0
    for height in np.unique(heights):
        members = np.flatnonzero(heights == height)
        if len(members) >= 2:
            fit_layers(lambda k: layers[k], strides, data["label"], members,
                       {name: f[members] for name, f in features.items()}, TUNING, [("vel", 1)])  # fmt: skip
            height_samples += len(members) * sum(l.shape[1] * l.shape[2] * len(kin.kept_time_indices(l.shape[-1], s))
                                                 for l, s in zip(layers, strides))  # fmt: skip
    height_per_sample = (time.process_time() - started) / height_samples
    started = time.process_time()
    fit_layers(lambda k: layers[k], strides, data["label"], trajectories, features, TUNING, [],
               {"alpha": 1.0, "targets": ["ee", "eepolar", "vel", "acc"]})  # fmt: skip
    decoding_per_sample = (time.process_time() - started) / totals["unit_samples"]

    # extrapolation to the paper plan: every cost is ~ units x samples (x designs for the loop)
    plan = 0.0
    for family, arch in PAPER_NETWORKS.items():
        plan += PAPER_MODEL_STATES * PAPER_SUBSET[family] * sum(units * kept for units, kept in layer_table(arch))
    # the synthetic unit-samples above hold the plane subset's trajectories once; the plan's subsets are covered
    # once by the two plane subsets and once by the plane heights
    hours = lambda per_sample: per_sample * plan / 3600  # noqa: E731
    original = totals["original"] / totals["unit_samples"]
    workflow = workflow_total / totals["unit_samples"]
    rows_out = [
        ("regression tuning, 16 designs, horall + vertall", hours(original), hours(workflow)),
        ("direction tuning, plane heights", hours(original) / 16, hours(height_per_sample)),
        ("label tuning (original: LinearSVC per unit; workflow: auc)", hours(svm_per_unit_sample),
         hours(auc_per_unit_sample)),
        ("population decoding (ridge, 4 targets)", float("nan"), hours(decoding_per_sample)),
    ]  # fmt: skip
    print(f"\npaper plan: S, ST, LSTM x {PAPER_MODEL_STATES} model states (2 tasks x 5 seeds x trained/untrained), "
          f"{plan:.3g} unit-samples; CPU hours on one core, extrapolated from the per-sample costs above:")
    for name, before, after in rows_out:
        print(f"  {name:<62} original {before:7.1f} h   workflow {after:6.2f} h")
    print(f"  {'total':<62} original {sum(r[1] for r in rows_out[:3]):7.1f} h   "
          f"workflow {sum(r[2] for r in rows_out):6.2f} h   (label SVM kept: "
          f"{sum(r[2] for r in rows_out) - rows_out[2][2] + rows_out[2][1]:.1f} h)")


if __name__ == "__main__":
    main()
