"""The KD workflow stages: config sections and paths in, files out (Zeng et al. 2022). Every output is written
atomically. Subjects are numbered from 1, as their files; seeds derive from the 0-based index
(:func:`neuromotor.kd.plan.subject_index`).

1. :func:`write_synthetic_subject` — a subject's EMG and US text files in the original layout (default config).
2. :func:`prepare_subject` — read a subject's text files with the original loaders' checks, normalise each file,
   cut and pair the samples: ``results/kd/data/s{subject}.zarr`` (the cached binary copy the training jobs read).
3. :func:`train_single` — one teacher (US) or student without KD (EMG) of one (subject, fold, model).
4. :func:`train_distilled` — one sEMG student with KD from the teacher of the same (subject, fold, model).
5. :func:`collect` — one (model, condition): long table and the original's subjects x folds matrices.
6. :func:`summarise` — every accuracy, per-subject means, the paper's table with exact Wilcoxon tests, MINDS
   against the other networks; the table as HTML for the report.
7. :func:`make_figures` — box plot of per-subject accuracies; mean test accuracy per epoch.
"""

from __future__ import annotations

import html
import logging
import math
import time
from collections import defaultdict
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from neuromotor.errors import DataFormatError, ModelFileError
from neuromotor.io.kd_text import read_emg_text, read_us_text, write_emg_text, write_us_text
from neuromotor.io.store import atomic_file, read_arrays, write_arrays
from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.kd.data import Layout, subject_samples
from neuromotor.kd.plan import PROTOCOLS, condition_name, subject_index
from neuromotor.kd.stats import format_mean_std, h0_flag, mean_std, stars, wilcoxon_exact
from neuromotor.kd.synthetic import SyntheticSpec, synthetic_emg, synthetic_us

log = logging.getLogger(__name__)

RESULT_COLUMNS = (
    "subject", "fold", "model", "condition", "alpha", "T", "protocol", "selection", "epoch", "accuracy", "n_test",
    "teacher_epoch",
)  # fmt: skip
"""Columns of a training job's ``result.tsv`` and of the collected accuracy tables (accuracy in %)."""
SUBJECT_COLUMNS = ("model", "condition", "alpha", "T", "protocol", "subject", "n_folds", "accuracy")
TABLE_COLUMNS = (
    "model", "alpha", "T", "kl_reduction", "protocol", "selection", "n_subjects",
    "emg_mean", "emg_std_ddof0", "emg_std_ddof1", "emg_kd_mean", "emg_kd_std_ddof0", "emg_kd_std_ddof1",
    "us_mean", "us_std_ddof0", "us_std_ddof1", "kd_gain", "n_improved", "wilcoxon_statistic", "p_value", "h0",
    "sEMG w/o KD", "sEMG w/ KD", "US", "H0 (p)",
)  # fmt: skip
MINDS_COLUMNS = (
    "modality", "protocol", "other", "n_subjects", "minds_mean", "other_mean", "difference", "wilcoxon_statistic",
    "p_value", "stars",
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# data


def write_synthetic_subject(
    subject: int, layout: Layout, spec: SyntheticSpec, seed: int, out_emg: str | Path, out_us: str | Path
) -> None:
    """Write subject number ``subject``'s (1-based) synthetic EMG (emg_rows x 8) and US (n_samples x 3840) text
    files, drawn with the subject's 0-based index (:func:`neuromotor.kd.plan.subject_index`)."""
    started = time.perf_counter()
    write_emg_text(out_emg, synthetic_emg(layout, spec, seed, subject_index(subject)))
    write_us_text(out_us, synthetic_us(layout, spec, seed, subject_index(subject)))
    log.info("subject %d: synthetic files written in %.1f s", subject, time.perf_counter() - started)


def prepare_subject(
    emg_path: str | Path,
    us_path: str | Path,
    layout: Layout,
    data_cfg: Mapping,
    out_store: str | Path,
    subject: int,
) -> None:
    """Read, check, normalise and pair one subject's files; write ``emg`` (n, 1, 4, 256), ``us`` (n, 1, 4, 1024)
    float32, ``label`` and ``trial`` (n,) to a zarr store."""
    started = time.perf_counter()
    emg = read_emg_text(emg_path, layout.emg_rows, data_cfg["emg_columns"], data_cfg["emg_channels"])
    us = read_us_text(us_path, layout.n_samples)
    samples = subject_samples(emg, us, layout, (str(emg_path), str(us_path)))
    write_arrays(
        out_store,
        {"": samples},
        attrs={
            "subject": subject,
            "emg_file": str(emg_path),
            "us_file": str(us_path),
            "layout": layout.as_dict(),
            "emg_channels": list(data_cfg["emg_channels"]),
            "normalisation": "per file: column z-score (ddof 1), then divided by the global max |value|",
        },
        array_attrs={
            "emg": {"axes": ["sample", "plane", "channel", "time"], "units": "normalised", "rate_hz": 1000},
            "us": {"axes": ["sample", "plane", "transducer", "depth"], "units": "normalised", "rate_hz": 20e6},
            "label": {"axes": ["sample"], "units": "gesture 0..gestures-1"},
            "trial": {"axes": ["sample"], "units": "trial 0..trials-1"},
        },
    )
    log.info("subject %d: %d samples prepared in %.1f s", subject, len(samples["label"]), time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------------------------
# training


def _torch_setup(device: str, threads: int):
    """The job's device and threads; on a GPU torch's deterministic kernels, warning only where a kernel has none
    (e.g. pooling backward)."""
    import torch

    from neuromotor.train.runtime import setup_torch

    chosen = setup_torch(device, threads, warn_only=True)
    log.info("device %s, %d threads", chosen, torch.get_num_threads())
    return chosen


def _fold_data(store: str | Path, fold: int, arrays: Sequence[str], device):
    """``{name: (train, test)}`` tensors of the store's arrays on ``device`` for ``fold`` (test = trials 2 fold
    and 2 fold + 1), plus ``rows`` = (train rows, test rows)."""
    import torch

    data = read_arrays(store, "", [*arrays, "label", "trial"])
    test = np.isin(data["trial"], (2 * fold, 2 * fold + 1))
    if not test.any() or test.all():
        raise DataFormatError(f"{store}: fold {fold} leaves no test or no training sample (trials {set(data['trial'])})")
    rows = (np.flatnonzero(~test), np.flatnonzero(test))
    out = {}
    for name in (*arrays, "label"):
        values = torch.from_numpy(np.ascontiguousarray(data[name])).to(device)
        out[name] = tuple(values[torch.from_numpy(r).to(device)] for r in rows)
    return out


def _result_rows(ids: Mapping, run_paper, run_honest, n_test: int, teacher_epochs=(math.nan, math.nan)) -> list:
    rows = []
    for (protocol, selection), run, teacher_epoch in zip(PROTOCOLS.items(), (run_paper, run_honest), teacher_epochs):
        epoch = run.best_epoch if protocol == "paper" else run.final_epoch
        accuracy = run.best_accuracy if protocol == "paper" else run.final_accuracy
        rows.append(ids | {"protocol": protocol, "selection": selection, "epoch": epoch, "accuracy": accuracy,
                           "n_test": n_test, "teacher_epoch": teacher_epoch})  # fmt: skip
    return rows


def _write_run(out: Mapping, model_factory, ids: Mapping, runs: Mapping, meta: Mapping, rows: list) -> None:
    """best.pt (paper run's best epoch), final.pt (honest run's final epoch), epochs.tsv, result.tsv."""
    from neuromotor.train.checkpoint import save_checkpoint

    paper, honest = runs["paper"], runs["honest"]
    for key, run, state, epoch, accuracy in (
        ("best", paper, paper.best_state, paper.best_epoch, paper.best_accuracy),
        ("final", honest, honest.final_state, honest.final_epoch, honest.final_accuracy),
    ):
        model = model_factory()
        model.load_state_dict(state)
        protocol = "paper" if key == "best" else "honest"
        identity = {name: value for name, value in ids.items() if name != "model"}  # the network is `arch`
        save_checkpoint(out[key], model, epoch=epoch, accuracy=accuracy, protocol=protocol, **identity, **meta)
    history = []
    shared = paper is honest
    for protocol, run in runs.items():
        if shared and protocol == "honest":
            break
        label = "paper+honest" if shared else protocol
        history += [{"protocols": label, **row} for row in run.history]
    write_tsv(out["epochs"], history)
    write_tsv(out["result"], rows, RESULT_COLUMNS)


def train_single(
    store: str | Path,
    model_name: str,
    role: str,
    subject: int,
    fold: int,
    train_cfg: Mapping,
    seed: int,
    device: str,
    threads: int,
    out: Mapping[str, str],
) -> None:
    """Train the ``teacher`` (on US) or the ``student`` without KD (on EMG) of one (subject, fold, model) with the
    original's custom initialisation; one run gives both protocols. ``subject`` is the 1-based number (the seed
    derives from its 0-based index). ``out`` maps best, final, epochs, result to paths."""
    import torch

    from neuromotor.kd.models import build_model, init_weights
    from neuromotor.kd.train import TrainSettings, train_run
    from neuromotor.train.runtime import derived_seed

    modality = {"teacher": "US", "student": "EMG"}[role]
    chosen = _torch_setup(device, threads)
    data = _fold_data(store, fold, [modality.lower()], chosen)
    run_seed = derived_seed(seed, "kd", model_name, modality, subject_index(subject), fold)
    torch.manual_seed(run_seed)
    model = init_weights(build_model(model_name, modality)).to(chosen)
    settings = TrainSettings.from_config(train_cfg)
    x, y = data[modality.lower()], data["label"]
    started = time.perf_counter()
    run = train_run(model, (x[0], y[0]), (x[1], y[1]), settings, run_seed)
    log.info("%s %s subject %d fold %d: %.1f s", model_name, modality, subject, fold, time.perf_counter() - started)
    ids = {"subject": subject, "fold": fold, "model": model_name, "condition": condition_name(role),
           "alpha": math.nan, "T": math.nan}  # fmt: skip
    rows = _result_rows(ids, run, run, len(y[1]))
    meta = {"arch": model_name, "modality": modality, "seed": run_seed, "init": "original (Xavier/Kaiming)"}
    _write_run(out, lambda: build_model(model_name, modality), ids, {"paper": run, "honest": run}, meta, rows)


def train_distilled(
    store: str | Path,
    model_name: str,
    subject: int,
    fold: int,
    train_cfg: Mapping,
    distillation_cfg: Mapping,
    seed: int,
    device: str,
    threads: int,
    teacher: Mapping[str, str],
    out: Mapping[str, str],
) -> None:
    """Train the sEMG student with KD of one (subject, fold, model) from the US teacher of the same subject and
    fold: for the paper protocol from the teacher's best checkpoint (read out at the student's best epoch), for
    the honest protocol from its final checkpoint (read out at the final epoch); one run when the two teacher
    checkpoints are the same epoch. The student keeps PyTorch's default initialisation; its seed (initial weights,
    batch order, dropout) equals that of the student without KD. ``subject`` is the 1-based number (the seed
    derives from its 0-based index). ``teacher`` maps best and final to paths."""
    import torch

    from neuromotor.kd.models import build_model
    from neuromotor.kd.train import Distillation, TrainSettings, predict_logits, train_run
    from neuromotor.train.checkpoint import load_checkpoint, restore
    from neuromotor.train.runtime import derived_seed

    chosen = _torch_setup(device, threads)
    data = _fold_data(store, fold, ["emg", "us"], chosen)
    distillation = Distillation(
        float(distillation_cfg["alpha"]), float(distillation_cfg["T"]), distillation_cfg["kl_reduction"]
    )
    settings = TrainSettings.from_config(train_cfg)
    run_seed = derived_seed(seed, "kd", model_name, "EMG", subject_index(subject), fold)
    (x_train, x_test), (y_train, y_test) = data["emg"], data["label"]
    checkpoints = {key: load_checkpoint(teacher[key], required=("epoch", "arch")) for key in ("best", "final")}
    for key, checkpoint in checkpoints.items():
        if checkpoint["arch"] != model_name:
            raise ModelFileError(f"{teacher[key]}: teacher is a {checkpoint['arch']}, expected {model_name}")

    def run_with(key: str):
        teacher_model = restore(build_model(model_name, "US"), checkpoints[key], teacher[key]).to(chosen)
        logits = tuple(predict_logits(teacher_model, part, settings.batch_size) for part in data["us"])
        torch.manual_seed(run_seed)
        student = build_model(model_name, "EMG").to(chosen)
        started = time.perf_counter()
        run = train_run(student, (x_train, y_train), (x_test, y_test), settings, run_seed, logits, distillation)
        log.info("%s KD from the %s teacher (epoch %d), subject %d fold %d: %.1f s", model_name, key,
                 checkpoints[key]["epoch"], subject, fold, time.perf_counter() - started)  # fmt: skip
        return run

    paper = run_with("best")
    same = checkpoints["best"]["epoch"] == checkpoints["final"]["epoch"]
    honest = paper if same else run_with("final")
    ids = {"subject": subject, "fold": fold, "model": model_name,
           "condition": condition_name("student_kd", distillation.alpha, distillation.temperature),
           "alpha": distillation.alpha, "T": distillation.temperature}  # fmt: skip
    teacher_epochs = (checkpoints["best"]["epoch"], checkpoints["final"]["epoch"])
    rows = _result_rows(ids, paper, honest, len(y_test), teacher_epochs)
    meta = {"arch": model_name, "modality": "EMG", "seed": run_seed, "init": "PyTorch default",
            "kl_reduction": distillation.kl_reduction, "teacher_epochs": list(teacher_epochs)}  # fmt: skip
    _write_run(out, lambda: build_model(model_name, "EMG"), ids, {"paper": paper, "honest": honest}, meta, rows)


# ---------------------------------------------------------------------------------------------------------------
# results


def collect(
    results: Sequence[str | Path],
    n_subjects: int,
    n_folds: int,
    out_table: str | Path,
    out_matrices: Mapping[str, str | Path],
) -> None:
    """Gather the ``result.tsv`` of every (subject, fold) job of one (model, condition) into a long table and one
    subjects x folds matrix per protocol (accuracy %, NaN for folds not run; row n - 1 = subject n), as the
    original's result files."""
    rows = []
    for path in results:
        rows += read_tsv(path, RESULT_COLUMNS)
    write_tsv(out_table, rows, RESULT_COLUMNS)
    for protocol, path in out_matrices.items():
        matrix = np.full((n_subjects, n_folds), np.nan)
        for row in rows:
            if row["protocol"] == protocol:
                matrix[subject_index(row["subject"]), row["fold"]] = row["accuracy"]
        with atomic_file(path) as tmp:
            np.savetxt(tmp, matrix, fmt="%.6f", header=f"accuracy %, subjects x folds, protocol {protocol}: "
                       f"{PROTOCOLS[protocol]}")  # fmt: skip


def subject_means(rows: Sequence[Mapping]) -> list[dict]:
    """Per (model, condition, protocol, subject): mean accuracy over the folds run (alpha and T come with the
    condition)."""
    groups: dict[tuple, list[Mapping]] = defaultdict(list)
    for row in rows:
        groups[(row["model"], row["condition"], row["protocol"], row["subject"])].append(row)
    means = []
    for (model, condition, protocol, subject), members in sorted(groups.items()):
        means.append({"model": model, "condition": condition, "alpha": members[0]["alpha"], "T": members[0]["T"],
                      "protocol": protocol, "subject": subject, "n_folds": len(members),
                      "accuracy": float(np.mean([m["accuracy"] for m in members]))})  # fmt: skip
    return means


def _per_subject(subjects: Sequence[Mapping], model: str, condition: str, protocol: str) -> dict[int, float]:
    return {
        row["subject"]: row["accuracy"]
        for row in subjects
        if row["model"] == model and row["condition"] == condition and row["protocol"] == protocol
    }


def paper_table(subjects: Sequence[Mapping], models: Sequence[str], distillation: Sequence[Mapping]) -> list[dict]:
    """The paper's table per (model, alpha, T, protocol): sEMG without and with KD and US (mean ± std over
    subjects), the mean KD gain, and the exact Wilcoxon signed-rank test of with vs without KD over subjects."""
    table = []
    for model in models:
        for setting in distillation:
            kd_condition = condition_name("student_kd", setting["alpha"], setting["T"])
            for protocol, selection in PROTOCOLS.items():
                emg = _per_subject(subjects, model, "EMG", protocol)
                emg_kd = _per_subject(subjects, model, kd_condition, protocol)
                us = _per_subject(subjects, model, "US", protocol)
                common = sorted(set(emg) & set(emg_kd))
                x = np.array([emg_kd[s] for s in common])
                y = np.array([emg[s] for s in common])
                test = wilcoxon_exact(x, y)
                summaries = {name: mean_std(list(values.values())) for name, values in
                             (("emg", emg), ("emg_kd", emg_kd), ("us", us))}  # fmt: skip
                row = {"model": model, "alpha": setting["alpha"], "T": setting["T"],
                       "kl_reduction": setting["kl_reduction"], "protocol": protocol, "selection": selection,
                       "n_subjects": len(common)}  # fmt: skip
                for name, summary in summaries.items():
                    row |= {f"{name}_mean": summary["mean"], f"{name}_std_ddof0": summary["std_ddof0"],
                            f"{name}_std_ddof1": summary["std_ddof1"]}  # fmt: skip
                row |= {
                    "kd_gain": float(np.mean(x - y)) if common else math.nan,
                    "n_improved": int(np.sum(x > y)),
                    "wilcoxon_statistic": test.statistic,
                    "p_value": test.p_value,
                    "h0": h0_flag(test.p_value),
                    "sEMG w/o KD": format_mean_std(summaries["emg"]),
                    "sEMG w/ KD": format_mean_std(summaries["emg_kd"]),
                    "US": format_mean_std(summaries["us"]),
                    "H0 (p)": f"{h0_flag(test.p_value)} ({test.p_value:.4f})",
                }
                table.append(row)
    return table


def minds_versus_others(subjects: Sequence[Mapping], models: Sequence[str]) -> list[dict]:
    """MINDS against every other network, per modality (sEMG without KD, US) and protocol: exact Wilcoxon over
    subjects with the paper's stars (empty when MINDS or no other network is in the plan)."""
    rows = []
    if "MINDS" not in models:
        return rows
    for modality in ("EMG", "US"):
        for protocol in PROTOCOLS:
            minds = _per_subject(subjects, "MINDS", modality, protocol)
            for other in models:
                if other == "MINDS":
                    continue
                values = _per_subject(subjects, other, modality, protocol)
                common = sorted(set(minds) & set(values))
                x, y = np.array([minds[s] for s in common]), np.array([values[s] for s in common])
                test = wilcoxon_exact(x, y)
                rows.append({"modality": modality, "protocol": protocol, "other": other, "n_subjects": len(common),
                             "minds_mean": float(np.mean(x)), "other_mean": float(np.mean(y)),
                             "difference": float(np.mean(x - y)), "wilcoxon_statistic": test.statistic,
                             "p_value": test.p_value, "stars": stars(test.p_value)})  # fmt: skip
    return rows


def table_html(table: Sequence[Mapping], options: str) -> str:
    """The paper's table as a small HTML page (one block per protocol), for the report."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>KD table</title><style>"
        "body{font-family:sans-serif}table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:right}th{background:#eee}"
        "</style></head><body>",
        f"<p>Accuracy (%) mean ± std (ddof 0) over subjects; exact two-sided Wilcoxon signed-rank test of sEMG with "
        f"vs without KD over subjects (H0 = 0: rejected at p &lt; 0.05). {html.escape(options)}</p>",
    ]
    for protocol, selection in PROTOCOLS.items():
        parts.append(f"<h3>{protocol} protocol: {html.escape(selection)}</h3><table><tr>")
        header = ("Model", "α", "T", "subjects", "sEMG w/o KD", "sEMG w/ KD", "gain", "US", "H0 (p)")
        parts.append("".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>")
        for row in table:
            if row["protocol"] != protocol:
                continue
            cells = (row["model"], f"{row['alpha']:.2f}", f"{row['T']:g}", row["n_subjects"], row["sEMG w/o KD"],
                     row["sEMG w/ KD"], f"{row['kd_gain']:+.2f}", row["US"], row["H0 (p)"])  # fmt: skip
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def summarise(
    tables: Sequence[str | Path],
    models: Sequence[str],
    distillation: Sequence[Mapping],
    out: Mapping[str, str | Path],
) -> None:
    """Write ``accuracy`` (every subject, fold, model, condition, protocol), ``subjects`` (means over folds),
    ``table`` (TSV) and ``table_html`` (the paper's table) and ``minds`` (MINDS vs the others)."""
    rows = []
    for path in tables:
        rows += read_tsv(path, RESULT_COLUMNS)
    write_tsv(out["accuracy"], rows, RESULT_COLUMNS)
    subjects = subject_means(rows)
    write_tsv(out["subjects"], subjects, SUBJECT_COLUMNS)
    table = paper_table(subjects, models, distillation)
    write_tsv(out["table"], table, TABLE_COLUMNS)
    write_tsv(out["minds"], minds_versus_others(subjects, models), MINDS_COLUMNS)
    n_subjects = len({row["subject"] for row in rows})
    folds = sorted({row["fold"] for row in rows})
    options = f"{n_subjects} subjects, folds {folds}, KL averaging: " + ", ".join(
        sorted({d["kl_reduction"] for d in distillation})
    )
    with atomic_file(out["table_html"]) as tmp:
        Path(tmp).write_text(table_html(table, options))
    for row in table:
        log.info("%s %s a=%.2f T=%g: w/o %s, w/ %s, US %s, H0 (p) %s", row["protocol"], row["model"], row["alpha"],
                 row["T"], row["sEMG w/o KD"], row["sEMG w/ KD"], row["US"], row["H0 (p)"])  # fmt: skip


def make_figures(
    subjects_tsv: str | Path, runs: Sequence[tuple[str, str, str | Path]], out: Mapping[str, str | Path]
) -> None:
    """The box plot of per-subject accuracies and the mean test-accuracy curves (see :mod:`neuromotor.plots.kd`).
    ``runs`` lists (model, condition, epochs.tsv) of every training job; a distilled student contributes its
    honest-protocol run (from the final teacher)."""
    from neuromotor.plots.kd import plot_accuracy_boxes, plot_epoch_curves

    subjects = read_tsv(subjects_tsv, SUBJECT_COLUMNS)
    boxes: dict = {protocol: defaultdict(dict) for protocol in PROTOCOLS}
    for protocol in PROTOCOLS:
        for model in dict.fromkeys(row["model"] for row in subjects):
            for condition in dict.fromkeys(row["condition"] for row in subjects):
                values = _per_subject(subjects, model, condition, protocol)
                if values:
                    boxes[protocol][model][condition] = np.array([values[s] for s in sorted(values)])
    plot_accuracy_boxes(boxes, out["boxplot"])
    curves: dict = defaultdict(lambda: defaultdict(list))
    for model, condition, path in runs:
        history = read_tsv(path, ("protocols", "epoch", "test_acc"))
        wanted = {"paper+honest", "honest"}
        curves[model][condition].append([row["test_acc"] for row in history if row["protocols"] in wanted])
    plot_epoch_curves(
        {model: {c: np.array(v) for c, v in per.items()} for model, per in curves.items()}, out["curves"]
    )
