"""Summary tables and report figures of the EEG study (stages 5 and 6 of :mod:`neuromotor.eeg.stages`; Cui et al.
2023, Figures; docs/studies.md). Only numpy, zarr, matplotlib and mne: the summary and figure jobs load no torch.

- :func:`summarise` — merged per-sample tables, per-(model, method) summaries, the ranking of methods across
  subjects, LOSO accuracies under both protocols, mean channel relevance per method.
- :func:`make_figures` — accuracy, ranking, average topomaps, and the per-sample figures.
- :func:`band_power_sample` — one sample's relative band power per channel (the sibling ``VisTechnique.py``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neuromotor.eeg.plan import PROTOCOLS
from neuromotor.errors import DataFormatError
from neuromotor.explain.methods import LABELS, METHODS, ORIGINAL_NAMES
from neuromotor.explain.perturbation import PostProcessing, patch_lengths, postprocess
from neuromotor.io.eeg_mat import CHANNELS, STATES, load_eeg_mat
from neuromotor.io.store import open_store, read_arrays
from neuromotor.io.tables import read_tsv, write_tsv

log = logging.getLogger(__name__)

ACCURACY_COLUMNS = ("model", "subject", "protocol", "bn_eval", "epoch", "accuracy")
DELETION_COLUMNS = (
    "model", "subject", "method", "sample", "label", "predicted", "deletion_target", "p_target",
    "p_sample_deletion", "fraction_deleted", "top_channels", "p_channel_deletion", "n_channels_deleted",
    "deleted_channels",
)  # fmt: skip
SUMMARY_METRICS = (
    "patch_r_mean",
    "channel_r",
    "p_sample_deletion",
    "fraction_deleted",
    "p_channel_deletion",
    "n_channels_deleted",
)


def patch_columns(lengths: Sequence[int]) -> list[str]:
    return [f"patch_r_{int(length)}" for length in lengths]


def perturbation_columns(lengths: Sequence[int]) -> list[str]:
    return ["model", "subject", "method", "sample", "label", "predicted", *patch_columns(lengths), "channel_r"]


# ---------------------------------------------------------------------------------------------------------------
# summary


def accuracy_rows(epochs_tables: Sequence[str], models: Sequence[str], subjects: Sequence[int]) -> list[dict]:
    """LOSO accuracy per (model, subject) under both protocols, and per model the mean over subjects."""
    rows = []
    pairs = [(m, s) for m in models for s in subjects]
    if len(pairs) != len(epochs_tables):
        raise ValueError(f"accuracy_rows: {len(epochs_tables)} tables for {len(pairs)} (model, subject) pairs")
    for (model, subject), path in zip(pairs, epochs_tables):
        history = read_tsv(path, ("epoch", "test_accuracy", "bn_eval"))
        best = max(history, key=lambda row: (row["test_accuracy"], -row["epoch"]))
        for protocol, row in (("honest", history[-1]), ("best_test_epoch", best)):
            rows.append(
                {
                    "model": model,
                    "subject": subject,
                    "protocol": protocol,
                    "bn_eval": row["bn_eval"],
                    "epoch": row["epoch"],
                    "accuracy": row["test_accuracy"],
                }
            )
    for model in models:
        for protocol in PROTOCOLS:
            values = [r["accuracy"] for r in rows if r["model"] == model and r["protocol"] == protocol]
            rows.append(
                {
                    "model": model,
                    "subject": "mean",
                    "protocol": protocol,
                    "bn_eval": rows[0]["bn_eval"],
                    "epoch": "-",
                    "accuracy": float(np.mean(values)),
                }
            )
    return rows


def _mean_sd(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    return float(values.mean()), float(values.std())


def per_sample_metrics(perturbation: list[dict], deletion: list[dict], lengths: Sequence[int]) -> list[dict]:
    """One row per (model, subject, method, sample) with the six correlations, their patch mean and the deletion
    figures."""
    keyed = {(r["model"], r["subject"], r["method"], r["sample"]): r for r in deletion}
    rows = []
    for row in perturbation:
        patch = [row[c] for c in patch_columns(lengths)]
        other = keyed[(row["model"], row["subject"], row["method"], row["sample"])]
        rows.append(
            {
                **row,
                "patch_r_mean": float(np.nanmean(patch)) if np.isfinite(patch).any() else float("nan"),
                **{
                    k: other[k]
                    for k in (
                        "p_target",
                        "p_sample_deletion",
                        "fraction_deleted",
                        "p_channel_deletion",
                        "n_channels_deleted",
                    )
                },
            }
        )
    return rows


def summary_rows(samples: list[dict], lengths: Sequence[int]) -> list[dict]:
    """Mean ± std over samples per (model, method), overall (subject ``all``) and per subject."""
    metrics = [*patch_columns(lengths), *SUMMARY_METRICS]
    groups: dict[tuple, list[dict]] = {}
    for row in samples:
        groups.setdefault((row["model"], row["method"], "all"), []).append(row)
        groups.setdefault((row["model"], row["method"], row["subject"]), []).append(row)
    rows = []
    for (model, method, subject), members in groups.items():
        out = {"model": model, "method": method, "subject": subject, "n_samples": len(members)}
        for metric in metrics:
            out[f"{metric}_mean"], out[f"{metric}_sd"] = _mean_sd([m[metric] for m in members])
        rows.append(out)
    order = {m: i for i, m in enumerate(METHODS)}
    return sorted(
        rows, key=lambda r: (r["model"], order.get(r["method"], 99), str(r["subject"]) != "all", str(r["subject"]))
    )


def ranking_rows(summary: list[dict]) -> list[dict]:
    """Methods ranked per model: within every held-out subject, methods are ranked by their mean patch correlation
    (1 = most faithful); the ranking orders methods by their mean rank over subjects (ties: higher mean patch r)."""
    rows = []
    for model in sorted({r["model"] for r in summary}):
        per_subject = [r for r in summary if r["model"] == model and r["subject"] != "all"]
        subjects = sorted({r["subject"] for r in per_subject})
        ranks: dict[str, list[float]] = {}
        for subject in subjects:
            members = [r for r in per_subject if r["subject"] == subject]
            values = np.array([r["patch_r_mean_mean"] for r in members], dtype=float)
            order = (-np.nan_to_num(values, nan=-np.inf)).argsort(kind="stable").argsort(kind="stable") + 1
            for r, rank in zip(members, order):
                ranks.setdefault(r["method"], []).append(float(rank))
        overall = {r["method"]: r for r in summary if r["model"] == model and r["subject"] == "all"}
        subject_means = {
            method: [r["patch_r_mean_mean"] for r in per_subject if r["method"] == method] for method in overall
        }
        entries = []
        for method, row in overall.items():
            mean_subject, sd_subject = _mean_sd(subject_means[method])
            entries.append(
                {
                    "model": model,
                    "method": method,
                    "mean_rank": float(np.mean(ranks[method])),
                    "n_subjects": len(ranks[method]),
                    "patch_r_mean": mean_subject,
                    "patch_r_sd_over_subjects": sd_subject,
                    "channel_r_mean": _mean_sd([r["channel_r_mean"] for r in per_subject if r["method"] == method])[0],
                    "p_sample_deletion_mean": row["p_sample_deletion_mean"],
                    "fraction_deleted_mean": row["fraction_deleted_mean"],
                    "p_channel_deletion_mean": row["p_channel_deletion_mean"],
                }
            )
        entries.sort(key=lambda e: (e["mean_rank"], -np.nan_to_num(e["patch_r_mean"], nan=-np.inf)))
        rows += [{"rank": i + 1, **entry} for i, entry in enumerate(entries)]
    return [{key: row[key] for key in RANKING_COLUMNS} for row in rows]


RANKING_COLUMNS = (
    "model", "rank", "method", "mean_rank", "n_subjects", "patch_r_mean", "patch_r_sd_over_subjects",
    "channel_r_mean", "p_sample_deletion_mean", "fraction_deleted_mean", "p_channel_deletion_mean",
)  # fmt: skip
CHANNEL_COLUMNS = ("model", "method", "explained", "n_samples", *CHANNELS)


def channel_relevance_rows(stores: Sequence[str]) -> list[dict]:
    """Mean channel z-score z(time-mean of H) (= ĉ + channel threshold) per (model, method) over all held-out samples,
    by explained (predicted) class and overall."""
    sums: dict[tuple, list] = {}
    for store in stores:
        root = open_store(store)
        threshold = float(root.attrs["postprocess"]["channel_threshold"])
        predicted = np.asarray(root["predicted"][...])
        masks = {"all": np.ones(len(predicted), bool), **{name: predicted == k for k, name in enumerate(STATES)}}
        for method in root.attrs["methods"]:
            values = np.asarray(root[method]["channel_relevance"][...]) + threshold
            for explained, mask in masks.items():
                entry = sums.setdefault((root.attrs["model"], method, explained), [np.zeros(len(CHANNELS)), 0])
                entry[0] += values[mask].sum(0)
                entry[1] += int(mask.sum())
    order = {m: i for i, m in enumerate(METHODS)}
    rows = []
    for (model, method, explained), (total, count) in sorted(
        sums.items(), key=lambda item: (item[0][0], order.get(item[0][1], 99), item[0][2])
    ):
        mean = total / count if count else np.full(len(CHANNELS), np.nan)
        rows.append(
            {
                "model": model,
                "method": method,
                "explained": explained,
                "n_samples": count,
                **dict(zip(CHANNELS, map(float, mean))),
            }
        )
    return rows


def _header(path: str) -> list[str]:
    with open(path) as handle:
        return handle.readline().rstrip("\n").split("\t")


def summarise(
    perturbation_tables: Sequence[str],
    deletion_tables: Sequence[str],
    epochs_tables: Sequence[str],
    attribution_stores: Sequence[str],
    models: Sequence[str],
    subjects: Sequence[int],
    out: Mapping[str, str],
) -> None:
    """Write ``out``: ``perturbation``, ``deletion`` (all rows), ``accuracy``, ``summary``, ``ranking`` and
    ``channel_relevance`` (TSV)."""
    perturbation = [row for path in perturbation_tables for row in read_tsv(path)]
    deletion = [row for path in deletion_tables for row in read_tsv(path, DELETION_COLUMNS)]
    if not perturbation:
        raise ValueError("summarise: no perturbation rows")
    lengths = [int(c.rsplit("_", 1)[1]) for c in _header(perturbation_tables[0]) if c.startswith("patch_r_")]
    order = {m: i for i, m in enumerate(METHODS)}

    def key(row):
        return row["model"], row["subject"], order.get(row["method"], 99), row["sample"]

    write_tsv(out["perturbation"], sorted(perturbation, key=key), perturbation_columns(lengths))
    write_tsv(out["deletion"], sorted(deletion, key=key), DELETION_COLUMNS)
    write_tsv(out["accuracy"], accuracy_rows(epochs_tables, models, subjects), ACCURACY_COLUMNS)
    summary = summary_rows(per_sample_metrics(perturbation, deletion, lengths), lengths)
    write_tsv(out["summary"], summary)
    write_tsv(out["ranking"], ranking_rows(summary), RANKING_COLUMNS)
    write_tsv(out["channel_relevance"], channel_relevance_rows(attribution_stores), CHANNEL_COLUMNS)


# ---------------------------------------------------------------------------------------------------------------
# figures


def _sample_text(
    model: str,
    method: str,
    perturbation: Mapping,
    deletion: Mapping,
    lengths: Sequence[int],
    postprocess_cfg: Mapping,
    deletion_cfg: Mapping,
) -> str:
    target = STATES[deletion["deletion_target"]]
    patch = "  ".join(f"{length}: {perturbation[f'patch_r_{length}']:.3f}" for length in lengths)
    return "\n".join(
        [
            f"model: {model}    method: {LABELS.get(method, method)} (original: {ORIGINAL_NAMES.get(method, method)})",
            f"smooth factor: {postprocess_cfg['smooth_radius']}    thresholds: sample {postprocess_cfg['sample_threshold']}"
            f", channel {postprocess_cfg['channel_threshold']}    deletion: sample > {deletion_cfg['sample_threshold']}"
            f", channel > {deletion_cfg['channel_threshold']}",
            f"perturbation test (Pearson r, relevance vs. logit drop): patches {patch}    channels: "
            f"{perturbation['channel_r']:.3f}",
            f"sample deletion: P({target}) {deletion['p_target']:.3f} -> {deletion['p_sample_deletion']:.3f}, "
            f"{100 * deletion['fraction_deleted']:.1f} % of points deleted; most deleted channels "
            f"{deletion['top_channels']}",
            f"channel deletion: P({target}) {deletion['p_target']:.3f} -> {deletion['p_channel_deletion']:.3f}, "
            f"{deletion['n_channels_deleted']} channels deleted: {deletion['deleted_channels']}",
        ]
    )


def sample_figures(
    dataset_path: str, eeg: Mapping, perturbation: list[dict], deletion: list[dict], out_dir: Path
) -> None:
    """One figure per configured sample (``eeg.figures.samples``) and method, written into ``out_dir``."""
    from neuromotor.eeg.plan import method_store, probe_path, sample_figure_name
    from neuromotor.io.eeg_mat import eeg_info
    from neuromotor.plots.eeg import plot_sample

    dataset = load_eeg_mat(dataset_path)
    info = eeg_info()
    settings = PostProcessing(**eeg["postprocess"])
    lengths = patch_lengths(dataset.data.shape[2], eeg["perturbation"]["levels"])
    rows = {(r["model"], r["subject"], r["method"], r["sample"]): r for r in perturbation}
    deleted = {(r["model"], r["subject"], r["method"], r["sample"]): r for r in deletion}
    for spec in eeg["figures"]["samples"]:
        model, subject, index = spec["model"], int(spec["subject"]), int(spec["index"])
        test = dataset.of_subject(subject)
        if not 0 <= index < len(test.state):
            raise DataFormatError(
                f"config key 'eeg.figures.samples': subject {subject} of {dataset_path} has {len(test.state)} "
                f"epochs (indices 0..{len(test.state) - 1}), got index {index}"
            )
        probabilities = np.exp(
            read_arrays(probe_path(model, subject), names=["log_probabilities"])["log_probabilities"][index]
        )
        title = (
            f"subject {subject}, sample {index}: true label {STATES[test.state[index]]}, "
            f"P_alert = {probabilities[0]:.3f}, P_drowsy = {probabilities[1]:.3f}"
        )
        for method in eeg["attribution"]["methods"]:
            heatmap = read_arrays(method_store(eeg, model, subject, method), method, ["heatmaps"])["heatmaps"][index]
            smoothed, channel = postprocess(heatmap[None].astype(np.float64), settings)
            key = (model, subject, method, index)
            text = _sample_text(model, method, rows[key], deleted[key], lengths, eeg["postprocess"], eeg["deletion"])
            plot_sample(
                out_dir / f"{sample_figure_name(spec, method)}.png",
                test.data[index],
                smoothed[0],
                channel[0],
                info,
                title,
                text,
            )


def make_figures(dataset_path: str, tables: Mapping[str, str], eeg: Mapping, out: Mapping[str, str]) -> None:
    """Report figures: ``out['accuracy']``, ``out['ranking']``, ``out['topomaps']`` (PNG) and ``out['samples']`` (a
    folder with one PNG per configured sample and method). ``tables``: the summary's TSVs."""
    from neuromotor.io.eeg_mat import eeg_info
    from neuromotor.io.store import atomic_directory
    from neuromotor.plots.eeg import plot_accuracy, plot_ranking, plot_topomaps

    plot_accuracy(out["accuracy"], read_tsv(tables["accuracy"]))
    plot_ranking(out["ranking"], read_tsv(tables["ranking"]), LABELS)
    relevance_rows = read_tsv(tables["channel_relevance"], CHANNEL_COLUMNS)
    methods = list(eeg["attribution"]["methods"])
    row_keys = [(model, explained) for model in eeg["models"] for explained in STATES]
    relevance = np.full((len(row_keys), len(methods), len(CHANNELS)), np.nan)
    for row in relevance_rows:
        if (row["model"], row["explained"]) in row_keys and row["method"] in methods and row["n_samples"] > 0:
            relevance[row_keys.index((row["model"], row["explained"])), methods.index(row["method"])] = [
                row[c] for c in CHANNELS
            ]
    plot_topomaps(
        out["topomaps"],
        relevance,
        eeg_info(),
        [f"{m}\nexplained: {e}" for m, e in row_keys],
        [LABELS.get(m, m) for m in methods],
    )
    perturbation = read_tsv(tables["perturbation"])
    deletion = read_tsv(tables["deletion"], DELETION_COLUMNS)
    with atomic_directory(out["samples"]) as tmp:
        sample_figures(dataset_path, eeg, perturbation, deletion, Path(tmp))


# ---------------------------------------------------------------------------------------------------------------
# band power of one sample


def held_out_sample(dataset, path: str, subject: int, index: int):
    """The epochs of ``subject`` (:class:`~neuromotor.io.eeg_mat.EEGDataset`), checking that sample ``index`` is one of
    them (the error names the config key)."""
    test = dataset.of_subject(subject)
    if not 0 <= index < len(test.state):
        raise DataFormatError(
            f"config key 'eeg.figures.samples': subject {subject} of {path} has {len(test.state)} epochs "
            f"(indices 0..{len(test.state) - 1}), got index {index}"
        )
    return test


def band_power_sample(dataset_path: str, subject: int, index: int, out: Mapping[str, str]) -> None:
    """Relative band power (delta, theta, alpha, beta) of every channel of sample ``index`` of ``subject``:
    ``out['figure']`` (one topomap per band) and ``out['table']`` (TSV, one row per channel)."""
    from neuromotor.eeg.vis_technique import BANDS, relative_band_power
    from neuromotor.io.eeg_mat import SFREQ, eeg_info
    from neuromotor.plots.eeg import plot_band_power

    test = held_out_sample(load_eeg_mat(dataset_path), dataset_path, subject, index)
    power = relative_band_power(test.data[index], SFREQ, BANDS)
    for name, values in zip(BANDS, power):
        highest = np.argsort(-values, kind="stable")[:3]
        log.info(
            "subject %d sample %d, %s: highest relative power at %s",
            subject,
            index,
            name,
            ", ".join(f"{CHANNELS[c]} {values[c]:.3f}" for c in highest),
        )
    labels = [f"{name} {low:g}–{high:g} Hz" for name, (low, high) in BANDS.items()]
    title = (
        f"subject {subject}, sample {index} (true label {STATES[test.state[index]]}): relative band power "
        "(multitaper PSD, Simpson integrals)"
    )
    plot_band_power(out["figure"], power, eeg_info(), labels, title)
    rows = [
        {"channel": name, **{band: float(power[b, c]) for b, band in enumerate(BANDS)}}
        for c, name in enumerate(CHANNELS)
    ]
    write_tsv(out["table"], rows, ("channel", *BANDS))
