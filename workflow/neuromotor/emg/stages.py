"""The light EMG workflow steps: paths and config sections in, files out (docs/studies.md; Aeles et al. 2021, Methods,
Results).

1. :func:`write_synthetic` — the stand-in condition files (original ``.mat`` layout) and the planted signatures.
2. (fits and relevance: :mod:`neuromotor.emg.runs`)
3. :func:`summarise_accuracy` — test accuracy per experiment, model and fold; mean ± std per model; figure.
4. :func:`extract_signatures` — per participant of an experiment: mean normalised relevance, signature, figure.
5. (subject-count subsets: :mod:`neuromotor.emg.runs`)
6. :func:`summarise_robustness` — r vs number of participants against the baseline, the next-participant control and
   within-configuration consistency; figure.
7. :func:`compare_conditions` — participant signatures correlated between conditions; figure.

Nothing here imports torch, so these jobs start quickly. Every output is written atomically.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import zarr

from neuromotor.emg.catalogue import FAMILIES
from neuromotor.emg.robustness import (
    next_participant,
    paired_conditions,
    participant_pooled,
    versus_reference,
    within_configuration,
)
from neuromotor.emg.signatures import participant_signatures, recovery, signature_vector
from neuromotor.emg.synthetic import SyntheticSettings, condition_data, planted_mask
from neuromotor.errors import DataFormatError
from neuromotor.io.emg_mat import MUSCLES, load_emg_mat, write_emg_mat
from neuromotor.io.store import read_arrays, write_arrays
from neuromotor.io.tables import write_tsv

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------------
# 1. synthetic data


def synthetic_settings(synthetic_cfg: Mapping) -> SyntheticSettings:
    return SyntheticSettings(**{key: synthetic_cfg[key] for key in SyntheticSettings.__dataclass_fields__
                                if key in synthetic_cfg})


def write_synthetic(
    conditions: Sequence[str], synthetic_cfg: Mapping, seed: int, out_files: Mapping[str, str], out_planted: str
) -> None:
    """Write one ``.mat`` file per condition (``out_files``: condition → path) and the planted signature masks
    (``out_planted``: zarr, ``mask`` (P, 200, 8) bool and ``participant`` (P,))."""
    settings = synthetic_settings(synthetic_cfg)
    for condition in conditions:
        features, target = condition_data(seed, condition, settings)
        write_emg_mat(out_files[condition], features, target)
        log.info("%s: %d cycles of %d participants", out_files[condition], len(features), int(target.any(0).sum()))
    participants = np.arange(1, settings.participants + 1)
    masks = np.stack([planted_mask(seed, int(p), settings) for p in participants])
    write_arrays(
        out_planted,
        {"": {"mask": masks, "participant": participants}},
        attrs={"seed": seed, "settings": dict(synthetic_cfg), "conditions": list(conditions)},
        array_attrs={"mask": {"axes": ["participant", "time", "muscle"], "muscles": list(MUSCLES)}},
    )


# ---------------------------------------------------------------------------------------------------------------
# 3. accuracy

ACCURACY_COLUMNS = ("experiment", "model", "family", "fold", "n_test", "accuracy")
SUMMARY_COLUMNS = ("experiment", "model", "family", "n_folds", "accuracy_mean_pct", "accuracy_std_pct")


def summarise_accuracy(score_files: Sequence[str], out_table: str, out_summary: str, out_figure: str) -> None:
    """Per (experiment, model, fold) accuracies and their mean ± std (%) per (experiment, model); figure."""
    from neuromotor.plots.emg import plot_accuracy

    rows, summary = [], []
    for path in score_files:
        scores = json.loads(Path(path).read_text())
        for fold in scores["folds"]:
            rows.append({"experiment": scores["experiment"], "model": scores["model"], "family": scores["family"],
                         "fold": fold["fold"], "n_test": fold["n_test"], "accuracy": fold["acc"]})
        accuracies = np.array([fold["acc"] for fold in scores["folds"]])
        summary.append({"experiment": scores["experiment"], "model": scores["model"], "family": scores["family"],
                        "n_folds": len(accuracies), "accuracy_mean_pct": 100 * float(accuracies.mean()),
                        "accuracy_std_pct": 100 * float(accuracies.std())})
    write_tsv(out_table, rows, ACCURACY_COLUMNS)
    write_tsv(out_summary, summary, SUMMARY_COLUMNS)
    plot_accuracy(summary, FAMILIES, out_figure)


# ---------------------------------------------------------------------------------------------------------------
# 4. signatures


def gather_relevance(store: str, key: str = "R_pred_act_epsilon") -> dict[str, np.ndarray]:
    """Every fold's explained test cycles of one model run: relevance, participant, file row, correct or not."""
    root = zarr.open_group(store=str(store), mode="r")
    folds = sorted(name for name, _ in root.groups())
    if not folds:
        raise DataFormatError(f"{store}: no fold groups")
    parts = [read_arrays(store, fold, [key, "participant", "file_row", "true_class", "predicted_class"])
             for fold in folds]
    return {
        "relevance": np.concatenate([p[key] for p in parts]),
        "participant": np.concatenate([p["participant"] for p in parts]),
        "file_row": np.concatenate([p["file_row"] for p in parts]),
        "correct": np.concatenate([p["true_class"] == p["predicted_class"] for p in parts]),
    }


SIGNATURE_COLUMNS = (
    "experiment", "participant", "n_cycles", "accuracy", "signature_points", "peaks", "consistency_r",
    "consistency_rmse", "emg_relevance_r", "planted_recall", "planted_precision", "planted_enrichment",
)  # fmt: skip


def extract_signatures(
    experiment_name: str,
    relevance_store: str,
    test_file: str,
    signature_cfg: Mapping,
    out_store: str,
    out_table: str,
    out_figure: str,
    planted_store: str | None = None,
) -> None:
    """Signatures of every participant with cycles in the experiment's test data (Aeles et al. 2021, Methods)."""
    from neuromotor.plots.emg import plot_signatures

    gathered = gather_relevance(relevance_store)
    recording = load_emg_mat(test_file)
    participants = recording.participants
    result = participant_signatures(gathered["relevance"], gathered["participant"], participants,
                                    signature_cfg["relevance_threshold"])
    emg = recording.features[gathered["file_row"]]
    mean_emg = np.stack([emg[gathered["participant"] == p].mean(axis=0) for p in participants])
    correct = np.array([gathered["correct"][gathered["participant"] == p].mean() for p in participants])
    planted = None
    if planted_store:
        stored = read_arrays(planted_store, "", ["mask", "participant"])
        planted = stored["mask"][np.searchsorted(stored["participant"], participants)]
    rows = []
    for i, p in enumerate(participants):
        found = recovery(result["signature"][i], planted[i]) if planted is not None else {}
        mean = np.nan_to_num(result["mean"][i])
        rows.append({
            "experiment": experiment_name, "participant": int(p), "n_cycles": int(result["n_cycles"][i]),
            "accuracy": float(correct[i]), "signature_points": int(result["signature"][i].sum()),
            "peaks": int(result["peaks"][i].sum()), "consistency_r": float(result["consistency_r"][i]),
            "consistency_rmse": float(result["consistency_rmse"][i]),
            "emg_relevance_r": float(np.corrcoef(mean_emg[i].ravel(), mean.ravel())[0, 1]),
            "planted_recall": found.get("recall", float("nan")),
            "planted_precision": found.get("precision", float("nan")),
            "planted_enrichment": found.get("enrichment", float("nan")),
        })  # fmt: skip
    arrays = {
        "participant": participants, "mean": result["mean"], "signature": result["signature"],
        "n_cycles": result["n_cycles"], "peaks": result["peaks"], "consistency_r": result["consistency_r"],
        "consistency_rmse": result["consistency_rmse"], "mean_emg": mean_emg, "accuracy": correct,
        "group_count": result["signature"].sum(axis=0),
    }  # fmt: skip
    if planted is not None:
        arrays["planted"] = planted
    write_arrays(out_store, {"": arrays},
                 attrs={"experiment": experiment_name, "relevance": "R_pred_act_epsilon",
                        "relevance_threshold": signature_cfg["relevance_threshold"], "muscles": list(MUSCLES),
                        "source": str(relevance_store)},
                 array_attrs={name: {"axes": ["participant", "time", "muscle"]}
                              for name in ("mean", "signature", "mean_emg", "planted")})
    write_tsv(out_table, rows, SIGNATURE_COLUMNS)
    plot_signatures(participants, result["mean"], result["signature"], planted, list(MUSCLES),
                    f"{experiment_name}: mean normalised relevance, signature outlined", out_figure)


# ---------------------------------------------------------------------------------------------------------------
# 6. robustness to the number of participants

ROBUSTNESS_COLUMNS = ("task", "size", "comparison", "in_curve", "r", "ci_low", "ci_high", "n", "rmse")


def collect_subsamples(chunk_stores: Sequence[str], targets: Sequence[int], sizes: Sequence[int],
                       repetitions: int) -> np.ndarray:
    """(targets, sizes, repetitions, 200, 8) target signatures from the job stores (NaN where missing)."""
    out = np.full((len(targets), len(sizes), repetitions, 200, len(MUSCLES)), np.nan)
    t_index = {int(k): i for i, k in enumerate(targets)}
    n_index = {int(n): i for i, n in enumerate(sizes)}
    for store in chunk_stores:
        arrays = read_arrays(store, "", ["item", "mean"])
        for (k, n, s), mean in zip(arrays["item"], arrays["mean"]):
            out[t_index[int(k)], n_index[int(n)], int(s) - 1] = mean
    return out


def summarise_robustness(
    task: str,
    chunk_stores: Sequence[str],
    baseline_store: str,
    targets: Sequence[int],
    sizes: Sequence[int],
    repetitions: int,
    out_table: str,
    out_figure: str,
) -> None:
    """r vs N (Aeles et al. 2021, Methods): (b) against the participant's full-data baseline signature, (c) the chance
    control against the next participant's baseline, (a) within-configuration consistency. ``in_curve`` marks the sizes
    of the main curve (N = 2 and N = all participants excluded)."""
    from neuromotor.plots.emg import plot_robustness

    baseline = read_arrays(baseline_store, "", ["participant", "mean"])
    all_participants = baseline["participant"]
    vectors = signature_vector(baseline["mean"])
    index = np.searchsorted(all_participants, targets)
    own = vectors[index]
    following = next_participant(vectors)[index]
    subsamples = signature_vector(collect_subsamples(chunk_stores, targets, sizes, repetitions))
    rows = []
    for j, n in enumerate(sizes):
        signatures = subsamples[:, j]
        in_curve = bool(n != 2 and n != len(all_participants))
        for comparison, reference in (("baseline", own), ("control", following)):
            r, e = versus_reference(signatures, reference)
            pooled = participant_pooled(r)
            rows.append({"task": task, "size": int(n), "comparison": comparison, "in_curve": in_curve,
                         "r": pooled.r, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high, "n": pooled.n,
                         "rmse": float(np.nanmean(e))})
        pooled, error = within_configuration(signatures)
        rows.append({"task": task, "size": int(n), "comparison": "within", "in_curve": in_curve, "r": pooled.r,
                     "ci_low": pooled.ci_low, "ci_high": pooled.ci_high, "n": pooled.n, "rmse": error})
    write_tsv(out_table, rows, ROBUSTNESS_COLUMNS)
    plot_robustness(rows, task, out_figure)


# ---------------------------------------------------------------------------------------------------------------
# 7. robustness across conditions

CROSS_COLUMNS = ("comparison", "experiment_a", "experiment_b", "n", "r", "ci_low", "ci_high", "rmse_mean", "rmse_sd",
                 "rmse_ci_low", "rmse_ci_high")


def compare_conditions(comparisons: Mapping[str, Sequence[str]], stores: Mapping[str, str], out_table: str,
                       out_figure: str) -> None:
    """Participant signatures of two experiments correlated, for participants present in both (Aeles et al. 2021,
    Results)."""
    from neuromotor.plots.emg import plot_cross_condition

    rows = []
    for name, (a, b) in comparisons.items():
        left, right = (read_arrays(stores[e], "", ["participant", "mean", "n_cycles"]) for e in (a, b))
        common = np.intersect1d(left["participant"][left["n_cycles"] > 0], right["participant"][right["n_cycles"] > 0])
        va = signature_vector(left["mean"][np.searchsorted(left["participant"], common)])
        vb = signature_vector(right["mean"][np.searchsorted(right["participant"], common)])
        rows.append({"comparison": name, "experiment_a": a, "experiment_b": b, **paired_conditions(va, vb)})
    write_tsv(out_table, rows, CROSS_COLUMNS)
    plot_cross_condition(rows, out_figure)

