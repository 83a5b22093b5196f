"""Benchmark: one ``neural_model`` job (neuromotor.neural.stages.predict_model: the network's layers on a session's
muscles, binned, then per layer PCA to 75 components and the nested cross-validated ridge) against the plan's cost
model (neuromotor.neural.plan.model_seconds), on the successor's 2 x 39 x 400 inputs.

Per case a network of the named configuration (random weights; the cost does not depend on them) is written as the
convnets stage writes a final model, and a session of random spike counts with trials that last the whole window
after the alignment bin; the job's CPU time (``time.process_time``, one thread) is printed beside the model's
expectation and their ratio (the model counts every bin of the window, the job only each trial's: a bound).
About 7 CPU-minutes.

    OMP_NUM_THREADS=1 python tests/bench/bench_neural_model.py [--trials 40 200] [--neurons 12 200]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from neuromotor.convnets.architecture import parse_name
from neuromotor.convnets.models import PCRTNetwork, network_config
from neuromotor.neural import plan, stages
from neuromotor.neural.session import Session, write_session
from neuromotor.train.checkpoint import save_checkpoint

CONFIGURATIONS = (
    "spatial_temporal_4_8-8-16-32_64-64-64-64_3191",  # the DeepDraw plan's S bound: stride-1 temporal layers
    "spatiotemporal_3_16-32-64_5252",
    "lstm_4_8-32-32-32_32_51",
)
SHAPE = (39, 400)  # the successor's muscles x steps, at 10 ms: one step per bin
DATA = {"align": 100, "bin_s": 0.01, "muscle_scale": 1000.0}
PREDICTION = {"pca_components": 75, "alphas": {"log10_min": -2.0, "log10_max": 5.0, "n": 15}, "folds": 5,
              "inner_folds": 5}  # fmt: skip


def write_model(directory: Path, name: str) -> Path:
    """config.json and best.pt of a random network of configuration ``name`` on 2 x 39 x 400 inputs."""
    directory.mkdir(parents=True)
    arch = parse_name(name).architecture
    config = network_config(arch, "art", "spindle_info", 1, n_muscles=SHAPE[0], n_time=SHAPE[1])
    (directory / "config.json").write_text(json.dumps(config))
    torch.manual_seed(0)
    save_checkpoint(directory / "best.pt", PCRTNetwork(arch, "art", 2, SHAPE))
    return directory


def write_random_session(path: Path, trials: int, neurons: int) -> None:
    """Random spike counts of ``trials`` x 400 bins x ``neurons``, every trial lasting to the window's end."""
    rng = np.random.default_rng(0)
    bins, muscles = SHAPE[1], SHAPE[0]
    session = Session(
        rng.poisson(2.0, (trials, bins, neurons)).astype(np.float64),
        np.full(trials, bins - DATA["align"]),
        rng.random((trials, muscles, bins, 2)),
        rng.random((trials, bins, 3, 2)),
        rng.random((trials, 4, bins, 2)),
        np.arange(trials),
        DATA["align"],
        DATA["bin_s"],
    )
    write_session(path, session, DATA["muscle_scale"])


def expected_seconds(name: str, trials: int, neurons: int) -> float:
    from neuromotor.convnets.plan import forward_macs

    arch = parse_name(name).architecture
    widths = plan.architecture_widths(arch, SHAPE)
    return plan.model_seconds((trials, SHAPE[1], neurons), widths, forward_macs(arch, 2, SHAPE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--neurons", type=int, nargs="+", default=[12, 200])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'configuration':<48} {'trials':>6} {'neurons':>7} {'measured s':>10} {'model s':>8} {'model/meas':>10}")
    with tempfile.TemporaryDirectory(prefix="bench-neural-") as tmp:
        for name in CONFIGURATIONS:
            model = write_model(Path(tmp, name), name)
            for trials, neurons in zip(args.trials, args.neurons):
                session = Path(tmp, f"Bench_{trials}x{neurons}_active.hdf5")
                if not session.exists():
                    write_random_session(session, trials, neurons)
                start = time.process_time()
                stages.predict_model(
                    session, model / "config.json", model / "best.pt", data=DATA, prediction=PREDICTION, dt=0.01,
                    identity={"session": "Bench", "area": "CN", "task": "art", "family": "S", "seed": 1,
                              "state": "trained"},
                    seed=0, out=Path(tmp, "out.tsv"),
                )  # fmt: skip
                measured = time.process_time() - start
                model_s = expected_seconds(name, trials, neurons)
                print(f"{name:<48} {trials:>6} {neurons:>7} {measured:>10.1f} {model_s:>8.1f} "
                      f"{model_s / measured:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
