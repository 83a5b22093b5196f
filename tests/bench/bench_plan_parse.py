"""Dry-run time of each paper plan (the clock that tests/workflow/test_plans.py no longer asserts: it depends on the
machine's load). Prints per plan the jobs, the wall time of `snakemake --dry-run` as the project's profile runs it
(rerun-triggers include code) and with `--rerun-triggers mtime` (what `neuromotor-plan` uses; in an empty working
directory every job is planned either way), against the 10 s goal. Each is printed as wall seconds and as CPU
seconds (user + system of the Snakemake process): on a shared machine the wall time follows the load (2-5x the CPU
time at a load of 8-15 on 2 cores), the CPU time much less, so the CPU time is what an idle machine's wall time is.

    .venv/bin/python tests/bench/bench_plan_parse.py [--repeat 1] [--shards N] [--only deepdraw]

``--shards N`` also times the DeepDraw plan with ``pcrt.generation.shards: N`` (the generation's results do not
depend on the sharding, tests/unit/test_determinism*), to show what batching the generation jobs saves.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.runner import PROJECT_ROOT, Workflow, parse_job_counts  # noqa: E402

PLANS = [  # (config, target): the four paper plans as tests/workflow/test_plans.py dry-runs them
    ("config/paper/deepdraw.yaml", None),
    ("config/paper/emg_signatures.yaml", "emg_signatures"),
    ("config/paper/eeg.yaml", "eeg"),
    ("config/paper/kd.yaml", "kd"),
]


def write_emg_placeholders(directory: Path) -> None:
    """Files in the original EMG layout (the planning reads only their headers), as test_plans.py writes them."""
    import numpy as np

    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.io.emg_mat import write_emg_mat

    directory.mkdir(parents=True, exist_ok=True)
    for stem in CONDITIONS.values():
        write_emg_mat(directory / f"{stem}.mat", np.zeros((78, 200, 8)), np.eye(78))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_dry_run(config: dict, target: str | None, extra: tuple[str, ...], repeat: int) -> tuple[int, float, float]:
    """(jobs, best wall seconds, best CPU seconds over ``repeat`` dry-runs in a fresh working directory)."""
    best, best_cpu, jobs = float("inf"), float("inf"), 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            workflow = Workflow(Path(tmp) / "plan", config)
            if "emg_signatures" in config:
                write_emg_placeholders(workflow.path / config["emg_signatures"]["data"]["directory"])
            started, cpu = time.perf_counter(), _children_cpu()
            result = workflow.run("-n", *([target] if target else []), *extra)
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, _children_cpu() - cpu)
            jobs = sum(parse_job_counts(result.stdout + result.stderr).values())
    return jobs, best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--shards", type=int, default=None)
    parser.add_argument("--only", default="", help="time only the plans whose config path contains this")
    args = parser.parse_args()
    print(f"{'plan':44s} {'jobs':>6s} {'profile s (CPU)':>16s} {'mtime s (CPU)':>14s}  goal 10 s")
    for path, target in [(p, t) for p, t in PLANS if args.only in p]:
        config = yaml.safe_load((PROJECT_ROOT / path).read_text())
        variants = [(path, config)]
        if args.shards and "deepdraw" in path:
            batched = yaml.safe_load((PROJECT_ROOT / path).read_text())
            batched["pcrt"]["generation"]["shards"] = args.shards
            variants.append((f"{path} shards={args.shards}", batched))
        for name, cfg in variants:
            jobs, profile, profile_cpu = time_dry_run(cfg, target, (), args.repeat)
            _, mtime, mtime_cpu = time_dry_run(cfg, target, ("--rerun-triggers", "mtime"), args.repeat)
            print(f"{name + (' ' + target if target else ''):44s} {jobs:6d} {profile:7.1f} ({profile_cpu:5.1f})"
                  f" {mtime:6.1f} ({mtime_cpu:5.1f})  {'ok' if min(profile_cpu, mtime_cpu) <= 10 else 'OVER'}")


if __name__ == "__main__":
    main()
