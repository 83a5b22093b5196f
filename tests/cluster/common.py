"""Shared machinery of the cluster tests: scheduler detection, test copies of the profiles, job bookkeeping."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOOKS = Path(__file__).resolve().parent / "hooks"
SGE_ENV = {"SGE_ROOT": "/var/lib/gridengine", "SGE_CELL": "default"}

# what a user replaces in a copied profile, per scheduler, with the values of the test cluster
PLACEHOLDERS = {
    "slurm": {"CHANGE_ME_partition": "debug", "CHANGE_ME_account": "neuromotor-test"},
    "sge": {"CHANGE_ME_queue": "all.q", "CHANGE_ME_pe": "smp"},
}
# faster polling than a production cluster needs
TEST_OVERRIDES = {
    "slurm": {"slurm-init-seconds-before-status-checks": 1, "seconds-between-status-checks": 1, "latency-wait": 5},
    "sge": {"seconds-between-status-checks": 1, "latency-wait": 5, "max-status-checks-per-second": 10},
}
SETUP_HINT = "start it with `sudo tests/cluster/setup_{kind}.sh` (Debian 12; installs and starts a one-node {name})"


def scheduler_env(kind: str) -> dict:
    return {**os.environ, **(SGE_ENV if kind == "sge" else {})}


def scheduler_is_up(kind: str) -> bool:
    command = ["sinfo", "-h", "-o", "%T"] if kind == "slurm" else ["qstat", "-f"]
    if shutil.which(command[0]) is None:
        return False
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=20, env=scheduler_env(kind))
    except subprocess.TimeoutExpired:
        return False
    if result.returncode != 0:
        return False
    return bool(re.search(r"idle|mixed|alloc", result.stdout)) if kind == "slurm" else "all.q@" in result.stdout


def require_scheduler(kind: str) -> None:
    """Skip (developer machine) or fail (CI) when the scheduler is not running."""
    if scheduler_is_up(kind):
        return
    name = {"slurm": "SLURM with slurmdbd", "sge": "Son of Grid Engine"}[kind]
    message = f"{name} is not running; " + SETUP_HINT.format(kind=kind, name=name)
    if os.environ.get("CI"):
        pytest.fail(message + " (.ci/run does this; under CI a missing scheduler is a failure)")
    pytest.skip(message)


def copy_profile_for_tests(kind: str, destination: Path) -> Path:
    """Copy profiles/<kind> as a user would, fill in the placeholders, and poll faster."""
    target = destination / f"{kind}-test"
    shutil.copytree(PROJECT_ROOT / "profiles" / kind, target)
    config_path = target / "config.yaml"
    text = config_path.read_text()
    for placeholder, value in PLACEHOLDERS[kind].items():
        assert placeholder in text, f"profiles/{kind}/config.yaml should mark {placeholder} for users to replace"
        text = text.replace(placeholder, value)
    settings = yaml.safe_load(text)
    settings.update(TEST_OVERRIDES[kind])
    config_path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return target


def hook_env(**variables: str) -> dict:
    """Environment that activates tests/cluster/hooks/sitecustomize.py in every Python the jobs start."""
    path = os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path, **variables}


def submitted_job_ids(output: str) -> list[str]:
    """Scheduler job ids that Snakemake reported submitting, in order."""
    slurm = re.findall(r"has been submitted with SLURM jobid (\d+)", output)
    generic = re.findall(r"with external jobid '(\d+)", output)
    return slurm + generic


def wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.5)
    raise AssertionError(f"{path} did not appear within {timeout} s")


def accounting_states(kind: str, job_ids: list[str]) -> dict[str, str]:
    """Final state per job id from the scheduler's accounting: COMPLETED or FAILED (and the like)."""
    states = {}
    for _ in range(30):  # accounting may lag a few seconds behind the end of a job
        if kind == "slurm":
            result = subprocess.run(
                ["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)],
                capture_output=True, text=True,
            )
            states = dict(line.split("|")[:2] for line in result.stdout.splitlines() if "|" in line)
        else:
            states = {job_id: _qacct_state(job_id) for job_id in job_ids}
        if all(states.get(j) and states[j] not in ("RUNNING", "PENDING", None) for j in job_ids):
            break
        time.sleep(1)
    return {job_id: states.get(job_id) for job_id in job_ids}


def _qacct_state(job_id: str) -> str | None:
    result = subprocess.run(["qacct", "-j", job_id], capture_output=True, text=True, env=scheduler_env("sge"))
    if result.returncode != 0:
        return None
    fields = dict(line.split(None, 1) for line in result.stdout.splitlines() if len(line.split(None, 1)) == 2)
    ok = fields.get("failed", "1").split()[0] == "0" and fields.get("exit_status", "1").split()[0] == "0"
    return "COMPLETED" if ok else "FAILED"


def cancel(kind: str, job_id: str) -> None:
    command = ["scancel", job_id] if kind == "slurm" else ["qdel", job_id]
    subprocess.run(command, check=True, capture_output=True, env=scheduler_env(kind))
