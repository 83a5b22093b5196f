"""Which networks the workflow trains: the random hyperparameter search, the final models (best configuration per
family, retrained with several seeds, plus their untrained controls), their paths and their cost.

Spec convnets.md §4 (search space, names) and §6 (experiments). Everything here is a pure function of the
``convnets`` config section, so the Snakefile and the jobs agree on it.

Paths (relative to the working directory):

- search model: ``results/convnets/{task}/search/{input_key}/{configuration}/`` (``init.pt``, ``best.pt``,
  ``config.json``, ``metrics.json``, ``history.tsv``); the run's table: ``…/search/{input_key}/summary.tsv``;
- final model: ``results/convnets/{task}/final/{family}/seed{seed}/`` (the same files, plus
  ``control_metrics.json`` = the untrained control, i.e. ``init.pt`` evaluated).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

from neuromotor.convnets.architecture import (
    FAMILIES,
    INPUT_CHANNELS,
    N_MUSCLES,
    N_TIME,
    Architecture,
    block_specs,
    configuration_name,
    parse_name,
    same_padding,
)

RESULTS = "results/convnets"
MODEL_FILES = ("init.pt", "best.pt", "config.json", "metrics.json", "history.tsv")
FIGURES = ("learning_curves", "search_accuracy", "trained_vs_untrained")

CONV_SPACE = {
    "n_layers": [1, 2, 3, 4],
    "channels": [8, 16, 32, 64],
    "kernels": [3, 5, 7, 9],
    "spatial_strides": [1, 2],
    "temporal_strides": [1, 2, 3],
}
"""The conv families' search space (spec §4)."""

LSTM_SPACE = {
    "n_layers": [1, 2, 3, 4],
    "channels": [8, 16, 32],
    "units": [32, 64, 128, 256],
    "kernels": [3, 5, 7, 9],
    "strides": [1, 2],
}
"""The LSTM search space actually trained in the original (spec §4 'effective'); the space listed in its code has
n_layers [1, 2, 3] and units [32, 64, 128]."""


# ---- the sampler -----------------------------------------------------------------------------------------------


def sample_architecture(
    family: str, rng: np.random.Generator, conv_space: Mapping, lstm_space: Mapping
) -> Architecture:
    """One random configuration of ``family`` (spec §4): L; channels drawn with replacement and sorted ascending
    (S: 2L draws, first L spatial; T-S: first L temporal; ST and LSTM: L); two kernel sizes drawn and sorted
    (smaller = spatial, larger = temporal; ST uses the smaller on both axes); the strides."""
    if family == "LSTM":
        layers = int(rng.choice(lstm_space["n_layers"]))
        channels = tuple(sorted(int(c) for c in rng.choice(lstm_space["channels"], size=layers)))
        units = int(rng.choice(lstm_space["units"]))
        kernel = int(rng.choice(lstm_space["kernels"]))
        stride = int(rng.choice(lstm_space["strides"]))
        return Architecture("LSTM", layers, channels, (), kernel, stride, units=units)
    layers = int(rng.choice(conv_space["n_layers"]))
    draws = layers if family == "ST" else 2 * layers
    channels = tuple(sorted(int(c) for c in rng.choice(conv_space["channels"], size=draws)))
    small, large = sorted(int(k) for k in rng.choice(conv_space["kernels"], size=2))
    s_stride = int(rng.choice(conv_space["spatial_strides"]))
    t_stride = int(rng.choice(conv_space["temporal_strides"]))
    if family == "ST":
        return Architecture("ST", layers, channels, (), small, s_stride, small, s_stride)
    first, second = channels[:layers], channels[layers:]
    spatial, temporal = (first, second) if family == "S" else (second, first)
    return Architecture(family, layers, spatial, temporal, small, s_stride, large, t_stride)


def sample_configurations(
    family: str, n: int, seed: int = 0, conv_space: Mapping = CONV_SPACE, lstm_space: Mapping = LSTM_SPACE
) -> list[Architecture]:
    """``n`` distinct configurations of ``family`` from a generator seeded by (``seed``, family); repeated draws are
    skipped, so the first k of n configurations are those of a search of size k."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    rng = np.random.default_rng([seed, zlib.crc32(f"convnets-search-{family}".encode())])
    found: dict[str, Architecture] = {}
    attempts = 0
    while len(found) < n:
        attempts += 1
        if attempts > 1000 + 100 * n:
            raise ValueError(
                f"the {family} search space holds fewer than {n} distinct configurations ({len(found)} found)"
            )
        arch = sample_architecture(family, rng, conv_space, lstm_space)
        found.setdefault(configuration_name(arch), arch)
    return list(found.values())


# ---- jobs and paths --------------------------------------------------------------------------------------------


def search_runs(cfg: Mapping) -> list[dict]:
    """The search runs of the ``convnets`` section, each with its families filled in."""
    return [
        {"task": run["task"], "input_key": run["input_key"], "families": list(run.get("families") or FAMILIES)}
        for run in cfg["search"]["runs"]
    ]


def search_models(cfg: Mapping) -> list[dict]:
    """Every search job: {task, input_key, family, configuration}, in run, family, sampling order."""
    search = cfg["search"]
    jobs = []
    for run in search_runs(cfg):
        for family in run["families"]:
            for arch in sample_configurations(
                family, search["n_per_family"], search["seed"], search["space"], search["lstm_space"]
            ):
                jobs.append(
                    {
                        "task": run["task"],
                        "input_key": run["input_key"],
                        "family": family,
                        "configuration": configuration_name(arch),
                    }
                )
    return jobs


def search_dir(task: str, input_key: str, configuration: str) -> str:
    return f"{RESULTS}/{task}/search/{input_key}/{configuration}"


def summary_path(task: str, input_key: str) -> str:
    return f"{RESULTS}/{task}/search/{input_key}/summary.tsv"


def final_dir(task: str, family: str, seed: int) -> str:
    return f"{RESULTS}/{task}/final/{family}/seed{seed}"


def final_models(cfg: Mapping) -> list[dict]:
    """Every final job: {task, family, seed}."""
    final = cfg["final"]
    return [
        {"task": t, "family": f, "seed": int(s)}
        for t in final["tasks"]
        for f in final["families"]
        for s in final["seeds"]
    ]


def selection_summary(cfg: Mapping, family: str) -> str | None:
    """The search table a final model of ``family`` takes its configuration from (the ART run on the final input),
    or None when the config pins the family's configuration."""
    if family in cfg["final"]["models"]:
        return None
    return summary_path("art", cfg["final"]["input_key"])


def figure_paths() -> list[str]:
    """The report figures and the table of final models."""
    return [f"{RESULTS}/figures/{name}.png" for name in FIGURES] + [f"{RESULTS}/final.tsv"]


def target_paths(cfg: Mapping) -> list[str]:
    """Everything ``snakemake convnets`` builds."""
    paths = [f"{search_dir(j['task'], j['input_key'], j['configuration'])}/metrics.json" for j in search_models(cfg)]
    paths += [summary_path(run["task"], run["input_key"]) for run in search_runs(cfg)]
    for job in final_models(cfg):
        directory = final_dir(job["task"], job["family"], job["seed"])
        paths += [f"{directory}/{name}" for name in MODEL_FILES]
        if cfg["final"]["controls"]:
            paths.append(f"{directory}/control_metrics.json")
    if paths:
        paths += figure_paths()
    return paths


def select_configuration(rows: Sequence[Mapping], family: str, select_by: str = "validation") -> str:
    """The configuration of ``family`` with the best ART accuracy on the validation (default) or test set of a
    search table; ties go to the earlier row (sampling order)."""
    column = {"validation": "val_metric", "test": "test_metric"}[select_by]
    candidates = [row for row in rows if row["family"] == family and row["task"] == "art"]
    if not candidates:
        raise ValueError(f"the search table has no ART model of family {family}")
    best = max(range(len(candidates)), key=lambda i: (candidates[i][column], -i))
    return str(candidates[best]["configuration"])


def recipe_settings(cfg: Mapping, family: str, epochs: int | None) -> dict:
    """The keyword arguments of :class:`neuromotor.convnets.train.Recipe` for a family (the LSTM family has its own
    learning rate and batch size) from the ``convnets.train`` section; ``epochs`` None = ``train.epochs``."""
    train = cfg["train"]
    group = train["lstm"] if family == "LSTM" else train["conv"]
    return {
        "epochs": int(epochs if epochs is not None else train["epochs"]),
        "batch_size": int(group["batch_size"]),
        "learning_rate": float(group["learning_rate"]),
        "schedule": train["schedule"],
        "val_interval": int(train["val_interval"]),
        "patience_epochs": float(train["plateau"]["patience_epochs"]),
        "min_epochs": float(train["plateau"]["min_epochs"]),
        "decay": float(train["plateau"]["decay"]),
        "eval_batch_size": int(train["eval_batch_size"]),
    }


def job_settings(cfg: Mapping, family: str, role: str, config_seed: int) -> dict:
    """What a training job depends on besides its wildcards (a change reruns it): its recipe, validation fraction,
    instance seed of search models, config seed and device preference."""
    epochs = cfg["search"]["epochs"] if role == "search" else cfg["final"]["epochs"]
    settings = {
        "recipe": recipe_settings(cfg, family, epochs),
        "val_fraction": cfg["train"]["val_fraction"],
        "config_seed": config_seed,
        "device": cfg["device"],
    }
    if role == "search":
        settings["seed"] = cfg["search"]["train_seed"]
    else:
        settings |= {
            "input_key": cfg["final"]["input_key"],
            "select_by": cfg["final"]["select_by"],
            "pinned": cfg["final"]["models"].get(family),
        }
    return settings


# ---- checks and cost -------------------------------------------------------------------------------------------


def check_config(cfg: Mapping) -> list[str]:
    """Problems of the ``convnets`` section that span several keys (each names its key); empty when fine. (Batch
    sizes larger than the training set are reported by the training job, so configs that never train a network,
    such as tiny test plans, stay valid.)"""
    problems = []
    final = cfg["final"]
    art_runs = {run["input_key"]: run["families"] for run in search_runs(cfg) if run["task"] == "art"}
    for family, name in final["models"].items():
        try:
            parsed = parse_name(name)
        except ValueError as error:
            problems.append(f"config key 'convnets.final.models.{family}': {error}")
            continue
        if parsed.architecture.family != family:
            problems.append(
                f"config key 'convnets.final.models.{family}': {name!r} is a {parsed.architecture.family} network"
            )
    for family in final["families"]:
        if final["tasks"] and family not in final["models"] and family not in art_runs.get(final["input_key"], []):
            problems.append(
                f"config key 'convnets.final': the {family} final models need an ART search run on "
                f"'{final['input_key']}' (convnets.search.runs) that includes {family}, or a configuration in "
                f"convnets.final.models.{family}"
            )
    return problems


def feature_sizes(arch: Architecture, in_channels: int = 2) -> list[tuple[int, int, int, int]]:
    """(C_in, C_out, output elements per channel, kernel elements) of every conv block."""
    sizes, size, channels = [], (N_MUSCLES, N_TIME), in_channels
    for out_channels, kernel, stride in block_specs(arch):
        size = tuple(same_padding(n, k, s)[0] for n, k, s in zip(size, kernel, stride))
        sizes.append((channels, out_channels, size[0] * size[1], kernel[0] * kernel[1]))
        channels = out_channels
    return sizes


def forward_macs(arch: Architecture, in_channels: int = 2) -> int:
    """Multiply-accumulates of one forward pass per sample (convolutions and the LSTM; heads neglected)."""
    macs = sum(c_in * c_out * elements * kernel for c_in, c_out, elements, kernel in feature_sizes(arch, in_channels))
    if arch.family == "LSTM":
        c_last, h_last = arch.spatial_channels[-1], feature_sizes(arch, in_channels)[-1][2] // N_TIME
        macs += N_TIME * 4 * arch.units * (c_last * h_last + arch.units)
    return int(macs)


def activation_floats(arch: Architecture, in_channels: int = 2) -> int:
    """Floats of all layer outputs per sample (what a training step keeps for the backward pass, per copy)."""
    floats = sum(c_out * elements for _, c_out, elements, _ in feature_sizes(arch, in_channels))
    if arch.family == "LSTM":
        floats += N_TIME * 6 * arch.units
    return int(floats)


def largest_architecture(family: str, cfg: Mapping) -> Architecture:
    """The costliest configuration of the family's search space (for memory and time requests of jobs whose
    configuration is only known at run time)."""
    if family == "LSTM":
        space = cfg["search"]["lstm_space"]
        layers = max(space["n_layers"])
        return Architecture(
            "LSTM",
            layers,
            (max(space["channels"]),) * layers,
            (),
            max(space["kernels"]),
            min(space["strides"]),
            units=max(space["units"]),
        )
    space = cfg["search"]["space"]
    layers, channels, kernel = max(space["n_layers"]), max(space["channels"]), max(space["kernels"])
    s_stride, t_stride = min(space["spatial_strides"]), min(space["temporal_strides"])
    if family == "ST":
        return Architecture("ST", layers, (channels,) * layers, (), kernel, s_stride, kernel, s_stride)
    return Architecture(family, layers, (channels,) * layers, (channels,) * layers, kernel, s_stride, kernel, t_stride)


def job_memory_mb(arch: Architecture, input_key: str, n_samples: int, batch_size: int, eval_batch_size: int) -> int:
    """Memory request of a training job: the dataset in memory (inputs twice while loading), about four copies of
    the activations of a training batch, the evaluation batch, and the interpreter with torch."""
    channels = INPUT_CHANNELS[input_key]
    data = n_samples * channels * N_MUSCLES * N_TIME * 4 * 2
    activations = activation_floats(arch, channels) * 4 * (4 * batch_size + eval_batch_size)
    return int(1500 + (data + activations) / 1e6)


def job_runtime_min(arch: Architecture, input_key: str, n_samples: int, epochs: int) -> int:
    """Run-time request in minutes: three forward passes' worth of work per training sample and epoch at an
    assumed 50 GMAC/s (a GPU far exceeds it; a CPU core reaches 5-20), plus loading and evaluation."""
    macs = forward_macs(arch, INPUT_CHANNELS[input_key]) * n_samples * (3 * epochs + 2)
    return int(15 + math.ceil(macs / 5e10 / 60))
