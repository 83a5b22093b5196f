"""Benchmark of the EMG study's two expensive parts (not a pytest test; run: python tests/bench/bench_emg_lrp.py).

1. **LRP relevance of the 1-D CNNs** (78 classes, every rule configuration of Aeles et al. 2021 for the true and the
   predicted class = 18 maps per cycle, float64): the workflow's path (``neuromotor.explain.lrp.relevance_maps``:
   batches of cycles, the upper layers once per upper-layer rule, each distinct (cycle, class) once) against a
   straightforward loop that applies one zennit composite per cycle, configuration and class choice. Both give the
   same relevance (checked); reported as explained cycles per second (all 18 maps), with true != predicted class for
   every cycle (worst case) and with correct predictions (the study's accuracy is about 99 %).
2. **One full subject-count sweep for one target participant** (Aeles et al. 2021, Methods: 20 sizes x 10 repetitions,
   each a 10-fold CV of ``SvmLinearL2C1em2`` with ε-LRP of the target's cycles) on synthetic data of the paper's size
   (78 participants x 30 cycles), through ``neuromotor.emg.runs.subset_signatures``: wall and CPU time; ``--fit all``
   fits every one-vs-rest classifier as the original did (``--fit target``, the default, only the target's).

Options: ``--threads`` (torch threads, default 1 as in a workflow job), ``--samples`` (cycles for the batched path,
default 234 = one CV fold), ``--loop-samples`` (cycles for the per-sample loop), ``--batch-size`` (16, as the
workflow on a CPU), ``--repetitions`` (of the sweep), ``--fit``, ``--skip-sweep``, ``--skip-lrp``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from neuromotor.emg.models import MODELS, build_model, model_input
from neuromotor.emg.synthetic import SyntheticSettings, condition_data
from neuromotor.emg.runs import subset_signatures
from neuromotor.explain.lrp import as_float64, composite, relevance_maps, rules_for
from neuromotor.explain.zennit_import import load_zennit
from neuromotor.io.emg_mat import EmgRecording

load_zennit()
from zennit.attribution import Gradient  # noqa: E402


def per_sample_loop(model, x, classes, rules, low, high):
    """The straightforward way: one attribution call per cycle, rule and class choice."""
    out = {(name, rule): np.empty(tuple(x.shape)) for name in classes for rule in rules}
    for i in range(len(x)):
        for rule in rules:
            for name, chosen in classes.items():
                target = int(chosen[i])

                def output_relevance(logits, target=target):
                    onehot = torch.zeros_like(logits)
                    onehot[0, target] = 1.0
                    return logits * onehot

                with Gradient(model=model, composite=composite(rule, low, high)) as attributor:
                    _, relevance = attributor(x[i : i + 1].clone(), output_relevance)
                out[(name, rule)][i] = relevance[0].detach().numpy()
    return out


def bench_lrp(samples: int, loop_samples: int, batch_size: int) -> None:
    rng = np.random.default_rng(0)
    cycles = rng.uniform(0, 1, (samples, 200, 8))
    print(f"LRP, 78 classes, 18 maps per cycle (9 rule configurations x true/predicted class), float64, "
          f"{torch.get_num_threads()} thread(s), batches of {batch_size} cycles; cycles per second")
    print(f"{'model':8s} {'per-sample loop':>16s} {'workflow, true != predicted':>28s} "
          f"{'workflow, true = predicted':>27s}")
    for name in ("Cnn1DC3", "Cnn1DC6", "Cnn1DC8"):
        spec = MODELS[name]
        model = as_float64(build_model(spec, 78, torch.Generator().manual_seed(0)))
        x = model_input(spec, cycles, torch.float64)
        low, high = x.min(0, keepdim=True).values.numpy(), x.max(0, keepdim=True).values.numpy()
        with torch.no_grad():
            predicted = model(x).argmax(1)
        wrong = {"act": (predicted + 1) % 78, "dom": predicted}  # every explanation distinct (worst case)
        right = {"act": predicted, "dom": predicted}  # correct predictions (accuracy is about 99 % in the study)
        rules = rules_for(model)
        relevance_maps(model, x[:2], {k: v[:2] for k, v in wrong.items()}, rules, low, high)  # warm-up
        rates = []
        for classes in (wrong, right):
            started = time.perf_counter()
            batched = relevance_maps(model, x, classes, rules, low, high, batch_size=batch_size)
            rates.append(samples / (time.perf_counter() - started))
        started = time.perf_counter()
        looped = per_sample_loop(model, x[:loop_samples], {k: v[:loop_samples] for k, v in right.items()}, rules,
                                 low, high)
        loop_rate = loop_samples / (time.perf_counter() - started)
        for key, values in looped.items():
            np.testing.assert_allclose(batched[key][:loop_samples], values, rtol=1e-9, atol=1e-12)
        print(f"{name:8s} {loop_rate:16.1f} {rates[0]:20.1f} ({rates[0] / loop_rate:4.1f}x) "
              f"{rates[1]:19.1f} ({rates[1] / loop_rate:4.1f}x)")


def bench_sweep(repetitions: int, target: int, fit: str) -> None:
    settings = SyntheticSettings(participants=78, cycles=30)
    features, onehot = condition_data(2023, "pedalling_150W_day1", settings)
    recording = EmgRecording(features, onehot, path="synthetic 78 x 30")
    sizes = list(range(2, 79, 4))
    items = np.array([(target, n, s) for n in sizes for s in range(1, repetitions + 1)])
    print(f"\nsubject-count sweep for participant {target}: {len(sizes)} sizes x {repetitions} repetitions = "
          f"{len(items)} subset fits (10 folds each; the {repetitions} subsets of N = 78 are identical and fitted "
          f"once); fit = {fit}")
    started, cpu = time.perf_counter(), time.process_time()
    per_size = {}
    for n in sizes:
        t = time.perf_counter()
        result = subset_signatures(recording, 1, items[items[:, 1] == n], "SvmLinearL2C1em2", 1234, 2023, fit)
        per_size[n] = (time.perf_counter() - t, float(np.mean(result["target_detected"])))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print("N: seconds (share of the target's test cycles with a positive target score): "
          + ", ".join(f"{n}: {s:.1f} ({a:.2f})" for n, (s, a) in per_size.items()))
    print(f"sweep wall time {wall:.0f} s ({wall / 60:.1f} min), CPU time {cpu:.0f} s, on {torch.get_num_threads()} "
          "torch thread(s); liblinear is single-threaded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=234)
    parser.add_argument("--loop-samples", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--target", type=int, default=1)
    parser.add_argument("--fit", choices=("target", "all"), default="target")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-lrp", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not args.skip_lrp:
        bench_lrp(args.samples, args.loop_samples, args.batch_size)
    if not args.skip_sweep:
        bench_sweep(args.repetitions, args.target, args.fit)


if __name__ == "__main__":
    main()
