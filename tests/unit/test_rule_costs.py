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
    """The paper DeepDraw plan's largest bound (of each family's sampled configurations the one with most floats, 4,000
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


# ---- every study's cost models against the fixture's recorded CPU seconds and peaks (not a clock) ---------------

MEASURED_SCALES = {
    "svm": {"demo", "validation"},
    "emg": {"demo", "validation_emg"},
    "kd": {"demo", "demo_kd", "validation_kd"},
    "representations": {"demo", "validation"},
}
"""The runs each family's rows come from (the fixture's ``scale``): demo = config/config.yaml, demo_kd = the KD
jobs of another demo run, validation(_emg, _kd) = config/validation/deepdraw.yaml (emg_signatures.yaml, kd.yaml)."""
FLOOR_S = 15.0
"""CPU seconds below which a job's cost is its start (interpreter, imports): a prediction and a measurement both
under it agree whatever their ratio (the requests' 10-minute floor covers them many times over)."""
FLOOR_MB = 600.0
"""Peak MB below which a job's memory is its interpreter's: both under it agree (the requests' 1 GB floor covers
them)."""


def sizes(row: dict) -> dict:
    """The fixture's ``sizes`` column (``key=value;...``), numbers as numbers."""
    out = {}
    for item in filter(None, row["sizes"].split(";")):
        key, value = item.split("=", 1)
        try:
            out[key] = int(value)
        except ValueError:
            out[key] = value
    return out


def agree(predicted: float, measured: float, floor: float) -> bool:
    """Within a factor of 2, or both under the floor."""
    return (predicted <= floor and measured <= floor) or 0.5 <= predicted / measured <= 2.0


def rows_of(*rules: str) -> list[dict]:
    return [row for row in fixture_rows() if row["rule"] in rules]


def check_rows(rows, predict_seconds, predict_mb, family: str):
    """Every row's CPU seconds and peak MB against the model, the rows from the family's measured scales; returns
    the ratios."""
    assert {row["scale"] for row in rows} == MEASURED_SCALES[family], sorted({row["scale"] for row in rows})
    ratios = []
    for row in rows:
        seconds, mb = predict_seconds(row), predict_mb(row)
        cpu, rss = float(row["cpu_time"]), float(row["max_rss"])
        assert agree(seconds, cpu, FLOOR_S), (row["scale"], row["rule"], row["job"], "CPU s", seconds, cpu)
        assert agree(mb, rss, FLOOR_MB), (row["scale"], row["rule"], row["job"], "MB", mb, rss)
        ratios.append((seconds / cpu, mb / rss))
    return ratios


def test_svm_fit_and_evaluate_within_a_factor_of_two():
    """SVM fitting jobs (190 pairs each; 1,600 samples per pair in the validation run, 96 in the demo) and the
    evaluation: ``svm.plan.fit_seconds`` / ``fit_peak_mb`` and ``evaluate_seconds`` / ``evaluate_peak_mb``."""
    from neuromotor.svm import plan as svm_plan

    def fit_s(row):
        s = sizes(row)
        return svm_plan.fit_seconds(s["input"], s["n_pair"], s["features"], s["n_pairs"], s["subsets"])

    def fit_mb(row):
        s = {k: v for k, v in sizes(row).items() if k != "input"}
        return svm_plan.fit_peak_mb(**s)

    def evaluate_s(row):
        s = {k: v for k, v in sizes(row).items() if k != "item_bytes"}
        return svm_plan.evaluate_seconds(**s)

    check_rows(rows_of("svm_fit"), fit_s, fit_mb, "svm")
    check_rows(rows_of("svm_evaluate"), evaluate_s, lambda row: svm_plan.evaluate_peak_mb(**sizes(row)), "svm")


def test_emg_svm_runs_and_subsample_jobs_within_a_factor_of_two():
    """EMG SVM runs (78 synthetic participants in the validation run, 12 in the demo) and subject-count subsample
    jobs: ``emg.plan.svm_seconds`` / ``svm_peak_mb``, ``subsample_seconds`` / ``subsample_peak_mb``."""
    from neuromotor.emg import plan as emg_plan

    def run_s(row):
        s = sizes(row)
        return emg_plan.svm_seconds(s["participants"], s["cycles"])

    def run_mb(row):
        s = sizes(row)
        return emg_plan.svm_peak_mb(s["participants"], s["cycles"])

    check_rows(rows_of("emg_run_svm"), run_s, run_mb, "emg")
    check_rows(
        rows_of("emg_subsample"),
        lambda row: emg_plan.subsample_seconds(sizes(row)["fits"], sizes(row)["size_sq"]),
        lambda row: emg_plan.subsample_peak_mb(sizes(row)["participants"]),
        "emg",
    )


def test_kd_training_jobs_on_the_cpu_within_a_factor_of_two():
    """KD teacher, student and distilled-student jobs on the CPU (MSCNN, EUNet, MKCNN; 20 epochs in the validation
    run, 15 in the demo): ``kd.plan.train_cpu_seconds`` and ``train_peak_mb``. The GPU requests (FLOPs at
    kd.plan.GFLOPS, the CUDA context) are not measured here: no GPU run yet."""
    from neuromotor.kd import plan as kd_plan

    def seconds(row):
        s = sizes(row)
        teacher = "US" if s["distilled"] else ""
        return kd_plan.train_cpu_seconds(s["model"], s["modality"], s["samples"], s["trials"], s["epochs"], teacher)

    def mb(row):
        s = sizes(row)
        return kd_plan.train_peak_mb(s["model"], s["modality"], s["samples"], s["batch_size"], bool(s["distilled"]))

    check_rows(rows_of("kd_teacher", "kd_student", "kd_student_kd"), seconds, mb, "kd")


def test_representations_jobs_within_a_factor_of_two():
    """Representations network, units and CKA jobs (400 trajectories per family in the validation run, 600 in the
    demo): ``represent.plan.network_seconds`` / ``network_peak_mb``, ``units_*``, ``cka_*`` from the layers the
    fixture recorded (trajectories and floats per trajectory of each layer)."""

    def layers(row):
        return int(row["n"]), [int(f) for f in row["layer_floats"].split(";")]

    def network(row):
        n, floats = layers(row)
        return represent_plan.network_seconds(floats, n, sizes(row)["n_rdm"])

    def network_mb(row):
        n, floats = layers(row)
        return represent_plan.network_peak_mb(floats, n, sizes(row)["n_rdm"])

    check_rows(rows_of("representations_network"), network, network_mb, "representations")
    check_rows(
        rows_of("representations_units"),
        lambda row: represent_plan.units_seconds(layers(row)[1], layers(row)[0], sizes(row)["labels"]),
        lambda row: represent_plan.units_peak_mb(layers(row)[1], layers(row)[0]),
        "representations",
    )
    check_rows(
        rows_of("representations_cka"),
        lambda row: represent_plan.cka_seconds(layers(row)[1], layers(row)[0], int(row["configuration"])),
        lambda row: represent_plan.cka_peak_mb(layers(row)[1], layers(row)[0], int(row["configuration"])),
        "representations",
    )
