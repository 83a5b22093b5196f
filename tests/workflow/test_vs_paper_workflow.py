"""The vs_paper stage through Snakemake on the tiny KD plan: the table, its HTML page and figure, honest verdicts
at this scale, the report section, and a rerun when the reference table changes."""

from __future__ import annotations

import shutil

import pytest

from neuromotor.io.tables import read_tsv
from tests.runner import Workflow
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
