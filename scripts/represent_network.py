"""Representations stage, one model state: activations on the test subset and RDMs on the RDM sample. Thin entry
point; see neuromotor.represent.stages."""

from pathlib import Path

from neuromotor.logs import log_to
from neuromotor.represent.stages import extract_network

log_to(snakemake.log[0])
wildcards = snakemake.wildcards
extract_network(
    snakemake.input.dataset,
    Path(snakemake.input.config).parent,
    model={"task": wildcards.task, "family": wildcards.family, "seed": int(wildcards.seed), "state": wildcards.state},
    activations_cfg=snakemake.params.activations,
    rdm_cfg=snakemake.params.rdm,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out_activations=snakemake.output.get("activations"),  # none for the RDM-only analysis of experiment models
    out_rdm_table=snakemake.output.rdm,
    out_rdm_store=snakemake.output.rdm_store,
)
