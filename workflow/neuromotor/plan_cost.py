"""The cost of a plan before it runs: per rule jobs, CPU core-hours, GPU-hours and peak memory per job, the plan's
totals, and a list-scheduling estimate of its makespan on one machine (cores, GPUs) or on N cluster slots.

The job list is Snakemake's own dry-run (every job with its threads, ``runtime`` and ``mem_mb`` as the rules' cost
models compute them at attempt 1, its inputs, outputs and benchmark file). Where the user has measured benchmark
files (``--benchmarks DIR``, the ``benchmarks/`` folder of a run of the same plan), a measured job costs what it
measured, and the unmeasured jobs of a rule with measurements are scaled by that rule's median measured/modelled ratio;
the table says which source each rule used.

Usage::

    neuromotor-plan --configfile config/paper/kd.yaml --cores 16 --gpus 1
    python -m neuromotor.plan_cost --configfile config/paper/kd.yaml --cores 16 --gpus 1 --slots 1000 kd
"""

from __future__ import annotations

import argparse
import csv
import heapq
import math
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Iterable, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CLUSTER_MAX_RUNTIME_MIN = 7 * 24 * 60  # the longest request a typical cluster partition accepts (7 days)
CLUSTER_MAX_MEM_MB = 64_000  # the largest memory request a typical cluster node accepts (64 GB)

_JOB_HEADER = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")


@dataclass
class Job:
    """One planned job: threads (cores), runtime (minutes), memory (MB) and GPUs as requested at attempt 1."""

    rule: str
    jobid: int
    threads: int = 1
    runtime_min: float = 0.0
    mem_mb: float = 0.0
    gpus: int = 0
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    benchmark: str | None = None
    measured: bool = False
    deps: list[int] = field(default_factory=list)


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None  # e.g. "<TBD>": a resource Snakemake evaluates only once the inputs exist


def _files(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.split(", ") if part)


def parse_dry_run(text: str) -> list[Job]:
    """The jobs of a Snakemake dry-run's text output (one block per job: ``rule NAME:`` then indented fields)."""
    jobs: list[Job] = []
    current: Job | None = None
    for line in text.splitlines():
        header = _JOB_HEADER.match(line)
        if header:
            current = Job(rule=header.group(1), jobid=-1)
            jobs.append(current)
            continue
        if current is None or not line.startswith("    ") or ": " not in line:
            if line and not line.startswith(" "):
                current = None if not header else current
            continue
        key, value = line.strip().split(": ", 1)
        if key == "jobid":
            current.jobid = int(value)
        elif key == "input":
            current.inputs = _files(value)
        elif key == "output":
            current.outputs = _files(value)
        elif key == "benchmark":
            current.benchmark = value.strip()
        elif key == "threads":
            current.threads = int(value)
        elif key == "resources":
            for item in value.split(", "):
                name, _, amount = item.partition("=")
                number = _number(amount)
                if number is None:
                    continue
                if name == "runtime":
                    current.runtime_min = number
                elif name == "mem_mb":
                    current.mem_mb = number
                elif name == "gpu":
                    current.gpus = int(number)
    jobs = [job for job in jobs if job.jobid >= 0]
    producer = {path: job.jobid for job in jobs for path in job.outputs}
    for job in jobs:
        job.deps = sorted({producer[path] for path in job.inputs if path in producer and producer[path] != job.jobid})
    return jobs


def dry_run(configfile: Path, *, cores: int, directory: Path | None, snakefile: Path, extra: Sequence[str] = ()) -> str:  # noqa: E501
    """The text of ``snakemake --dry-run`` for the plan. Without ``directory`` it plans in an empty working directory
    (the whole plan, as before it runs): see :func:`planning_directory`."""
    with tempfile.TemporaryDirectory(prefix="neuromotor-plan-") as tmp:
        workdir = directory if directory is not None else planning_directory(Path(tmp), Path.cwd(), snakefile.parent)
        command = [
            sys.executable, "-m", "snakemake", *extra, "--snakefile", str(snakefile), "--directory", str(workdir),
            "--configfile", str(Path(configfile).resolve()), "--dry-run", "--cores", str(cores), "--nolock",
            "--rerun-triggers", "mtime",
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if result.returncode != 0:  # Snakemake prints a config or workflow error on stdout, a Python error on stderr
        message = (result.stdout[-3000:] + "\n" + result.stderr[-3000:]).strip()
        raise SystemExit(f"neuromotor-plan: the dry-run of {configfile} failed:\n{message}")
    return result.stdout + "\n" + result.stderr


OUTPUT_FOLDERS = frozenset({"results", "logs", "benchmarks", ".snakemake"})
"""What a run writes into its working directory: left out of the planning directory, so the plan is the whole one."""


def planning_directory(tmp: Path, cwd: Path, project: Path) -> Path:
    """An empty working directory under ``tmp`` in which the config's relative paths mean what they mean in ``cwd``.

    It is ``tmp/<cwd's name>`` holding links to every entry of ``cwd`` but the run's outputs (the user's data and
    models; the EMG plan reads their headers) and the project's config, resources and profiles; ``tmp`` holds links
    to the other entries of ``cwd``'s parent, so that ``../shared/models/arm.osim`` resolves as it does in ``cwd``."""
    workdir = tmp / (cwd.name or "work")
    workdir.mkdir()
    for entry in cwd.iterdir():
        if entry.name not in OUTPUT_FOLDERS:
            (workdir / entry.name).symlink_to(entry.resolve())
    for name in ("config", "resources", "profiles"):
        if (project / name).exists() and not (workdir / name).exists():
            (workdir / name).symlink_to((project / name).resolve())
    if cwd.parent != cwd:
        for entry in cwd.parent.iterdir():
            if entry.name != workdir.name:
                (tmp / entry.name).symlink_to(entry.resolve())
    return workdir


def read_benchmark(path: Path) -> tuple[float, float] | None:
    """(seconds, max RSS in MB) of a Snakemake benchmark TSV (the mean over its repeats), or None when unreadable."""
    try:
        with path.open() as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        seconds = [float(row["s"]) for row in rows]
        rss = [float(row["max_rss"]) if row["max_rss"] not in ("", "-", "NA") else 0.0 for row in rows]
    except (OSError, KeyError, ValueError):
        return None
    if not rows:
        return None
    return sum(seconds) / len(seconds), max(rss)


def calibrate(jobs: list[Job], benchmarks: Path) -> dict[str, str]:
    """Replace modelled costs by measured ones where ``benchmarks`` holds a job's file; scale a rule's unmeasured jobs
    by its median measured/modelled runtime and memory ratios. Returns per rule the source used."""
    by_rule: dict[str, list[Job]] = {}
    for job in jobs:
        by_rule.setdefault(job.rule, []).append(job)
    sources: dict[str, str] = {}
    for rule, members in by_rule.items():
        time_ratios, mem_ratios = [], []
        for job in members:
            if job.benchmark is None:
                continue
            relative = Path(job.benchmark)
            relative = relative.relative_to("benchmarks") if relative.parts[:1] == ("benchmarks",) else relative
            measured = read_benchmark(benchmarks / relative) or read_benchmark(benchmarks / job.benchmark)
            if measured is None:
                continue
            seconds, rss = measured
            if job.runtime_min > 0:
                time_ratios.append(seconds / 60 / job.runtime_min)
            if job.mem_mb > 0 and rss > 0:
                mem_ratios.append(rss / job.mem_mb)
            job.runtime_min, job.mem_mb, job.measured = seconds / 60, rss or job.mem_mb, True
        n_measured = sum(job.measured for job in members)
        if n_measured == 0:
            sources[rule] = "model"
            continue
        time_scale = median(time_ratios) if time_ratios else 1.0
        mem_scale = median(mem_ratios) if mem_ratios else 1.0
        for job in members:
            if not job.measured:
                job.runtime_min *= time_scale
                job.mem_mb *= mem_scale
        sources[rule] = f"measured {n_measured}/{len(members)} (measured/model: time x{time_scale:.2g}, memory x{mem_scale:.2g})"
    return sources


@dataclass
class RuleCost:
    """Per rule: jobs, core-hours (threads x runtime), GPU-hours, and the largest job's memory (MB) and runtime (min)."""

    rule: str
    jobs: int = 0
    core_hours: float = 0.0
    gpu_hours: float = 0.0
    peak_mem_mb: float = 0.0
    max_runtime_min: float = 0.0
    source: str = "model"


def rule_costs(jobs: Iterable[Job], sources: dict[str, str] | None = None) -> list[RuleCost]:
    """Aggregate jobs by rule, the costliest rules first."""
    costs: dict[str, RuleCost] = {}
    for job in jobs:
        cost = costs.setdefault(job.rule, RuleCost(job.rule, source=(sources or {}).get(job.rule, "model")))
        cost.jobs += 1
        cost.core_hours += job.threads * job.runtime_min / 60
        cost.gpu_hours += job.gpus * job.runtime_min / 60
        cost.peak_mem_mb = max(cost.peak_mem_mb, job.mem_mb)
        cost.max_runtime_min = max(cost.max_runtime_min, job.runtime_min)
    return sorted(costs.values(), key=lambda c: (-(c.core_hours + c.gpu_hours), c.rule))


def makespan_hours(jobs: Sequence[Job], *, cores: int | None = None, gpus: int | None = None,
                   slots: int | None = None) -> float:
    """Hours to run the DAG by list scheduling: ready jobs start in order of their longest path to the end (critical
    path first) whenever the capacity is free. A machine has ``cores`` (a job takes min(threads, cores)) and ``gpus``
    (None: unlimited); ``slots`` instead runs up to that many jobs at once, whatever their threads."""
    if not jobs:
        return 0.0
    index = {job.jobid: job for job in jobs}
    children: dict[int, list[int]] = {job.jobid: [] for job in jobs}
    waiting = {job.jobid: 0 for job in jobs}
    for job in jobs:
        for dep in job.deps:
            if dep in index:
                children[dep].append(job.jobid)
                waiting[job.jobid] += 1
    order = _topological(jobs, children, dict(waiting))
    rank: dict[int, float] = {}
    for jobid in reversed(order):
        rank[jobid] = index[jobid].runtime_min + max((rank[c] for c in children[jobid]), default=0.0)
    capacity = slots if slots is not None else cores
    if capacity is None or capacity < 1:
        raise ValueError("makespan_hours: give cores >= 1 or slots >= 1")
    need = {j.jobid: (1 if slots is not None else min(j.threads, capacity)) for j in jobs}
    gpu_need = {j.jobid: (min(j.gpus, gpus) if gpus is not None else 0) for j in jobs}
    if gpus is not None and gpus < 1 and any(j.gpus for j in jobs):
        raise ValueError("makespan_hours: the plan has GPU jobs but the machine has no GPU")
    ready = [(-rank[j], j) for j in waiting if waiting[j] == 0]
    heapq.heapify(ready)
    running: list[tuple[float, int]] = []
    free, free_gpus, now = capacity, (gpus if gpus is not None else 0), 0.0
    while ready or running:
        skipped = []
        while ready and free > 0:
            item = heapq.heappop(ready)
            jobid = item[1]
            if need[jobid] <= free and gpu_need[jobid] <= free_gpus:
                free -= need[jobid]
                free_gpus -= gpu_need[jobid]
                heapq.heappush(running, (now + index[jobid].runtime_min, jobid))
            else:
                skipped.append(item)
        for item in skipped:
            heapq.heappush(ready, item)
        now, jobid = heapq.heappop(running)
        finished = [jobid]
        while running and running[0][0] <= now:
            finished.append(heapq.heappop(running)[1])
        for jobid in finished:
            free += need[jobid]
            free_gpus += gpu_need[jobid]
            for child in children[jobid]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    heapq.heappush(ready, (-rank[child], child))
    return now / 60


def _topological(jobs: Sequence[Job], children: dict[int, list[int]], waiting: dict[int, int]) -> list[int]:
    queue = [job.jobid for job in jobs if waiting[job.jobid] == 0]
    order = []
    while queue:
        jobid = queue.pop()
        order.append(jobid)
        for child in children[jobid]:
            waiting[child] -= 1
            if waiting[child] == 0:
                queue.append(child)
    if len(order) != len(jobs):
        raise ValueError("makespan_hours: the jobs' dependencies have a cycle")
    return order


def over_limits(jobs: Iterable[Job]) -> list[str]:
    """A line per rule whose request exceeds what a typical cluster accepts (7 days, 64 GB)."""
    worst: dict[str, tuple[float, float]] = {}
    for job in jobs:
        runtime, mem = worst.get(job.rule, (0.0, 0.0))
        worst[job.rule] = (max(runtime, job.runtime_min), max(mem, job.mem_mb))
    lines = []
    for rule, (runtime, mem) in sorted(worst.items()):
        if runtime > CLUSTER_MAX_RUNTIME_MIN:
            lines.append(f"{rule}: a job asks for {runtime:,.0f} min (> 7 days)")
        if mem > CLUSTER_MAX_MEM_MB:
            lines.append(f"{rule}: a job asks for {mem / 1000:,.1f} GB (> 64 GB)")
    return lines


def format_report(name: str, costs: Sequence[RuleCost], makespan: float | None, machine: str) -> str:
    """A Markdown table per rule plus the totals and the makespan."""
    lines = [
        f"### {name}",
        "",
        "| rule | jobs | core-h | GPU-h | peak GB/job | longest job h | source |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in costs:
        lines.append(
            f"| {c.rule} | {c.jobs:,} | {c.core_hours:,.1f} | {c.gpu_hours:,.1f} | {c.peak_mem_mb / 1000:.1f} "
            f"| {c.max_runtime_min / 60:.2f} | {c.source} |"
        )
    total_jobs = sum(c.jobs for c in costs)
    core_h = sum(c.core_hours for c in costs)
    gpu_h = sum(c.gpu_hours for c in costs)
    peak = max((c.peak_mem_mb for c in costs), default=0.0)
    lines.append(f"| **total** | {total_jobs:,} | {core_h:,.1f} | {gpu_h:,.1f} | {peak / 1000:.1f} | | |")
    if makespan is not None:
        lines += ["", f"Makespan on {machine}: {makespan:,.1f} h (list scheduling, critical path first)."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuromotor-plan", description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="Snakemake targets (default: the workflow's default target)")
    parser.add_argument("--configfile", type=Path, required=True, action="append", help="the plan config (repeatable: one table each)")
    parser.add_argument("--cores", type=int, default=16, help="cores of the machine (default 16)")
    parser.add_argument("--gpus", type=int, default=None, help="GPUs of the machine or cluster (default: unlimited)")
    parser.add_argument("--slots", type=int, default=None, help="also the makespan on N cluster slots (one job each)")
    parser.add_argument("--benchmarks", type=Path, default=None, help="a benchmarks/ folder of a run of this plan")
    parser.add_argument("--directory", type=Path, default=None,
                        help="plan what remains in this working directory (default: the whole plan, from nothing)")
    parser.add_argument("--snakefile", type=Path, default=PROJECT_ROOT / "Snakefile")
    args = parser.parse_args(argv)
    if args.benchmarks is not None and not args.benchmarks.is_dir():
        parser.error(f"--benchmarks {args.benchmarks}: not a directory")
    machine = f"{args.cores} cores" + (f", {args.gpus} GPU(s)" if args.gpus is not None else ", unlimited GPUs")
    status = 0
    for configfile in args.configfile:
        if not configfile.is_file():
            parser.error(f"--configfile {configfile}: no such file")
        text = dry_run(configfile, cores=args.cores,
                       directory=args.directory, snakefile=args.snakefile, extra=args.targets)
        jobs = parse_dry_run(text)
        unknown = sorted({job.rule for job in jobs if job.runtime_min <= 0 and job.outputs})
        sources = calibrate(jobs, args.benchmarks) if args.benchmarks is not None else {}
        costs = rule_costs(jobs, sources)
        makespan = makespan_hours(jobs, cores=args.cores, gpus=args.gpus) if jobs else 0.0
        name = f"{configfile}" + (f" ({' '.join(args.targets)})" if args.targets else "")
        print(format_report(name, costs, makespan, machine))
        if args.slots is not None:
            on_slots = makespan_hours(jobs, slots=args.slots) if jobs else 0.0
            print(f"Makespan on {args.slots:,} cluster slots (one job each, as many GPUs as jobs ask): {on_slots:,.1f} h.")
        print(f"\nCost source: {'benchmarks in ' + str(args.benchmarks) if args.benchmarks else 'the rules cost models'}"
              " (runtime and mem_mb at attempt 1).")
        if unknown:
            print(f"No runtime known before the inputs exist (counted as 0): {', '.join(unknown)}")
        for line in over_limits(jobs):
            print(f"OVER CLUSTER LIMITS: {line}")
            status = 1
        print()
    return status


if __name__ == "__main__":
    sys.exit(main())
