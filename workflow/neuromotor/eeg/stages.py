"""The EEG interpretation stages: config sections and paths in, files out (docs/studies.md).

1. :func:`write_dataset` — the synthetic ``dataset.mat`` (original layout) and its planted effect (JSON).
2. :func:`train_subject` — one (model, held-out subject): both protocols' weights, per-epoch history, predictions.
3. :func:`probe_subject` — frozen BatchNorm statistics, predicted class (the explained state), probabilities and the
   logit drops of the perturbation test, which depend on the model and sample only (shared by every method).
4. :func:`attribute_subject` — heatmaps of some methods, their perturbation correlations, post-processing and
   deletion test.
Stages 5 and 6 (summary and figures, and one sample's band power) are in :mod:`neuromotor.eeg.report`, which needs
no torch; :func:`cam_sample` (one sample's class-activation map traced to the input, InterpretableCNN only) is the
figure that needs the model.

Every output is written atomically; results depend only on the config and the data, never on how the methods are
grouped into jobs.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

from neuromotor.eeg.batchnorm import batch_statistics, freeze, statistics_from_arrays, statistics_to_arrays
from neuromotor.eeg.models import build_model
from neuromotor.eeg.synthetic import PlantedEffect, subject_counts, write_synthetic_eeg
from neuromotor.eeg.report import DELETION_COLUMNS, held_out_sample, patch_columns, perturbation_columns
from neuromotor.eeg.plan import PROTOCOLS
from neuromotor.eeg.train import TrainSettings, as_input, log_probabilities, train_loso
from neuromotor.errors import DataFormatError
from neuromotor.explain.perturbation import (
    PerturbationEffects,
    PostProcessing,
    deletion_test,
    draw_patches,
    patch_lengths,
    perturbation_effects,
    perturbation_scores,
    postprocess,
)
from neuromotor.io.eeg_mat import CHANNELS, STATES, EEGDataset, load_eeg_mat
from neuromotor.io.store import open_store, read_arrays, write_arrays, write_json
from neuromotor.io.tables import write_tsv
from neuromotor.train.checkpoint import load_checkpoint, restore, save_checkpoint
from neuromotor.train.runtime import derived_seed, setup_torch

log = logging.getLogger(__name__)

EPOCH_COLUMNS = ("epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "bn_eval", "seconds")
PREDICTION_COLUMNS = ("protocol", "epoch", "sample", "label", "p_alert", "p_drowsy", "predicted")


# ---------------------------------------------------------------------------------------------------------------
# 1. data


def planted_effect(synthetic_cfg: Mapping) -> PlantedEffect:
    effect = synthetic_cfg["effect"]
    return PlantedEffect(
        channels=tuple(effect["channels"]),
        window_s=tuple(effect["window_s"]),
        band_hz=tuple(effect["band_hz"]),
        amplitude_uv=effect["amplitude_uv"],
        gain_range=tuple(effect["gain_range"]),
    )


def write_dataset(out_mat: str | Path, out_json: str | Path, synthetic_cfg: Mapping, seed: int) -> None:
    """The synthetic ``dataset.mat`` and a JSON description of its planted effect and counts."""
    effect = planted_effect(synthetic_cfg)
    counts = subject_counts(synthetic_cfg["scale"], synthetic_cfg["counts"])
    write_synthetic_eeg(out_mat, counts, effect, seed, synthetic_cfg["noise_uv"])
    description = {"seed": seed, "counts": counts, "noise_uv": synthetic_cfg["noise_uv"], "effect": effect.as_dict()}
    write_json(out_json, description)
    log.info("wrote %s: %d epochs, subjects %s, planted %s", out_mat, sum(counts), counts, effect)


def _subject_split(dataset: EEGDataset, subject: int) -> tuple[EEGDataset, EEGDataset]:
    test = dataset.of_subject(subject)
    if len(test.state) == 0:
        raise DataFormatError(f"{dataset.path}: key 'subindex' holds no epoch of held-out subject {subject}")
    return dataset.without_subject(subject), test


# ---------------------------------------------------------------------------------------------------------------
# 2. training


def train_subject(
    dataset_path: str,
    model: str,
    subject: int,
    train_cfg: Mapping,
    seed: int,
    device: str,
    out: Mapping[str, str],
    threads: int | None = None,
) -> None:
    """Train ``model`` with ``subject`` held out; write ``out['honest']``, ``out['best_test_epoch']`` (checkpoints),
    ``out['epochs']`` and ``out['predictions']`` (TSV). ``device`` and ``threads``: the job's
    (:func:`neuromotor.train.runtime.setup_torch`)."""
    device = setup_torch(device, threads)
    settings = TrainSettings(**{key: train_cfg[key] for key in ("epochs", "batch_size", "lr", "bn_eval")})
    train, test = _subject_split(load_eeg_mat(dataset_path), subject)
    x_train, x_test = as_input(train.data, device), as_input(test.data, device)
    y_train = torch.as_tensor(train.state, device=device)
    y_test = torch.as_tensor(test.state, device=device)
    log.info(
        "%s, held-out subject %d: %d training and %d test epochs on %s",
        model,
        subject,
        len(y_train),
        len(y_test),
        device,
    )
    result = train_loso(model, x_train, y_train, x_test, y_test, settings, seed, subject)
    rows = []
    for protocol in PROTOCOLS:
        network = build_model(model).to(device)
        network.load_state_dict(result.states[protocol])
        statistics = batch_statistics(network, x_test if settings.bn_eval == "batch" else x_train)
        probabilities = log_probabilities(network, x_test, statistics).exp().cpu().numpy()
        accuracy = float((probabilities.argmax(1) == test.state).mean())
        save_checkpoint(
            out[protocol],
            network,
            architecture=model,
            subject=subject,
            protocol=protocol,
            epoch=result.epochs[protocol],
            bn_eval=settings.bn_eval,
            test_accuracy=accuracy,
            seed=seed,
        )
        for sample, (p, label) in enumerate(zip(probabilities, test.state)):
            rows.append(
                {
                    "protocol": protocol,
                    "epoch": result.epochs[protocol],
                    "sample": sample,
                    "label": int(label),
                    "p_alert": float(p[0]),
                    "p_drowsy": float(p[1]),
                    "predicted": int(p.argmax()),
                }
            )
        log.info(
            "%s subject %d, protocol %s (epoch %d): accuracy %.4f",
            model,
            subject,
            protocol,
            result.epochs[protocol],
            accuracy,
        )
    write_tsv(out["epochs"], result.history, EPOCH_COLUMNS)
    write_tsv(out["predictions"], rows, PREDICTION_COLUMNS)


def load_model(path: str, model: str, device) -> torch.nn.Module:
    checkpoint = load_checkpoint(path, required=("architecture",))
    if checkpoint["architecture"] != model:
        raise DataFormatError(f"{path}: checkpoint of model {checkpoint['architecture']!r}, expected {model!r}")
    return restore(build_model(model), checkpoint, path).to(device)


# ---------------------------------------------------------------------------------------------------------------
# 3. probe


def patch_seed(seed: int, subject: int, sample: int) -> int:
    """Seed of one sample's random patches (the same for every model and method)."""
    return derived_seed(seed, "eeg-patches", subject, sample)


def probe_subject(
    dataset_path: str,
    checkpoint: str,
    model: str,
    subject: int,
    bn_eval: str,
    perturbation_cfg: Mapping,
    seed: int,
    device: str,
    out_store: str,
    threads: int | None = None,
) -> None:
    """Freeze the model's BatchNorms (statistics of the held-out subject, or of the training subjects with
    ``bn_eval: train_stats``), predict, and measure the logit drops of the perturbation test on every sample."""
    device = setup_torch(device, threads)
    train, test = _subject_split(load_eeg_mat(dataset_path), subject)
    network = load_model(checkpoint, model, device)
    x_test = as_input(test.data, device)
    statistics = batch_statistics(network, x_test if bn_eval == "batch" else as_input(train.data, device))
    frozen = freeze(network, statistics)
    with torch.no_grad():
        log_p = torch.cat([frozen(x_test[s : s + 256]) for s in range(0, len(x_test), 256)])
    state = log_p.argmax(1)
    lengths = patch_lengths(test.data.shape[2], perturbation_cfg["levels"])
    patches = [
        draw_patches(
            np.random.default_rng(patch_seed(seed, subject, i)),
            lengths,
            perturbation_cfg["patches"],
            test.data.shape[1],
            test.data.shape[2],
        )
        for i in range(len(state))
    ]
    channels = np.stack([c for c, _ in patches]) if patches else np.empty((0, len(lengths), 0), dtype=np.int64)
    starts = np.stack([s for _, s in patches]) if patches else np.empty_like(channels)
    effects = perturbation_effects(
        frozen.logits, x_test, state, channels, starts, lengths, perturbation_cfg["batch_size"]
    )
    accuracy = float((state.cpu().numpy() == test.state).mean())
    log.info("%s subject %d: frozen-BN accuracy %.4f over %d epochs", model, subject, accuracy, len(state))
    write_arrays(
        out_store,
        {
            "": {
                "label": test.state.astype(np.int64),
                "predicted": state.cpu().numpy().astype(np.int64),
                "log_probabilities": log_p.cpu().numpy(),
                "reference_logit": effects.reference,
                "patch_channels": channels,
                "patch_starts": starts,
                "patch_lengths": lengths,
                "patch_drop": effects.patch,
                "channel_drop": effects.channel,
            },
            "batchnorm": statistics_to_arrays(statistics),
        },
        attrs={
            "model": model,
            "subject": subject,
            "bn_eval": bn_eval,
            "seed": seed,
            "checkpoint": str(checkpoint),
            "accuracy": accuracy,
            "channels": list(CHANNELS),
            "classes": list(STATES),
        },
        array_attrs={
            "log_probabilities": {"axes": ["sample", "class"]},
            "patch_drop": {"axes": ["sample", "length", "patch"], "units": "logit"},
            "channel_drop": {"axes": ["sample", "channel"], "units": "logit"},
            "patch_channels": {"axes": ["sample", "length", "patch"]},
            "patch_starts": {"axes": ["sample", "length", "patch"], "units": "samples at 128 Hz"},
        },
    )


def read_probe(path: str) -> dict:
    arrays = read_arrays(path)
    arrays["batchnorm"] = statistics_from_arrays(read_arrays(path, "batchnorm"))
    arrays["attrs"] = dict(open_store(path).attrs)
    return arrays


# ---------------------------------------------------------------------------------------------------------------
# 4. attribution


def random_seeds(seed: int, model: str, subject: int, n: int) -> list[int]:
    return [derived_seed(seed, "eeg-random-heatmap", model, subject, sample) for sample in range(n)]


def _top_channels(fractions: np.ndarray, k: int = 3) -> str:
    order = np.argsort(-fractions, kind="stable")[:k]
    return ",".join(f"{CHANNELS[c]}:{fractions[c]:.3f}" for c in order)


def attribute_subject(
    dataset_path: str,
    checkpoint: str,
    probe_store: str,
    model: str,
    subject: int,
    methods: Sequence[str],
    cfg: Mapping,
    seed: int,
    device: str,
    out_store: str,
    out_perturbation: str,
    out_deletion: str,
    threads: int | None = None,
) -> None:
    """Heatmaps of ``methods`` for every sample of the held-out subject, explained class = predicted state
    (Cui et al. 2023, Methods), with their perturbation correlations and deletion test.

    ``cfg`` holds the sections ``attribution``, ``postprocess`` and ``deletion`` of ``eeg``.
    """
    from neuromotor.explain.attribution import attribute  # Captum and zennit load only in the jobs that use them

    device = setup_torch(device, threads)
    _, test = _subject_split(load_eeg_mat(dataset_path), subject)
    probe = read_probe(probe_store)
    if len(probe["label"]) != len(test.state) or not np.array_equal(probe["label"], test.state):
        raise DataFormatError(f"{probe_store}: probe does not match subject {subject} of {dataset_path}")
    frozen = freeze(load_model(checkpoint, model, device), probe["batchnorm"])
    x = as_input(test.data, device)
    state = torch.as_tensor(probe["predicted"], device=device)
    deletion_target = test.state if cfg["deletion"]["target"] == "label" else probe["predicted"]
    effects = PerturbationEffects(probe["reference_logit"], probe["patch_drop"], probe["channel_drop"])
    lengths = probe["patch_lengths"]
    settings = PostProcessing(**cfg["postprocess"])
    options = cfg["attribution"]
    groups = {"": {"label": test.state.astype(np.int64), "predicted": probe["predicted"]}}
    perturbation_rows, deletion_rows = [], []
    with torch.no_grad():
        p_target = frozen(x).exp().gather(1, torch.as_tensor(deletion_target, device=device)[:, None])[:, 0]
    for method in methods:
        heatmaps = attribute(
            frozen,
            x,
            state,
            method,
            batch_size=options["batch_size"],
            ig_steps=options["ig_steps"],
            epsilon=options["epsilon"],
            deeplift_threshold=options["deeplift_threshold"],
            seeds=random_seeds(seed, model, subject, len(state)) if method == "random" else None,
        )[:, 0]
        patch_r, channel_r = perturbation_scores(
            heatmaps, effects, probe["patch_channels"], probe["patch_starts"], lengths
        )
        smoothed, channel_z = postprocess(heatmaps, settings)
        deletion = deletion_test(
            frozen, x, torch.as_tensor(deletion_target, device=device), smoothed, channel_z,
            cfg["deletion"]["sample_threshold"], cfg["deletion"]["channel_threshold"],
        )  # fmt: skip
        groups[method] = {"heatmaps": heatmaps.astype(np.float32), "channel_relevance": channel_z}
        for i in range(len(state)):
            common = {
                "model": model,
                "subject": subject,
                "method": method,
                "sample": i,
                "label": int(test.state[i]),
                "predicted": int(probe["predicted"][i]),
            }
            perturbation_rows.append(
                {
                    **common,
                    **dict(zip(patch_columns(lengths), map(float, patch_r[i]))),
                    "channel_r": float(channel_r[i]),
                }
            )
            deleted = np.flatnonzero(deletion.channel_mask[i])
            deletion_rows.append(
                {
                    **common,
                    "deletion_target": int(deletion_target[i]),
                    "p_target": float(p_target[i]),
                    "p_sample_deletion": float(deletion.p_sample[i]),
                    "fraction_deleted": float(deletion.fraction_deleted[i]),
                    "top_channels": _top_channels(deletion.channel_fraction_deleted[i]),
                    "p_channel_deletion": float(deletion.p_channel[i]),
                    "n_channels_deleted": len(deleted),
                    "deleted_channels": ",".join(CHANNELS[c] for c in deleted) or "-",
                }
            )
        log.info(
            "%s subject %d %s: mean patch r %s, channel r %.3f",
            model,
            subject,
            method,
            np.round(np.nanmean(patch_r, axis=0), 3),
            np.nanmean(channel_r),
        )
    write_arrays(
        out_store,
        groups,
        attrs={
            "model": model,
            "subject": subject,
            "methods": list(methods),
            "seed": seed,
            "channels": list(CHANNELS),
            "sfreq_hz": 128.0,
            "postprocess": dict(cfg["postprocess"]),
        },
        array_attrs={
            "heatmaps": {"axes": ["sample", "channel", "time"], "description": "raw heatmap H (float32)"},
            "channel_relevance": {"axes": ["sample", "channel"], "description": "ĉ: z(time-mean of H) − threshold"},
        },
    )
    write_tsv(out_perturbation, perturbation_rows, perturbation_columns(lengths))
    write_tsv(out_deletion, deletion_rows, DELETION_COLUMNS)


# ---------------------------------------------------------------------------------------------------------------
# class-activation map of one sample (a figure stage)

CAM_COLUMNS = ("channel", "cam_mean", "n_traced")


def cam_sample(
    dataset_path: str,
    checkpoint: str,
    probe_store: str,
    model: str,
    subject: int,
    index: int,
    device: str,
    out: Mapping[str, str],
    threads: int | None = None,
) -> None:
    """Class-activation map of sample ``index`` of held-out ``subject`` for the predicted class (``VisTechnique.py``),
    BatchNorm frozen to the probe's statistics: ``out['figure']`` (PNG) and ``out['table']`` (TSV, per channel: the
    map's time-mean and the number of CAM positions traced to the channel)."""
    from neuromotor.eeg.vis_technique import cam_map
    from neuromotor.io.eeg_mat import eeg_info
    from neuromotor.plots.eeg import plot_cam

    device = setup_torch(device, threads)
    test = held_out_sample(load_eeg_mat(dataset_path), dataset_path, subject, index)
    probe = read_probe(probe_store)
    if not np.array_equal(probe["label"], test.state):
        raise DataFormatError(f"{probe_store}: probe does not match subject {subject} of {dataset_path}")
    frozen = freeze(load_model(checkpoint, model, device), probe["batchnorm"])
    state = int(probe["predicted"][index])
    result = cam_map(frozen, test.data[index], state)
    p = np.exp(probe["log_probabilities"][index])
    log.info(
        "%s subject %d sample %d (explained: %s): %d of the top CAM positions traced, to channels %s",
        model,
        subject,
        index,
        STATES[state],
        len(result.channels),
        sorted({CHANNELS[c] for c in result.channels}),
    )
    title = (
        f"subject {subject}, sample {index}: true label {STATES[test.state[index]]}, P_alert = {p[0]:.3f}, "
        f"P_drowsy = {p[1]:.3f}; {model}, CAM of the predicted class ({STATES[state]})"
    )
    plot_cam(out["figure"], test.data[index], result.heatmap, eeg_info(), title)
    counts = np.bincount(result.channels, minlength=len(CHANNELS))
    rows = [
        {"channel": name, "cam_mean": float(result.heatmap[c].mean()), "n_traced": int(counts[c])}
        for c, name in enumerate(CHANNELS)
    ]
    write_tsv(out["table"], rows, CAM_COLUMNS)
