"""Benchmark of the KD stage (Zeng et al. 2022): prints, in one run,

1. loading one full-scale subject (EMG 1,000,000 x 8, US 4,800 x 3,840 text): a re-creation of the original's
   pandas pipeline (read_csv, DataFrame z-score and max, zero rows appended, one window sliced per sample in a
   Python loop) against the workflow's loader (numpy text parser, vectorised windows); both must give the same
   samples;
2. one distillation epoch per network: the teacher run on every batch (the original) against teacher logits
   computed once per job (the workflow), same student updates;
3. a training step of batch 32 per (network, modality) and the time of one paper-scale job extrapolated from it
   (100 epochs x 112 steps + the test fold) on this machine.

Usage: python tests/bench/bench_kd.py [--data DIR] [--networks MSCNN EUNet ...] [--threads N] [--steps N]
(--data: a folder with EMG/s*_EMG.txt and US/s*_US.txt; default: one synthetic subject written to a temp folder).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from neuromotor.io.kd_text import find_subject_files, read_emg_text, read_us_text
from neuromotor.kd.data import STRIDE, WINDOW, Layout, fold_rows, subject_samples, window_indices
from neuromotor.kd.models import ARCHITECTURES, MODALITIES, build_model
from neuromotor.kd.stages import write_synthetic_subject
from neuromotor.kd.synthetic import SyntheticSpec
from neuromotor.kd.train import Distillation, predict_logits
from neuromotor.kd.loss import kd_loss


def original_style_samples(emg_path, us_path, layout: Layout) -> dict:
    """The original loaders' steps with pandas, one window at a time (pandas 2: concat instead of append)."""
    import pandas as pd

    def normalise(frame):
        frame = (frame - frame.mean()) / frame.std()
        return frame / frame.abs().max().max()

    emg = normalise(pd.read_csv(emg_path, header=None).iloc[:, [4, 5, 6, 7]])
    emg = pd.concat([emg, pd.DataFrame(np.zeros((WINDOW - STRIDE, 4)), columns=emg.columns)], ignore_index=True)
    windows = [emg.iloc[STRIDE * i : STRIDE * i + WINDOW].values.T[None] for i in window_indices(layout)]
    us = normalise(pd.read_csv(us_path, header=None)).values
    frames = [np.pad(row.reshape(4, 960), ((0, 0), (0, 64)))[None] for row in us]
    return {"emg": np.stack(windows).astype(np.float32), "us": np.stack(frames).astype(np.float32)}


def workflow_samples(emg_path, us_path, layout: Layout) -> dict:
    return subject_samples(read_emg_text(emg_path, layout.emg_rows), read_us_text(us_path, layout.n_samples), layout)


def bench_loading(emg_path, us_path, layout: Layout) -> None:
    print(f"\n1. loading one subject ({Path(emg_path).name}, {Path(us_path).name})")
    timings, samples = {}, {}
    for name, load in (("original (pandas, per-window loop)", original_style_samples),
                       ("workflow (numpy, vectorised)", workflow_samples)):  # fmt: skip
        started = time.perf_counter()
        samples[name] = load(emg_path, us_path, layout)
        timings[name] = time.perf_counter() - started
    (a, b) = samples.values()
    difference = max(float(np.abs(a[key] - b[key]).max()) for key in ("emg", "us"))
    for name, seconds in timings.items():
        print(f"   {name:38s} {seconds:7.2f} s")
    print(f"   ratio {timings[next(iter(timings))] / timings[list(timings)[1]]:.1f}x; largest sample difference "
          f"{difference:.1e}")  # fmt: skip


def _timed(step, steps: int) -> float:
    """Seconds per call of ``step`` over ``steps`` calls, after one untimed call (one-off set-up costs)."""
    step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - started) / steps


def bench_distillation(samples: dict, layout: Layout, networks, steps: int) -> None:
    print("\n2. distillation, one paper-scale job (100 epochs x 112 steps of batch 32 + 4,800 test/teacher samples):")
    print("   the original runs the teacher on every batch, the workflow once per sample and job")
    train, _ = fold_rows(layout, 0)
    emg, us = torch.from_numpy(samples["emg"][train[:32]]), torch.from_numpy(samples["us"][train[:32]])
    labels = torch.from_numpy(samples["label"][train[:32]])
    distillation = Distillation(0.8, 20.0)
    print(f"   {'network':14s} {'teacher ms':>10s} {'student ms':>10s} {'original h':>10s} {'workflow h':>10s} {'ratio':>6s}")
    for name in networks:
        teacher, student = build_model(name, "US").eval(), build_model(name, "EMG")
        optimiser = torch.optim.AdamW(student.parameters(), lr=1e-3, weight_decay=0.01)
        teacher_logits = predict_logits(teacher, us)

        def teacher_pass():
            predict_logits(teacher, us)

        def student_step():
            student.train()
            loss = kd_loss(student(emg), teacher_logits, labels, distillation.alpha, distillation.temperature).total
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()

        t_teacher, t_student = _timed(teacher_pass, steps), _timed(student_step, steps)
        steps_per_job = 100 * 112
        original = steps_per_job * (t_student + t_teacher) / 3600
        workflow = (steps_per_job * t_student + 4800 / 32 * t_teacher) / 3600
        print(f"   {name:14s} {1000 * t_teacher:10.1f} {1000 * t_student:10.1f} {original:10.2f} {workflow:10.2f} "
              f"{original / workflow:6.2f}")  # fmt: skip


def bench_training_steps(networks, steps: int) -> None:
    print("\n3. training step of batch 32 and one paper-scale job extrapolated (100 epochs x 112 steps + tests)")
    print(f"   {'network':14s} {'modality':8s} {'ms/step':>8s} {'job (h)':>8s}")
    for name in networks:
        for modality, width in MODALITIES.items():
            torch.manual_seed(0)
            model = build_model(name, modality)
            optimiser = torch.optim.AdamW(model.parameters())
            x, y = torch.randn(32, 1, 4, width), torch.randint(0, 20, (32,))
            for i in range(steps + 1):
                if i == 1:
                    started = time.perf_counter()  # the first step pays one-off set-up costs
                loss = torch.nn.functional.cross_entropy(model(x), y)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
            per_step = (time.perf_counter() - started) / steps
            job_hours = 100 * (112 + 38 / 3) * per_step / 3600  # 38 test batches, a forward only ~ 1/3 of a step
            print(f"   {name:14s} {modality:8s} {1000 * per_step:8.1f} {job_hours:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder with EMG/ and US/ text files (first subject used)")
    parser.add_argument("--networks", nargs="+", default=list(ARCHITECTURES), choices=list(ARCHITECTURES))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), device cpu")
    layout = Layout()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            emg_path, us_path = find_subject_files(args.data)[0]
        else:
            emg_path, us_path = Path(tmp) / "s1_synthetic_EMG.txt", Path(tmp) / "s1_synthetic_US.txt"
            started = time.perf_counter()
            write_synthetic_subject(0, layout, SyntheticSpec(), 2023, emg_path, us_path)
            print(f"(wrote one full-scale synthetic subject in {time.perf_counter() - started:.1f} s)")
        bench_loading(emg_path, us_path, layout)
        samples = workflow_samples(emg_path, us_path, layout)
    bench_distillation(samples, layout, args.networks, args.steps)
    bench_training_steps(args.networks, args.steps)


if __name__ == "__main__":
    main()
