#!/usr/bin/env python3
"""Print the state of a Grid Engine job as Snakemake's cluster-generic executor expects: running, success or failed.

Live jobs are looked up with ``qstat`` (a job in an error state such as Eqw is deleted and reported failed, since
it would otherwise wait forever); finished jobs with ``qacct``, whose ``failed`` and ``exit_status`` fields must
both be 0 for success. A finished job not yet in the accounting file is still reported as running.
"""

from __future__ import annotations

import subprocess
import sys


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True)


def live_state(job_id: str) -> str | None:
    """The qstat state letters of a queued or running job, or None when qstat does not know it."""
    for line in _run(["qstat"]).stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == job_id and len(fields) > 4:
            return fields[4]
    return None


def accounting_state(job_id: str) -> str | None:
    """success or failed from the last qacct record of the job, or None when there is no record yet."""
    result = _run(["qacct", "-j", job_id])
    if result.returncode != 0:
        return None
    fields: dict[str, str] = {}
    for line in result.stdout.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            fields[parts[0]] = parts[1].strip()
    if "exit_status" not in fields:
        return None
    failed = fields.get("failed", "0").split()[0]
    return "success" if failed == "0" and fields["exit_status"].split()[0] == "0" else "failed"


def job_status(job_id: str) -> str:
    state = live_state(job_id)
    if state is not None:
        if "E" in state:
            _run(["qdel", job_id])
            return "failed"
        return "running"
    return accounting_state(job_id) or "running"


if __name__ == "__main__":
    print(job_status(sys.argv[1]))
