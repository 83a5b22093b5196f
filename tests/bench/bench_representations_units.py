"""Benchmark: the label tuning of one unit (``representations.tuning.labels: svm``) at the DeepDraw paper plan's
sizes, against the plan's cost model (issue 15).

A ``representations_units`` job with ``labels: svm`` fits, for every unit and each plane subset (``horall``,
``vertall``), the original's ``OneVsRestClassifier(LinearSVC(max_iter=10))`` on the unit's activation at the kept
(trajectory, time) samples of the subset's train split against the 20 character labels, and scores its decision
values on the train and test samples (neuromotor.represent.stages.fit_sets). At the paper plan's bound (of each
family's sampled configurations the one with the most floats (neuromotor.represent.plan.layer_floats); 4,000
trajectories per model state, LSTM 2,000; the two plane subsets each half of them, split 80/20) a unit is fitted
on 1,600 x 254 train samples and scored on 2,000 x 254 per plane subset (LSTM half). About 20 CPU-s per unit with
the dual coordinate descent of the original's scikit-learn (``LinearSVC(dual=True)``), 3x the primal solver.

Synthetic activations (a ReLU of a label- and time-dependent drive plus noise, float32; the labels drawn per
trajectory as in the balanced dataset) of ``--units`` units per family size: each unit's full label tuning (both
plane subsets) is timed in CPU time of this process (``time.process_time``, one thread) with the workflow's
:func:`neuromotor.represent.tuning.label_scores` and with the original's scoring
(:func:`~neuromotor.represent.tuning.label_scores_roc`: ``roc_auc_score`` of the decision values), and their
scores compared. Then the per unit-sample cost is projected onto the plan (60 model states) next to the plan's
constant (neuromotor.represent.plan.UNIT_SAMPLE_SECONDS). About 6 CPU-minutes with the default 3 units.

    OMP_NUM_THREADS=1 python tests/bench/bench_representations_units.py [--units 3]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import time
from pathlib import Path

import numpy as np
import yaml

from neuromotor.config import layer_configs, validate_config
from neuromotor.costs import runtime_request_min
from neuromotor.represent import kinematics as kin
from neuromotor.represent import plan as represent_plan
from neuromotor.represent import tuning as tun


PROJECT_ROOT = Path(__file__).resolve().parents[2]
PLANES = 2
"""Plane subsets of the paper plan (``horall``, ``vertall``), each half of a model state's trajectories."""


def paper_config() -> dict:
    demo = yaml.safe_load((PROJECT_ROOT / "config/config.yaml").read_text())
    paper = yaml.safe_load((PROJECT_ROOT / "config/paper/deepdraw.yaml").read_text())
    return validate_config(layer_configs(demo, paper))


def synthetic_unit(rng: np.random.Generator, labels: np.ndarray, n_kept: int) -> np.ndarray:
    """One unit's activations (n_trajectories, n_kept) float32: ReLU of a per-label drive times a time course
    plus noise (many exact zeros, as a ReLU unit has)."""
    drive = rng.normal(size=int(labels.max()) + 1)[labels][:, None]
    course = np.sin(np.linspace(0, np.pi * rng.uniform(1, 3), n_kept))[None, :]
    return np.maximum(drive * course + rng.normal(size=(len(labels), n_kept)), 0.0).astype(np.float32)


def time_unit(scorer, rng, n_plane: int, n_kept: int, cfg: dict, classes: list[int]) -> tuple[float, list]:
    """CPU seconds of one unit's label tuning on ``PLANES`` plane subsets of ``n_plane`` trajectories each, and its
    (train, test) scores per subset. ``scorer``: label_scores or label_scores_roc."""
    seconds, scores = 0.0, []
    for plane in range(PLANES):
        plane_rng = np.random.default_rng([int(rng.integers(1 << 30)), plane])
        labels = plane_rng.integers(0, len(classes), n_plane)
        y = synthetic_unit(plane_rng, labels, n_kept)
        train, test = tun.trajectory_split(n_plane, cfg["test_size"], cfg["random_state"])
        args = (y[train].ravel(), np.repeat(labels[train], n_kept), y[test].ravel(), np.repeat(labels[test], n_kept),
                classes, cfg["label_max_iter"])  # fmt: skip
        started = time.process_time()
        scores.append(scorer(*args))
        seconds += time.process_time() - started
    return seconds, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=3, help="units timed per family size and method")
    args = parser.parse_args()
    cfg = paper_config()
    rep, conv, pcrt = cfg["representations"], cfg["convnets"], cfg["pcrt"]
    tuning = rep["tuning"]
    classes = list(range(len(pcrt["labels"])))
    n_kept = len(kin.kept_time_indices(320, 1, 320, tuning["onset"], tuning["tcoff"] == "symmetric"))
    tasks, families, seeds = represent_plan.analysed(rep, conv)
    states = len(tasks) * len(seeds) * len(rep["states"])
    rng = np.random.default_rng(15)
    tun.label_scores(*(np.arange(8.0), np.arange(8) % 2, np.arange(4.0), np.arange(4) % 2, [0, 1]))  # imports

    print(f"label tuning (labels: {tuning['labels']}, LinearSVC max_iter {tuning['label_max_iter']}, "
          f"{len(classes)} classes), {PLANES} plane subsets, {n_kept} kept steps per trajectory; CPU s, one thread\n")  # fmt: skip
    print(f"{'family':>6} {'traj/plane':>10} {'samples/unit':>12} {'workflow s/unit':>15} {'roc s/unit':>10} "
          f"{'s/unit-sample':>13} {'max |dscore|':>12}")  # fmt: skip
    totals = {"model": 0.0, "measured": 0.0, "measured_roc": 0.0, "request": 0.0, "request_measured": 0.0}
    for family in families:
        floats = represent_plan.layer_floats(None, family, conv)
        n_subset = represent_plan.subset_size(rep, family, pcrt["assembly"]["n_test"])
        n_plane = n_subset // PLANES
        times = {"workflow": [], "roc": []}
        worst = 0.0
        for _ in range(args.units):
            unit_seed = int(rng.integers(1 << 30))
            fast_s, fast = time_unit(tun.label_scores, np.random.default_rng(unit_seed), n_plane, n_kept, tuning, classes)
            roc_s, roc = time_unit(tun.label_scores_roc, np.random.default_rng(unit_seed), n_plane, n_kept, tuning,
                                   classes)  # fmt: skip
            times["workflow"].append(fast_s), times["roc"].append(roc_s)
            worst = max(worst, float(np.max(np.abs(np.subtract(fast, roc)))))
        samples = PLANES * n_plane * n_kept  # scored samples per unit (train + test, both subsets)
        per_unit, per_unit_roc = np.median(times["workflow"]), np.median(times["roc"])
        per_sample = per_unit / samples
        print(f"{family:>6} {n_plane:>10} {samples:>12,} {per_unit:>15.2f} {per_unit_roc:>10.2f} {per_sample:>13.2e} "
              f"{worst:>12.1e}")  # fmt: skip
        # the plan's job: n_subset x sum(floats) unit-samples (units x 320 steps, a bound on the kept steps)
        unit_samples = n_subset * sum(floats)
        units = sum(floats) // 320
        model_s = represent_plan.units_seconds(floats, n_subset, "svm")
        label_model_s = unit_samples * represent_plan.UNIT_SAMPLE_SECONDS["svm"]
        measured_s = model_s - label_model_s + units * per_unit
        totals["model"] += states * model_s
        totals["measured"] += states * measured_s
        totals["measured_roc"] += states * (model_s - label_model_s + units * per_unit_roc)
        totals["request"] += states * represent_plan.units_runtime_min(floats, n_subset, "svm") * 60
        totals["request_measured"] += states * runtime_request_min(measured_s) * 60
        print(f"{'':>6} plan job: {units:,} units; label SVM modelled {label_model_s / 3600:.1f} h "
              f"({represent_plan.UNIT_SAMPLE_SECONDS['svm']:.1e} s x {unit_samples:.3g} unit-samples), measured "
              f"{units * per_unit / 3600:.1f} h (original scoring {units * per_unit_roc / 3600:.1f} h)")  # fmt: skip
    print(f"\nrepresentations_units, {states} model states per family ({len(families)} families), core-hours:")
    print(f"  modelled expectation {totals['model'] / 3600:8.1f}   request (2x headroom) {totals['request'] / 3600:8.1f}"
          "   <- the plan's current numbers")  # fmt: skip
    print(f"  measured label cost  {totals['measured'] / 3600:8.1f}   request (2x headroom) "
          f"{totals['request_measured'] / 3600:8.1f}   (original roc_auc scoring: {totals['measured_roc'] / 3600:.1f})")
    print(f"  measured / modelled: {totals['measured'] / totals['model']:.2f}")


if __name__ == "__main__":
    main()
