"""The convnet workflow stages: one function per job, paths and config sections in, files out.

1. :func:`train_model` — one network (a search configuration, or a final model of a family and seed): builds it
   from a seed derived from (config seed, configuration, instance seed), saves ``init.pt`` before the first update,
   trains with the recipe, saves ``best.pt`` and writes ``config.json``, ``metrics.json`` and ``history.tsv``.
2. :func:`summarise_search` — one search run's table (``summary.tsv``), one row per configuration.
3. :func:`resolve_configuration` — the configuration a final model of a family uses (pinned or the search winner).
4. :func:`write_control` — the untrained control: the initial weights (``init.pt``) evaluated like the trained
   ones, in the final model's job before training (``control_metrics.json``).
5. :func:`final_table` — every final model's trained and untrained metrics (``final.tsv``).

The data of a job are read once into memory (:mod:`neuromotor.convnets.data`). Same seed, same config, CPU: the
same ``init.pt``, ``best.pt`` and metrics, bit for bit.
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
import time
from dataclasses import asdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from neuromotor.convnets.data import TaskData, input_bytes, input_shape, load_task_data, load_task_tensors
from neuromotor.convnets.models import (
    N_CLASSES,
    Architecture,
    PCRTNetwork,
    build_network,
    configuration_name,
    model_name,
    network_config,
    output_steps,
    parameter_counts,
    load_network,
    parse_name,
    read_config,
    task_spec,
)
from neuromotor.convnets.plan import select_configuration
from neuromotor.convnets.train import (
    Recipe,
    evaluate,
    fit,
    history_columns,
    memory_format,
    prepare_model,
    task_metric_name,
    to_device,
)
from neuromotor.errors import DataFormatError
from neuromotor.io.store import write_json
from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.train.batches import seeded_generator
from neuromotor.train.checkpoint import save_checkpoint
from neuromotor.train.cpu_memory import keep_freed_memory
from neuromotor.train.runtime import derived_seed, setup_torch

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = (
    "configuration", "name", "family", "task", "input_key", "n_layers", "depth", "params_original", "params_total",
    "metric", "train_metric", "val_metric", "test_metric", "train_loss", "val_loss", "test_loss", "best_step",
    "steps", "wall_time_s", "train_samples_per_s",
)  # fmt: skip
"""Columns of a search run's ``summary.tsv``."""

FINAL_COLUMNS = (
    "task", "family", "seed", "name", "configuration", "depth", "params_original", "metric", "train_metric",
    "val_metric", "test_metric", "untrained_train_metric", "untrained_val_metric", "untrained_test_metric",
)  # fmt: skip
"""Columns of ``final.tsv`` (untrained_* = the same-seed untrained control; NaN when controls are off)."""


def read_json(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: file not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise DataFormatError(f"{path}: not valid JSON ({error})") from None


def torch_seed(config_seed: int, configuration: str, seed: int) -> int:
    """The seed of a network's initial weights and dropout: a function of the configuration (not the task), so the
    ART and TDT twins of one configuration and seed start from the same trunk weights."""
    return derived_seed(config_seed, "convnets-init", configuration, seed)


def batch_seed(config_seed: int, configuration: str, seed: int) -> int:
    return derived_seed(config_seed, "convnets-batches", configuration, seed)


def setup_device(preference: str, threads: int) -> torch.device:
    """The job's device (GPU when there, else CPU) and torch's threads. CPU jobs (deterministic) keep freed memory
    for reuse (:func:`neuromotor.train.cpu_memory.keep_freed_memory`); GPU jobs let cuDNN pick the fastest kernels
    for these odd shapes, so GPU runs are not bitwise fixed."""
    device = setup_torch(preference, threads, deterministic=False)
    if device.type == "cpu":
        keep_freed_memory()
    return device


def _data_device(data: TaskData, device: torch.device) -> torch.device:
    """Data go to the GPU when they take less than half of its free memory, else they stay in (CPU) memory."""
    if device.type != "cuda":
        return device
    size = sum(array.nbytes for pair in data.splits().values() for array in pair)
    free, _ = torch.cuda.mem_get_info(device)
    return device if size < free / 2 else torch.device("cpu")


def _tensors(data: TaskData, device: torch.device) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    data_device = _data_device(data, device)
    if data_device != device:
        log.info("the data stay in CPU memory (they would take more than half of the GPU's free memory)")
    return {
        split: (to_device(x, data_device, device), to_device(y, data_device, device))
        for split, (x, y) in data.splits().items()
    }


def load_tensors(dataset, input_key: str, task: str, steps, val_fraction: float, device: torch.device) -> dict:
    """The job's splits as tensors where :func:`_data_device` puts them (the GPU when they take less than half of
    its free memory), read block by block from the store (:func:`neuromotor.convnets.data.load_task_tensors`):
    the same tensors as :func:`_tensors` of :func:`load_task_data`, without the dataset in host memory."""
    data_device = device
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        data_device = device if input_bytes(dataset, input_key) < free / 2 else torch.device("cpu")
        if data_device != device:
            log.info("the data stay in CPU memory (they would take more than half of the GPU's free memory)")
    return load_task_tensors(dataset, input_key, task, steps, val_fraction, data_device, memory_format(device))


def evaluate_splits(model: torch.nn.Module, tensors: Mapping, task: str, batch_size: int) -> dict[str, dict]:
    """Loss and metric of ``model`` on the train (fit), val and test sets."""
    return {split: evaluate(model, x, y, task, batch_size) for split, (x, y) in tensors.items()}


def check_dataset_layout(dataset: str | Path, input_key: str = "spindle_info") -> tuple[int, int, int]:
    """The network input shape (C, M, T) of the store's ``input_key``; fails clearly when the dataset store's layout
    (:class:`neuromotor.pcrt.layout.DatasetLayout`: window, muscles, labels) disagrees with its input arrays or
    does not have the N_CLASSES (20) labels of action recognition."""
    from neuromotor.pcrt.layout import DatasetLayout

    shape = input_shape(dataset, input_key)
    DatasetLayout.from_store(dataset).require(shape[2], shape[1], N_CLASSES, consumer="the convnets", store=dataset)
    return shape


def train_model(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    arch: Architecture,
    task: str,
    input_key: str,
    seed: int,
    config_seed: int,
    recipe: Recipe,
    val_fraction: float = 0.1,
    device: str = "auto",
    threads: int = 1,
    role: str = "search",
    control_json: str | Path | None = None,
    data: TaskData | None = None,
    tensors: Mapping | None = None,
) -> dict:
    """Train one network and write ``init.pt``, ``best.pt``, ``config.json``, ``metrics.json``, ``history.tsv`` into
    ``out_dir``; with ``control_json``, also the untrained control's metrics (:func:`write_control`). ``data``: the
    job's data already in memory (:func:`load_task_data` of ``dataset``), or ``tensors`` (:func:`load_tensors`),
    else they are read block by block onto the device (:func:`load_tensors`). Returns the metrics."""
    started = time.perf_counter()
    _, n_muscles, n_time = check_dataset_layout(dataset, input_key)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch_device = setup_device(device, threads)
    configuration = configuration_name(arch)
    if tensors is None:
        if data is None:
            tensors = load_tensors(dataset, input_key, task, output_steps(arch, n_time), val_fraction, torch_device)
        else:
            tensors = _tensors(data, torch_device)
    del data  # the tensors hold their own copies (layout or device); free the arrays read from the store
    n_samples = {split: len(tensors[split][0]) for split in ("train", "val", "test")}
    log.info(
        "%s %s on %s (%s): %d fit, %d validation, %d test samples; device %s, %d thread(s)",
        role, model_name(arch, task, seed), input_key, task, n_samples["train"], n_samples["val"], n_samples["test"],
        torch_device, threads,
    )  # fmt: skip
    if n_samples["train"] < recipe.batch_size:
        group = "lstm" if arch.family == "LSTM" else "conv"
        raise ValueError(
            f"{dataset}: {n_samples['train']} training samples give no full batch of {recipe.batch_size}; lower "
            f"convnets.train.{group}.batch_size or raise pcrt.assembly.n_train"
        )
    init_seed = torch_seed(config_seed, configuration, seed)
    recipe_json = asdict(recipe) | {"val_fraction": val_fraction}
    if recipe.amp == "off":
        del recipe_json["amp"]  # float32 models keep the config.json of earlier versions
    config = network_config(
        arch, task, input_key, seed, n_muscles=n_muscles, n_time=n_time, role=role, torch_seed=init_seed,
        config_seed=config_seed, recipe=recipe_json, dataset=str(dataset),
    )  # fmt: skip
    torch.manual_seed(init_seed)
    model = build_network(config)
    save_checkpoint(out / "init.pt", model, name=model_name(arch, task, seed, untrained=True), weights="init")
    model = prepare_model(model, torch_device)
    if control_json is not None:
        write_control(control_json, model, tensors, config, recipe.eval_batch_size)
    result = fit(
        model,
        *tensors["train"],
        *tensors["val"],
        task,
        recipe,
        seeded_generator(batch_seed(config_seed, configuration, seed)),
    )
    model.load_state_dict(result.best_state)
    save_checkpoint(out / "best.pt", model, name=config["name"], weights="best", step=result.best_step)
    scores = evaluate_splits(model, tensors, task, recipe.eval_batch_size)
    metric = task_metric_name(task)
    metrics = {
        "name": config["name"],
        "configuration": configuration,
        "family": arch.family,
        "task": task,
        "input_key": input_key,
        "seed": seed,
        "role": role,
        "n_layers": arch.n_layers,
        "depth": arch.depth,
        "parameters": parameter_counts(model),
        "metric": metric,
        **scores,
        "best_step": result.best_step,
        "steps": result.steps,
        "steps_per_epoch": result.steps_per_epoch,
        "epochs": result.steps / result.steps_per_epoch,
        "final_lr": result.final_lr,
        "n_samples": n_samples,
        "train_time_s": result.train_time_s,
        "train_samples_per_s": result.samples_per_s,
        "wall_time_s": time.perf_counter() - started,
        "device": str(torch_device),
        "threads": threads,
        "torch": torch.__version__,
        "host": platform.node(),
    }
    write_tsv(out / "history.tsv", result.history, history_columns(task))
    write_json(out / "config.json", config)
    write_json(out / "metrics.json", metrics)
    log.info(
        "best step %d: train %s %.4f, val %.4f, test %.4f; %.0f samples/s, %.1f s",
        result.best_step, metric, scores["train"][metric], scores["val"][metric], scores["test"][metric],
        result.samples_per_s, metrics["wall_time_s"],
    )  # fmt: skip
    return metrics


def write_control(out_json: str | Path, model: PCRTNetwork, tensors: Mapping, config: Mapping, batch_size: int) -> dict:
    """The untrained control (Sandbrink et al. 2023, Methods): the initial weights — those saved as ``init.pt``, before
    the first update — evaluated without training on the same train (fit), val and test sets. Writes and returns
    ``{"name": <name>r, "trained": <name>, "metric": …, "train": …, "val": …, "test": …}``."""
    scores = evaluate_splits(model, tensors, config["task"], batch_size)
    metric = task_metric_name(config["task"])
    content = {
        "name": model_name(model.arch, config["task"], config["seed"], untrained=True),
        "trained": config["name"],
        "task": config["task"],
        "metric": metric,
        **scores,
    }
    write_json(out_json, content)
    log.info("untrained control %s: test %s %.4f", content["name"], metric, scores["test"][metric])
    return content


def search_job(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    task: str,
    input_key: str,
    configuration: str,
    settings: Mapping,
    threads: int = 1,
) -> dict:
    """One search job: the configuration a name encodes, trained with the job settings of
    :func:`neuromotor.convnets.plan.job_settings`."""
    arch = parse_name(configuration).architecture
    if configuration_name(arch) != configuration:
        raise ValueError(
            f"{configuration!r} is not a canonical configuration name (expected {configuration_name(arch)!r})"
        )
    return train_model(
        dataset, out_dir, arch=arch, task=task, input_key=input_key, seed=int(settings["seed"]),
        config_seed=int(settings["config_seed"]), recipe=Recipe(**settings["recipe"]),
        val_fraction=float(settings["val_fraction"]), device=settings["device"], threads=threads, role="search",
    )  # fmt: skip


def final_job(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    task: str,
    family: str,
    seed: int,
    input_key: str,
    summary: str | Path | None,
    settings: Mapping,
    threads: int = 1,
    control_json: str | Path | None = None,
) -> dict:
    """One final model: the family's pinned configuration or its best ART search configuration (read from
    ``summary`` now, so the paths do not depend on which configuration won), trained with instance ``seed``; with
    ``control_json`` its untrained control is evaluated first. The models of ``convnets.experiments`` are final
    models of a pinned configuration whose settings name their ``role`` (``experiment:<name>``)."""
    pinned = {family: settings["pinned"]} if settings.get("pinned") else {}
    arch = resolve_configuration(family, pinned, summary, settings["select_by"])
    return train_model(
        dataset, out_dir, arch=arch, task=task, input_key=input_key, seed=int(seed),
        config_seed=int(settings["config_seed"]), recipe=Recipe(**settings["recipe"]),
        val_fraction=float(settings["val_fraction"]), device=settings["device"], threads=threads,
        role=settings.get("role", "final"), control_json=control_json,
    )  # fmt: skip


def part_job(
    dataset: str | Path,
    out_dir: str | Path,
    *,
    task: str,
    input_key: str,
    family: str,
    previous: Sequence[str | Path],
    settings: Mapping,
    threads: int = 1,
) -> list[dict]:
    """One part job of a search laid out in rungs (successive halving, or several models per job): trains, one
    after the other on data read once, the configurations of its slots — ``settings["configurations"]`` at rung 0,
    else slots ``settings["slots"]`` of the ranking of the previous rung's models (``previous``: every part
    directory of that rung, :func:`neuromotor.convnets.plan.rank_configurations`) — each exactly as a search job of
    that configuration with the rung's epochs. Writes ``out_dir/<configuration>/`` per model and ``models.tsv``
    (their summary rows, :data:`SUMMARY_COLUMNS`), into a temporary directory renamed at the end. Returns the
    rows."""
    from neuromotor.convnets.plan import rank_configurations

    rung = int(settings["rung"])
    if rung == 0:
        configurations = list(settings["configurations"])
    else:
        rows = [row for directory in previous for row in read_tsv(Path(directory) / "models.tsv", SUMMARY_COLUMNS)]
        start, stop = settings["slots"]
        configurations = rank_configurations(rows, task, settings["order"])[start:stop]
        log.info("rung %d: slots %d-%d of the ranking of %d models of rung %d: %s", rung, start, stop - 1,
                 len(rows), rung - 1, ", ".join(configurations))  # fmt: skip
    out = Path(out_dir)
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    recipe = Recipe(**settings["recipe"])
    cache: dict = {}
    paths = []
    n_time = input_shape(dataset, input_key)[2]
    for configuration in configurations:
        arch = parse_name(configuration).architecture
        steps = output_steps(arch, n_time) if task_spec(task).kind == "regression" else None
        if steps not in cache:
            cache.clear()  # one data set in memory at a time (regression targets depend on the output steps)
            cache[steps] = load_tensors(
                dataset, input_key, task, output_steps(arch, n_time), float(settings["val_fraction"]),
                setup_device(settings["device"], threads),
            )  # fmt: skip
        train_model(
            dataset, partial / configuration, arch=arch, task=task, input_key=input_key, seed=int(settings["seed"]),
            config_seed=int(settings["config_seed"]), recipe=recipe, val_fraction=float(settings["val_fraction"]),
            device=settings["device"], threads=threads, role="search", tensors=cache[steps],
        )  # fmt: skip
        paths.append(partial / configuration / "metrics.json")
    rows = summarise_search(paths, partial / "models.tsv")
    if out.exists():
        shutil.rmtree(out)
    partial.rename(out)
    return rows


def search_metrics(inputs: Sequence[str | Path]) -> list[Path]:
    """The metrics files of a search run's models: metrics.json paths as given, and for a part directory those of
    its models in the order of its ``models.tsv``."""
    paths = []
    for item in map(Path, inputs):
        if item.is_dir():
            paths += [item / row["configuration"] / "metrics.json" for row in read_tsv(item / "models.tsv")]
        else:
            paths.append(item)
    return paths


def summarise_search(metrics_paths: Sequence[str | Path], out_tsv: str | Path) -> list[dict]:
    """One row per search model (columns :data:`SUMMARY_COLUMNS`), in the given order."""
    rows = []
    for path in metrics_paths:
        metrics = read_json(path)
        try:
            metric = metrics["metric"]
            row = {
                key: metrics[key]
                for key in ("configuration", "name", "family", "task", "input_key", "n_layers", "depth")
            }
            row |= {
                "params_original": metrics["parameters"]["original"],
                "params_total": metrics["parameters"]["total"],
            }
            row["metric"] = metric
            for split in ("train", "val", "test"):
                row[f"{split}_metric"] = metrics[split][metric]
                row[f"{split}_loss"] = metrics[split]["loss"]
            row |= {key: metrics[key] for key in ("best_step", "steps", "wall_time_s", "train_samples_per_s")}
        except (KeyError, TypeError) as error:
            raise DataFormatError(f"{path}: not a convnets metrics file (missing {error})") from None
        rows.append(row)
    write_tsv(out_tsv, rows, SUMMARY_COLUMNS)
    return rows


def resolve_configuration(
    family: str, pinned: Mapping[str, str], summary: str | Path | None, select_by: str
) -> Architecture:
    """The architecture of a family's final models: the configuration pinned in the config, else the best of the
    ART search table ``summary`` (by validation accuracy unless ``select_by`` is ``test``)."""
    if family in pinned:
        return parse_name(pinned[family]).architecture
    if summary is None:
        raise ValueError(f"no configuration pinned for {family} and no search table given")
    rows = read_tsv(summary, SUMMARY_COLUMNS)
    name = select_configuration(rows, family, select_by)
    log.info(
        "%s: %s is the best of %d searched configurations (%s)",
        family,
        name,
        sum(r["family"] == family for r in rows),
        select_by,
    )
    return parse_name(name).architecture


def evaluate_model(
    model_dir: str | Path, dataset: str | Path, *, weights: str = "best", device: str = "cpu", threads: int = 1
) -> dict[str, dict]:
    """A saved model (``best`` or ``init`` weights) evaluated again on the train (fit), val and test sets of
    ``dataset`` exactly as its training job did: same splits, same layout, same batches, hence (on the CPU) the same
    numbers as its ``metrics.json`` (``best``) or ``control_metrics.json`` (``init``)."""
    torch_device = setup_device(device, threads)
    model = load_network(model_dir, weights)
    config = read_config(model_dir)
    recipe = config["recipe"]
    data = load_task_data(dataset, config["input_key"], config["task"], model.output_steps, recipe["val_fraction"])
    model = prepare_model(model, torch_device)
    return evaluate_splits(model, _tensors(data, torch_device), config["task"], int(recipe["eval_batch_size"]))


def final_table(model_dirs: Sequence[str | Path], out_tsv: str | Path) -> list[dict]:
    """One row per final model with its trained and (when present) untrained metrics (:data:`FINAL_COLUMNS`)."""
    rows = []
    for directory in map(Path, model_dirs):
        metrics = read_json(directory / "metrics.json")
        metric = metrics["metric"]
        control_path = directory / "control_metrics.json"
        control = read_json(control_path) if control_path.is_file() else None
        row = {key: metrics[key] for key in ("task", "family", "seed", "name", "configuration", "depth")}
        row |= {"params_original": metrics["parameters"]["original"], "metric": metric}
        for split in ("train", "val", "test"):
            row[f"{split}_metric"] = metrics[split][metric]
            row[f"untrained_{split}_metric"] = control[split][metric] if control else float("nan")
        rows.append(row)
    write_tsv(out_tsv, rows, FINAL_COLUMNS)
    return rows


def make_figures(
    *,
    summaries: Sequence[str | Path],
    metrics: Sequence[str | Path],
    histories: Sequence[str | Path],
    controls: Sequence[str | Path],
    n_classes: int,
    out: Mapping[str, str | Path],
) -> None:
    """The report figures (``out``: ``learning_curves``, ``search_accuracy``, ``trained_vs_untrained`` PNGs) and the
    table of final models (``out["table"]``) from the search tables, final metrics, histories and controls."""
    from neuromotor.plots.convnets import plot_learning_curves, plot_search_accuracy, plot_trained_vs_untrained

    chance = 1 / n_classes
    rows = [row for path in summaries for row in read_tsv(path, SUMMARY_COLUMNS)]
    plot_search_accuracy(
        [f"{row['task']} on {row['input_key']}" for row in rows],
        [row["family"] for row in rows],
        [row["depth"] for row in rows],
        [row["test_metric"] for row in rows],
        out["search_accuracy"],
        chance=chance,
    )
    curves = []
    for metrics_path, history_path in zip(metrics, histories):
        info = read_json(metrics_path)
        metric = info["metric"]
        history = read_tsv(history_path, ["epoch", "train_loss", "val_loss", f"val_{metric}"])
        curves.append(
            {
                "label": f"{info['family']} seed {info['seed']}",
                "family": info["family"],
                "task": info["task"],
                "metric": metric,
                "epoch": [h["epoch"] for h in history],
                "train_loss": [h["train_loss"] for h in history],
                "val_loss": [h["val_loss"] for h in history],
                "val_metric": [h[f"val_{metric}"] for h in history],
            }
        )
    plot_learning_curves(curves, out["learning_curves"])
    final = final_table([Path(path).parent for path in metrics], out["table"])
    if controls:
        expected = {Path(path).parent / "control_metrics.json" for path in metrics}
        missing = expected - {Path(path) for path in controls}
        if missing:
            raise DataFormatError(f"controls missing for {sorted(map(str, missing))}")
    plot_trained_vs_untrained(
        [row["task"] for row in final],
        [f"{row['family']} {row['seed']}" for row in final],
        [row["family"] for row in final],
        [row["test_metric"] for row in final],
        [row["untrained_test_metric"] for row in final],
        out["trained_vs_untrained"],
        chance=chance,
    )
