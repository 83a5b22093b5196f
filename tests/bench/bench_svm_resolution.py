"""Benchmark: how finely float64 can resolve the SVM certificate on one paper-pair input at one C.

The certificate (issue 15, point 1) is the largest projected gradient of the dual, ``g = Q alpha - 1`` in margin
units, at most 1e-6. This script solves one input of the paper pair (:mod:`svm_paper_pair_data`, fit set = first
90 %) at one C with the working-set solver for a bounded number of outer iterations (from 0 or a saved solution),
then measures on that solution, with ``np.longdouble`` (64-bit mantissa) as the reference:

- ``kkt float64`` / ``kkt longdouble``: the certificate as the solver computes it (factor form ``Z (Z' alpha)``) and
  in extended precision;
- ``gradient evaluation error``: the largest difference of the float64 gradient from the extended one;
- ``one-ulp resolution``: the largest change of the gradient when every free coefficient moves by one unit in the
  last place (random direction, seed 0) -- the spacing of the gradients that float64 coefficients can take near
  this solution. Where it exceeds the tolerance, a certificate of 1e-6 is below what float64 duals represent.

    python tests/bench/bench_svm_resolution.py [--input joint_coords] [--C 1000] [--outer 40] [--alpha start.npy]
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
from svm_paper_pair_data import CACHE, build_pair  # noqa: E402

from neuromotor.svm.solver import FactorQ, kkt_violation, solve_box_qp_working_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", default="joint_coords")
    parser.add_argument("--C", type=float, default=1000.0)
    parser.add_argument("--outer", type=int, default=40, help="outer working-set iterations at most (0: measure only)")
    parser.add_argument("--alpha", type=Path, default=None, help="a saved solution (.npy) to start from")
    args = parser.parse_args()
    data = build_pair()
    n_pair = len(data["label"])
    n = int(0.9 * n_pair)
    X = data[args.input].reshape(n_pair, -1)[:n].astype(np.float64)
    y = np.where(data["label"][:n] == data["label"].max(), 1.0, -1.0)
    Z = y[:, None] * np.hstack([X, np.ones((n, 1))])
    C = args.C
    alpha = np.zeros(n) if args.alpha is None else np.load(args.alpha)
    if args.outer > 0:
        started = time.perf_counter()
        result = solve_box_qp_working_set(FactorQ(Z), np.ones(n), C, alpha, max_iter=args.outer)
        alpha = result.alpha
        print(f"{args.input}, C = {C:g}: {args.outer} outer iterations at most, {time.perf_counter() - started:.0f} s,"
              f" solver's kkt {result.kkt:.3g}, certified {result.converged}")
        saved = CACHE / f"svm_alpha_{args.input}_{C:g}.npy"
        np.save(saved, alpha)
        print(f"  solution saved to {saved}")
    free = (alpha > 0) & (alpha < C)
    print(f"  {int(free.sum())} free, {int((alpha >= C).sum())} at C, {int((alpha <= 0).sum())} at 0; "
          f"largest Q_ii {float(np.einsum('ij,ij->i', Z, Z).max()):.3g}")
    Z_ld = Z.astype(np.longdouble)

    def gradient_ld(a):
        return Z_ld @ (Z_ld.T @ np.asarray(a, dtype=np.longdouble)) - 1

    g64 = Z @ (Z.T @ alpha) - 1.0
    g_ld = gradient_ld(alpha)
    print(f"  kkt float64 {kkt_violation(alpha, g64, C):.3g}, kkt longdouble "
          f"{kkt_violation(alpha, g_ld.astype(np.float64), C):.3g}")
    print(f"  gradient evaluation error of float64: {float(np.abs(g64 - g_ld).max()):.3g}")
    signs = np.random.default_rng(0).choice([-1.0, 1.0], n)
    moved = alpha.copy()
    moved[free] = np.nextafter(alpha[free], alpha[free] + signs[free] * np.inf)
    change = gradient_ld(moved) - g_ld
    print(f"  one-ulp resolution (gradient change, free coefficients moved by one ulp): "
          f"{float(np.abs(change).max()):.3g} (tolerance 1e-6)")


if __name__ == "__main__":
    main()
