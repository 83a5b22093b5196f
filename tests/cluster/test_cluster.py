"""The workflow through the SLURM and SGE profiles on real one-node schedulers (tests/cluster/setup_*.sh).

Checked per scheduler: a tiny configuration of every stage runs to the same outputs as a local run, every job has an
accounting record, a job failing on its first attempt succeeds on retry, a job cancelled from outside is reported
failed and the next run resumes without redoing finished jobs, and rule resources become the right requests.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import numpy as np
import pytest
import yaml

from tests.runner import TINY_CONFIG, Workflow, parse_job_counts

from .common import (
    PROJECT_ROOT,
    accounting_states,
    cancel,
    copy_profile_for_tests,
    hook_env,
    require_scheduler,
    scheduler_env,
    submitted_job_ids,
    wait_for_file,
)

pytestmark = pytest.mark.cluster
KINDS = ["slurm", "sge"]


@pytest.fixture(params=KINDS)
def kind(request):
    require_scheduler(request.param)
    return request.param


def run_through_profile(workflow: Workflow, profile, *targets, env=None, timeout=600):
    env = {**scheduler_env(workflow.kind), **(env or {})}
    return workflow.run("--profile", str(profile), *targets, cores=None, check=False, env=env, timeout=timeout)


def test_tiny_workflow_matches_local_run_with_accounting_and_retry(kind, tiny_run, tmp_path):
    profile = copy_profile_for_tests(kind, tmp_path)
    workflow = Workflow(tmp_path / "run", TINY_CONFIG)
    workflow.kind = kind
    planned = workflow.planned_jobs("pcrt")
    marker = tmp_path / "selection-failed-once"
    result = run_through_profile(workflow, profile, "pcrt", env=hook_env(NEUROMOTOR_TEST_FAIL_FIRST=str(marker)))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]

    # same numbers as the local run of the same config
    for split in ("train", "test"):
        local = tiny_run.path / "results/pcrt/dataset.zarr"
        remote = workflow.path / "results/pcrt/dataset.zarr"
        from neuromotor.io.store import read_arrays

        a, b = read_arrays(local, split), read_arrays(remote, split)
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{split}/{name}")

    # every job ran under the scheduler: one accounting record per submission, the retried one failed first
    submitted = submitted_job_ids(output)
    scheduled_jobs = sum(n for rule, n in planned.items() if rule != "pcrt")
    assert marker.exists(), "the injected first-attempt failure did not happen"
    assert len(submitted) == scheduled_jobs + 1, output[-4000:]
    states = accounting_states(kind, submitted)
    assert sum(state == "COMPLETED" for state in states.values()) == scheduled_jobs, states
    assert sum(state.startswith("FAILED") for state in states.values() if state) == 1, states


def test_cancelled_job_fails_and_the_next_run_resumes(kind, tmp_path):
    profile = copy_profile_for_tests(kind, tmp_path)
    workflow = Workflow(tmp_path / "cancel", TINY_CONFIG)
    workflow.kind = kind
    shards = ["results/pcrt/shards/horizontal/label01_shard000.zarr", "results/pcrt/shards/vertical/label11_shard000.zarr"]
    report = tmp_path / "slow-job-id"
    env = {**scheduler_env(kind), **hook_env(NEUROMOTOR_TEST_SLOW_SHARD=str(report))}
    command = workflow.command("--profile", str(profile), "--retries", "0", *shards, cores=None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        job_id = wait_for_file(report, timeout=240)
        cancel(kind, job_id)
        output, _ = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, output[-4000:]
    assert "Error in rule pcrt_generate" in output or "failed" in output.lower()
    cancelled = workflow.path / "results/pcrt/shards/vertical/label11_shard000.zarr"
    assert not cancelled.exists()
    finished = {path: path.stat().st_mtime_ns for path in (workflow.path / "results/pcrt").rglob("*.zarr/zarr.json")}
    assert finished, "no job finished before the cancellation"

    remaining = workflow.planned_jobs(*shards)
    assert remaining == {"pcrt_generate": 1}, remaining
    result = run_through_profile(workflow, profile, *shards)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert cancelled.exists()
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was redone"


RESOURCE_WORKFLOW = PROJECT_ROOT / "tests/cluster/resources_workflow/Snakefile"


def test_slurm_requests_for_a_cpu_and_a_gpu_rule(tmp_path):
    require_scheduler("slurm")
    profile = copy_profile_for_tests("slurm", tmp_path)
    calls = {}
    for rule in ("cpu_rule", "gpu_rule"):
        result = subprocess.run(
            [sys.executable, "-m", "snakemake", "-s", str(RESOURCE_WORKFLOW), "--directory", str(tmp_path / rule),
             "--profile", str(profile), "--verbose", "--retries", "0", rule],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        lines = re.findall(r"sbatch --parsable[^\n]*", result.stdout + result.stderr)
        assert lines, (result.stdout + result.stderr)[-3000:]
        calls[rule] = lines[0].split("--wrap")[0]
    cpu, gpu = calls["cpu_rule"], calls["gpu_rule"]
    assert "--cpus-per-task=2" in cpu and "--mem 1500" in cpu and "-t 7" in cpu, cpu
    assert "-p debug" in cpu and "-A neuromotor-test" in cpu, cpu
    assert "gpu" not in cpu
    assert "--gpus=1" in gpu or "--gres=gpu:1" in gpu, gpu


def test_sge_requests_for_a_cpu_and_a_gpu_rule(tmp_path):
    profile = copy_profile_for_tests("sge", tmp_path)
    settings = yaml.safe_load((profile / "config.yaml").read_text())
    template = settings["cluster-generic-submit-cmd"]
    defaults = settings["default-resources"]

    def qsub_for(threads, mem_mb, runtime, gpu):
        class Resources:
            pass

        resources = Resources()
        for key, value in {**defaults, "mem_mb": mem_mb, "runtime": runtime, "gpu": gpu}.items():
            setattr(resources, key, value)
        command = template.format(rule="r", jobid=1, threads=threads, resources=resources)
        words = shlex.split(command)
        words[0] = str(PROJECT_ROOT / words[0])
        return subprocess.run([*words, "--print", "job.sh"], capture_output=True, text=True, check=True).stdout

    cpu = qsub_for(threads=2, mem_mb=3000, runtime=90, gpu=0)
    assert "-pe smp 2" in cpu and "h_vmem=1500M" in cpu and "h_rt=01:30:00" in cpu and "-q all.q" in cpu, cpu
    assert "gpu" not in cpu and cpu.startswith("qsub -terse")
    gpu = qsub_for(threads=1, mem_mb=1000, runtime=5, gpu=1)
    assert "gpu=1" in gpu and "-pe" not in gpu, gpu
