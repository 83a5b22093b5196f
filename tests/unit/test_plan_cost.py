"""neuromotor.plan_cost: the dry-run parser, the list-scheduling makespan, benchmark calibration and the limits check."""

import pytest

from neuromotor.plan_cost import (
    Job, calibrate, dry_run, makespan_hours, over_limits, parse_dry_run, planning_directory, rule_costs,
)
from tests.runner import PROJECT_ROOT, TINY_CONFIG, Workflow, parse_job_counts

BLOCKS = """Building DAG of jobs...
[Thu Dec  3 07:35:42 2026]
rule make_a:
    output: results/a.txt
    log: logs/a.log
    jobid: 2
    benchmark: benchmarks/a.tsv
    reason: Missing output files: results/a.txt
    threads: 4
    resources: tmpdir=/tmp, runtime=30, gpu=1, mem_mb=2000, mem=2 GB, mem_mib=1908
Shell command: None

[Thu Dec  3 07:35:42 2026]
rule make_b:
    input: results/a.txt, data/raw.txt
    output: results/b.txt
    jobid: 1
    benchmark: benchmarks/b.tsv
    resources: tmpdir=/tmp, runtime=<TBD>, mem_mb=500
Shell command: None

[Thu Dec  3 07:35:42 2026]
localrule all:
    input: results/b.txt
    jobid: 0
    resources: tmpdir=/tmp
"""


def test_parse_dry_run_reads_resources_and_dependencies():
    jobs = {job.rule: job for job in parse_dry_run(BLOCKS)}
    assert set(jobs) == {"make_a", "make_b", "all"}
    a, b = jobs["make_a"], jobs["make_b"]
    assert (a.threads, a.runtime_min, a.mem_mb, a.gpus, a.benchmark) == (4, 30, 2000, 1, "benchmarks/a.tsv")
    assert (b.threads, b.runtime_min, b.mem_mb, b.gpus) == (1, 0, 500, 0)  # <TBD> runtime: unknown, not a number
    assert b.deps == [2] and jobs["all"].deps == [1] and a.deps == []


def test_rule_costs_sum_core_and_gpu_hours():
    jobs = [Job("train", i, threads=4, runtime_min=90, mem_mb=3000 + i, gpus=1) for i in range(3)]
    (cost,) = rule_costs(jobs)
    assert (cost.jobs, cost.core_hours, cost.gpu_hours, cost.peak_mem_mb) == (3, 18.0, 4.5, 3002)


def test_makespan_list_scheduling():
    independent = [Job("r", i, threads=1, runtime_min=60) for i in range(4)]
    assert makespan_hours(independent, cores=2) == pytest.approx(2.0)
    assert makespan_hours(independent, slots=4) == pytest.approx(1.0)
    gpu_jobs = [Job("g", i, threads=1, runtime_min=60, gpus=1) for i in range(3)]
    assert makespan_hours(gpu_jobs, cores=16, gpus=1) == pytest.approx(3.0)  # queued behind one GPU
    assert makespan_hours(gpu_jobs, cores=16, gpus=None) == pytest.approx(1.0)
    chain = [Job("c", 0, runtime_min=30), Job("c", 1, runtime_min=30, deps=[0]), Job("c", 2, runtime_min=60, deps=[1])]
    assert makespan_hours(chain, cores=8) == pytest.approx(2.0)  # the critical path, whatever the cores
    wide = [Job("w", 0, threads=16, runtime_min=60), Job("w", 1, threads=16, runtime_min=60)]
    assert makespan_hours(wide, cores=8) == pytest.approx(2.0)  # a job takes at most the machine's cores


def test_critical_path_goes_first():
    """A long chain and many short jobs on one core: the chain's head starts first, so nothing waits at the end."""
    jobs = [Job("head", 0, runtime_min=10), Job("tail", 1, runtime_min=100, deps=[0])]
    jobs += [Job("short", 2 + i, runtime_min=10) for i in range(5)]
    assert makespan_hours(jobs, cores=2) == pytest.approx(110 / 60)


def test_calibrate_uses_measured_jobs_and_scales_the_rest(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "0.tsv").write_text("s\th:m:s\tmax_rss\tmax_vms\n600.0\t0:10:00\t500.0\t900\n")
    jobs = [Job("r", i, runtime_min=40, mem_mb=2000, benchmark=f"benchmarks/r/{i}.tsv") for i in range(3)]
    sources = calibrate(jobs, tmp_path)
    assert jobs[0].measured and jobs[0].runtime_min == pytest.approx(10) and jobs[0].mem_mb == pytest.approx(500)
    assert jobs[1].runtime_min == pytest.approx(10) and jobs[1].mem_mb == pytest.approx(500)  # x0.25 from job 0
    assert sources["r"].startswith("measured 1/3")


def test_over_limits_names_rule_and_request():
    jobs = [Job("long", 0, runtime_min=81_544), Job("big", 1, mem_mb=240_000), Job("ok", 2, runtime_min=60)]
    lines = over_limits(jobs)
    assert len(lines) == 2 and "long" in lines[1] and "7 days" in lines[1] and "big" in lines[0]


def test_the_tiny_plan_parses_into_every_planned_job(tmp_path):
    """The parser on Snakemake's real dry-run: the same job counts Snakemake reports, and the dataset assembly waits
    on every generation shard."""
    workflow = Workflow(tmp_path / "tiny", TINY_CONFIG)
    text = dry_run(workflow.path / "test_config.yaml", cores=2, directory=workflow.path,
                   snakefile=PROJECT_ROOT / "Snakefile", extra=["pcrt"])
    jobs = parse_dry_run(text)
    counts = {}
    for job in jobs:
        counts[job.rule] = counts.get(job.rule, 0) + 1
    assert counts == parse_job_counts(text)
    generate = {job.jobid for job in jobs if job.rule == "pcrt_generate"}
    (dataset,) = [job for job in jobs if job.rule == "pcrt_dataset"]
    assert generate and generate <= set(dataset.deps)
    assert all(job.runtime_min > 0 and job.mem_mb > 0 for job in jobs if job.outputs)
    assert makespan_hours(jobs, cores=2) > 0


def test_the_planning_directory_resolves_relative_paths_as_the_users_directory_does(tmp_path):
    """A config's ``../shared/model.osim`` and ``data/x`` mean the same in the planning directory as in the user's;
    the run's outputs are left out (the plan is the whole one)."""
    user = tmp_path / "home" / "project"
    (user / "data").mkdir(parents=True)
    (user / "data" / "x.mat").write_text("x")
    (user / "results").mkdir()
    (tmp_path / "home" / "shared").mkdir()
    (tmp_path / "home" / "shared" / "model.osim").write_text("<OpenSimDocument/>")
    (tmp_path / "plan").mkdir()
    workdir = planning_directory(tmp_path / "plan", user, PROJECT_ROOT)
    assert (workdir / "../shared/model.osim").read_text() == "<OpenSimDocument/>"
    assert (workdir / "data/x.mat").read_text() == "x"
    assert (workdir / "config/config.yaml").is_file() and not (workdir / "results").exists()


def test_a_failed_dry_run_shows_snakemakes_message(tmp_path):
    """Snakemake reports an invalid config on stdout: neuromotor-plan's failure carries it (not an empty message)."""
    config = tmp_path / "bad.yaml"
    config.write_text("pcrt:\n  dt_s: -1\n")
    with pytest.raises(SystemExit, match=r"(?s)failed:.*dt_s"):
        dry_run(config, cores=2, directory=None, snakefile=PROJECT_ROOT / "Snakefile")
