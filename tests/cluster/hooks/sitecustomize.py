"""Fault injection for the cluster tests, active only in processes started with these environment variables.

Put this folder first on PYTHONPATH; the scheduler passes the environment on to the jobs.
- NEUROMOTOR_TEST_FAIL_FIRST=<marker file>: the selection stage fails on its first attempt (and creates the marker).
- NEUROMOTOR_TEST_SLOW_SHARD=<file>: the generation job of label 11, vertical plane, writes its scheduler job id to
  the file and then sleeps (first attempt only), so that the test can cancel it from outside.
"""

import os

if os.environ.get("NEUROMOTOR_TEST_FAIL_FIRST") or os.environ.get("NEUROMOTOR_TEST_SLOW_SHARD"):
    import time
    from pathlib import Path

    import neuromotor.pcrt.stages as _stages

    _make_selection, _make_shard = _stages.make_selection, _stages.make_shard

    def _selection_failing_once(*args, **kwargs):
        marker = os.environ.get("NEUROMOTOR_TEST_FAIL_FIRST")
        if marker and not Path(marker).exists():
            Path(marker).write_text("failed once\n")
            raise RuntimeError("injected failure of the first attempt")
        return _make_selection(*args, **kwargs)

    def _slow_shard(*args, **kwargs):
        report = os.environ.get("NEUROMOTOR_TEST_SLOW_SHARD")
        first_time = report and not Path(report).exists()
        if first_time and kwargs.get("label") == 11 and kwargs.get("plane") == "vertical":
            job_id = os.environ.get("SLURM_JOB_ID") or os.environ.get("JOB_ID") or ""
            Path(report).write_text(job_id + "\n")
            time.sleep(300)
        return _make_shard(*args, **kwargs)

    _stages.make_selection = _selection_failing_once
    _stages.make_shard = _slow_shard
