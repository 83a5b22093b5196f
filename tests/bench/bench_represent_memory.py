"""Benchmark: peak memory of the streamed representation stages against their cost model, at two scales.

Builds a synthetic PCRT dataset and an S network with wide layers (``--channels`` per layer, spatial stride 1:
C × 25 × 320 floats per trajectory), then runs the network, units, CKA and sweep stages, each in a fresh process,
with the streaming thresholds of ``neuromotor.represent.blocks`` scaled down (``--scale``: STREAM_BYTES and
BLOCK_BYTES divided, LAYER_CACHE_BYTES 0) so that layers of a few hundred MB take the paper's streamed paths.
Prints per stage and number of trajectories the measured peak resident memory (``ru_maxrss``, above a process that
only imports the libraries, torch included for the stages that run networks), the model's (``blocks.*_peak_bytes`` with the same thresholds) and their ratio; the
peak must stay flat as the layers grow (what streaming means), and the model must be within 2x.

    python tests/bench/bench_represent_memory.py [--trajectories 150 400] [--channels 32] [--scale 16]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TUNING = {"planes": ["horall", "vertall"], "threshold": 0.2, "test_size": 0.2, "random_state": 42, "onset": 32,
          "tcoff": "original", "models": {"vel": [0, 1, 2, 3], "acc": [0, 1, 2, 3], "ee": [0, 1, 2, 3],
                                          "eepolar": [0, 1, 2, 3]},
          "labels": "auc", "label_max_iter": 10, "quantile": 0.9, "violin_floor": -0.1, "min_trajectories": 4}  # fmt: skip
INVARIANCE = {"enabled": True, "heights": {"horizontal": [-3.0, 0.0, 3.0], "vertical": [27.0, 30.0, 33.0]},
              "reference": {"horizontal": 0.0, "vertical": 30.0}, "min_units": 3, "min_trajectories": 2}  # fmt: skip
TSNE = {"enabled": True, "n_samples": None, "n_pca": 10, "perplexity": 5.0, "max_iter": 250, "random_state": 0}


def _limits(scale: int):
    from neuromotor.represent import blocks, stages

    blocks.STREAM_BYTES //= scale
    blocks.BLOCK_BYTES //= scale
    stages.LAYER_CACHE_BYTES = 0


def _stage(name: str, args: dict, scale: int, queue) -> None:
    """Run one stage in this (fresh) process; put its peak RSS in bytes."""
    _limits(scale)
    from neuromotor.represent import stages

    if name.startswith("baseline"):
        import sklearn.manifold  # noqa: F401  the libraries the stages import
        import zarr  # noqa: F401

        if name == "baseline_torch":  # the network and sweep stages run networks
            import torch  # noqa: F401
    elif name == "network":
        stages.extract_network(**args)
    elif name == "units":
        stages.analyse_units(**args)
    elif name == "cka":
        stages.compare_cka(**args)
    elif name == "sweep":
        stages.sweep_cka(**args)
    queue.put(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def peak(name: str, args: dict, scale: int) -> int:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_stage, args=(name, args, scale, queue))
    process.start()
    value = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"stage {name} failed ({process.exitcode})")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trajectories", type=int, nargs="+", default=[150, 400], help="test subsets analysed")
    parser.add_argument("--channels", type=int, default=32)
    parser.add_argument("--scale", type=int, default=16)
    args = parser.parse_args()

    import torch

    from neuromotor.convnets.models import Architecture, build_network, network_config
    from neuromotor.represent import blocks
    from neuromotor.represent.synthetic import write_synthetic_dataset
    from neuromotor.train.checkpoint import save_checkpoint

    arch = Architecture("S", 2, (args.channels,) * 2, (args.channels,) * 2, spatial_kernel=3, spatial_stride=1,
                        temporal_kernel=3, temporal_stride=1)  # fmt: skip
    stream, block = blocks.STREAM_BYTES // args.scale, blocks.BLOCK_BYTES // args.scale
    print(f"S network, 4 conv layers of {args.channels} x 25 x 320 floats per trajectory; STREAM_BYTES {stream / 1e6:.0f}"
          f" MB, BLOCK_BYTES {block / 1e6:.0f} MB (the paper's / {args.scale})")  # fmt: skip
    print(f"{'stage':8s} {'trajectories':>12s} {'layer MB':>9s} {'measured MB':>12s} {'model MB':>9s} {'model/measured':>15s}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bases = {"torch": peak("baseline_torch", {}, args.scale), "plain": peak("baseline", {}, args.scale)}
        for n in args.trajectories:
            dataset = root / f"dataset{n}.zarr"
            write_synthetic_dataset(dataset, n_train=80, n_test=n, labels=range(1, 5))
            models = {}
            for task in ("art", "tdt"):
                folder = root / f"model{n}_{task}"
                folder.mkdir()
                config = network_config(arch, task, "spindle_info", seed=1)
                torch.manual_seed(1)
                network = build_network(config)
                save_checkpoint(folder / "init.pt", network)
                save_checkpoint(folder / "best.pt", network)
                (folder / "config.json").write_text(json.dumps(config))
                models[task] = folder
            activations = {"fraction": {"S": 1.0}, "seed": 2000, "batch_size": 50}
            rdm = {"per_class": min(20, n // 4), "seed": 1219, "kendall": False, "inputs": []}
            out = root / f"out{n}"
            stores = {}
            measured = {}
            for task in ("art", "tdt"):
                key = out / task
                stores[(task, "trained")] = key / "activations.zarr"
                measured.setdefault("network", []).append(peak("network", dict(
                    dataset=dataset, model_dir=models[task], model={"task": task, "family": "S", "seed": 1,
                                                                    "state": "trained"},
                    activations_cfg=activations, rdm_cfg=rdm, device="cpu", out_activations=key / "activations.zarr",
                    out_rdm_table=key / "rdm.tsv", out_rdm_store=key / "rdm.zarr"), args.scale))  # fmt: skip
            key = out / "art"
            measured["units"] = [peak("units", dict(
                activations=key / "activations.zarr", tuning_cfg=TUNING, pd_cfg={"bins": 18}, invariance_cfg=INVARIANCE,
                decoding_cfg={"alpha": 1.0, "targets": ["ee", "eepolar", "vel", "acc"]}, tsne_cfg=TSNE,
                out_units=key / "units.zarr", out_units_table=key / "units.tsv", out_pd=key / "pd.tsv",
                out_invariance=key / "invariance.tsv", out_decoding=key / "decoding.tsv", out_tsne=key / "tsne.zarr"),
                args.scale)]  # fmt: skip
            measured["cka"] = [peak("cka", dict(
                stores=stores, configurations={"art": "S", "tdt": "S"}, comparisons=[(("art", "trained"), ("tdt", "trained"))],
                family="S", seed=1, cka_cfg={"cca": True, "cca_pca": None}, out_table=out / "cka.tsv",
                out_store=out / "cka.zarr"), args.scale)]  # fmt: skip
            measured["sweep"] = [peak("sweep", dict(
                dataset=dataset, art_dir=models["art"], tdt_dir=models["tdt"], family="S", configuration="S",
                input_key="spindle_info", activations_cfg=activations, device="cpu", out_table=out / "sweep.tsv"),
                args.scale)]  # fmt: skip
            from neuromotor.io.store import open_store

            attrs = dict(open_store(key / "activations.zarr").attrs)
            shapes = [tuple(s) for s in attrs["layer_shapes"]]
            floats = [c * h * t for c, h, t in shapes]
            saved = blocks.STREAM_BYTES, blocks.BLOCK_BYTES
            _limits(args.scale)
            model = {
                "network": blocks.network_peak_bytes(n, 4 * rdm["per_class"], floats, activations["batch_size"]),
                "units": blocks.units_peak_bytes(n, shapes),
                "cka": blocks.cka_peak_bytes(n, 2 * len(floats), max(floats)),
                "sweep": blocks.sweep_peak_bytes(n, floats, activations["batch_size"]),
            }
            blocks.STREAM_BYTES, blocks.BLOCK_BYTES = saved
            for stage, values in measured.items():
                value = max(values) - bases["torch" if stage in ("network", "sweep") else "plain"]
                print(f"{stage:8s} {n:12d} {4 * n * max(floats) / 1e6:9.0f} {value / 1e6:12.0f} {model[stage] / 1e6:9.0f}"
                      f" {model[stage] / max(value, 1):15.2f}")
    print(f"(baseline processes: {bases['plain'] / 1e6:.0f} MB, with torch {bases['torch'] / 1e6:.0f} MB; the cost model"
          f" adds {blocks.BASE_MB} MB for them)")


if __name__ == "__main__":
    main()
