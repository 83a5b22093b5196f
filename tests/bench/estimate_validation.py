"""Estimate the wall time of the validation plans (config/validation/*.yaml) from the per-job CPU times of a demo run.

Reads the Snakemake benchmark files of a finished demo run (``benchmarks/`` of ``snakemake --cores 2`` on
config/config.yaml; column ``cpu_time``, which a loaded machine inflates less than the wall time), scales each job's
cost by how its dominant size grows from the demo to the plan, and prints per study and rule: demo jobs and CPU
seconds, plan jobs and estimated CPU seconds, and the plan's estimated wall time on 2 cores (total CPU / 2, or the
longest job when that is longer). Each job's fixed start-up (interpreter and imports, ``--startup`` s) is not scaled.

Scaling (demo -> plan; the exponents are the jobs' cost models, see rules/common.smk and the plan modules):

- PCRT: generation by attempts per job, the assembly and SVM features by windows;
- SVM exact fits: from the measured 0.67 s per pair for the four inputs at 579 fit samples per pair (docs/performance.md,
  Pairwise SVMs), x (fit samples / 579)^3 (dense Gram path below svm.exact.gram_limit);
- networks: by training samples x epochs per job (search and final); representations: network and units jobs by
  the activation subset, CKA by its square;
- KD: by epochs, and per network by the measured CPU step times relative to MSCNN (docs/performance.md);
- EEG: training and probe jobs by the synthetic scale, attribution by the held-out subjects' epochs;
- EMG: SVM runs by participants^2, the subject-count sweep by fits x mean subset size (target-only fits).

    python tests/bench/estimate_validation.py --benchmarks <demo run>/benchmarks
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

# (EMG step, US step, KD student step) in ms per batch of 32 on one CPU thread (docs/performance.md).
KD_STEP_MS = {"MSCNN": (11, 43, 30), "EUNet": (12, 58, 30), "MKCNN": (100, 892, 283)}
EEG_COUNTS = [188, 132, 150, 148, 224, 166, 102, 264, 314, 108, 226]


def _cpu(path: Path) -> float:
    with open(path) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return float(rows[-1]["cpu_time"])


def scaled(cost: float, factor: float, startup: float) -> float:
    return startup + max(cost - startup, 0.0) * factor


def estimate(benchmarks: Path, startup: float) -> dict[str, list[tuple[str, int, float, int, float, float]]]:
    """study -> [(rule, demo jobs, demo CPU s, plan jobs, plan CPU s, longest plan job s)]."""
    files = {str(p.relative_to(benchmarks).with_suffix("")): _cpu(p) for p in benchmarks.rglob("*.tsv")}

    def pick(prefix: str) -> list[float]:
        return [v for k, v in files.items() if k.startswith(prefix)]

    def mean(prefix: str) -> float:
        values = pick(prefix)
        if not values:
            raise SystemExit(f"{benchmarks}: no benchmark {prefix}*; run the demo workflow first")
        return sum(values) / len(values)

    out: dict[str, list] = defaultdict(list)

    def add(study, rule, prefix, jobs, factor, job_factors=None):
        demo = pick(prefix)
        per_job = [scaled(mean(prefix), f, startup) for f in (job_factors or [factor] * jobs)]
        out[study].append((rule, len(demo), sum(demo), len(per_job), sum(per_job), max(per_job)))

    # DeepDraw at 1/10: 20,000 windows (demo 1,200), 1,430 attempts per generation job (demo 40)
    windows = 20000 / 1200
    add("deepdraw", "pcrt_surrogate", "pcrt/surrogate_neuromotor", 1, 1.0)
    add("deepdraw", "pcrt_startpoints", "pcrt/startpoints", 1, 1.0)
    generate = [mean("pcrt/generate/") + (1430 - 40) * 3.2e-3] * 40  # docs/performance.md: 3.2 ms per trajectory
    out["deepdraw"].append(("pcrt_generate (3.2 ms per trajectory)", len(pick("pcrt/generate/")),
                            sum(pick("pcrt/generate/")), 40, sum(generate), max(generate)))  # fmt: skip
    add("deepdraw", "pcrt_select", "pcrt/select", 1, windows)
    add("deepdraw", "pcrt_dataset", "pcrt/dataset", 1, windows)
    add("deepdraw", "svm_features", "svm/features_", 4, windows)
    fit_samples = 0.9 * 2 * 16000 / 20
    per_input_pair = 0.67 / 4 * (fit_samples / 579) ** 3
    svm_jobs = [startup + 190 * per_input_pair] * 4
    out["deepdraw"].append(("svm_fit (full, exact; measured per-pair timing)", len(pick("svm/fit/")),
                            sum(pick("svm/fit/")), 4, sum(svm_jobs), max(svm_jobs)))  # fmt: skip
    add("deepdraw", "svm_evaluate", "svm/evaluate", 1, 16000 / 960 / 2)  # one variant instead of 16 subsets
    add("deepdraw", "convnets_search (S, ST)", "convnets/search/", 2, (14400 / 864) * (2 / 3))
    add("deepdraw", "convnets_final (S, ST; ART)", "convnets/final/art_S", 2, 14400 / 864)
    add("deepdraw", "representations_network", "representations/network/", 4, 400 / 120)
    add("deepdraw", "representations_units", "representations/units/", 4, 400 / 120)
    add("deepdraw", "representations_cka", "representations/cka/", 2, (400 / 120) ** 2)
    add("deepdraw", "representations_inputs", "representations/inputs", 1, (1000 / 200) ** 2)

    # KD: 4 subjects x 2 folds, 20 epochs (demo 15), MSCNN, EUNet, MKCNN
    demo_us = mean("kd/runs/MSCNN_s1_fold0_US")
    for model, (emg, us, kd) in KD_STEP_MS.items():
        base = KD_STEP_MS["MSCNN"]
        for condition, ratio, prefix in (("teacher (US)", us / base[1], "kd/runs/MSCNN_s1_fold0_US"),
                                         ("student (EMG)", emg / base[0], "kd/runs/MSCNN_s1_fold0_EMG."),
                                         ("student with KD", kd / base[2], "kd/runs/MSCNN_s1_fold0_EMG_KD")):  # fmt: skip
            prefix = prefix.rstrip(".")
            values = [v for k, v in files.items() if k.startswith(prefix) and (condition != "student (EMG)" or k.endswith("_EMG"))]
            cost = sum(values) / len(values) if values else demo_us
            jobs = [scaled(cost, ratio * 20 / 15, startup)] * 8
            out["kd"].append((f"kd {model} {condition}", len(values), sum(values), 8, sum(jobs), max(jobs)))
    add("kd", "kd_synthetic + prepare", "kd/synthetic", 8, 1.0)

    # EEG: scale 1 (demo 0.1), all 11 held-out subjects, both models
    add("eeg", "eeg_data", "eeg/data", 1, 10.0)
    add("eeg", "eeg_train", "eeg/train/", 22, 10.0)
    add("eeg", "eeg_probe", "eeg/probe/", 22, 10.0)
    held_out_demo = round(0.1 * EEG_COUNTS[0])
    add("eeg", "eeg_attribute (8 methods per job)", "eeg/attribute/", 22, 0,
        [c / held_out_demo for c in EEG_COUNTS] * 2)  # fmt: skip
    add("eeg", "eeg_summary", "eeg/summary", 1, 10.0)

    # EMG: 78 participants (demo 12), both CV tasks (pedalling, walking: the demo runs pedalling only, walking's
    # jobs are costed as pedalling's, same cycles and muscles), 2 SVMs; per task 10 targets x 20 sizes x 5
    # repetitions = 1,000 subset fits of mean size 40 in jobs of 72 (demo: 144 fits of mean size 7 in 2 jobs)
    add("emg_signatures", "emg_run_svm", "emg_signatures/runs/pedalling_150W_baseline_day1_Svm", 4, (78 / 12) ** 2)
    add("emg_signatures", "emg_subsample", "emg_signatures/subsample/", 28, (1000 / 14) / (144 / 2) * (40 / 7))
    add("emg_signatures", "emg_signature", "emg_signatures/signatures_", 2, 78 / 12)
    add("emg_signatures", "emg_robustness", "emg_signatures/robustness_", 2, 1000 / 144)
    add("emg_signatures", "emg_synthetic + accuracy", "emg_signatures/synthetic", 2, 78 / 12)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("benchmarks"), help="benchmarks/ of a demo run")
    parser.add_argument("--startup", type=float, default=3.0, help="fixed CPU s per job (interpreter, imports)")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    for study, rows in estimate(args.benchmarks, args.startup).items():
        print(f"\n{study}")
        print(f"  {'rule':<48} {'demo jobs':>9} {'demo CPU s':>10} {'plan jobs':>9} {'plan CPU s':>10} {'longest s':>9}")
        for rule, demo_jobs, demo_cpu, jobs, cpu, longest in rows:
            print(f"  {rule:<48} {demo_jobs:>9} {demo_cpu:>10.1f} {jobs:>9} {cpu:>10.0f} {longest:>9.0f}")
        total = sum(r[4] for r in rows)
        wall = max(total / args.cores, max(r[5] for r in rows))
        print(f"  total CPU {total / 60:.1f} min -> about {wall / 60:.0f} min wall on {args.cores} cores")


if __name__ == "__main__":
    main()
