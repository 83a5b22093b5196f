"""Benchmark: CPU cost and certificates of the exact SVM path on the paper-size pair, per input, in one run.

Per input (fit set = first 90 % of the pair from :mod:`svm_paper_pair_data`, 14,388 samples, raw features) it fits
the whole C grid with :func:`neuromotor.svm.solver.svm_path` (the workflow's call, working-set path) and prints the
CPU seconds of the process (``time.process_time``: core-seconds, independent of other sessions' load) next to wall
seconds, and per C: the float64 KKT violation (the tables' ``kkt``), the KKT from the extended-precision gradient,
the resolution max_i rho_i of the scale-aware tolerance (:func:`neuromotor.svm.solver.scaled_kkt`) and which
certificate holds (absolute: float64 KKT <= 1e-6; scaled: every variable within max(1e-6, rho_i); none).
Then the paper stage (4 inputs x 16 subsets x 190 pairs x 8 C) projected from the measured CPU time per pair:
subsets are fitted independently (no shared factorisation for working-set pairs), the C grid shares work by warm
starts and the hard-margin shortcut; the 15 suppressed subsets of one pair hold 4 full sets of samples in all
(plane 2 x 1/2, size 3 x 1/3, speed 4 x 1/4, size x plane 6 x 1/6), so a pair costs the full set's time x 2.25 if a
subset of m samples costs (m/n)^2 of it, x 5 if it costs m/n; both are printed (an assumption, not measured).
Single-threaded.

    python tests/bench/bench_svm_certificate.py [--inputs joint_coords ...] [--max-iter 300]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from svm_paper_pair_data import build_pair  # noqa: E402

from neuromotor.svm.solver import FactorQ, FeatureGram, scaled_kkt, svm_path  # noqa: E402

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
INPUTS = ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing")
SUBSET_FACTORS = {"quadratic": 1 + 1 / 2 + 1 / 3 + 1 / 4 + 1 / 6, "linear": 5.0}
PAIRS, SUBSETS_NOTE = 190, "16 subsets"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", nargs="+", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--max-iter", type=int, default=300, help="outer working-set iterations at most per C")
    args = parser.parse_args()
    data = build_pair()
    n_pair = len(data["label"])
    n_fit = int(0.9 * n_pair)
    y = np.where(data["label"][:n_fit] == data["label"].max(), 1.0, -1.0)
    print(f"pair {n_pair} samples, fit set {n_fit}; 1 thread; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores", flush=True)
    cpu_per_input = {}
    for name in args.inputs:
        X = data[name].reshape(n_pair, -1)[:n_fit].astype(np.float64)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        path = svm_path(FeatureGram(X), y, C_GRID, max_iter=args.max_iter)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0  # the solve only
        cpu_per_input[name] = cpu
        Z = FactorQ(y[:, None] * np.hstack([X, np.ones((n_fit, 1))]))
        extended, resolution, scaled_ok = path.kkt_extended.copy(), path.resolution.copy(), {}
        for k, C in enumerate(C_GRID):  # the scale-aware certificate of every fit, outside the timed solve
            extended[k], resolution[k], scaled_ok[k] = scaled_kkt(Z, np.ones(n_fit), path.alpha[k], C)
        print(f"{name}: X {X.shape}, max |x| {np.abs(X).max():.3g}; {cpu:.1f} CPU s, {wall:.1f} wall s; "
              f"certified {int(path.converged.sum())}/8 ({', '.join(sorted(set(path.certificate)))})")
        print(f"  {'C':>7s} {'kkt f64':>9s} {'kkt ext':>9s} {'max rho':>9s} {'iter':>5s}  certificate (scaled test)")
        for k, C in enumerate(C_GRID):
            print(f"  {C:7.0e} {path.kkt[k]:9.2e} {extended[k]:9.2e} {resolution[k]:9.2e} "
                  f"{int(path.iterations[k]):5d}  {path.certificate[k]} ({'passes' if scaled_ok[k] else 'fails'})",
                  flush=True)
    print(f"paper stage projected from CPU time ({PAIRS} pairs x {SUBSETS_NOTE} per input, 8 C per fit):")
    for rule, factor in SUBSET_FACTORS.items():
        per_input = {name: PAIRS * factor * cpu / 3600 for name, cpu in cpu_per_input.items()}
        cells = ", ".join(f"{name} {hours:.1f}" for name, hours in per_input.items())
        print(f"  subsets {rule} in m (x{factor:.2f} per pair): {cells}; total {sum(per_input.values()):.1f} core-h")


if __name__ == "__main__":
    main()
