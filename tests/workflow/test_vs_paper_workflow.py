"""The vs_paper stage through Snakemake on the tiny KD plan (the table, its HTML page and figure, honest verdicts at
this scale, the report section, a rerun when the reference table changes) and on the tiny DeepDraw stages."""

from __future__ import annotations

import shutil

import pytest

from neuromotor.io.tables import read_tsv
from tests.runner import TINY_CONFIG, Workflow, merge
from tests.workflow.test_kd_workflow import KD_CONFIG

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def kd_vs_paper(tmp_path_factory) -> Workflow:
    workflow = Workflow(tmp_path_factory.mktemp("vs_paper"), KD_CONFIG)
    workflow.run("vs_paper_kd")
    return workflow


def test_tiny_run_is_not_comparable_and_absent_networks_are_missing(kd_vs_paper):
    rows = read_tsv(kd_vs_paper.path / "results/kd/vs_paper.tsv")
    eunet = [r for r in rows if "model=EUNet" in r["condition"] and r["quantity"] == "accuracy_mean"]
    assert len(eunet) == 2 and {r["verdict"] for r in eunet} == {"not comparable at this scale"}
    assert all("subjects==8 (run: 2)" in r["note"] or "source==files" in r["note"] for r in eunet)
    minds = [r for r in rows if "model=MINDS" in r["condition"]]
    assert minds and {r["verdict"] for r in minds} == {"missing from this run"}
    assert "agrees" not in {r["verdict"] for r in rows if r["quantity"] == "accuracy_mean"}
    assert (kd_vs_paper.path / "results/kd/vs_paper.html").read_text().count("<tr") == len(rows) + 1
    assert (kd_vs_paper.path / "results/kd/figures/vs_paper.png").stat().st_size > 0


def test_report_shows_the_comparison(kd_vs_paper):
    kd_vs_paper.run("vs_paper_kd", "--report", "report.html")
    html = (kd_vs_paper.path / "report.html").read_text(errors="replace")
    assert "Comparison with the papers" in html and "vs_paper.png" in html and "vs_paper.html" in html


def test_a_changed_reference_table_reruns_the_comparison(kd_vs_paper, tmp_path):
    workflow = kd_vs_paper
    resources = tmp_path / "resources"
    shutil.copytree(workflow.path / "resources", resources, symlinks=True, ignore=shutil.ignore_patterns("reference"))
    (resources / "reference").mkdir()
    text = (workflow.path / "resources/reference/published.tsv").read_text()
    (resources / "reference/published.tsv").write_text(text.replace("74.62", "77.00"))
    (workflow.path / "resources").unlink()
    (workflow.path / "resources").symlink_to(resources)
    planned = workflow.planned_jobs("vs_paper_kd")
    assert planned.get("vs_paper_kd") == 1 and "kd_teacher" not in planned


DEEPDRAW = merge(
    TINY_CONFIG,
    {
        "svm": {"variants": ["full"]},
        "convnets": {
            "search": {
                "n_per_family": 1,
                "epochs": 1,
                "runs": [{"task": "art", "input_key": "spindle_firing", "families": ["S"]}],
                "space": {"n_layers": [1], "channels": [8], "spatial_strides": [2], "temporal_strides": [3]},
            },
            "final": {"families": ["S"], "tasks": ["art"], "seeds": [1], "epochs": 1, "input_key": "spindle_firing"},
            "train": {"conv": {"batch_size": 4}, "val_interval": 2},
        },
        "representations": {
            "tasks": ["art"],
            "families": ["S"],
            "activations": {"fraction": {"S": 1.0, "TS": 1.0, "ST": 1.0, "LSTM": 1.0}},
            "rdm": {"per_class": 4},
            "tsne": {"n_pca": 3},
            "tuning": {"labels": "auc", "min_trajectories": 2},
            "cka": {"sweep": False},
        },
    },
)


def test_deepdraw_comparison_reads_every_stage(tiny_run, tmp_path):
    """SVM, networks and representations of the tiny PCRT dataset: each stage's quantities appear with this run's
    values, at this scale never 'agrees' or 'differs' except the exact parameter counts."""
    workflow = Workflow(tmp_path / "deepdraw", DEEPDRAW)
    shutil.copytree(tiny_run.path / "results/pcrt", workflow.path / "results/pcrt", symlinks=True)
    workflow.run("vs_paper_deepdraw")
    rows = read_tsv(workflow.path / "results/deepdraw/vs_paper.tsv")
    measured = {r["quantity"] for r in rows if r["this_run"] != ""}
    assert {"svm_multiclass_accuracy", "untrained_test_accuracy", "rdm_similarity", "parameter_count",
            "rdm_last_layer_ordering"} <= measured  # fmt: skip
    svm = [r for r in rows if r["quantity"] == "svm_multiclass_accuracy" and "suppressed=none" in r["condition"]]
    assert len(svm) == 4 and all("solver=exact" in r["condition"] for r in svm)
    assert {r["verdict"] for r in svm} == {"not comparable at this scale"}
    suppressed = [r for r in rows if r["quantity"] == "svm_multiclass_accuracy" and "size_plane" in r["condition"]]
    assert {r["verdict"] for r in suppressed} == {"missing from this run"}  # the plan runs the full variant only
    judged = {r["quantity"] for r in rows if r["verdict"] in ("agrees", "differs")}
    assert judged == {"parameter_count"}
    assert {r["verdict"] for r in rows if r["quantity"] == "parameter_count"} == {"agrees"}
