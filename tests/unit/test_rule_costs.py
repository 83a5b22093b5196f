"""Cost models of the rules (issue 15.2): the paper plans' streamed representations stages need at most 16 GB, and
the convnet training models agree within a factor of 2 with the measured peaks and CPU times of real runs at two
scales (tests/fixtures/rule_benchmarks.tsv: Snakemake benchmark files of a demo and a validation run)."""

from __future__ import annotations

import csv
import functools

import pytest
import yaml

from neuromotor.config import layer_configs, validate_config
from neuromotor.represent import blocks
from neuromotor.represent import plan as represent_plan
from tests.runner import PROJECT_ROOT

FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "rule_benchmarks.tsv"


def paper_config(name: str) -> dict:
    demo = yaml.safe_load((PROJECT_ROOT / "config/config.yaml").read_text())
    return validate_config(layer_configs(demo, yaml.safe_load((PROJECT_ROOT / f"config/paper/{name}").read_text())))


def fixture_rows(scale_prefix: str = "") -> list[dict]:
    lines = [line for line in FIXTURE.read_text().splitlines() if not line.startswith("#")]
    return [row for row in csv.DictReader(lines, delimiter="\t") if row["scale"].startswith(scale_prefix)]


@pytest.mark.parametrize("family", ["S", "ST", "LSTM"])
def test_paper_representation_jobs_need_at_most_16_gb(family):
    """The paper DeepDraw plan's largest bound (the costliest configuration of each family's search space, 4,000
    trajectories; LSTM 2,000): every representations job's request, headroom included, stays under 16 GB."""
    cfg = paper_config("deepdraw.yaml")
    rep, conv = cfg["representations"], cfg["convnets"]
    floats = represent_plan.layer_floats(None, family, conv)
    n = represent_plan.subset_size(rep, family, cfg["pcrt"]["assembly"]["n_test"])
    n_rdm = represent_plan.rdm_sample_size(rep, cfg["pcrt"])
    batch = rep["activations"]["batch_size"]
    requests = {
        "network": represent_plan.network_memory_mb(floats, n, n_rdm, batch),
        "units": represent_plan.units_memory_mb(floats, n),
        "cka": represent_plan.cka_memory_mb(floats, n, 4),
        "sweep": represent_plan.sweep_memory_mb(floats, n, batch),
    }
    assert max(floats) * n * 4 > blocks.STREAM_BYTES or family == "LSTM"  # the layers are streamed
    for stage, mb in requests.items():
        assert 2000 < mb <= 16_000, (family, stage, mb)


SCALES = {"demo": None, "validation": "config/validation/deepdraw.yaml"}


@functools.lru_cache(maxsize=None)
def scale_config(scale: str) -> dict:
    demo = yaml.safe_load((PROJECT_ROOT / "config/config.yaml").read_text())
    user = SCALES[scale]
    return validate_config(layer_configs(demo, yaml.safe_load((PROJECT_ROOT / user).read_text())) if user else demo)


def test_convnets_cpu_jobs_within_a_factor_of_two_at_two_scales():
    """Convnet training jobs of a demo run (1,200 samples) and a validation run (20,000), on the CPU: peak memory
    per job and CPU seconds per (configuration, role) — jobs of the same configuration and epochs do the same
    work, yet their CPU times under this machine's load differ up to 2x, so their mean is compared."""
    from collections import defaultdict

    from neuromotor.convnets import plan as convnets_plan
    from neuromotor.convnets.architecture import parse_name

    rows = [row for row in fixture_rows() if row["rule"].startswith("convnets_")]
    assert {row["scale"] for row in rows} == set(SCALES)
    groups = defaultdict(list)
    for row in rows:
        cfg = scale_config(row["scale"])
        conv, pcrt = cfg["convnets"], cfg["pcrt"]
        n = pcrt["assembly"]["n_train"] + pcrt["assembly"]["n_test"]
        role = "search" if row["rule"] == "convnets_search" else "final"
        key = row["job"].split("_")[1] + "_" + row["job"].split("_")[2] if role == "search" else conv["final"]["input_key"]
        arch = parse_name(row["configuration"]).architecture
        recipe = convnets_plan.recipe_settings(conv, arch.family, conv[role]["epochs"])
        peak = convnets_plan.job_peak_mb(arch, key, n, recipe["batch_size"], recipe["eval_batch_size"], "cpu")
        assert 0.5 <= peak / float(row["max_rss"]) <= 2.0, (row["scale"], row["job"], peak, row["max_rss"])
        modelled_cpu = convnets_plan.job_cpu_seconds(arch, key, n, recipe["epochs"])
        groups[row["scale"], role, row["configuration"], modelled_cpu].append(float(row["cpu_time"]))
    # the recorded CPU times of the fixture (not this test's clock) against the cost model
    for (scale, role, configuration, modelled_cpu), recorded in groups.items():
        recorded_mean = sum(recorded) / len(recorded)
        assert 0.5 <= modelled_cpu / recorded_mean <= 2.0, (scale, role, configuration, modelled_cpu, recorded)
