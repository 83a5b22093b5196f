"""Collect the measured Snakemake ``benchmark:`` files of a finished run into the calibration fixture
(tests/fixtures/rule_benchmarks.tsv), with what the cost models need to predict each job: the network
configuration of a convnets job (from its ``config.json``), the subset size and floats per trajectory of each layer
of a representations job (from its ``activations.zarr``).

    python tests/bench/collect_rule_benchmarks.py RUN_DIR SCALE [--out tests/fixtures/rule_benchmarks.tsv]

``SCALE`` names the run's config in the fixture (``demo``: config/config.yaml; ``validation``:
config/validation/deepdraw.yaml over it). Rows of other scales already in the file are kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow"))

COLUMNS = ("scale", "rule", "job", "s", "cpu_time", "max_rss", "configuration", "n", "layer_floats")
HEADER = (
    "# Measured Snakemake benchmark files (s: wall seconds, cpu_time: CPU seconds, max_rss: MB) of real runs, for\n"
    "# tests/unit/test_rule_costs.py: demo = config/config.yaml; validation = config/validation/deepdraw.yaml.\n"
    "# Collected by tests/bench/collect_rule_benchmarks.py (the machine: 2 shared cores under a load of 8-20).\n"
)
RULES = {  # benchmark folder -> rule
    "convnets/search": "convnets_search",
    "convnets/final": "convnets_final",
    "representations/network": "representations_network",
    "representations/units": "representations_units",
    "representations/cka": "representations_cka",
}


def _row(path: Path) -> dict:
    rows = list(csv.DictReader(path.open(), delimiter="\t"))
    return rows[-1]


def _layers(store: Path) -> tuple[int, str]:
    from neuromotor.represent.plan import store_layers

    known = store_layers(str(store))
    if not known:
        return 0, ""
    n, floats = known
    return n, ";".join(str(f) for f in floats)


def collect(run: Path, scale: str) -> list[dict]:
    out = []
    for folder, rule in RULES.items():
        for path in sorted((run / "benchmarks" / folder).glob("*.tsv")):
            measured = _row(path)
            job = path.stem
            row = {"scale": scale, "rule": rule, "job": job, "s": measured["s"],
                   "cpu_time": measured.get("cpu_time", ""), "max_rss": measured["max_rss"],
                   "configuration": "", "n": "", "layer_floats": ""}  # fmt: skip
            if rule == "convnets_search":
                task, a, b, *configuration = job.split("_")
                row["configuration"] = "_".join(configuration)
            elif rule == "convnets_final":
                task, family, seed = job.split("_")
                config = run / "results/convnets" / task / "final" / family / seed / "config.json"
                row["configuration"] = json.loads(config.read_text())["configuration"]
            elif rule in ("representations_network", "representations_units"):
                task, family, seed, state = job.split("_")
                store = run / "results/representations" / task / family / seed / state / "activations.zarr"
                row["n"], row["layer_floats"] = _layers(store)
            elif rule == "representations_cka":
                family, seed = job.split("_")
                stores = sorted((run / "results/representations").glob(f"*/{family}/{seed}/*/activations.zarr"))
                row["n"], row["layer_floats"] = _layers(stores[0]) if stores else (0, "")
                row["configuration"] = str(len(stores))  # compared states
            out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("scale")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures/rule_benchmarks.tsv")
    args = parser.parse_args()
    kept = []
    if args.out.exists():
        lines = [line for line in args.out.read_text().splitlines() if not line.startswith("#")]
        kept = [row for row in csv.DictReader(lines, delimiter="\t") if row["scale"] != args.scale]
    rows = kept + collect(args.run, args.scale)
    with args.out.open("w") as handle:
        handle.write(HEADER)
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{args.out}: {len(rows)} rows ({len(rows) - len(kept)} of {args.scale})")


if __name__ == "__main__":
    main()
