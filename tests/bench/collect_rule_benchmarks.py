"""Collect the measured Snakemake ``benchmark:`` files of a finished run into the calibration fixture
(tests/fixtures/rule_benchmarks.tsv), with the sizes the cost models need to predict each job (``sizes``:
``key=value`` pairs from the run's own config and outputs): the network configuration of a convnets job (from its
``config.json``), the subset size and floats per trajectory of each layer of a representations job (from its
``activations.zarr``), the pair size, features and pairs of an SVM fit, the participants and subset sizes of an EMG
job, the model, modality, epochs and samples of a KD training job.

    python tests/bench/collect_rule_benchmarks.py RUN_DIR SCALE [--configfile config/validation/<study>.yaml]

``SCALE`` names the run in the fixture (e.g. ``demo``: config/config.yaml; ``validation``:
config/validation/deepdraw.yaml over it); ``--configfile`` is the run's config layered over its
config/config.yaml (paths relative to RUN_DIR). Rows of other scales already in the file are kept.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "workflow"))

COLUMNS = ("scale", "rule", "job", "s", "cpu_time", "max_rss", "configuration", "n", "layer_floats", "sizes")
HEADER = (
    "# Measured Snakemake benchmark files (s: wall seconds, cpu_time: CPU seconds, max_rss: MB) of real runs, for\n"
    "# tests/unit/test_rule_costs.py: demo = config/config.yaml; validation = config/validation/deepdraw.yaml;\n"
    "# validation_emg / validation_kd = config/validation/emg_signatures.yaml / kd.yaml; sizes: what the cost\n"
    "# models read (collected from the run's config). Collected by tests/bench/collect_rule_benchmarks.py\n"
    "# (the machine: 2 shared cores under a load of 8-20).\n"
)
RULES = {  # benchmark folder -> rule
    "convnets/search": "convnets_search",
    "convnets/final": "convnets_final",
    "representations/network": "representations_network",
    "representations/units": "representations_units",
    "representations/cka": "representations_cka",
    "svm/fit": "svm_fit",
    "svm/evaluate.tsv": "svm_evaluate",
    "emg_signatures/runs": "emg_run",  # emg_run_svm or emg_run_network by the model
    "emg_signatures/subsample": "emg_subsample",
    "kd/runs": "kd_train",  # kd_teacher, kd_student or kd_student_kd by the condition
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


def run_config(run: Path, configfile: str | None) -> dict:
    """The run's config: its config/config.yaml with ``configfile`` layered over it, validated."""
    from neuromotor.config import layer_configs, validate_config

    demo = yaml.safe_load((run / "config/config.yaml").read_text())
    user = yaml.safe_load((run / configfile).read_text()) if configfile else None
    return validate_config(layer_configs(demo, user) if user else demo)


def _sizes(values: dict) -> str:
    return ";".join(f"{key}={value}" for key, value in values.items())


def svm_sizes(cfg: dict, job: str) -> dict:
    """An SVM fit ``{input}_{variant}_pairs{chunk}``: the pair's samples, features, pairs and subsets of the job."""
    from neuromotor.svm import plan as svm_plan

    svm, pcrt = cfg["svm"], cfg["pcrt"]
    stem, chunk = job.rsplit("_pairs", 1)
    name, variant = stem.rsplit("_", 1)
    job_pairs = svm_plan.chunks(svm, pcrt)[int(chunk)]
    return {"input": name} | svm_plan.fit_sizes(svm, pcrt, name, variant, job_pairs) | {
        "item_bytes": svm_plan.item_bytes(pcrt), "gram_limit": svm["exact"]["gram_limit"]}


def svm_evaluate_sizes(cfg: dict) -> dict:
    from neuromotor.svm import plan as svm_plan

    return svm_plan.evaluate_sizes(cfg["svm"], cfg["pcrt"]) | {"item_bytes": svm_plan.item_bytes(cfg["pcrt"])}


def emg_sizes(cfg: dict, rule: str, job: str) -> dict:
    """An EMG run ``{experiment}_{model}``: its participants and cycles; a subsample chunk ``{task}_chunk{i}``: its
    fits and the sum of their squared subset sizes."""
    from neuromotor.emg import plan as emg_plan

    emg = cfg["emg_signatures"]
    if rule.startswith("emg_run"):
        return {"model": job.rsplit("_", 1)[1]} | emg_plan.svm_sizes(emg)
    items = emg_plan.subsample_chunks(emg)[int(job.rsplit("chunk", 1)[1])]
    return emg_plan.subsample_sizes(items) | {"participants": emg_plan.participant_count(emg)}


def kd_sizes(cfg: dict, job: str) -> dict:
    """A KD training job ``{model}_s{subject}_fold{fold}_{condition}``: model, modality, role, epochs, samples."""
    from neuromotor.kd import plan as kd_plan

    kd = cfg["kd"]
    model, _, _, condition = job.split("_", 3)
    layout = kd_plan.kd_layout(kd)
    return {"model": model, "modality": condition.split("_")[0], "distilled": int("_KD_" in condition),
            "epochs": kd["train"]["epochs"], "samples": layout.n_samples, "trials": layout.trials,
            "batch_size": kd["train"]["batch_size"]}  # fmt: skip


def collect(run: Path, scale: str, cfg: dict) -> list[dict]:
    out = []
    for folder, rule in RULES.items():
        target = run / "benchmarks" / folder
        paths = [target] if target.suffix == ".tsv" and target.exists() else sorted(target.glob("*.tsv"))
        for path in paths:
            measured = _row(path)
            job = path.stem
            row = {"scale": scale, "rule": rule, "job": job, "s": measured["s"],
                   "cpu_time": measured.get("cpu_time", ""), "max_rss": measured["max_rss"],
                   "configuration": "", "n": "", "layer_floats": "", "sizes": ""}  # fmt: skip
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
                from neuromotor.represent.plan import rdm_sample_size

                row["sizes"] = _sizes({"n_rdm": rdm_sample_size(cfg["representations"], cfg["pcrt"]),
                                       "labels": cfg["representations"]["tuning"]["labels"]})  # fmt: skip
            elif rule == "representations_cka":
                family, seed = job.split("_")
                stores = sorted((run / "results/representations").glob(f"*/{family}/{seed}/*/activations.zarr"))
                row["n"], row["layer_floats"] = _layers(stores[0]) if stores else (0, "")
                row["configuration"] = str(len(stores))  # compared states
            elif rule == "svm_fit":
                row["sizes"] = _sizes(svm_sizes(cfg, job))
            elif rule == "svm_evaluate":
                row["sizes"] = _sizes(svm_evaluate_sizes(cfg))
            elif rule.startswith("emg_"):
                row["sizes"] = _sizes(emg_sizes(cfg, rule, job))
            elif rule == "kd_train":
                row["sizes"] = _sizes(kd_sizes(cfg, job))
            if rule == "emg_run":
                row["rule"] = "emg_run_svm" if job.rsplit("_", 1)[1].startswith("Svm") else "emg_run_network"
            elif rule == "kd_train":
                condition = job.split("_", 3)[3]
                distilled = "kd_student_kd" if "_KD_" in condition else "kd_student"
                row["rule"] = "kd_teacher" if condition == "US" else distilled
            out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("scale")
    parser.add_argument("--configfile", default=None, help="the run's config over its config/config.yaml")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "fixtures/rule_benchmarks.tsv")
    args = parser.parse_args()
    kept = []
    if args.out.exists():
        lines = [line for line in args.out.read_text().splitlines() if not line.startswith("#")]
        kept = [row for row in csv.DictReader(lines, delimiter="\t") if row["scale"] != args.scale]
    rows = kept + collect(args.run, args.scale, run_config(args.run, args.configfile))
    with args.out.open("w") as handle:
        handle.write(HEADER)
        writer = csv.DictWriter(handle, COLUMNS, delimiter="\t", lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{args.out}: {len(rows)} rows ({len(rows) - len(kept)} of {args.scale})")


if __name__ == "__main__":
    main()
