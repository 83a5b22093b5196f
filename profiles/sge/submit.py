#!/usr/bin/env python3
"""Submit one Snakemake job script to Grid Engine and print its job id (the cluster-generic submit command).

Threads are requested through a parallel environment (only when more than one), memory per slot and run time
through ``-l``, GPUs as a consumable ``gpu`` complex; stdout and stderr go to ``--log-dir``, which is created
first (a missing log directory would leave the job in the error state Eqw). Only the standard library is used, so
the script runs with any Python 3 on the submit host. ``--print`` shows the qsub command instead of running it.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import subprocess
import sys


def qsub_command(args: argparse.Namespace) -> list[str]:
    """The qsub argument list for one job."""
    threads = max(1, int(args.threads))
    per_slot_mb = math.ceil(float(args.mem_mb) / threads)
    minutes = max(1, int(float(args.runtime)))
    limits = [f"{args.mem_resource}={per_slot_mb}M", f"h_rt={minutes // 60:02d}:{minutes % 60:02d}:00"]
    if int(args.gpu) > 0:
        limits.append(f"gpu={int(args.gpu)}")
    command = ["qsub", "-terse", "-cwd", "-V", "-S", "/bin/bash", "-N", args.name]
    command += ["-o", args.log_dir, "-e", args.log_dir, "-l", ",".join(limits)]
    if args.queue:
        command += ["-q", args.queue]
    if threads > 1:
        command += ["-pe", args.pe, str(threads)]
    return command + [args.jobscript]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, help="job name (qsub -N)")
    parser.add_argument("--threads", default=1, help="threads; more than 1 asks the parallel environment for slots")
    parser.add_argument("--mem-mb", default=1000, help="memory of the whole job (MB); requested per slot")
    parser.add_argument("--mem-resource", default="h_vmem", help="complex that limits memory per slot (h_vmem, mem_free, ...)")
    parser.add_argument("--runtime", default=60, help="wall-clock limit (minutes), requested as h_rt")
    parser.add_argument("--gpu", default=0, help="GPUs, requested as the consumable complex gpu")
    parser.add_argument("--queue", default="", help="queue (qsub -q); empty lets the scheduler choose")
    parser.add_argument("--pe", default="smp", help="parallel environment for multi-threaded jobs")
    parser.add_argument("--log-dir", default="logs/sge", help="directory of the jobs' stdout and stderr")
    parser.add_argument("--print", action="store_true", help="print the qsub command instead of submitting")
    parser.add_argument("jobscript", help="the job script Snakemake wrote")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    command = qsub_command(args)
    if args.print:
        print(shlex.join(command))
        return 0
    os.makedirs(args.log_dir, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(f"qsub failed ({result.returncode}): {shlex.join(command)}\n{result.stderr}")
        return result.returncode
    print(result.stdout.strip().splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
