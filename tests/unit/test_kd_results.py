"""Aggregation of the KD runs (Zeng et al. 2022, Table; docs/studies.md): the original's subjects x folds matrices,
per-subject means, the paper's table with exact Wilcoxon tests and MINDS against the other networks, on known
accuracies."""

import math

import numpy as np
import pytest

from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.kd.stages import RESULT_COLUMNS, collect, summarise

SUBJECTS, FOLDS = 8, 4
SETTING = {"alpha": 0.8, "T": 20.0, "kl_reduction": "mean"}


def accuracy(model, condition, protocol, index, fold):
    """Known accuracies by the subject's 0-based index: US 95 + index/8, sEMG 70 + 2 index + fold, KD adds 1
    (MSCNN: subject 1, index 0, loses 0.5); the honest protocol is 2 points lower; MINDS is 5 points better than
    MSCNN."""
    base = {"US": 95.0 + index / 8, "EMG": 70.0 + 2 * index + fold}.get(condition, 71.0 + 2 * index + fold)
    if condition.startswith("EMG_KD") and model == "MSCNN" and index == 0:
        base -= 1.5
    return base + (5.0 if model == "MINDS" else 0.0) - (2.0 if protocol == "honest" else 0.0)


def write_results(tmp_path, model, condition, folds=range(FOLDS)):
    paths = []
    for index in range(SUBJECTS):  # subject number index + 1
        for fold in folds:
            kd = condition.startswith("EMG_KD")
            rows = [dict(subject=index + 1, fold=fold, model=model, condition=condition,
                         alpha=SETTING["alpha"] if kd else math.nan, T=SETTING["T"] if kd else math.nan,
                         protocol=protocol, selection="x", epoch=7, accuracy=accuracy(model, condition, protocol, index, fold),
                         n_test=1200, teacher_epoch=math.nan) for protocol in ("paper", "honest")]  # fmt: skip
            path = tmp_path / "runs" / f"{model}_{condition}_{index + 1}_{fold}.tsv"
            path.parent.mkdir(exist_ok=True)
            write_tsv(path, rows, RESULT_COLUMNS)
            paths.append(path)
    return paths


def test_collect_writes_the_long_table_and_the_matrices(tmp_path):
    paths = write_results(tmp_path, "EUNet", "EMG", folds=[0, 2])
    out = {"paper": tmp_path / "EUNet_EMG_paper.txt", "honest": tmp_path / "EUNet_EMG_honest.txt"}
    collect(paths, SUBJECTS, FOLDS, tmp_path / "EUNet_EMG.tsv", out)
    assert len(read_tsv(tmp_path / "EUNet_EMG.tsv")) == SUBJECTS * 2 * 2
    matrix = np.loadtxt(out["paper"])
    assert matrix.shape == (SUBJECTS, FOLDS)
    np.testing.assert_allclose(matrix[:, 0], 70.0 + 2 * np.arange(SUBJECTS))
    assert np.isnan(matrix[:, [1, 3]]).all()  # folds not run
    np.testing.assert_allclose(np.loadtxt(out["honest"])[:, 2], 70.0 + 2 * np.arange(SUBJECTS))  # +2 fold, -2 honest
    assert "best test epoch" in out["paper"].read_text().splitlines()[0]


@pytest.fixture
def summary(tmp_path):
    tables = []
    for model in ("MSCNN", "MINDS"):
        for condition in ("US", "EMG", "EMG_KD_a0.80_T20"):
            table = tmp_path / f"{model}_{condition}.tsv"
            collect(write_results(tmp_path, model, condition), SUBJECTS, FOLDS, table,
                    {"paper": tmp_path / "p.txt", "honest": tmp_path / "h.txt"})  # fmt: skip
            tables.append(table)
    out = {name: tmp_path / f"{name}.out" for name in ("accuracy", "subjects", "table", "table_html", "minds")}
    summarise(tables, ["MSCNN", "MINDS"], [SETTING], out)
    return out


def test_the_paper_table(summary):
    assert len(read_tsv(summary["accuracy"])) == 2 * 3 * SUBJECTS * FOLDS * 2
    subjects = read_tsv(summary["subjects"])
    emg = [r for r in subjects if (r["model"], r["condition"], r["protocol"]) == ("MSCNN", "EMG", "paper")]
    assert [r["accuracy"] for r in emg] == [71.5 + 2 * s for s in range(SUBJECTS)]  # mean of folds 0..3
    table = {(r["model"], r["protocol"]): r for r in read_tsv(summary["table"])}
    minds = table[("MINDS", "paper")]
    per_subject = 76.5 + 2 * np.arange(SUBJECTS)
    assert minds["emg_mean"] == pytest.approx(per_subject.mean())
    assert minds["emg_std_ddof0"] == pytest.approx(per_subject.std()) and minds["emg_std_ddof1"] == pytest.approx(
        per_subject.std(ddof=1)
    )
    assert minds["kd_gain"] == pytest.approx(1.0) and minds["n_improved"] == 8
    assert minds["p_value"] == 0.0078125 and minds["h0"] == 0 and minds["H0 (p)"] == "0 (0.0078)"
    assert minds["sEMG w/o KD"] == f"{per_subject.mean():.2f} ± {per_subject.std():.2f}"
    mscnn = table[("MSCNN", "honest")]
    assert mscnn["n_improved"] == 7 and mscnn["p_value"] == pytest.approx(4 / 256)  # one subject worse: W = 1
    assert mscnn["us_mean"] == pytest.approx(93.0 + np.arange(SUBJECTS).mean() / 8)
    assert mscnn["selection"] == "final epoch (final.pt)"
    html = summary["table_html"].read_text()
    assert "paper protocol" in html and "honest protocol" in html and "0 (0.0156)" in html


def test_minds_against_the_others(summary):
    rows = read_tsv(summary["minds"])
    assert [(r["modality"], r["protocol"], r["other"]) for r in rows] == [
        ("EMG", "paper", "MSCNN"), ("EMG", "honest", "MSCNN"), ("US", "paper", "MSCNN"), ("US", "honest", "MSCNN"),
    ]  # fmt: skip
    assert all(r["difference"] == pytest.approx(5.0) and r["stars"] == "**" for r in rows)
