"""This run's values of the published quantities, read from each study's result tables (docs/fidelity.md).

One function per study returns :class:`~neuromotor.fidelity.compare.Measurement` s named as in the reference table;
accuracies are converted to the reference's unit (SVM: fraction; networks, KD, EEG, EMG: percent). A table that is
``None`` (the stage was not planned) contributes nothing, so its quantities are reported missing. One function per
study gives the run's scale (the keys of the reference table's ``comparable_when``) from its config.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from neuromotor.fidelity.compare import Measurement
from neuromotor.io.tables import read_tsv

Path_ = str | Path


def _mean(values) -> float:
    values = [float(v) for v in values if not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(values)) if values else float("nan")


def _percent(row: Mapping, column: str) -> float:
    """A network metric as percent (convnets tables hold accuracy as a fraction)."""
    return 100.0 * float(row[column])


# ---------------------------------------------------------------------------------------------------------------
# DeepDraw: SVM, networks, representations


def svm_measurements(summaries: Mapping[str, Path_]) -> list[Measurement]:
    """From ``summary.tsv`` of the SVM stage, one per solver (``solver`` -> path): multiclass, mean and smallest
    pairwise accuracy per (input, suppressed variable), the best suppressed subset per input, the input ordering."""
    out = []
    for solver, path in summaries.items():
        rows = read_tsv(path, ("input", "suppressed", "multiclass_acc", "mean_pairwise_acc", "min_pairwise_acc",
                               "best_subset", "best_multiclass_acc"))  # fmt: skip
        full = {}
        for row in rows:
            condition = {"input": row["input"], "suppressed": str(row["suppressed"]), "solver": solver}
            out.append(Measurement("svm_multiclass_accuracy", condition, float(row["multiclass_acc"])))
            out.append(Measurement("svm_mean_binary_accuracy", condition, float(row["mean_pairwise_acc"])))
            out.append(Measurement("svm_min_binary_accuracy", condition, float(row["min_pairwise_acc"])))
            if condition["suppressed"] == "none":
                full[row["input"]] = float(row["multiclass_acc"])
        for input_name in dict.fromkeys(row["input"] for row in rows):
            suppressed = [r for r in rows if r["input"] == input_name and str(r["suppressed"]) != "none"]
            if suppressed:
                best = max(suppressed, key=lambda r: float(r["best_multiclass_acc"]))
                out.append(Measurement("svm_best_suppressed_multiclass", {"input": input_name, "solver": solver},
                                       float(best["best_multiclass_acc"]),
                                       note=f"best subset: {best['suppressed']} {best['best_subset']}"))  # fmt: skip
        if full:
            out.append(Measurement("svm_input_ordering", {"suppressed": "none", "solver": solver}, full))
    return out


def network_measurements(
    model_sets: Mapping[str, tuple[Path_, str]], search_summaries: Sequence[Path_] = (),
    parameter_counts: Mapping[tuple[str, str], int] | None = None,
) -> list[Measurement]:  # fmt: skip
    """From the tables of the run's model sets (``set name -> (table, input_key)``: ``final`` ->
    ``convnets/final.tsv``, each set of ``convnets.experiments`` -> its ``models.tsv``, all with the columns of
    final.tsv) and the search ``summary.tsv`` s: test and validation accuracy (%) per trained model, its untrained
    control, trained vs untrained, the best searched model's test accuracy per (task, family, input), and parameter
    counts (the run's models, plus ``parameter_counts``: (configuration, input_key) -> count of architectures built
    by this code but not trained). Conditions carry ``models`` (the set), ``configuration`` and ``input_key``."""
    out, counts = [], {}
    for name, (table, input_key) in model_sets.items():
        for row in read_tsv(table, ("task", "family", "seed", "configuration", "params_original", "metric",
                                    "val_metric", "test_metric", "untrained_test_metric")):  # fmt: skip
            counts[(row["configuration"], input_key)] = (int(row["params_original"]), "trained in this run")
            if row["metric"] != "accuracy":
                continue
            condition = {"task": row["task"], "family": row["family"], "seed": str(row["seed"]), "models": name,
                         "input_key": input_key, "configuration": row["configuration"]}  # fmt: skip
            trained, untrained = _percent(row, "test_metric"), _percent(row, "untrained_test_metric")
            out.append(Measurement("network_test_accuracy", condition, trained))
            out.append(Measurement("network_val_accuracy", condition, _percent(row, "val_metric")))
            out.append(Measurement("untrained_test_accuracy", condition, untrained))
            out.append(Measurement("trained_vs_untrained", condition, {"trained": trained, "untrained": untrained}))
    searched = defaultdict(list)
    for path in search_summaries:
        for row in read_tsv(path, ("configuration", "family", "task", "input_key", "params_original", "metric",
                                   "val_metric", "test_metric")):  # fmt: skip
            counts.setdefault((row["configuration"], row["input_key"]), (int(row["params_original"]), "searched"))
            if row["metric"] == "accuracy":
                searched[(row["task"], row["family"], row["input_key"])].append(row)
    for (task, family, input_key), rows in searched.items():
        best = max(rows, key=lambda r: float(r["val_metric"]))
        out.append(Measurement("search_best_test_accuracy", {"task": task, "family": family, "input_key": input_key},
                               _percent(best, "test_metric"),
                               note=f"best of {len(rows)} by validation: {best['configuration']}"))  # fmt: skip
    for key, count in (parameter_counts or {}).items():
        counts.setdefault(key, (int(count), "built by this code, not trained in this run"))
    for (configuration, input_key), (count, how) in counts.items():
        out.append(Measurement("parameter_count", {"configuration": configuration, "input_key": input_key},
                               float(count), note=how))  # fmt: skip
    return out


RDM_PUBLISHED_INPUTS = ("spindle_firing", "muscle_coords", "joint_coords", "endeffector_coords")
"""The inputs whose RDM similarity the paper reports (``best_input`` of the last-layer ordering is their maximum)."""


def rdm_measurements(model_sets: Mapping[str, tuple[Path_, Path_, str]]) -> list[Measurement]:
    """From the RDM tables of the run's model sets (``set name -> (rdm.tsv, the set's model table, input_key)``:
    ``final`` -> ``representations/summary/rdm.tsv`` and ``convnets/final.tsv``, each set of
    ``representations.experiments`` -> its ``experiments/<set>/rdm.tsv`` and ``models.tsv``): similarity to the
    oracle of every input (once) and every network layer (per seed and state), each network's last layer, its
    largest, and the last-layer orderings. Network conditions carry ``models``, ``configuration`` and
    ``input_key``."""
    out, inputs = [], {}
    networks = defaultdict(dict)
    for name, (rdm, models, input_key) in model_sets.items():
        configurations = {(row["task"], row["family"], str(row["seed"])): row["configuration"]
                          for row in read_tsv(models, ("task", "family", "seed", "configuration"))}  # fmt: skip
        for row in read_tsv(rdm, ("task", "family", "seed", "state", "representation", "layer", "similarity")):
            if row["state"] == "input":
                inputs.setdefault(row["representation"], float(row["similarity"]))
                continue
            key = (row["task"], row["family"], str(row["seed"]))
            base = (name, *key, configurations.get(key, "?"), input_key)
            networks[(*base, row["state"])][int(row["layer"])] = float(row["similarity"])
    for representation, value in inputs.items():
        out.append(Measurement("rdm_similarity", {"state": "input", "representation": representation}, value))
    for (name, task, family, seed, configuration, input_key, state), layers in networks.items():
        base = {"models": name, "task": task, "family": family, "seed": seed, "configuration": configuration,
                "input_key": input_key, "state": state}  # fmt: skip
        for layer, value in sorted(layers.items()):
            out.append(Measurement("rdm_similarity", base | {"layer": str(layer)}, value))
        last = max(layers)
        out.append(Measurement("rdm_similarity_last_layer", base, layers[last], note=f"layer {last}"))
        out.append(Measurement("rdm_similarity_max_layer", base, max(layers.values())))
    published = [inputs[name] for name in RDM_PUBLISHED_INPUTS if name in inputs]
    best_input = max(published) if published else float("nan")
    for (name, task, family, seed, configuration, input_key, state), layers in networks.items():
        if state != "trained":
            continue
        values = {"trained_last_layer": layers[max(layers)], "best_input": best_input}
        control = networks.get((name, task, family, seed, configuration, input_key, "untrained"))
        if control:
            values["untrained_last_layer"] = control[max(control)]
        condition = {"models": name, "task": task, "family": family, "seed": seed, "configuration": configuration,
                     "input_key": input_key}  # fmt: skip
        out.append(Measurement("rdm_last_layer_ordering", condition, values))
    return out


def trajectory_origin(pcrt: Mapping) -> str:
    """Where the run's pen trajectories come from: ``released`` (DeepDraw's dataset), else the character source
    (``uci``: the paper's UCI characters; ``templates``: the project's built-in letters)."""
    if pcrt.get("source") == "released":
        return "released"
    return pcrt["characters"]["source"]


def deepdraw_scale(config: Mapping) -> dict:
    """The DeepDraw run's size from its (validated) config, and the origin of its trajectories."""
    search = config["convnets"]["search"]
    return {
        "characters": trajectory_origin(config["pcrt"]),
        "n_train": config["pcrt"]["assembly"]["n_train"],
        "n_test": config["pcrt"]["assembly"]["n_test"],
        "n_labels": len(config["pcrt"]["labels"]),
        "search_per_family": search.get("n_per_family", 0),
        "final_epochs": config["convnets"]["final"]["epochs"],
        "final_input_key": config["convnets"]["final"]["input_key"],
        "rdm_per_class": config["representations"]["rdm"]["per_class"],
    }


# ---------------------------------------------------------------------------------------------------------------
# KD


def teacher_skill(us_accuracy: float, gestures: int) -> float:
    """How far a KD teacher got from chance towards a perfect classifier: (US accuracy - chance) / (100 - chance),
    accuracies in %, chance = 100 / ``gestures`` (balanced test folds): 0 at chance, 1 at 100 %."""
    chance = 100.0 / gestures
    return (us_accuracy - chance) / (100.0 - chance)


def kd_measurements(table: Path_, subjects: Path_, gestures: int | None = None) -> list[Measurement]:
    """From ``kd/table.tsv`` and ``kd/subjects.tsv``: per (model, protocol, alpha, T) the mean and std (ddof 0) of
    sEMG accuracy with and without KD, the Wilcoxon flag and p, the teacher and KD orderings; per model the US
    median over subjects and, per protocol, the sEMG model ranking.

    With ``gestures`` (the classes of the run: ``kd.layout.gestures``), the two orderings carry the fact
    ``teacher_skill`` (:func:`teacher_skill` of the mean US accuracy of the same model and protocol), on which the
    reference table decides whether the teacher learned enough for the orderings to mean anything."""
    out = []
    rows = read_tsv(table, ("model", "alpha", "T", "protocol", "emg_mean", "emg_std_ddof0", "emg_kd_mean",
                            "emg_kd_std_ddof0", "us_mean", "p_value", "h0"))  # fmt: skip
    emg_by_protocol = defaultdict(dict)
    for row in rows:
        base = {"model": row["model"], "protocol": row["protocol"], "alpha": f"{float(row['alpha']):g}",
                "T": f"{float(row['T']):g}"}  # fmt: skip
        for condition, mean, std in (("EMG", "emg_mean", "emg_std_ddof0"), ("EMG_KD", "emg_kd_mean", "emg_kd_std_ddof0")):
            out.append(Measurement("accuracy_mean", base | {"condition": condition}, float(row[mean])))
            out.append(Measurement("accuracy_std", base | {"condition": condition}, float(row[std])))
        out.append(Measurement("wilcoxon_h0", base, float(row["h0"])))
        out.append(Measurement("wilcoxon_p", base, float(row["p_value"])))
        facts, note = {}, ""
        if gestures is not None:
            skill = teacher_skill(float(row["us_mean"]), gestures)
            facts = {"teacher_skill": round(skill, 3)}
            note = (f"US teacher {float(row['us_mean']):.1f} % at chance {100.0 / gestures:.1f} % ({gestures} "
                    f"gestures): teacher_skill {skill:.3f} = (US - chance) / (100 - chance)")  # fmt: skip
        out.append(Measurement("teacher_vs_students", base,
                               {"US": float(row["us_mean"]), "EMG_KD": float(row["emg_kd_mean"])},
                               note=note, extra=facts))  # fmt: skip
        out.append(Measurement("kd_vs_no_kd", base,
                               {"EMG_KD": float(row["emg_kd_mean"]), "EMG": float(row["emg_mean"])},
                               note=note, extra=facts))  # fmt: skip
        emg_by_protocol[row["protocol"]][row["model"]] = float(row["emg_mean"])
    for protocol, values in emg_by_protocol.items():
        out.append(Measurement("best_semg_model", {"protocol": protocol}, values))
    us = defaultdict(list)
    for row in read_tsv(subjects, ("model", "condition", "protocol", "subject", "accuracy")):
        if row["condition"] == "US":
            us[(row["model"], row["protocol"])].append(float(row["accuracy"]))
    for (model, protocol), values in us.items():
        out.append(Measurement("accuracy_median", {"model": model, "condition": "US", "protocol": protocol},
                               float(np.median(values)), note=f"{len(values)} subjects"))  # fmt: skip
    return out


def kd_scale(config: Mapping, subjects: int) -> dict:
    """The KD run's size: data source, ``subjects`` (the subject files the plan found or writes), folds, epochs,
    networks, and the gestures (classes) of its layout, which set the teachers' chance level."""
    kd = config["kd"]
    return {"source": kd["data"]["source"], "subjects": int(subjects), "folds": len(kd["folds"]),
            "epochs": kd["train"]["epochs"], "models": len(kd["models"]),
            "gestures": int(kd["layout"]["gestures"])}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# EEG


def eeg_measurements(accuracy: Path_, ranking: Path_, deletion: Path_) -> list[Measurement]:
    """From ``eeg/accuracy.tsv``, ``ranking.tsv`` and ``deletion.tsv``: LOSO accuracy (%) per (model, protocol),
    the methods' mean patch correlation (perturbation test) and mean drop of the target's probability after sample
    deletion (deletion test) per model, and the random control's patch correlation."""
    out = []
    for row in read_tsv(accuracy, ("model", "subject", "protocol", "accuracy")):
        if str(row["subject"]) == "mean":
            out.append(Measurement("loso_accuracy", {"model": row["model"], "protocol": row["protocol"]},
                                   100.0 * float(row["accuracy"])))  # fmt: skip
    patch = defaultdict(dict)
    for row in read_tsv(ranking, ("model", "method", "patch_r_mean")):
        patch[row["model"]][row["method"]] = float(row["patch_r_mean"])
    for model, values in patch.items():
        out.append(Measurement("perturbation_ranking", {"model": model}, values))
        if "random" in values:
            out.append(Measurement("random_patch_r", {"model": model}, values["random"]))
    drops = defaultdict(lambda: defaultdict(list))
    for row in read_tsv(deletion, ("model", "method", "p_target", "p_sample_deletion")):
        drops[row["model"]][row["method"]].append(float(row["p_target"]) - float(row["p_sample_deletion"]))
    for model, methods in drops.items():
        out.append(Measurement("deletion_ranking", {"model": model},
                               {method: _mean(values) for method, values in methods.items()}))  # fmt: skip
    return out


def eeg_scale(config: Mapping) -> dict:
    """The EEG run's size: data source, held-out subjects, attribution methods (without the random control),
    synthetic scale, training epochs."""
    eeg = config["eeg"]
    return {"source": eeg["data"]["source"], "heldout_subjects": len(eeg["subjects"]),
            "methods": len([m for m in eeg["attribution"]["methods"] if m != "random"]),
            "synthetic_scale": eeg["synthetic"]["scale"], "epochs": eeg["train"]["epochs"]}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# EMG signatures


def emg_measurements(accuracy_summary: Path_, robustness: Mapping[str, Path_], participants: int) -> list[Measurement]:
    """From ``emg_signatures/accuracy_summary.tsv`` and ``robustness/<task>.tsv``: identification accuracy (%) per
    (experiment, model), accuracy against chance (100 / participants %), and per task the mean r over the curve's
    sizes of the subset signatures with the participant's own baseline and with the next participant's (control)."""
    out = []
    for row in read_tsv(accuracy_summary, ("experiment", "model", "accuracy_mean_pct")):
        condition = {"experiment": row["experiment"], "model": row["model"]}
        accuracy = float(row["accuracy_mean_pct"])
        out.append(Measurement("identification_accuracy", condition, accuracy))
        out.append(Measurement("accuracy_vs_chance", condition, {"accuracy": accuracy, "chance": 100.0 / participants}))
    for task, path in robustness.items():
        rows = [r for r in read_tsv(path, ("task", "size", "comparison", "in_curve", "r")) if r["in_curve"] is True]
        curve = {comparison: _mean(r["r"] for r in rows if r["comparison"] == comparison)
                 for comparison in ("baseline", "control")}  # fmt: skip
        sizes = sorted({int(r["size"]) for r in rows})
        out.append(Measurement("robustness_vs_control", {"task": task}, curve, note=f"sizes {sizes}"))
        out.append(Measurement("robustness_r", {"task": task}, curve["baseline"]))
    return out


def emg_scale(config: Mapping, participants: int) -> dict:
    """The EMG run's size: data source, ``participants`` (of the baseline file), subset repetitions and sizes."""
    emg = config["emg_signatures"]
    return {"source": emg["data"]["source"], "participants": participants,
            "repetitions": emg["subsample"]["repetitions"], "sizes": len(emg["subsample"]["sizes"])}  # fmt: skip
