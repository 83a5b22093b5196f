"""The job plan of the PCRT stages (rules/pcrt.smk): targets, paths, params and the cost model. Plain Python on the
config's ``pcrt`` section (no Snakemake here), so planning a paper-scale run stays quick.

The cost model is checked against measured ``benchmark:`` files of real runs at two scales
(tests/fixtures/pcrt_benchmarks.tsv, tests/unit/test_pcrt_cost_model.py).

Measured (surrogate backend): a generation shard of 8 items takes 1.7-2.9 s, of 40 items 3-21 s (mean 9.5 s); the
dataset assembly peaks at 82 MB (n_train 16), 264 MB (n_train 960) and 9.1 GB (n_train 160,000, issue 15)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from neuromotor.config import digest
from neuromotor.costs import memory_request_mb, runtime_request_min
from neuromotor.errors import ConfigError

PCRT_DIR = "results/pcrt"
FIGURES = ("characters", "arm_trajectory", "muscles_spindles", "latents")
"""The stage's figures (``results/pcrt/figures/<name>.png``) of a generated dataset."""


# ---- config check ----------------------------------------------------------------------------------------------


def longest_augmented_length(pcrt: Mapping) -> int:
    """Upper bound on augmented trajectory length (steps) for template characters: T * max(size) / min(speed)."""
    augmentation = pcrt["augmentation"]
    longest_source = int(pcrt["characters"]["duration_range"][1])
    return int(int(longest_source * max(augmentation["size"])) / min(augmentation["speed"]))


def check_config(config: Mapping) -> list[str]:
    """Problems of the ``pcrt`` section spanning several keys (each names its keys); empty when fine."""
    from neuromotor.pcrt.arm_model import check_arm_config

    pcrt = config["pcrt"]
    problems = check_arm_config(pcrt)
    for section, keys in (
        ("characters", ("scale_range", "shear_range", "rotation_range", "duration_range")),
        ("startpoints", ("x_range", "y_range", "z_range")),
    ):
        for key in keys:
            low, high = pcrt[section][key]
            if low > high:
                problems.append(f"config key 'pcrt.{section}.{key}': lower bound {low} exceeds upper bound {high}")
    if pcrt["characters"]["source"] == "uci" and not pcrt["characters"]["uci_path"]:
        problems.append("config key 'pcrt.characters.uci_path': required when 'pcrt.characters.source' is 'uci'")
    low, high = pcrt["characters"]["duration_range"]
    if low < 4:
        problems.append(f"config key 'pcrt.characters.duration_range': durations must be at least 4 samples, got {low}")
    assembly = pcrt["assembly"]
    generated = pcrt.get("source", "generated") == "generated"  # the released files are checked against the config
    longest = longest_augmented_length(pcrt)
    if generated and longest > assembly["window"] - 1:
        problems.append(
            f"config key 'pcrt.assembly.window': {assembly['window']} steps cannot hold the longest augmented "
            f"trajectory ({longest} steps from duration_range, size and speed); expected at least {longest + 1}"
        )
    available = len(pcrt["labels"]) * len(pcrt["planes"]) * assembly["n_per_label_plane"]
    wanted = assembly["n_train"] + assembly["n_test"]
    if generated and wanted > available:
        problems.append(
            f"config keys 'pcrt.assembly.n_train' + 'pcrt.assembly.n_test' = {wanted} exceed the "
            f"{available} trajectories selected (labels x planes x n_per_label_plane)"
        )
    return problems


# ---- paths and inputs ------------------------------------------------------------------------------------------


def label_ids(pcrt: Mapping) -> list[str]:
    """The labels as the shard wildcards spell them (two digits)."""
    return [f"{label:02d}" for label in pcrt["labels"]]


def shard_paths(pcrt: Mapping) -> list[str]:
    """Every generation shard, in the (label, plane, shard) order the assembly pools them in."""
    return [
        f"{PCRT_DIR}/shards/{plane}/label{label}_shard{shard:03d}.zarr"
        for label in label_ids(pcrt)
        for plane in pcrt["planes"]
        for shard in range(pcrt["generation"]["shards"])
    ]


def configured_sha256(data: Mapping, path: str) -> str | None:
    """The configured sha256 of a file that a ``data`` entry downloads and that is not there yet, else None."""
    from neuromotor.io.fetch import entry_for_path, fetchable

    entry = entry_for_path(data, path)
    return entry.sha256 if fetchable(data, path) and entry.sha256 else None


def model_identity(pcrt: Mapping, data: Mapping) -> str:
    """What identifies the muscle model: its configured checksum while it is still to be downloaded, else its
    content's digest. Raises :class:`ConfigError` naming ``pcrt.muscle.model_path`` when the file is missing."""
    from neuromotor.pcrt.muscles import file_digest

    model = pcrt["muscle"]["model_path"]
    known = configured_sha256(data, model)
    if not known and not Path(model).is_file():
        raise ConfigError(
            f"config key 'pcrt.muscle.model_path': {model} does not exist; expected an OpenSim .osim file"
        )
    return known or file_digest(model)


def surrogate_path(pcrt: Mapping, seed: int, data: Mapping) -> str:
    """Surrogates are cached per (model file content, quantity, fit settings)."""
    muscle = pcrt["muscle"]
    key = digest([model_identity(pcrt, data), muscle["quantity"], muscle["surrogate"], seed])
    return f"{PCRT_DIR}/surrogate/{Path(muscle['model_path']).stem}-{muscle['quantity']}-{key}.npz"


def table_path(pcrt: Mapping, data: Mapping) -> str:
    """Muscle tables are cached per (model file content, quantity, grid and trust-map settings)."""
    from neuromotor.pcrt.muscle_table import table_file_name

    muscle = pcrt["muscle"]
    name = table_file_name(muscle["model_path"], model_identity(pcrt, data), muscle["quantity"], muscle["table"])
    return f"{PCRT_DIR}/muscle_table/{name}"


@dataclass(frozen=True)
class MusclePlan:
    """What ``pcrt.muscle.backend`` implies for the workflow, decided in one place (:func:`muscle_plan`): the files
    a generation job reads, the muscle table (table backend), and the validation reports the ``pcrt`` target
    builds."""

    backend: str
    inputs: dict
    table: str | None
    reports: tuple[str, ...]


def muscle_plan(pcrt: Mapping, seed: int, data: Mapping) -> MusclePlan:
    """The :class:`MusclePlan` of this config: the surrogate, the table (and the model file) or the model file."""
    backend = pcrt["muscle"]["backend"]
    model = pcrt["muscle"]["model_path"]
    if backend == "surrogate":
        reports = (
            f"{PCRT_DIR}/surrogate_validation.json",
            *[f"{PCRT_DIR}/figures/surrogate_{name}.png" for name in ("uniform", "trajectories")],
        )
        return MusclePlan(backend, {"surrogate": surrogate_path(pcrt, seed, data)}, None, reports)
    if backend == "table":
        table = table_path(pcrt, data)
        reports = (f"{PCRT_DIR}/muscle_table_validation.json", f"{PCRT_DIR}/figures/muscle_table_validation.png")
        return MusclePlan(backend, {"table": table, "model": model}, table, reports)
    return MusclePlan(backend, {"model": model}, None, ())


def character_inputs(pcrt: Mapping) -> dict[str, str]:
    """The file the characters are read from: the UCI .mat file or the template JSON (`pcrt.characters.source`)."""
    characters = pcrt["characters"]
    if characters["source"] == "uci":
        return {"uci": characters["uci_path"]}
    return {"templates": characters["templates_path"]}


def startpoint_params(pcrt: Mapping) -> dict:
    """The config the start-point search depends on: ``pcrt.startpoints``, and the arm (with the model file that
    may give its link lengths) where it is not DeepDraw's."""
    if is_default_arm(pcrt):
        return dict(pcrt["startpoints"])
    return dict(pcrt["startpoints"]) | {"arm": pcrt["arm"], "model_path": pcrt["muscle"]["model_path"]}


def is_default_arm(pcrt: Mapping) -> bool:
    from neuromotor.pcrt.arm_model import is_default

    return is_default(pcrt.get("arm"))


def startpoint_inputs(pcrt: Mapping) -> dict[str, str]:
    """The original start-point file when `pcrt.startpoints.path` is set (nothing when the grid is searched)."""
    path = pcrt["startpoints"]["path"]
    return {"startpoints": path} if path else {}


def dataset_inputs(pcrt: Mapping) -> dict:
    """The generated shards and their selection, or the released files (`pcrt.source: released`)."""
    if pcrt["source"] == "released":
        return {"train": pcrt["released"]["train_path"], "test": pcrt["released"]["test_path"]}
    return {"selection": f"{PCRT_DIR}/selection.tsv", "shards": shard_paths(pcrt)}


def report_paths(pcrt: Mapping, muscle: MusclePlan) -> list[str]:
    """Validation and figures of the PCRT stage (the muscle backend's reports; nothing but the dataset for the
    released data, which hold no characters to draw)."""
    if pcrt["source"] == "released":
        return []
    return [f"{PCRT_DIR}/figures/{name}.png" for name in FIGURES] + list(muscle.reports)


def target_paths(pcrt: Mapping, muscle: MusclePlan) -> list[str]:
    """Everything the ``pcrt`` target builds: the dataset store and the stage's reports."""
    return [f"{PCRT_DIR}/dataset.zarr", *report_paths(pcrt, muscle)]


# ---- params: the config each job depends on (a change reruns it) ----------------------------------------------

DEFAULT_DT_S = 0.015
"""``pcrt.dt_s`` of DeepDraw (the schema's default)."""


def arm_params(pcrt: Mapping) -> dict:
    """``pcrt.arm`` and ``pcrt.dt_s`` where they differ from the DeepDraw arm and time step, else nothing: plans
    and provenance digests made before these keys existed stay valid (the DeepDraw plans are unchanged)."""
    from neuromotor.pcrt.arm_model import is_default

    out = {}
    if not is_default(pcrt.get("arm")):
        out["arm"] = pcrt["arm"]
    if pcrt.get("dt_s", DEFAULT_DT_S) != DEFAULT_DT_S:
        out["dt_s"] = pcrt["dt_s"]
    return out


def generation_params(pcrt: Mapping) -> dict:
    """The config a generation shard depends on (a change reruns the shards)."""
    params = {key: pcrt[key] for key in ("generation", "augmentation", "muscle")} | {"window": pcrt["assembly"]["window"]}
    return params | arm_params(pcrt)


def dataset_params(pcrt: Mapping) -> dict:
    """The config the dataset depends on (the generated store's keys, or those the released files are read with)."""
    if pcrt["source"] == "released":
        keys = ("labels", "planes", "assembly", "storage", "augmentation", "released")
        return {"source": "released"} | {key: pcrt[key] for key in keys}
    return {key: pcrt[key] for key in ("spindle", "storage", "assembly", "muscle")} | arm_params(pcrt)


def dataset_digest(pcrt: Mapping, seed: int) -> str:
    """Provenance of the dataset store (its root attribute `config_digest`); ``pcrt.arm`` and ``pcrt.dt_s`` count
    only where they differ from DeepDraw's (:func:`arm_params`)."""
    if pcrt["source"] == "released":
        return digest([dataset_params(pcrt), seed])
    rest = {key: value for key, value in pcrt.items() if key not in ("arm", "dt_s")}
    return digest([rest | arm_params(pcrt), seed])


# ---- cost model ------------------------------------------------------------------------------------------------

# Seconds per generation item (one source character x repeat, up to `max_attempts` tries) by muscle backend. The
# surrogate's is measured here (benchmark files); `table` and `opensim` add the MoBL-ARMS muscle cost measured by
# tests/bench/bench_mobl_muscles.py (docs/performance.md: 13-16 core-h for the table, 42-56 for per-step OpenSim,
# over the paper's 429,000 items), so about 0.13 and 0.47 s per item more.
SECONDS_PER_ITEM = {"surrogate": 0.45, "table": 0.6, "opensim": 1.0}
JOB_START_S = 1.0  # reading the characters and start points (the interpreter's start is not in the benchmark)
DATASET_BASE_MB = 100.0  # the interpreter, numpy and zarr
DATASET_MB_PER_1000_TRAIN = 57.0  # one split of windows held: the measured 9.1 GB at n_train = 160,000


def items_per_shard(samples_per_letter: int, repeats: int, shards: int) -> int:
    """The largest shard's items: the (source, repeat) items of a (label, plane) split into ``shards`` parts."""
    if shards < 1:
        raise ValueError(f"pcrt.generation.shards: expected >= 1, got {shards}")
    return math.ceil(samples_per_letter * repeats / shards)


def generate_seconds(items: int, backend: str) -> float:
    """Expected seconds of one generation shard of ``items`` items."""
    per_item = SECONDS_PER_ITEM.get(backend, max(SECONDS_PER_ITEM.values()))
    return JOB_START_S + items * per_item


def layout_scale(pcrt: Mapping) -> float:
    """Muscle values per trajectory relative to DeepDraw's 25 x 320 (1.0 for the DeepDraw arm, without reading
    the model; 39 x 400 / 8000 = 1.95 for the successor's macaque arm): the measured costs scale with it."""
    if not arm_params(pcrt):
        return 1.0
    from neuromotor.pcrt.layout import DatasetLayout

    layout = DatasetLayout.from_config(pcrt)
    return layout.n_muscles * layout.window / (25 * 320)


def generate_runtime_min(pcrt: dict, attempt: int = 1) -> int:
    """Minutes one generation shard requests (pcrt config section: characters, generation, muscle.backend; scaled
    by :func:`layout_scale` for other arms)."""
    generation = pcrt["generation"]
    items = items_per_shard(pcrt["characters"]["samples_per_letter"], generation["repeats"], generation["shards"])
    seconds = generate_seconds(items, pcrt["muscle"]["backend"])
    return runtime_request_min(seconds if not arm_params(pcrt) else seconds * layout_scale(pcrt), attempt)


def dataset_peak_mb(n_train: int) -> float:
    """Expected peak resident MB of the dataset assembly (one split of windows held in memory)."""
    return DATASET_BASE_MB + DATASET_MB_PER_1000_TRAIN * n_train / 1000


def dataset_mem_mb(n_train: int, attempt: int = 1) -> int:
    """MB the dataset assembly requests: the expected peak with 40 % headroom, at least 2 GB."""
    return memory_request_mb(dataset_peak_mb(n_train), attempt, floor_mb=2000)


def dataset_job_mem_mb(pcrt: Mapping, attempt: int = 1) -> int:
    """MB the ``pcrt_dataset`` job requests: :func:`dataset_mem_mb` of the generated windows; the released files
    are copied block by block (a fixed 2 GB)."""
    if pcrt["source"] == "released":
        return 2000 * attempt
    if arm_params(pcrt):  # another layout: as many DeepDraw-sized trajectories as it holds muscle values
        return dataset_mem_mb(math.ceil(pcrt["assembly"]["n_train"] * layout_scale(pcrt)), attempt)
    return dataset_mem_mb(pcrt["assembly"]["n_train"], attempt)
