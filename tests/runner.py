"""Run the real workflow with Snakemake on tiny configs, each in its own working directory (shared by the
workflow and cluster tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# A tiny PCRT plan: 2 letters, a coarse start-point search, a quick surrogate (degree 8 fits in about 2 s; its
# criteria are relaxed accordingly: these tests check the workflow, tests/unit/test_surrogate.py the defaults).
TINY_CONFIG = {
    "seed": 7,
    "pcrt": {
        "labels": [1, 11],
        "characters": {"samples_per_letter": 4},
        "startpoints": {"grid_spacing_cm": 6.0, "fine_half_width": 3, "fine_spacing_cm": 2.0},
        "muscle": {"surrogate": {"degree": 8, "n_fit": 4096, "max_abs_rel": 0.06, "n_val": 256, "n_val_traj": 2}},
        "generation": {"repeats": 2, "shards": 1},
        "assembly": {"n_per_label_plane": 6, "n_train": 16, "n_test": 4},
    },
}


def merge(base: dict, change: dict) -> dict:
    out = dict(base)
    for key, value in change.items():
        out[key] = merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return out


class Workflow:
    """A working directory with the project's config and resources, and a way to run Snakemake in it."""

    def __init__(self, path: Path, config: dict):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        for name in ("config", "resources", "profiles"):
            link = path / name
            if not link.exists():
                link.symlink_to(PROJECT_ROOT / name)
        self.write_config(config)

    def write_config(self, config: dict) -> None:
        self.config = config
        (self.path / "test_config.yaml").write_text(yaml.safe_dump(config))

    def command(self, *args: str, cores: int | None = 2) -> list[str]:
        return [
            sys.executable, "-m", "snakemake",
            "--snakefile", str(PROJECT_ROOT / "Snakefile"),
            "--directory", str(self.path),
            "--configfile", str(self.path / "test_config.yaml"),
            *(["--cores", str(cores)] if cores else []),
            *args,
        ]  # fmt: skip

    def run(self, *args: str, cores: int | None = 2, check: bool = True, env: dict | None = None, timeout: float = 900):
        command = self.command(*args, cores=cores)
        result = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
        return result

    def planned_jobs(self, *args: str) -> dict[str, int]:
        """Job counts per rule of a dry-run (empty when there is nothing to do)."""
        result = self.run("-n", *args)
        return parse_job_counts(result.stdout + result.stderr)


def parse_job_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("job") and "count" in line:
            for row in lines[i + 2 :]:
                parts = row.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    break
                if parts[0] != "total":
                    counts[parts[0]] = int(parts[1])
            break
    return counts
