"""Benchmark: training throughput of the workflow's convnet trainer against a plain PyTorch loop reading its batches
from the zarr store, on the best S model of the paper (``spatial_temporal_4_8-16-16-32_32-32-64-64_7293``,
2-channel ``spindle_info``, batch 256, Adam 5e-4).

(i)  plain loop: the same network in PyTorch's default layout; every step reads one batch of 256 consecutive
     samples from the store (batches in a shuffled order, each one chunk of the default store: the cheapest reading
     pattern such a loop can have), moves the channel axis, then forward, backward, Adam step;
(ii) workflow: :func:`neuromotor.convnets.train.fit` as a training job runs it — the data read once into memory,
     channels-last on the CPU, a batch is one indexing operation, freed memory kept for reuse (validation excluded
     from the timing). It runs second, so the allocator setting cannot help the plain loop.

Both run the same number of steps on the same data and device and print samples/s and the ratio.

``--gpu-epoch`` (needs a GPU) times one epoch of the paper's scale instead: 144,000 training samples (the store's
training inputs repeated to that size) in 562 steps of 256, with the paper's validation on 16,000 samples every
100 steps, after a short warm-up; prints the epoch time and the extrapolation to 50 epochs (the goal: under
10 minutes; the original needed 2-4 h per network).

``--amp bf16`` (with ``--gpu-epoch``) times the epoch in float32 and then in bfloat16 autocast and prints the ratio
and both validation accuracies (the check that mixed precision leaves the accuracy unchanged, on a GPU).

``--cost CONFIG`` (no GPU, no data) prints the GPU-hours of a plan's convnet search, final models and experiment
sets from FLOP counts at ``--tflops`` (default 20 TFLOP/s), for the full search and for successive halving at a
few (eta, min_epochs): the table of docs/performance.md, section "Convnets".

    python tests/bench/bench_convnets.py --dataset results/pcrt/dataset.zarr [--steps 30] [--threads 2]
    python tests/bench/bench_convnets.py --dataset results/pcrt/dataset.zarr --gpu-epoch [--amp bf16]
    python tests/bench/bench_convnets.py --cost config/paper/deepdraw.yaml
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from neuromotor.convnets.data import load_inputs, load_labels
from neuromotor.convnets.models import PCRTNetwork, parse_name
from neuromotor.convnets.train import Recipe, evaluate, fit, prepare_model, task_loss, to_device
from neuromotor.io.store import open_store
from neuromotor.train.batches import seeded_generator
from neuromotor.train.cpu_memory import keep_freed_memory
from neuromotor.train.runtime import setup_torch

BEST_S = "spatial_temporal_4_8-16-16-32_32-32-64-64_7293"
BATCH = 256


def network(device: torch.device) -> PCRTNetwork:
    torch.manual_seed(0)
    return PCRTNetwork(parse_name(BEST_S).architecture, "art", 2).to(device)


def plain_loop(dataset: str, steps: int, device: torch.device) -> float:
    """Samples/s of a loop that reads every batch from the zarr store."""
    group = open_store(dataset)["train"]
    inputs, labels = group["spindle_info"], group["label"]
    n_batches = inputs.shape[0] // BATCH
    model = network(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    rng = np.random.default_rng(0)
    order: list[int] = []
    model.train()

    def step() -> None:
        nonlocal order
        if not order:
            order = list(rng.permutation(n_batches))
        start = order.pop() * BATCH
        x = torch.from_numpy(np.moveaxis(np.asarray(inputs[start : start + BATCH], dtype=np.float32), -1, 1).copy())
        y = torch.from_numpy(np.asarray(labels[start : start + BATCH], dtype=np.int64) - 1)
        optimizer.zero_grad()
        loss = task_loss("art", model(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()

    step()  # warm-up (first-call kernel set-up)
    _sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    return steps * BATCH / (time.perf_counter() - started)


def workflow_trainer(dataset: str, steps: int, device: torch.device) -> float:
    """Samples/s of the workflow's trainer on the same data (read once into memory)."""
    x = load_inputs(dataset, "train", "spindle_info")
    y = load_labels(dataset, "train")
    steps_per_epoch = len(x) // BATCH
    epochs = -(-steps // steps_per_epoch)
    model = prepare_model(network(device), device)
    tx, ty = to_device(x, device), to_device(y, device)
    recipe = Recipe(epochs=1, batch_size=BATCH, learning_rate=5e-4, val_interval=10**9)
    fit(model, tx, ty, tx[:BATCH], ty[:BATCH], "art", recipe, seeded_generator(1))  # warm-up
    recipe = Recipe(epochs=epochs, batch_size=BATCH, learning_rate=5e-4, val_interval=10**9, eval_batch_size=BATCH)
    result = fit(model, tx, ty, tx[:BATCH], ty[:BATCH], "art", recipe, seeded_generator(0))
    return result.samples_per_s


def cost_table(config_path: str, tflops: float, n_train: int, n_test: int) -> None:
    """GPU-hours of the plan's convnets under the full search and successive halving (FLOP counts)."""
    from neuromotor.config import load_config
    from neuromotor.convnets import plan

    cfg = load_config(config_path)["convnets"]
    print(f"{config_path}: GPU-hours at {tflops:g} TFLOP/s ({n_train:,} training / {n_test:,} test trajectories)")
    print(f"{'strategy':<34} {'rungs (epochs)':<20} {'models/family':<16} {'search':>7} {'worst':>7} "
          f"{'final':>6} {'exp':>5} {'total':>7} {'ratio':>6}")  # fmt: skip
    full = None
    settings = [("full", None, None), ("successive_halving", 3, 2), ("successive_halving", 3, 1),
                ("successive_halving", 4, 1)]  # fmt: skip
    for strategy, eta, min_epochs in settings:
        search = cfg["search"] | {"strategy": strategy}
        if eta:
            search |= {"halving": {"eta": eta, "min_epochs": min_epochs}}
        variant = cfg | {"search": search, "train": cfg["train"] | {"amp": "off"}}
        result = plan.search_gpu_hours(variant, n_train, n_test, tflops * 1e12)
        run = plan.search_runs(variant)[0] if variant["search"]["runs"] else None
        rungs = plan.rung_plan(variant, run) if run else []
        full = full or result["search"]
        label = strategy if not eta else f"{strategy} eta {eta}, min {min_epochs}"
        print(f"{label:<34} {'/'.join(str(r['epochs']) for r in rungs):<20} "
              f"{'/'.join(str(r['n_models']) for r in rungs):<16} {result['search']:7.2f} "
              f"{result['worst'] - result['final'] - result['experiments']:7.2f} {result['final']:6.2f} "
              f"{result['experiments']:5.2f} {result['total']:7.2f} {full / max(result['search'], 1e-9):5.1f}x")  # fmt: skip
    base = plan.search_gpu_hours(cfg, n_train, n_test, tflops * 1e12)
    print(f"per run, family and rung, the plan as configured (strategy {cfg['search']['strategy']}):")
    for row in base["rows"]:
        print(f"  {row['task']:<4} {row['input_key']:<15} {row['family']:<5} {row['n_models']:3d} x {row['epochs']} "
              f"epochs: {row['gpu_h']:6.2f} GPU-h")  # fmt: skip


def gpu_epoch(dataset: str, n_train: int, n_val: int, amp: str = "off") -> None:
    """One epoch at the paper's scale on the GPU, with the paper's validation schedule (float32; with ``amp``
    bf16 also in bfloat16 autocast, for the ratio and the accuracies)."""
    if not torch.cuda.is_available():
        raise SystemExit("--gpu-epoch needs a GPU (torch.cuda.is_available() is False)")
    device = torch.device("cuda", 0)
    torch.backends.cudnn.benchmark = True
    x = load_inputs(dataset, "train", "spindle_info")
    y = load_labels(dataset, "train")
    fit_index = np.resize(np.arange(len(x)), n_train)
    val_index = np.resize(np.arange(len(x)), n_val)
    tx, ty = to_device(x, device)[fit_index], to_device(y, device)[fit_index]
    vx, vy = to_device(x, device)[val_index], to_device(y, device)[val_index]
    print(f"GPU: {torch.cuda.get_device_name(device)}")
    times = {}
    for precision in ["off"] + (["bf16"] if amp == "bf16" else []):
        model = prepare_model(network(device), device)
        warm = Recipe(epochs=1, batch_size=BATCH, learning_rate=5e-4, val_interval=10**9, amp=precision)
        fit(model, tx[: 20 * BATCH], ty[: 20 * BATCH], vx[:BATCH], vy[:BATCH], "art", warm, seeded_generator(1))
        torch.cuda.synchronize()
        model = prepare_model(network(device), device)
        recipe = Recipe(epochs=1, batch_size=BATCH, learning_rate=5e-4, val_interval=100, eval_batch_size=200,
                        amp=precision)  # fmt: skip
        started = time.perf_counter()
        result = fit(model, tx, ty, vx, vy, "art", recipe, seeded_generator(0))
        torch.cuda.synchronize()
        elapsed = times[precision] = time.perf_counter() - started
        model.load_state_dict(result.best_state)
        val = evaluate(model, vx, vy, "art", 200)  # float32 evaluation of the best weights
        print(f"amp {precision}: one epoch: {n_train:,} training samples in {result.steps} steps of {BATCH}, "
              f"{len(result.history)} validations of {n_val:,} samples: {elapsed:.1f} s "
              f"(training alone {result.samples_per_s:,.0f} samples/s); val accuracy {val['accuracy']:.4f}")  # fmt: skip
        print(f"  50 epochs: {50 * elapsed / 60:.1f} min (goal: under 10 min; original: 2-4 h per network)")
    if "bf16" in times:
        print(f"bf16 / float32 epoch time: {times['bf16'] / times['off']:.2f}")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="results/pcrt/dataset.zarr")
    parser.add_argument("--steps", type=int, default=30, help="training steps of 256 samples per method")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--gpu-epoch", action="store_true", help="time one paper-scale epoch on the GPU instead")
    parser.add_argument("--gpu-train-samples", type=int, default=144_000)
    parser.add_argument("--gpu-val-samples", type=int, default=16_000)
    parser.add_argument("--amp", default="off", choices=["off", "bf16"], help="with --gpu-epoch: also time bf16")
    parser.add_argument("--cost", metavar="CONFIG", help="print the GPU-hours of a plan's convnets (no GPU needed)")
    parser.add_argument("--tflops", type=float, default=20.0, help="sustained TFLOP/s of --cost")
    parser.add_argument("--n-train", type=int, default=160_000, help="training trajectories of --cost")
    parser.add_argument("--n-test", type=int, default=40_000, help="test trajectories of --cost")
    args = parser.parse_args()
    if args.cost:
        cost_table(args.cost, args.tflops, args.n_train, args.n_test)
        return
    setup_torch("cpu", args.threads, deterministic=False)
    if args.gpu_epoch:
        gpu_epoch(args.dataset, args.gpu_train_samples, args.gpu_val_samples, args.amp)
        return
    device = torch.device(args.device)
    n = open_store(args.dataset)["train"]["spindle_info"].shape[0]
    print(f"{BEST_S} (2-channel), batch {BATCH}, {args.steps} steps on {device} with {args.threads} thread(s); "
          f"store: {args.dataset} ({n:,} training samples)")  # fmt: skip
    plain = plain_loop(args.dataset, args.steps, device)
    print(f"plain loop, batches read from the zarr store: {plain:8.0f} samples/s")
    if device.type == "cpu":
        keep_freed_memory()  # what a training job does (neuromotor.convnets.stages.setup_device)
    ours = workflow_trainer(args.dataset, args.steps, device)
    print(f"workflow trainer, data in memory:            {ours:8.0f} samples/s")
    print(f"ratio: {ours / plain:.2f}x")


if __name__ == "__main__":
    main()
