"""Benchmark: the workflow's pairwise SVM fits against the original loop of LinearSVC fits, on the same data.

For a sample of label pairs (full variability) and each input:

(i)  baseline: ``LinearSVC(loss='hinge', dual=True, C=C, random_state=0)`` fitted on the pair's first 90 % for every
     C of the grid (scikit-learn defaults otherwise: tol 1e-4, max_iter 1000), C* chosen on the last 10 %, tested on
     the pair's test samples — the original ``binarysvm.py`` procedure;
(ii) workflow: :func:`neuromotor.svm.stages.fit_pair` (the pair's Gram matrix, the exact dual solution for the whole
     grid, the choice of C*, the final classifier), exactly as a fitting job runs it.

Prints, per input, the time per pair of both and their ratio (everything single-threaded, so the ratio is per core),
the test-accuracy differences at C* and at every (pair, C), liblinear's convergence and the ratio of its primal
objective to the exact optimum. ``--seed-spread`` also refits the baseline with ``random_state=1``: how much the
baseline's own accuracies move with the order of its coordinate updates. ``--reference-max-iter N`` also runs the
baseline with N epochs instead of 1,000 — liblinear closer to convergence — and compares the workflow's accuracies
with it: the equal-accuracy check where the original's 1,000 epochs stop far from the optimum.

``--standardise`` z-scores every feature first (same data for both): liblinear then converges, and the two are
compared at equal optimisation quality.

    python tests/bench/bench_svm.py --dataset results/pcrt/dataset.zarr [--pairs 10] [--inputs ...] [--seed-spread]
        [--standardise]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import time
import warnings

import numpy as np

from neuromotor.svm.data import INPUT_TITLES, INPUTS, fit_val_split, label_pairs, read_split
from neuromotor.svm.solver import GramMatrix, dual_to_primal, gram_matrix, svm_path
from neuromotor.svm.stages import FitSettings, fit_pair

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)


def primal_objective(X, y, w, b, C):
    margins = y * (X.astype(np.float64) @ w + b)
    return 0.5 * (w @ w + b * b) + C * np.maximum(0.0, 1.0 - margins).sum()


def baseline_pair(X_fit, y_fit, X_val, y_val, X_test, y_test, random_state=0, max_iter=1000):
    """The original: one LinearSVC per C; returns test accuracy per C, C* index, epochs and (w, b) per C."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    val, test, epochs, weights = [], [], [], []
    for C in C_GRID:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LinearSVC(loss="hinge", dual=True, C=C, random_state=random_state, max_iter=max_iter)
            model.fit(X_fit, y_fit)
        val.append(model.score(X_val, y_val))
        test.append(model.score(X_test, y_test))
        epochs.append(model.n_iter_)
        weights.append((model.coef_.ravel().astype(np.float64), float(model.intercept_[0])))
    return np.array(test), int(np.argmax(val)), np.array(epochs), weights


def standardised(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both splits z-scored per feature with the train split's statistics (constant features left at 0)."""
    mean = X_train.mean(axis=0, dtype=np.float64)
    std = X_train.std(axis=0, dtype=np.float64)
    std[std == 0] = 1.0
    return ((X_train - mean) / std).astype(np.float32), ((X_test - mean) / std).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, help="a PCRT dataset.zarr (train and test groups)")
    parser.add_argument("--pairs", type=int, default=10, help="label pairs per input, evenly spaced over all pairs")
    parser.add_argument("--inputs", nargs="+", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--seed-spread", action="store_true", help="also fit the baseline with random_state=1")
    parser.add_argument(
        "--reference-max-iter",
        type=int,
        default=0,
        help="also run liblinear with this many epochs (e.g. 50000) as a converged reference: the workflow's "
        "accuracies against it, and the time it takes",
    )
    parser.add_argument(
        "--standardise",
        action="store_true",
        help="z-score every feature with the train split's mean and std (the same data for both methods) so that "
        "liblinear converges: compares the two at equal optimisation quality",
    )
    args = parser.parse_args()

    settings = FitSettings(C_grid=C_GRID)
    scaling = "features z-scored" if args.standardise else "raw features (as the spec)"
    print(f"dataset {args.dataset}; C grid {list(C_GRID)}; {scaling}; single-threaded")
    totals = {"baseline": 0.0, "workflow": 0.0}
    for name in args.inputs:
        train, test = read_split(args.dataset, "train", name), read_split(args.dataset, "test", name)
        if args.standardise:
            train["X"], test["X"] = standardised(train["X"], test["X"])
        labels = sorted(set(train["label"].tolist()))
        every = label_pairs(labels)
        pairs = [every[k] for k in np.linspace(0, len(every) - 1, min(args.pairs, len(every))).round().astype(int)]
        t_base = t_ours = 0.0
        final_diff, grid_diff, seed_diff, seed_final, objective_ratio, epochs_all, sizes = [], [], [], [], [], [], []
        reference = {"time": 0.0, "final": [], "grid": [], "stopped": []}
        for i, j in pairs:
            rows = np.flatnonzero((train["label"] == i) | (train["label"] == j))
            X, positive = train["X"][rows], train["label"][rows] == j
            n_fit = fit_val_split(len(rows), 0.9)
            y = np.where(positive, 1.0, -1.0)
            keep = (test["label"] == i) | (test["label"] == j)
            X_test, y_test = test["X"][keep], np.where(test["label"][keep] == j, 1.0, -1.0)
            sizes.append(n_fit)

            started = time.perf_counter()
            split = (X[:n_fit], y[:n_fit], X[n_fit:], y[n_fit:], X_test, y_test)
            base_test, base_best, epochs, base_weights = baseline_pair(*split)
            t_base += time.perf_counter() - started
            epochs_all.extend(epochs.tolist())

            started = time.perf_counter()
            ours = fit_pair(X, positive, np.ones(len(rows), dtype=bool), settings, gram_matrix(X))
            t_ours += time.perf_counter() - started
            ours_test = float(np.mean((X_test.astype(np.float64) @ ours.w + ours.b > 0) == (y_test > 0)))
            final_diff.append(ours_test - base_test[base_best])

            # per C (untimed): the exact solution of every grid point against liblinear's
            path = svm_path(GramMatrix(gram_matrix(X[:n_fit])), y[:n_fit], C_GRID)
            ours_grid = np.empty(len(C_GRID))
            for k, C in enumerate(C_GRID):
                w, b = dual_to_primal(X[:n_fit], y[:n_fit], path.alpha[k])
                accuracy = float(np.mean((X_test.astype(np.float64) @ w + b > 0) == (y_test > 0)))
                ours_grid[k] = accuracy
                grid_diff.append(accuracy - base_test[k])
                theirs = primal_objective(X[:n_fit], y[:n_fit], *base_weights[k], C)
                objective_ratio.append(theirs / primal_objective(X[:n_fit], y[:n_fit], w, b, C))
            if args.reference_max_iter:
                started = time.perf_counter()
                ref_test, ref_best, ref_epochs, _ = baseline_pair(*split, max_iter=args.reference_max_iter)
                reference["time"] += time.perf_counter() - started
                reference["final"].append(ours_test - ref_test[ref_best])
                reference["grid"].extend((ours_grid - ref_test).tolist())
                reference["stopped"].extend((ref_epochs >= args.reference_max_iter).tolist())
            if args.seed_spread:
                other_test, other_best, _, _ = baseline_pair(*split, random_state=1)
                seed_diff.extend((other_test - base_test).tolist())
                seed_final.append(other_test[other_best] - base_test[base_best])
        totals["baseline"] += t_base
        totals["workflow"] += t_ours
        final_diff, grid_diff = 100 * np.asarray(final_diff), 100 * np.asarray(grid_diff)
        epochs_all = np.asarray(epochs_all)
        print(f"\n{INPUT_TITLES[name]} ({train['X'].shape[1]} features, {len(pairs)} pairs, "
              f"{int(np.mean(sizes))} fit samples per pair)")  # fmt: skip
        print(f"  time per pair: baseline {t_base / len(pairs):.2f} s, workflow {t_ours / len(pairs):.3f} s, "
              f"ratio {t_base / t_ours:.1f}x")  # fmt: skip
        print(f"  liblinear: {np.mean(epochs_all >= 1000):.0%} of fits stop at max_iter; primal objective / optimum: "
              f"median {np.median(objective_ratio):.3g}, max {np.max(objective_ratio):.3g}")  # fmt: skip
        print(f"  test accuracy at C*, workflow - baseline (pp): largest |diff| {np.abs(final_diff).max():.2f}, "
              f"mean |diff| {np.abs(final_diff).mean():.2f}, mean {final_diff.mean():+.2f}")  # fmt: skip
        print(f"  test accuracy per (pair, C) (pp): largest |diff| {np.abs(grid_diff).max():.2f}, "
              f"mean |diff| {np.abs(grid_diff).mean():.2f}, mean {grid_diff.mean():+.2f}")  # fmt: skip
        if args.reference_max_iter:
            ref_final, ref_grid = 100 * np.asarray(reference["final"]), 100 * np.asarray(reference["grid"])
            print(f"  reference liblinear, max_iter {args.reference_max_iter}: {t_ours and reference['time'] / len(pairs):.2f} s "
                  f"per pair (ratio {reference['time'] / t_ours:.0f}x), {np.mean(reference['stopped']):.0%} of fits "
                  f"stop at max_iter; workflow - reference (pp): at C* largest |diff| {np.abs(ref_final).max():.2f}, "
                  f"per (pair, C) largest |diff| {np.abs(ref_grid).max():.2f}, mean |diff| {np.abs(ref_grid).mean():.2f}")  # fmt: skip
        if args.seed_spread:
            seed_diff, seed_final = 100 * np.asarray(seed_diff), 100 * np.asarray(seed_final)
            print(f"  baseline random_state 1 - 0 (pp): at C* largest |diff| {np.abs(seed_final).max():.2f}, "
                  f"mean |diff| {np.abs(seed_final).mean():.2f}; per (pair, C) largest {np.abs(seed_diff).max():.2f}, "
                  f"mean {np.abs(seed_diff).mean():.2f}")  # fmt: skip
    print(f"\nall inputs: baseline {totals['baseline']:.1f} s, workflow {totals['workflow']:.1f} s, "
          f"ratio {totals['baseline'] / totals['workflow']:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
