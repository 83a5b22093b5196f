"""Benchmark: the exact SVM path at the paper's pair size, the working-set solver against the previous one.

Builds (once, cached) a two-letter PCRT pair at the paper's per-label size with the project's own generator
(:mod:`svm_paper_pair_data`: 8,000 trajectories per label drawn, the accepted ones kept; fit set = first 90 %),
then per input fits the whole C grid {1e-4 .. 1e3} on the full fit set with

(i)  the previous implementation (``svm_path(..., working_set_from=None)``: interior point on all n variables,
     factored Q above ``gram_limit``, then projected Newton), under a time cap;
(ii) the current one (:func:`neuromotor.svm.solver.solve_box_qp_working_set` above 2,000 samples), under a cap.

Prints per input: seconds for all 8 C (or "> cap"), the KKT violation reached per C (margin units, certificate
<= 1e-6), Newton iterations, and the stage total projected from the measured per-pair cost (4 inputs x 16 subsets x
190 pairs; a subset of m samples costed as the full set's time x (m / n)^2, an assumption stated in the output).
Everything single-threaded (per core). A capped run reports the KKT violation of its last iteration.

    python tests/bench/bench_svm_paper_pair.py [--inputs joint_coords ...] [--cap 600] [--n-fit 14400]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import signal
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from svm_paper_pair_data import build_pair  # noqa: E402

import neuromotor.svm.solver as solver  # noqa: E402

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1000.0)
INPUTS = ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing")
SUBSET_SIZES = [1.0] + [1 / 2] * 2 + [1 / 3] * 3 + [1 / 4] * 4 + [1 / 6] * 6  # full, plane, size, speed, size x plane


class _Cap(Exception):
    pass


def _alarm(signum, frame):
    raise _Cap()


def run_capped(X, y, cap_s: float, working_set_from):
    """(seconds or None if capped, path or None, last KKT seen)."""
    last = {"kkt": float("nan")}
    original = solver.projected_gradient

    def recording(alpha, grad, upper):
        out = original(alpha, grad, upper)
        if len(out) == len(y):
            last["kkt"] = float(np.max(np.abs(out)))
        return out

    solver.projected_gradient = recording
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(cap_s))
    started = time.perf_counter()
    try:
        path = solver.svm_path(solver.FeatureGram(X), y, C_GRID, working_set_from=working_set_from)
        return time.perf_counter() - started, path, last["kkt"]
    except _Cap:
        return None, None, last["kkt"]
    finally:
        signal.alarm(0)
        solver.projected_gradient = original


def describe(name, seconds, path, last_kkt, cap):
    if path is None:
        where = "no KKT evaluated yet (still in the interior-point phase)" if np.isnan(last_kkt) else \
            f"KKT {last_kkt:.3g} at the cap"
        return f"  {name:9s} > {cap:.0f} s, {where} (not certified)"
    kkt = " ".join(f"{k:.1e}" for k in path.kkt)
    return (f"  {name:9s} {seconds:8.1f} s  certified {int(path.converged.sum())}/8  iterations "
            f"{int(path.iterations.sum())}  KKT per C: {kkt}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", nargs="+", default=list(INPUTS), choices=list(INPUTS))
    parser.add_argument("--cap", type=float, default=600.0, help="seconds per (input, solver) at most")
    parser.add_argument("--old-cap", type=float, default=None, help="cap of the previous solver (default --cap)")
    parser.add_argument("--n-fit", type=int, default=None, help="fit samples (default: 90 %% of the pair)")
    parser.add_argument("--skip-old", action="store_true")
    args = parser.parse_args()
    data = build_pair()
    n_pair = len(data["label"])
    n_fit = args.n_fit or int(0.9 * n_pair)
    y = np.where(data["label"][:n_fit] == data["label"].max(), 1.0, -1.0)
    print(f"pair: labels {sorted(set(data['label'].tolist()))}, {n_pair} samples, fit set {n_fit}; "
          f"1 thread; load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    projected = {}
    for name in args.inputs:
        X = data[name].reshape(n_pair, -1)[:n_fit].astype(np.float64)
        print(f"{name}: X {X.shape}, mean {X.mean():.3g}, std {X.std():.3g}")
        new_s, new_path, new_kkt = run_capped(X, y, args.cap, solver.WORKING_SET_FROM)
        print(describe("new", new_s, new_path, new_kkt, args.cap), flush=True)
        if not args.skip_old:
            cap = args.old_cap or args.cap
            old_s, old_path, old_kkt = run_capped(X, y, cap, None)
            print(describe("previous", old_s, old_path, old_kkt, cap), flush=True)
            if old_s is not None and new_s is not None:
                print(f"  ratio previous / new: {old_s / new_s:.1f}x")
        per_pair = (args.cap if new_s is None else new_s) * sum(f**2 for f in SUBSET_SIZES)
        projected[name] = (per_pair, new_s is None)
    total = sum(190 * per_pair for per_pair, _ in projected.values()) / 3600
    lower = any(capped for _, capped in projected.values())
    print("projected stage (190 pairs x 16 subsets, subset cost ~ (m/n)^2 of the full set's):")
    for name, (per_pair, capped) in projected.items():
        print(f"  {name:20s} {'>' if capped else ' '}{per_pair:8.0f} s per pair -> {190 * per_pair / 3600:7.1f} core-h")
    print(f"  {'total (measured inputs)':20s} {'>' if lower else ' '}{total:8.1f} core-h (target <= 40 for all 4 inputs)")


if __name__ == "__main__":
    main()
