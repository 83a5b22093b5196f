"""The job plan of the vs_paper stage (rules/fidelity.smk): which result tables of this run's DeepDraw stages the
comparison with the published numbers reads. Plain Python on the config (no Snakemake here)."""

from __future__ import annotations

from typing import Mapping

from neuromotor.convnets import plan as convnets_plan
from neuromotor.represent import plan as represent_plan
from neuromotor.svm import plan as svm_plan

REFERENCE = "resources/reference/published.tsv"
"""The published numbers every vs_paper table is judged by."""
STUDIES = ("deepdraw", "kd", "eeg", "emg_signatures")
OUTPUTS = ("vs_paper.tsv", "vs_paper.html", "figures/vs_paper.png")


def output_paths(study: str) -> dict[str, str]:
    """The vs_paper table (TSV and HTML) and figure of a study."""
    return {
        "table": f"results/{study}/vs_paper.tsv",
        "html": f"results/{study}/vs_paper.html",
        "figure": f"results/{study}/figures/vs_paper.png",
    }


def target_paths() -> list[str]:
    return [f"results/{study}/{name}" for study in STUDIES for name in OUTPUTS]


def model_sets(conv: Mapping) -> dict[str, str]:
    """Every model set of this plan with a table (``final``: convnets/final.tsv; each of convnets.experiments: its
    models.tsv) -> its network input."""
    sets = {}
    if f"{convnets_plan.CONVNETS_DIR}/final.tsv" in convnets_plan.target_paths(conv):
        sets["final"] = conv["final"]["input_key"]
    for name, spec in conv.get("experiments", {}).items():
        sets[name] = spec.get("input_key", "spindle_info")
    return sets


def rdm_sets(rep: Mapping, conv: Mapping) -> list[str]:
    """The model sets with an RDM table: final (when its models are analysed) and representations.experiments."""
    sets = model_sets(conv)
    final = ["final"] if represent_plan.planned_states(rep, conv) and "final" in sets else []
    return final + [name for name in represent_plan.experiment_states(rep, conv) if name in sets]


def deepdraw_inputs(svm: Mapping, pcrt: Mapping, conv: Mapping, rep: Mapping) -> dict:
    """The result tables of the DeepDraw stages this plan runs (SVM per solver, the model sets' tables, the search
    summaries, the RDM tables)."""
    inputs = {"reference": REFERENCE}
    inputs |= {f"svm_{solver}": path for solver, path in svm_plan.summary_paths(svm, pcrt).items()}
    for name in model_sets(conv):
        inputs[f"models_{name}"] = (
            f"{convnets_plan.CONVNETS_DIR}/final.tsv" if name == "final" else convnets_plan.experiment_table(name)
        )
    for name in rdm_sets(rep, conv):
        inputs[f"rdm_{name}"] = (
            f"{represent_plan.REPRESENT_DIR}/summary/rdm.tsv"
            if name == "final"
            else f"{represent_plan.REPRESENT_DIR}/experiments/{name}/rdm.tsv"
        )
    inputs["search"] = [
        convnets_plan.summary_path(run["task"], run["input_key"]) for run in convnets_plan.search_runs(conv)
    ]
    return inputs
