"""Which jobs the EEG study runs and where their files go (used by rules/eeg.smk; no Snakemake here).

Jobs: one training per (model, held-out subject), one probe (frozen BatchNorm, predictions, perturbation drops) per
(model, subject), attribution jobs of ``eeg.attribution.methods_per_job`` methods per (model, subject), one summary,
one figure job, and for every configured sample (``eeg.figures.samples``) one band-power job and, for InterpretableCNN
samples, one class-activation-map job (the sibling ``VisTechnique.py``). Results never depend on how methods are grouped into jobs: every method's computation on a subject
is the same whatever shares its job.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from neuromotor.eeg.synthetic import SUBJECT_COUNTS, subject_counts
from neuromotor.io.eeg_mat import CHANNELS, N_TIMES

EEG_DIR = "results/eeg"
PROTOCOLS = ("honest", "best_test_epoch")
"""Evaluation protocols (Cui et al. 2023, Methods): the final epoch's model, the best held-out epoch's (optimistic)."""
TABLES = ("accuracy", "perturbation", "deletion", "summary", "ranking")
FIGURES = ("accuracy", "ranking", "topomaps")
CAM_MODELS = ("interpretable_cnn",)
"""Models the class-activation map applies to (global average pooling right before the classifier)."""


def subject_id(subject: int) -> str:
    return f"sub{int(subject):02d}"


def method_chunks(methods: Sequence[str], per_job: int) -> list[list[str]]:
    """Methods in config order, cut into jobs of ``per_job``."""
    methods = list(methods)
    return [methods[i : i + per_job] for i in range(0, len(methods), per_job)]


def chunk_id(index: int) -> str:
    return f"methods{index:02d}"


def dataset_path(eeg: Mapping) -> str:
    """The ``dataset.mat`` the study reads: the synthetic one it writes, or the configured original."""
    if eeg["data"]["source"] == "synthetic":
        return f"{EEG_DIR}/data/dataset.mat"
    return eeg["data"]["path"]


def model_dir(model: str, subject: int) -> str:
    return f"{EEG_DIR}/models/{model}/{subject_id(subject)}"


def probe_path(model: str, subject: int) -> str:
    return f"{EEG_DIR}/probe/{model}/{subject_id(subject)}.zarr"


def attribution_prefix(model: str, subject: int, chunk: int) -> str:
    return f"{EEG_DIR}/attribution/{model}/{subject_id(subject)}/{chunk_id(chunk)}"


def attribution_jobs(eeg: Mapping) -> list[tuple[str, int, int]]:
    """Every (model, subject, chunk) attribution job."""
    chunks = method_chunks(eeg["attribution"]["methods"], eeg["attribution"]["methods_per_job"])
    return [(m, s, c) for m in eeg["models"] for s in eeg["subjects"] for c in range(len(chunks))]


def attribution_stores(eeg: Mapping, model: str | None = None, subject: int | None = None) -> list[str]:
    """Heatmap stores of all attribution jobs (or those of one model and subject)."""
    return [
        f"{attribution_prefix(m, s, c)}.zarr"
        for m, s, c in attribution_jobs(eeg)
        if (model is None or m == model) and (subject is None or s == subject)
    ]


def attribution_tables(eeg: Mapping, kind: str) -> list[str]:
    """Per-job tables of one kind (``perturbation`` or ``deletion``)."""
    return [f"{attribution_prefix(m, s, c)}_{kind}.tsv" for m, s, c in attribution_jobs(eeg)]


def method_store(eeg: Mapping, model: str, subject: int, method: str) -> str:
    """The attribution store holding one method's heatmaps of one (model, subject)."""
    chunks = method_chunks(eeg["attribution"]["methods"], eeg["attribution"]["methods_per_job"])
    index = next(i for i, chunk in enumerate(chunks) if method in chunk)
    return f"{attribution_prefix(model, subject, index)}.zarr"


def epochs_tables(eeg: Mapping) -> list[str]:
    return [f"{model_dir(m, s)}/epochs.tsv" for m in eeg["models"] for s in eeg["subjects"]]


def sample_figure_name(sample: Mapping, method: str) -> str:
    return f"{sample['model']}_{subject_id(sample['subject'])}_sample{int(sample['index']):03d}_{method}"


def sample_name(model: str | None, subject: int, index: int) -> str:
    """File stem of one sample's figure: ``<model>_sub01_sample098`` (``sub01_sample098`` without a model)."""
    stem = f"{subject_id(subject)}_sample{int(index):03d}"
    return f"{model}_{stem}" if model else stem


def cam_samples(eeg: Mapping) -> list[tuple[str, int, int]]:
    """(model, subject, index) of the configured samples whose model has a class-activation map, in config order."""
    samples = [(s["model"], int(s["subject"]), int(s["index"])) for s in eeg["figures"]["samples"]]
    return list(dict.fromkeys(s for s in samples if s[0] in CAM_MODELS))


def band_power_samples(eeg: Mapping) -> list[tuple[int, int]]:
    """(subject, index) of the configured samples (any model: band power is a property of the data), in config
    order."""
    return list(dict.fromkeys((int(s["subject"]), int(s["index"])) for s in eeg["figures"]["samples"]))


def cam_paths(eeg: Mapping) -> list[str]:
    """CAM figures and tables of the configured InterpretableCNN samples."""
    names = [sample_name(*sample) for sample in cam_samples(eeg)]
    return [path for name in names for path in (f"{EEG_DIR}/figures/cam/{name}.png", f"{EEG_DIR}/cam/{name}.tsv")]


def band_power_paths(eeg: Mapping) -> list[str]:
    """Band-power figures and tables of the configured samples."""
    names = [sample_name(None, *sample) for sample in band_power_samples(eeg)]
    return [
        path
        for name in names
        for path in (f"{EEG_DIR}/figures/band_power/{name}.png", f"{EEG_DIR}/band_power/{name}.tsv")
    ]


def figure_samples_inputs(eeg: Mapping) -> list[str]:
    """Stores the per-sample figures read (the attribution stores of their (model, subject))."""
    stores = []
    for sample in eeg["figures"]["samples"]:
        stores += [f"{probe_path(sample['model'], sample['subject'])}"]
        stores += attribution_stores(eeg, sample["model"], sample["subject"])
    return sorted(set(stores))


def check_config(config: Mapping) -> list[str]:
    """Problems of the ``eeg`` section that the JSON schema cannot express (each names its config key)."""
    if "eeg" not in config:
        return []
    eeg = config["eeg"]
    problems = []
    if eeg["data"]["source"] == "mat" and not eeg["data"]["path"]:
        problems.append("config key 'eeg.data.path': required when 'eeg.data.source' is 'mat'")
    n_subjects = len(eeg["synthetic"]["counts"]) if eeg["data"]["source"] == "synthetic" else len(SUBJECT_COUNTS)
    for subject in eeg["subjects"]:
        if subject > n_subjects:
            problems.append(f"config key 'eeg.subjects': subject {subject} does not exist (1..{n_subjects})")
    counts = subject_counts(eeg["synthetic"]["scale"], eeg["synthetic"]["counts"])
    for number, sample in enumerate(eeg["figures"]["samples"]):
        key = f"eeg.figures.samples[{number}]"
        if sample["model"] not in eeg["models"]:
            problems.append(f"config key '{key}.model': {sample['model']!r} is not in 'eeg.models' {eeg['models']}")
        if sample["subject"] not in eeg["subjects"]:
            problems.append(
                f"config key '{key}.subject': {sample['subject']} is not in 'eeg.subjects' {eeg['subjects']}"
            )
        elif eeg["data"]["source"] == "synthetic" and sample["index"] >= counts[sample["subject"] - 1]:
            problems.append(
                f"config key '{key}.index': subject {sample['subject']} has {counts[sample['subject'] - 1]} epochs "
                f"in the synthetic dataset (indices 0..{counts[sample['subject'] - 1] - 1}), got {sample['index']}"
            )
    low, high = eeg["synthetic"]["effect"]["window_s"]
    if low >= high:
        problems.append(f"config key 'eeg.synthetic.effect.window_s': start {low} must be before end {high}")
    low, high = eeg["synthetic"]["effect"]["band_hz"]
    if low > high:
        problems.append(f"config key 'eeg.synthetic.effect.band_hz': lower bound {low} exceeds upper bound {high}")
    return problems


# ---- targets and params ----------------------------------------------------------------------------------------


def checkpoint_path(eeg: Mapping, model: str, subject: int) -> str:
    """The explained weights (protocol ``eeg.attribution.protocol``) of one (model, subject)."""
    return f"{model_dir(model, subject)}/{eeg['attribution']['protocol']}.pt"


def target_paths(eeg: Mapping) -> list[str]:
    """Everything the ``eeg`` target builds (the tables, the channel relevance, the figures, the configured samples'
    class-activation maps and band power)."""
    return [
        *[f"{EEG_DIR}/{name}.tsv" for name in (*TABLES, "channel_relevance")],
        *[f"{EEG_DIR}/figures/{name}.png" for name in FIGURES],
        f"{EEG_DIR}/figures/samples",
        *cam_paths(eeg),
        *band_power_paths(eeg),
    ]


def figure_params(eeg: Mapping) -> dict:
    """The config the figures depend on (which jobs hold which method, the settings printed on them)."""
    keys = ("models", "subjects", "postprocess", "deletion", "figures")
    return {key: eeg[key] for key in keys} | {
        "attribution": {key: eeg["attribution"][key] for key in ("methods", "methods_per_job")},
        "perturbation": {"levels": eeg["perturbation"]["levels"]},
    }


# ---- cost model ------------------------------------------------------------------------------------------------


def dataset_mb(eeg: Mapping) -> float:
    """float64 epochs of the whole file: the synthetic subjects', or the original's (sum of SUBJECT_COUNTS)."""
    if eeg["data"]["source"] == "synthetic":
        n = sum(subject_counts(eeg["synthetic"]["scale"], eeg["synthetic"]["counts"]))
    else:
        n = sum(SUBJECT_COUNTS)
    return n * len(CHANNELS) * N_TIMES * 8 / 1e6


def mem_mb(eeg: Mapping, attempt: int = 1) -> int:
    """The dataset a few times over (loaded, as tensors, training split) plus torch and the batches."""
    return int(1500 + 4 * dataset_mb(eeg)) * attempt


def attribute_runtime_min(n_methods: int, attempt: int = 1) -> int:
    """Minutes: integrated gradients (100 passes per sample) dominates, about 10 min per method on a CPU at the
    largest subject (314 epochs)."""
    return (10 + 10 * n_methods) * attempt
