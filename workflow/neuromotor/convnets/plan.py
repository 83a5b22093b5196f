"""Which networks the workflow trains: the random hyperparameter search, the final models (best configuration per
family, retrained with several seeds, plus their untrained controls), their paths and their cost.

Search space, names and experiments: Sandbrink et al. 2023, Methods. Everything here is a pure function of the
``convnets`` config section, so the Snakefile and the jobs agree on it.

Paths (relative to the working directory):

- search model: ``results/convnets/{task}/search/{input_key}/{configuration}/`` (``init.pt``, ``best.pt``,
  ``config.json``, ``metrics.json``, ``history.tsv``); the run's table: ``…/search/{input_key}/summary.tsv``;
- final model: ``results/convnets/{task}/final/{family}/seed{seed}/`` (the same files, plus
  ``control_metrics.json`` = the untrained control, i.e. ``init.pt`` evaluated);
- successive halving (or several models per job): one directory per job
  ``results/convnets/{task}/search/{input_key}/rungs/{family}/rung{k}/part{p}/`` holding one folder per trained
  configuration and ``models.tsv`` (the summary rows of those models);
- experiment model (``convnets.experiments``, pinned configurations):
  ``results/convnets/experiments/{experiment}/{task}/{family}/seed{seed}/`` (as a final model); the set's table
  ``results/convnets/experiments/{experiment}/models.tsv``.
"""

from __future__ import annotations

import functools
import json
import math
import zlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from neuromotor.convnets.architecture import (
    FAMILIES,
    INPUT_CHANNELS,
    N_MUSCLES,
    N_TIME,
    TASKS,
    Architecture,
    block_specs,
    configuration_name,
    head_applications,
    head_fits,
    head_layer_weights,
    layer_shapes,
    parse_name,
    task_spec,
)

CONVNETS_DIR = "results/convnets"
DEEPDRAW_SHAPE = (N_MUSCLES, N_TIME)
"""(muscles, steps) of DeepDraw's inputs: the shape the plan functions assume unless told the dataset's."""
MODEL_FILES = ("init.pt", "best.pt", "config.json", "metrics.json", "history.tsv")
FIGURES = ("learning_curves", "search_accuracy", "trained_vs_untrained")
TASK_PATTERN = "|".join(TASKS)
"""Wildcard pattern of the task names: every task of the registry (neuromotor.convnets.architecture.TASKS)."""

CONV_SPACE = {
    "n_layers": [1, 2, 3, 4],
    "channels": [8, 16, 32, 64],
    "kernels": [3, 5, 7, 9],
    "spatial_strides": [1, 2],
    "temporal_strides": [1, 2, 3],
}
"""The conv families' search space (Sandbrink et al. 2023, Methods)."""

LSTM_SPACE = {
    "n_layers": [1, 2, 3, 4],
    "channels": [8, 16, 32],
    "units": [32, 64, 128, 256],
    "kernels": [3, 5, 7, 9],
    "strides": [1, 2],
}
"""The LSTM search space actually trained in the original (Sandbrink et al. 2023, Methods); the space listed in its code
has n_layers [1, 2, 3] and units [32, 64, 128]."""


# ---- the sampler -----------------------------------------------------------------------------------------------


def sample_architecture(
    family: str, rng: np.random.Generator, conv_space: Mapping, lstm_space: Mapping
) -> Architecture:
    """One random configuration of ``family`` (Sandbrink et al. 2023, Methods): L; channels drawn with replacement and
    sorted ascending (S: 2L draws, first L spatial; T-S: first L temporal; ST and LSTM: L); two kernel sizes drawn and
    sorted (smaller = spatial, larger = temporal; ST uses the smaller on both axes); the strides."""
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
    family: str, n: int, seed: int = 0, conv_space: Mapping = CONV_SPACE, lstm_space: Mapping = LSTM_SPACE,
    accept: Callable[[Architecture], bool] | None = None,
) -> list[Architecture]:
    """``n`` distinct configurations of ``family`` from a generator seeded by (``seed``, family); repeated draws, and
    draws ``accept`` refuses (a task's head too large for the trunk), are skipped, so the first k of n configurations
    are those of a search of size k, and the accepted ones keep the order of the unfiltered stream."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    rng = np.random.default_rng([seed, zlib.crc32(f"convnets-search-{family}".encode())])
    found: dict[str, Architecture] = {}
    attempts = 0
    while len(found) < n:
        attempts += 1
        if attempts > 1000 + 100 * n:
            accepted = " accepted" if accept is not None else ""
            raise ValueError(
                f"the {family} search space holds fewer than {n} distinct{accepted} configurations "
                f"({len(found)} found in {attempts - 1} draws)"
            )
        arch = sample_architecture(family, rng, conv_space, lstm_space)
        if accept is None or accept(arch):
            found.setdefault(configuration_name(arch), arch)
    return list(found.values())


# ---- jobs and paths --------------------------------------------------------------------------------------------


def search_runs(cfg: Mapping) -> list[dict]:
    """The search runs of the ``convnets`` section, each with its families and strategy filled in."""
    return [
        {
            "task": run["task"],
            "input_key": run["input_key"],
            "families": list(run.get("families") or FAMILIES),
            "strategy": run.get("strategy") or cfg["search"].get("strategy", "full"),
        }
        for run in cfg["search"]["runs"]
    ]


def uses_rungs(cfg: Mapping, run: Mapping) -> bool:
    """Whether a search run is laid out in rungs of part jobs (successive halving, or several models per job)
    rather than one job per configuration."""
    return run["strategy"] == "successive_halving" or int(cfg["search"].get("models_per_job", 1)) > 1


def run_of(cfg: Mapping, task: str, input_key: str) -> dict:
    """The search run of (task, input key)."""
    for run in search_runs(cfg):
        if (run["task"], run["input_key"]) == (task, input_key):
            return run
    raise ValueError(f"convnets.search.runs has no run of task {task!r} on {input_key!r}")


def search_models(cfg: Mapping, shape: tuple[int, int] = DEEPDRAW_SHAPE) -> list[dict]:
    """Every search job: {task, input_key, family, configuration}, in run, family, sampling order (of the
    configurations whose head of the run's task fits (muscles, steps) ``shape`` inputs: :func:`family_order`)."""
    jobs = []
    for run in search_runs(cfg):
        for family in run["families"]:
            for configuration in family_order(cfg, family, run["task"], run["input_key"], shape):
                jobs.append(
                    {
                        "task": run["task"],
                        "input_key": run["input_key"],
                        "family": family,
                        "configuration": configuration,
                    }
                )
    return jobs


def configuration_jobs(cfg: Mapping, shape: tuple[int, int] = DEEPDRAW_SHAPE) -> list[dict]:
    """The search jobs of one configuration each (runs searched in full, one model per job), as
    :func:`search_models`."""
    legacy = {(run["task"], run["input_key"]) for run in search_runs(cfg) if not uses_rungs(cfg, run)}
    return [job for job in search_models(cfg, shape) if (job["task"], job["input_key"]) in legacy]


def search_dir(task: str, input_key: str, configuration: str) -> str:
    return f"{CONVNETS_DIR}/{task}/search/{input_key}/{configuration}"


def summary_path(task: str, input_key: str) -> str:
    return f"{CONVNETS_DIR}/{task}/search/{input_key}/summary.tsv"


# ---- successive halving: rungs of part jobs -----------------------------------------------------------------------


def train_epochs(cfg: Mapping, family: str | None = None, task: str | None = None) -> int:
    """Epochs of a model of ``family`` on ``task`` where its role (search, final) does not fix them: the last set of
    ``train.epochs``, the family group's ``train.conv|lstm.epochs``, the task's registry default
    (:attr:`~neuromotor.convnets.architecture.TaskSpec.training`) and ``train.per_task.<task>.epochs``."""
    return int(_training(cfg, family, task)["epochs"])


def _training(cfg: Mapping, family: str | None, task: str | None) -> dict:
    """epochs, learning_rate and batch_size of (family, task): ``train`` <- ``train.conv|lstm`` <- the task's
    registry defaults (``lr`` = learning_rate) <- ``train.per_task.<task>`` (unset or null keys fall through)."""
    train = cfg["train"]
    group = train["lstm"] if family == "LSTM" else train["conv"]
    out = {"epochs": train["epochs"], "learning_rate": group["learning_rate"], "batch_size": group["batch_size"]}
    layers = [{"epochs": group.get("epochs")}]
    if task is not None:
        registry = task_spec(task).training_defaults
        layers.append({{"lr": "learning_rate"}.get(key, key): value for key, value in registry.items()})
        layers.append(dict((train.get("per_task") or {}).get(task) or {}))
    for layer in layers:
        out |= {key: value for key, value in layer.items() if key in out and value is not None}
    return out


def search_epochs(cfg: Mapping, family: str | None = None, task: str | None = None) -> int:
    """Epochs of a fully trained search model (``search.epochs``, else :func:`train_epochs`)."""
    return int(cfg["search"]["epochs"] or train_epochs(cfg, family, task))


def rung_epochs(cfg: Mapping, run: Mapping, family: str | None = None) -> list[int]:
    """Epochs of every rung of a run (of one family's models): successive halving min_epochs, min_epochs x eta,
    ... while below the search epochs, then the search epochs (e.g. 2, 6, 18, 50); a full run has one rung of the
    search epochs."""
    full = search_epochs(cfg, family, run["task"])
    if run["strategy"] != "successive_halving":
        return [full]
    halving = cfg["search"]["halving"]
    epochs, rungs = int(halving["min_epochs"]), []
    while epochs < full:
        rungs.append(epochs)
        epochs *= int(halving["eta"])
    return rungs + [full]


def rung_sizes(n: int, eta: int, n_rungs: int) -> list[int]:
    """Configurations per family trained at each rung: n, then ceil(n_k / eta) of the previous rung's (at least 1;
    none when n is 0)."""
    sizes = [int(n)]
    for _ in range(n_rungs - 1):
        sizes.append(min(sizes[-1], max(1, math.ceil(sizes[-1] / eta))) if sizes[-1] else 0)
    return sizes


def rung_plan(cfg: Mapping, run: Mapping, family: str | None = None) -> list[dict]:
    """Per rung of a run (of ``family``: its epochs may differ): {rung, epochs, n_models (per family), n_parts
    (per family)}."""
    epochs = rung_epochs(cfg, run, family)
    eta = int(cfg["search"]["halving"]["eta"])
    per_job = int(cfg["search"].get("models_per_job", 1))
    sizes = rung_sizes(cfg["search"]["n_per_family"], eta, len(epochs))
    return [
        {"rung": k, "epochs": e, "n_models": n, "n_parts": math.ceil(n / per_job)}
        for k, (e, n) in enumerate(zip(epochs, sizes))
    ]


def part_dir(task: str, input_key: str, family: str, rung: int, part: int) -> str:
    """The directory of one part job (its models' folders and ``models.tsv``)."""
    return f"{CONVNETS_DIR}/{task}/search/{input_key}/rungs/{family}/rung{rung}/part{part}"


def part_jobs(cfg: Mapping) -> list[dict]:
    """Every part job of the runs laid out in rungs: {task, input_key, family, rung, part}."""
    jobs = []
    for run in search_runs(cfg):
        if not uses_rungs(cfg, run):
            continue
        for family in run["families"]:
            for rung in rung_plan(cfg, run, family):
                for part in range(rung["n_parts"]):
                    jobs.append(
                        {"task": run["task"], "input_key": run["input_key"], "family": family,
                         "rung": rung["rung"], "part": part}
                    )  # fmt: skip
    return jobs


def family_order(
    cfg: Mapping, family: str, task: str | None = None, input_key: str = "spindle_info",
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> list[str]:
    """The configurations of a family's search in sampling order; for ``task``, those whose head fits the trunk on
    ``input_key`` inputs of (muscles, steps) ``shape`` (neuromotor.convnets.architecture.head_fits: of the
    successor's 50 sampled S configurations on 39 x 400, the autoencoder's flat decoder fits 4), drawn until there
    are n of them. Every DeepDraw task fits every configuration of the space, so its order is the unfiltered one."""
    search = cfg["search"]
    spaces = json.dumps([search["space"], search["lstm_space"]], sort_keys=True)
    n, seed = int(search["n_per_family"]), int(search["seed"])
    if task is None:
        return list(_family_order(family, n, seed, spaces, None, 0, DEEPDRAW_SHAPE))
    return list(_family_order(family, n, seed, spaces, task, INPUT_CHANNELS[input_key], tuple(shape)))


@functools.lru_cache(maxsize=256)
def _family_order(
    family: str, n: int, seed: int, spaces: str, task: str | None, channels: int, shape: tuple[int, int]
) -> tuple[str, ...]:
    """Cached :func:`family_order` (planning asks for it once per part job)."""
    space, lstm_space = json.loads(spaces)
    accept = None if task is None else lambda arch: head_fits(arch, task, channels, shape)
    archs = sample_configurations(family, n, seed, space, lstm_space, accept)
    return tuple(configuration_name(arch) for arch in archs)


def previous_parts(cfg: Mapping, task: str, input_key: str, family: str, rung: int) -> list[str]:
    """The part directories of the rung before ``rung`` (none for rung 0)."""
    if rung == 0:
        return []
    plan = rung_plan(cfg, run_of(cfg, task, input_key), family)
    return [part_dir(task, input_key, family, rung - 1, p) for p in range(plan[rung - 1]["n_parts"])]


def last_rung_parts(cfg: Mapping, run: Mapping) -> list[str]:
    """The part directories of a run's last rung, family by family (the models of its ``summary.tsv``)."""
    return [
        part_dir(run["task"], run["input_key"], family, last["rung"], p)
        for family in run["families"]
        for last in rung_plan(cfg, run, family)[-1:]
        for p in range(last["n_parts"])
    ]


def rank_configurations(rows: Sequence[Mapping], task: str, order: Sequence[str]) -> list[str]:
    """Configurations of a rung's summary rows, best first by the task's validation metric: highest first where
    higher is better (ART accuracy, the successor's R^2), else lowest first (TDT error, Barlow loss); ties go to
    the earlier configuration of the sampling ``order``."""
    position = {name: i for i, name in enumerate(order)}
    sign = -1.0 if task_spec(task).higher_is_better else 1.0

    def key(row):
        value = float(row["val_metric"])
        value = math.inf if math.isnan(value) else sign * value
        return (value, position.get(row["configuration"], len(position)))

    return [str(row["configuration"]) for row in sorted(rows, key=key)]


def part_configurations(
    cfg: Mapping, task: str, input_key: str, family: str, rung: int, part: int, previous_rows: Sequence[Mapping] = (),
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> list[str]:
    """The configurations one part job trains: its slice of the family's sampling order (rung 0) or of the ranking
    of the previous rung's models (``previous_rows``: the summary rows of every model of rung - 1), slots
    [part x models_per_job, (part + 1) x models_per_job) of the rung's n_models."""
    per_job = int(cfg["search"].get("models_per_job", 1))
    plan = rung_plan(cfg, run_of(cfg, task, input_key), family)
    if not 0 <= rung < len(plan) or not 0 <= part < plan[rung]["n_parts"]:
        raise ValueError(f"{family} rung {rung} part {part} is not in the plan of the {task} run on {input_key}")
    order = family_order(cfg, family, task, input_key, shape)
    if rung == 0:
        ranked = order
    else:
        expected = plan[rung - 1]["n_models"]
        if len(previous_rows) != expected:
            raise ValueError(f"rung {rung - 1} of {family} should hold {expected} models, found {len(previous_rows)}")
        ranked = rank_configurations(previous_rows, task, order)
    start = part * per_job
    return list(ranked[: plan[rung]["n_models"]][start : start + per_job])


def part_settings(
    cfg: Mapping, task: str, input_key: str, family: str, rung: int, part: int, config_seed: int,
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> dict:
    """What a part job depends on: the search settings with the rung's epochs, its slots, the family's sampling
    order on (muscles, steps) ``shape`` inputs, and (rung 0) its configurations."""
    run = run_of(cfg, task, input_key)
    plan = rung_plan(cfg, run, family)
    settings = job_settings(cfg, family, "search", config_seed, task)
    settings["recipe"]["epochs"] = plan[rung]["epochs"]
    per_job = int(cfg["search"].get("models_per_job", 1))
    settings |= {
        "rung": rung,
        "rungs": [r["epochs"] for r in plan],
        "slots": [part * per_job, min((part + 1) * per_job, plan[rung]["n_models"])],
        "order": family_order(cfg, family, task, input_key, shape),
    }
    if rung == 0:
        settings["configurations"] = part_configurations(cfg, task, input_key, family, 0, part, shape=shape)
    return settings


def final_dir(task: str, family: str, seed: int) -> str:
    return f"{CONVNETS_DIR}/{task}/final/{family}/seed{seed}"


def experiment_dir(experiment: str, task: str, family: str, seed: int) -> str:
    """A model of a named set of ``convnets.experiments``."""
    return f"{CONVNETS_DIR}/experiments/{experiment}/{task}/{family}/seed{seed}"


def experiment_table(experiment: str) -> str:
    return f"{CONVNETS_DIR}/experiments/{experiment}/models.tsv"


def experiment_models(cfg: Mapping, experiment: str | None = None) -> list[dict]:
    """Every job of the named model sets (or of one): {experiment, task, family, seed, configuration}, in the
    config's order."""
    sets = cfg.get("experiments", {})
    if experiment is not None and experiment not in sets:
        raise ValueError(f"convnets.experiments has no set {experiment!r} (sets: {sorted(sets)})")
    names = [experiment] if experiment is not None else list(sets)
    return [
        {"experiment": name, "task": t, "family": f, "seed": int(s), "configuration": sets[name]["models"][f]}
        for name in names
        for t in sets[name]["tasks"]
        for f in sets[name]["models"]
        for s in sets[name]["seeds"]
    ]


def experiment_settings(cfg: Mapping, experiment: str, family: str, config_seed: int) -> dict:
    """What an experiment model's job depends on (as :func:`job_settings` for a final model, with the set's input,
    epochs and pinned configuration)."""
    spec = cfg["experiments"][experiment]
    return {
        "recipe": recipe_settings(cfg, family, spec["epochs"]),
        "val_fraction": cfg["train"]["val_fraction"],
        "config_seed": config_seed,
        "device": cfg["device"],
        "input_key": spec["input_key"],
        "select_by": "validation",
        "pinned": spec["models"][family],
        "role": f"experiment:{experiment}",
    }


def final_models(cfg: Mapping) -> list[dict]:
    """Every final job: {task, family, seed}."""
    final = cfg["final"]
    return [
        {"task": t, "family": f, "seed": int(s)}
        for t in final["tasks"]
        for f in final["families"]
        for s in final["seeds"]
    ]


def selection_task(cfg: Mapping, task: str) -> str:
    """The task whose search run chooses the configuration of ``task``'s final models: ``art`` (DeepDraw: every
    task is a twin of the ART configuration) or, with ``convnets.final.select_from: task``, the task itself."""
    return task if cfg["final"].get("select_from", "art") == "task" else "art"


def selection_summary(cfg: Mapping, family: str, task: str = "art") -> str | None:
    """The search table a final model of ``family`` on ``task`` takes its configuration from (the run of
    :func:`selection_task` on the final input), or None when the config pins the family's configuration."""
    if family in cfg["final"]["models"]:
        return None
    return summary_path(selection_task(cfg, task), cfg["final"]["input_key"])


def figure_paths() -> list[str]:
    """The report figures and the table of final models."""
    return [f"{CONVNETS_DIR}/figures/{name}.png" for name in FIGURES] + [f"{CONVNETS_DIR}/final.tsv"]


def target_paths(cfg: Mapping, shape: tuple[int, int] = DEEPDRAW_SHAPE) -> list[str]:
    """Everything ``snakemake convnets`` builds (on (muscles, steps) ``shape`` inputs)."""
    paths = [
        f"{search_dir(j['task'], j['input_key'], j['configuration'])}/metrics.json"
        for j in configuration_jobs(cfg, shape)
    ]
    paths += [part_dir(**job) for job in part_jobs(cfg)]
    paths += [summary_path(run["task"], run["input_key"]) for run in search_runs(cfg)]
    for job in final_models(cfg):
        directory = final_dir(job["task"], job["family"], job["seed"])
        paths += [f"{directory}/{name}" for name in MODEL_FILES]
        if cfg["final"]["controls"]:
            paths.append(f"{directory}/control_metrics.json")
    if paths:
        paths += figure_paths()
    for job in experiment_models(cfg):
        directory = experiment_dir(job["experiment"], job["task"], job["family"], job["seed"])
        paths += [f"{directory}/{name}" for name in (*MODEL_FILES, "control_metrics.json")]
    paths += [experiment_table(name) for name in cfg.get("experiments", {})]
    return paths


def select_configuration(
    rows: Sequence[Mapping], family: str, select_by: str = "validation", task: str | None = None
) -> str:
    """The configuration of ``family`` with the best metric of ``task`` on the validation (default) or test set of a
    search table (highest ART accuracy or R^2; lowest error or loss); ties go to the earlier row (sampling order).
    ``task`` None = the table's task (a search table holds one task's run)."""
    column = {"validation": "val_metric", "test": "test_metric"}[select_by]
    if task is None:
        tasks = sorted({str(row["task"]) for row in rows})
        if len(tasks) > 1:
            raise ValueError(f"the search table holds several tasks {tasks}: name the task to select for")
        task = tasks[0] if tasks else "art"
    label = "ART" if task == "art" else task
    candidates = [row for row in rows if row["family"] == family and row["task"] == task]
    if not candidates:
        raise ValueError(f"the search table has no {label} model of family {family}")
    if task_spec(task).higher_is_better:
        best = max(range(len(candidates)), key=lambda i: (candidates[i][column], -i))
    else:
        best = min(range(len(candidates)), key=lambda i: (_finite(candidates[i][column]), i))
    return str(candidates[best]["configuration"])


def _finite(value) -> float:
    """A metric for ranking lowest first: NaN (a diverged model) ranks last."""
    value = float(value)
    return math.inf if math.isnan(value) else value


def recipe_settings(cfg: Mapping, family: str, epochs: int | None, task: str | None = None) -> dict:
    """The keyword arguments of :class:`neuromotor.convnets.train.Recipe` for a family (the LSTM family has its own
    learning rate and batch size) on ``task`` (its registry defaults and ``train.per_task`` overrides, see
    :func:`_training`; None = the family's settings alone, as for DeepDraw's tasks) from the ``convnets.train``
    section; ``epochs`` None = :func:`train_epochs`."""
    train = cfg["train"]
    base = _training(cfg, family, task)
    return {
        "epochs": int(epochs if epochs is not None else base["epochs"]),
        "batch_size": int(base["batch_size"]),
        "learning_rate": float(base["learning_rate"]),
        "schedule": train["schedule"],
        "val_interval": int(train["val_interval"]),
        "patience_epochs": float(train["plateau"]["patience_epochs"]),
        "min_epochs": float(train["plateau"]["min_epochs"]),
        "decay": float(train["plateau"]["decay"]),
        "eval_batch_size": int(train["eval_batch_size"]),
    } | (
        {"amp": train["amp"]} if train.get("amp", "off") != "off" else {}
    )  # off: the settings of earlier runs


def job_settings(cfg: Mapping, family: str, role: str, config_seed: int, task: str | None = None) -> dict:
    """What a training job of ``task`` depends on besides its wildcards (a change reruns it): its recipe,
    validation fraction, instance seed of search models, config seed and device preference."""
    epochs = cfg["search"]["epochs"] if role == "search" else cfg["final"]["epochs"]
    settings = {
        "recipe": recipe_settings(cfg, family, epochs, task),
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


def check_config(config: Mapping) -> list[str]:
    """Problems of the ``convnets`` section that span several keys (each names its key); empty when fine. (Batch
    sizes larger than the training set are reported by the training job, so configs that never train a network,
    such as tiny test plans, stay valid.)"""
    if "convnets" not in config:
        return []
    cfg = config["convnets"]
    problems = []
    from neuromotor.pcrt.arm_model import is_default

    if "pcrt" in config and is_default(config["pcrt"].get("arm")):  # other arms' datasets: issue 19.2
        from neuromotor.pcrt.layout import DatasetLayout

        layout = DatasetLayout.from_config(config["pcrt"])
        if layout.mismatch(N_TIME, N_MUSCLES):
            problems.append(
                f"config key 'pcrt.assembly.window': {layout.window} steps; the convnets (and the representations of "
                f"them) are built for {N_MUSCLES} muscles x {N_TIME} steps, so expected {N_TIME}"
            )
    final = cfg["final"]
    runs = {(run["task"], run["input_key"]): run["families"] for run in search_runs(cfg)}
    pinned = [(f"convnets.final.models.{family}", family, name) for family, name in final["models"].items()]
    pinned += [
        (f"convnets.experiments.{experiment}.models.{family}", family, name)
        for experiment, spec in cfg.get("experiments", {}).items()
        for family, name in spec["models"].items()
    ]
    for key, family, name in pinned:
        try:
            parsed = parse_name(name)
        except ValueError as error:
            problems.append(f"config key '{key}': {error}")
            continue
        if parsed.architecture.family != family:
            problems.append(f"config key '{key}': {name!r} is a {parsed.architecture.family} network")
    sources = list(dict.fromkeys(selection_task(cfg, task) for task in final["tasks"]))
    for source in sources:
        for family in final["families"]:
            if family in final["models"] or family in runs.get((source, final["input_key"]), []):
                continue
            whose = "" if source == "art" else f" of task {source} (convnets.final.select_from: task)"
            label = "ART" if source == "art" else source
            problems.append(
                f"config key 'convnets.final': the {family} final models{whose} need an {label} search run on "
                f"'{final['input_key']}' (convnets.search.runs) that includes {family}, or a configuration in "
                f"convnets.final.models.{family}"
            )
    return problems + _head_problems(cfg, config.get("pcrt"))


def _head_problems(cfg: Mapping, pcrt: Mapping | None) -> list[str]:
    """Final models whose head would not fit their trunk (neuromotor.convnets.architecture.head_fits): a pinned
    configuration, or one taken from another task's search (``final.select_from: art``) that may not fit the task's
    head on the dataset's (muscles, steps); the job would fail only after the search."""
    final = cfg["final"]
    if not final["tasks"] or not final["families"]:
        return []
    try:
        shape = input_shape(pcrt)
    except (OSError, ValueError):  # a missing or bad arm model: reported by the pcrt section's check
        return []
    channels = INPUT_CHANNELS[final["input_key"]]
    searched = {(run["task"], run["input_key"]) for run in search_runs(cfg)}
    problems = []
    for task in final["tasks"]:
        for family in final["families"]:
            pinned = final["models"].get(family)
            if pinned:
                try:
                    arch = parse_name(pinned).architecture
                except ValueError:
                    continue  # reported above
                if not head_fits(arch, task, channels, shape):
                    problems.append(
                        f"config key 'convnets.final.models.{family}': {pinned} leaves the {task} head over 2^28 "
                        f"weights on {channels} x {shape[0]} x {shape[1]} inputs; pin a trunk with a smaller last layer"
                    )
                continue
            source = selection_task(cfg, task)
            if source == task or (source, final["input_key"]) not in searched:
                continue  # drawn to fit, or no such run (reported above)
            order = family_order(cfg, family, source, final["input_key"], shape)
            misfits = [name for name in order if not head_fits(_architecture(name), task, channels, shape)]
            if misfits:
                problems.append(
                    f"config key 'convnets.final.select_from': the {task} {family} final models take the {source} "
                    f"search's best configuration, but {len(misfits)} of its {len(order)} leave the {task} head over "
                    f"2^28 weights on {channels} x {shape[0]} x {shape[1]} inputs (e.g. {misfits[0]}); set "
                    f"convnets.final.select_from: task (each task's own search, drawn to fit) or pin "
                    f"convnets.final.models.{family}"
                )
    return problems


def input_shape(pcrt: Mapping | None) -> tuple[int, int]:
    """(muscles, steps) of the networks' inputs on the PCRT dataset of a ``pcrt`` section (DeepDraw's 25 x 320,
    the successor's 39 x 400): its muscle count and ``pcrt.assembly.window``; DeepDraw's without a section."""
    if not pcrt:
        return DEEPDRAW_SHAPE
    return _input_shape(json.dumps(pcrt, sort_keys=True, default=str))


@functools.lru_cache(maxsize=16)
def _input_shape(pcrt_json: str) -> tuple[int, int]:
    """Cached :func:`input_shape` (the successor's muscles come from the model file's XML)."""
    from neuromotor.pcrt.layout import DatasetLayout

    layout = DatasetLayout.from_config(json.loads(pcrt_json))
    return layout.n_muscles, layout.window


def feature_sizes(
    arch: Architecture, in_channels: int = 2, shape: tuple[int, int] = DEEPDRAW_SHAPE
) -> list[tuple[int, int, int, int]]:
    """(C_in, C_out, output elements per channel, kernel elements) of every conv block on (muscles, steps)
    ``shape`` inputs."""
    outputs = layer_shapes(arch, shape)
    inputs = [in_channels] + [channels for channels, _, _ in outputs[:-1]]
    return [
        (c_in, c_out, rows * steps, kernel[0] * kernel[1])
        for c_in, (c_out, rows, steps), (_, kernel, _) in zip(inputs, outputs, block_specs(arch))
    ]


@functools.lru_cache(maxsize=8192)
def forward_macs(
    arch: Architecture, in_channels: int = 2, shape: tuple[int, int] = DEEPDRAW_SHAPE, task: str | None = None
) -> int:
    """Multiply-accumulates of one forward pass per sample on (muscles, steps) ``shape`` inputs: convolutions and
    the LSTM, plus the head of ``task`` (:func:`head_macs`; None: heads neglected). Barlow Twins passes two views."""
    sizes = feature_sizes(arch, in_channels, shape)
    n_time = shape[1]
    macs = sum(c_in * c_out * elements * kernel for c_in, c_out, elements, kernel in sizes)
    if arch.family == "LSTM":
        c_last, h_last = arch.spatial_channels[-1], sizes[-1][2] // n_time
        macs += n_time * 4 * arch.units * (c_last * h_last + arch.units)
    if task is None:
        return int(macs)
    macs += head_macs(arch, in_channels, shape, task)
    return int(2 * macs if task_spec(task).kind == "barlow" else macs)


def head_macs(arch: Architecture, in_channels: int, shape: tuple[int, int], task: str) -> int:
    """Multiply-accumulates of the head of ``task`` per sample (neuromotor.convnets.models): its linear layers'
    weights (neuromotor.convnets.architecture.head_layer_weights) times the times it runs per sample (per output
    step for regression and the LSTM's autoencoder, else once)."""
    return sum(head_layer_weights(arch, task, in_channels, shape)) * head_applications(arch, task, shape)


def activation_floats(arch: Architecture, in_channels: int = 2, shape: tuple[int, int] = DEEPDRAW_SHAPE) -> int:
    """Floats of all layer outputs per sample (what a training step keeps for the backward pass, per copy)."""
    floats = sum(c_out * elements for _, c_out, elements, _ in feature_sizes(arch, in_channels, shape))
    if arch.family == "LSTM":
        floats += shape[1] * 6 * arch.units
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


def part_architectures(
    cfg: Mapping, task: str, input_key: str, family: str, rung: int, part: int, previous: Sequence[str] = (),
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> list[Architecture]:
    """The architectures a part job trains, for its resource requests: exact at rung 0 and once the previous rung's
    ``models.tsv`` files exist (resources are evaluated again when a job's inputs are there), else a bound: the
    costliest of the family's sampled configurations, as many as the job has slots (the rung's models from
    slot part x models_per_job on, at most models_per_job)."""
    from pathlib import Path

    if rung == 0:
        names = part_configurations(cfg, task, input_key, family, rung, part, shape=shape)
    elif all(Path(d, "models.tsv").is_file() for d in previous):
        from neuromotor.io.tables import read_tsv  # (imports zarr: only once the files are there)

        rows = [row for d in previous for row in read_tsv(Path(d, "models.tsv"))]
        names = part_configurations(cfg, task, input_key, family, rung, part, rows, shape)
    else:
        per_job = int(cfg["search"].get("models_per_job", 1))
        n_models = rung_plan(cfg, run_of(cfg, task, input_key), family)[rung]["n_models"]
        slots = min(per_job, n_models - part * per_job)
        names = _costliest(tuple(family_order(cfg, family, task, input_key, shape)))[:slots]
    return [_architecture(name) for name in names]


@functools.lru_cache(maxsize=4096)
def _architecture(name: str) -> Architecture:
    return parse_name(name).architecture


@functools.lru_cache(maxsize=64)
def _costliest(order: tuple[str, ...]) -> tuple[str, ...]:
    """Configurations by forward cost, costliest first (ties: sampling order)."""
    return tuple(sorted(order, key=lambda name: -forward_macs(_architecture(name))))


CPU_BASE_MB = 700
"""Host memory of a CPU training job besides its data: interpreter, torch (measured 600-760 MB peaks in all at demo
scale, tests/fixtures/rule_benchmarks.tsv)."""
GPU_BASE_MB = 3000
"""Host memory of a GPU training job: interpreter, torch and the CUDA context (about 2-3 GB resident)."""
LOAD_BLOCK = 4096
"""Samples per block read from the store (neuromotor.convnets.data.load_input_tensor)."""


def job_peak_mb(
    arch: Architecture, input_key: str, n_samples: int, batch_size: int, eval_batch_size: int, device: str = "cpu",
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> float:
    """Peak host memory (MB) of a training job. CPU: the inputs of all samples once (read block by block into one
    tensor) and about four copies of a training batch's activations plus an evaluation batch's. GPU (``device`` not
    ``cpu``): the data and activations live in GPU memory (the data stay on the host only when they exceed half of
    the GPU's free memory: 12.8 GB of paper inputs need a GPU of >= 32 GB), so the host holds torch, the CUDA
    context and two blocks being read."""
    channels = INPUT_CHANNELS[input_key]
    per_sample = channels * shape[0] * shape[1] * 4
    if device != "cpu":
        return GPU_BASE_MB + 2 * min(LOAD_BLOCK, n_samples) * per_sample / 1e6
    activations = activation_floats(arch, channels, shape) * 4 * (4 * batch_size + eval_batch_size)
    return CPU_BASE_MB + (n_samples * per_sample + 2 * min(LOAD_BLOCK, n_samples) * per_sample + activations) / 1e6


def job_memory_mb(
    arch: Architecture, input_key: str, n_samples: int, batch_size: int, eval_batch_size: int, device: str = "cpu",
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> int:
    """Memory request of a training job: :func:`job_peak_mb` with 40 % headroom (neuromotor.costs)."""
    from neuromotor.costs import memory_request_mb

    return memory_request_mb(job_peak_mb(arch, input_key, n_samples, batch_size, eval_batch_size, device, shape))


CPU_MACS_PER_S = {"conv": 2e10, "LSTM": 4e9}
"""Multiply-accumulates of training (3 per forward one) per CPU-second: demo run's convnets jobs
(tests/fixtures/rule_benchmarks.tsv; the recurrent layer is ~5x slower per MAC than the convolutions)."""
CPU_START_S = 3.0
"""CPU seconds of a job besides training: building and saving the model."""
CPU_SAMPLE_S = 6e-4
"""CPU seconds per training sample and epoch besides its MACs (reading, batching, optimiser steps, layer norm):
fitted with CPU_MACS_PER_S to a demo run (1,200 samples) and a validation run (20,000)."""


def job_cpu_seconds(
    arch: Architecture, input_key: str, n_samples: int, epochs: int, shape: tuple[int, int] = DEEPDRAW_SHAPE,
    task: str | None = None,
) -> float:
    """Expected CPU seconds of a CPU training job: three forward passes' worth of MACs per training sample and
    epoch (and two evaluations) at :data:`CPU_MACS_PER_S`, :data:`CPU_SAMPLE_S` per sample and epoch, plus
    :data:`CPU_START_S`."""
    macs = forward_macs(arch, INPUT_CHANNELS[input_key], tuple(shape), task) * n_samples * (3 * epochs + 2)
    rate = CPU_MACS_PER_S["LSTM" if arch.family == "LSTM" else "conv"]
    return CPU_START_S + CPU_SAMPLE_S * n_samples * epochs + macs / rate


# ---- GPU cost from FLOP counts -------------------------------------------------------------------------------------


def model_flops(
    arch: Architecture, cfg: Mapping, input_key: str, epochs: int, n_train: int, n_test: int,
    shape: tuple[int, int] = DEEPDRAW_SHAPE, task: str | None = None,
) -> float:
    """FLOPs of training one model for ``epochs`` on (muscles, steps) ``shape`` inputs (forward + backward ≈ 3
    forward passes per training sample, the validations every ``val_interval`` steps, the final evaluation of
    train, val and test sets; 2 FLOPs per multiply-accumulate; the head of ``task``, None: heads neglected)."""
    recipe = recipe_settings(cfg, arch.family, epochs, task)
    n_fit = int((1 - cfg["train"]["val_fraction"]) * n_train)
    n_val = n_train - n_fit
    steps = max(1, n_fit // recipe["batch_size"]) * epochs
    validations = -(-steps // recipe["val_interval"])
    forwards = 3 * steps * recipe["batch_size"] + validations * n_val + n_train + n_test
    return 2.0 * forward_macs(arch, INPUT_CHANNELS[input_key], tuple(shape), task) * forwards


def search_gpu_hours(
    cfg: Mapping, n_train: int = 160_000, n_test: int = 40_000, flops_per_s: float = 20e12,
    shape: tuple[int, int] = DEEPDRAW_SHAPE,
) -> dict:
    """GPU-hours of the search, the final models and the experiment sets at ``flops_per_s`` (default the issue's
    20 TFLOP/s). Under successive halving the configurations that survive a rung are known only after it runs:
    ``total`` counts each rung's models at the mean cost of the family's sampled configurations, ``worst`` at the
    costliest ones. Returns {"total", "worst", "search", "final", "experiments", "rows"} with one row per (run,
    family, rung): task, input_key, family, rung, epochs, n_models, gpu_h, worst_gpu_h."""
    rows, hours = [], lambda flops: flops / flops_per_s / 3600
    mean_final: dict[tuple, float] = {}
    for run in search_runs(cfg):
        task = run["task"]
        for family in run["families"]:
            order = family_order(cfg, family, task, run["input_key"], shape)
            archs = [parse_name(name).architecture for name in order]
            for rung in rung_plan(cfg, run, family):
                costs = sorted(
                    (model_flops(a, cfg, run["input_key"], rung["epochs"], n_train, n_test, shape, task) for a in archs),
                    reverse=True,
                )
                rows.append({
                    "task": run["task"], "input_key": run["input_key"], "family": family, "rung": rung["rung"],
                    "epochs": rung["epochs"], "n_models": rung["n_models"],
                    "gpu_h": hours(sum(costs) / max(1, len(costs)) * rung["n_models"]),
                    "worst_gpu_h": hours(sum(costs[: rung["n_models"]])),
                })  # fmt: skip
            epochs = int(cfg["final"]["epochs"] or train_epochs(cfg, family, task))
            final_costs = [model_flops(a, cfg, run["input_key"], epochs, n_train, n_test, shape, task) for a in archs]
            mean_final[(task, run["input_key"], family)] = sum(final_costs) / max(1, len(final_costs))
    search = sum(r["gpu_h"] for r in rows)
    worst = sum(r["worst_gpu_h"] for r in rows)
    final = 0.0
    for job in final_models(cfg):
        pinned = cfg["final"]["models"].get(job["family"])
        input_key = cfg["final"]["input_key"]
        if pinned:
            epochs = int(cfg["final"]["epochs"] or train_epochs(cfg, job["family"], job["task"]))
            flops = model_flops(
                parse_name(pinned).architecture, cfg, input_key, epochs, n_train, n_test, shape, job["task"]
            )
        else:  # the winner is known only after the search: the family's mean (on the final task, else ART)
            flops = mean_final.get(
                (job["task"], input_key, job["family"]), mean_final.get(("art", input_key, job["family"]), 0.0)
            )
        final += hours(flops)
    experiments = 0.0
    for job in experiment_models(cfg):
        spec = cfg["experiments"][job["experiment"]]
        arch = parse_name(job["configuration"]).architecture
        epochs = int(spec["epochs"] or train_epochs(cfg, job["family"], job["task"]))
        experiments += hours(model_flops(arch, cfg, spec["input_key"], epochs, n_train, n_test, shape, job["task"]))
    return {
        "total": search + final + experiments, "worst": worst + final + experiments, "search": search,
        "final": final, "experiments": experiments, "rows": rows,
    }  # fmt: skip


# ---- inputs and resources of the jobs (rules/convnets.smk) -----------------------------------------------------


def summary_inputs(cfg: Mapping, task: str, input_key: str, shape: tuple[int, int] = DEEPDRAW_SHAPE) -> list[str]:
    """The metrics of every model of one search run (or the part directories of its last rung)."""
    run = run_of(cfg, task, input_key)
    if uses_rungs(cfg, run):
        return last_rung_parts(cfg, run)
    return [
        f"{search_dir(job['task'], job['input_key'], job['configuration'])}/metrics.json"
        for job in search_models(cfg, shape)
        if (job["task"], job["input_key"]) == (task, input_key)
    ]


def final_inputs(cfg: Mapping, family: str, dataset: str, task: str = "art") -> dict[str, str]:
    """The dataset, and the search table the family's configuration on ``task`` comes from (none when pinned)."""
    summary = selection_summary(cfg, family, task)
    return {"dataset": dataset} | ({"summary": summary} if summary else {})


def control_output(cfg: Mapping) -> dict[str, str]:
    """The untrained control's metrics, written by the final model's job when controls are on."""
    if not cfg["final"]["controls"]:
        return {}
    return {"control": f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/control_metrics.json"}


def experiment_files(cfg: Mapping, experiment: str, name: str) -> list[str]:
    """``name`` of every model folder of one set of convnets.experiments."""
    return [
        f"{experiment_dir(j['experiment'], j['task'], j['family'], j['seed'])}/{name}"
        for j in experiment_models(cfg, experiment)
    ]


def figure_inputs(cfg: Mapping) -> dict[str, list[str]]:
    """The ART search tables and every final model's metrics, history and control."""
    finals = [final_dir(job["task"], job["family"], job["seed"]) for job in final_models(cfg)]
    return {
        "summaries": [summary_path(run["task"], run["input_key"]) for run in search_runs(cfg) if run["task"] == "art"],
        "metrics": [f"{d}/metrics.json" for d in finals],
        "histories": [f"{d}/history.tsv" for d in finals],
        "controls": [f"{d}/control_metrics.json" for d in finals] if cfg["final"]["controls"] else [],
    }


GPU_LOAD_S = 300.0
"""Seconds a GPU job spends besides training: starting torch and the CUDA context and moving the inputs to the GPU
(12.8 GB of paper-scale ``spindle_info``), once per job however many models it trains."""


def training_seconds(
    cfg: Mapping, pcrt: Mapping, arch: Architecture, input_key: str, epochs: int | None, task: str | None = None
) -> float:
    """Expected seconds of training one model for ``epochs`` (None: the recipe's) on ``task`` on the PCRT dataset
    (``pcrt`` section: its sizes and input shape), without the job's start: on a CPU :func:`job_cpu_seconds` (one
    core), on a GPU its FLOPs (:func:`model_flops`) at the sustained rate a request assumes
    (neuromotor.costs.GPU_FLOPS)."""
    from neuromotor.costs import GPU_FLOPS

    n_train, n_test = pcrt["assembly"]["n_train"], pcrt["assembly"]["n_test"]
    shape = input_shape(pcrt)
    epochs = recipe_settings(cfg, arch.family, epochs, task)["epochs"]
    if cfg["device"] == "cpu":
        return job_cpu_seconds(arch, input_key, n_train + n_test, epochs, shape, task)
    return model_flops(arch, cfg, input_key, epochs, n_train, n_test, shape, task) / GPU_FLOPS


def start_seconds(cfg: Mapping) -> float:
    """Seconds of a training job besides its models' training: :data:`GPU_LOAD_S` on a GPU; none on a CPU (its
    per-model start and reading are in :func:`job_cpu_seconds`)."""
    return 0.0 if cfg["device"] == "cpu" else GPU_LOAD_S


def jobs_resources(
    cfg: Mapping, pcrt: Mapping, archs: Sequence[Architecture], input_key: str, epochs: int | None,
    task: str | None = None,
) -> tuple[int, int]:
    """(MB, minutes) at attempt 1 of one job training ``archs`` one after the other for ``epochs`` (None = the
    recipe's, :func:`train_epochs`) on ``task`` on data read once: the largest model's memory (:func:`job_memory_mb`) and one run-time
    request for the start plus every model's :func:`training_seconds` (2x headroom, 10-minute floor, at most
    7 days: neuromotor.costs.runtime_request_min)."""
    from neuromotor.costs import runtime_request_min

    if not archs:
        raise ValueError("jobs_resources: a training job trains at least one architecture")
    n_samples = pcrt["assembly"]["n_train"] + pcrt["assembly"]["n_test"]
    device = "cpu" if cfg["device"] == "cpu" else "gpu"
    shape = input_shape(pcrt)
    memory = 0
    for arch in archs:
        recipe = recipe_settings(cfg, arch.family, epochs, task)
        memory = max(memory, job_memory_mb(arch, input_key, n_samples, recipe["batch_size"],
                                           recipe["eval_batch_size"], device, shape))  # fmt: skip
    seconds = start_seconds(cfg) + sum(training_seconds(cfg, pcrt, arch, input_key, epochs, task) for arch in archs)
    return memory, runtime_request_min(seconds)


def job_resources(
    cfg: Mapping, pcrt: Mapping, arch: Architecture, input_key: str, role: str, epochs: int | None = None,
    task: str | None = None,
) -> tuple[int, int]:
    """(MB, minutes) of one training job of ``role`` (search or final) on ``task`` on the PCRT dataset (``pcrt``
    section): on a CPU the measured per-sample cost, on a GPU its FLOPs at a sustained rate
    (neuromotor.costs.GPU_FLOPS) plus loading (:func:`jobs_resources` of one model)."""
    epochs = epochs if epochs is not None else cfg[role]["epochs"]
    return jobs_resources(cfg, pcrt, [arch], input_key, epochs, task)


def retry_request(value: int, attempt: int, cap: int) -> int:
    """A request at attempt ``attempt``: ``value`` (the attempt-1 request) times the attempt, at most ``cap``
    (neuromotor.costs.MAX_RUNTIME_MIN or MAX_MEM_MB: what a cluster accepts)."""
    if attempt < 1:
        raise ValueError(f"retry_request: attempt >= 1 expected, got {attempt}")
    return min(int(cap), int(value) * int(attempt))


def final_architecture(
    cfg: Mapping, family: str, summary: str | None = None, task: str = "art", shape: tuple[int, int] = DEEPDRAW_SHAPE
) -> Architecture:
    """What a final job of ``family`` trains, for its requests: the pinned configuration; else, once the search
    table ``summary`` exists (requests are evaluated again when a job's inputs are there), the configuration
    :func:`select_configuration` picks from it; before, the costliest of the family's sampled configurations of
    the run it is selected from (:func:`selection_task` of ``task``, on (muscles, steps) ``shape`` inputs: the winner
    is one of them, under either search strategy)."""
    from pathlib import Path

    pinned = cfg["final"]["models"].get(family)
    if pinned:
        return parse_name(pinned).architecture
    if summary and Path(summary).is_file():
        from neuromotor.io.tables import read_tsv  # (imports zarr: only once the file is there)

        rows = read_tsv(summary)
        return _architecture(select_configuration(rows, family, cfg["final"]["select_by"], selection_task(cfg, task)))
    order = family_order(cfg, family, selection_task(cfg, task), cfg["final"]["input_key"], shape)
    if not order:
        return largest_architecture(family, cfg)
    return _architecture(_costliest(tuple(order))[0])


def part_cost(
    cfg: Mapping, pcrt: Mapping, task: str, input_key: str, family: str, rung: int, part: int, previous: Sequence[str]
) -> tuple[int, int]:
    """(MB, minutes) of a part job: its models one after the other on the data read once (:func:`jobs_resources`
    of :func:`part_architectures`)."""
    archs = part_architectures(cfg, task, input_key, family, rung, part, list(previous), input_shape(pcrt))
    epochs = rung_epochs(cfg, run_of(cfg, task, input_key), family)
    return jobs_resources(cfg, pcrt, archs, input_key, epochs[rung], task)


def experiment_cost(cfg: Mapping, pcrt: Mapping, experiment: str, family: str) -> tuple[int, int]:
    """(MB, minutes) of an experiment model's training job."""
    spec = cfg["experiments"][experiment]
    arch = parse_name(spec["models"][family]).architecture
    return job_resources(cfg, pcrt, arch, spec["input_key"], "final", spec["epochs"] or cfg["train"]["epochs"])
