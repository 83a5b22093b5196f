"""Representations stage, ART-vs-TDT sweep: CKA between the twins of one searched configuration. Thin entry point;
see neuromotor.represent.stages."""

from pathlib import Path

from neuromotor.logs import log_to
from neuromotor.represent.stages import sweep_cka

log_to(snakemake.log[0])
sweep_cka(
    snakemake.input.dataset,
    Path(snakemake.input.art_config).parent,
    Path(snakemake.input.tdt_config).parent,
    family=snakemake.params.family,
    configuration=snakemake.wildcards.configuration,
    input_key=snakemake.wildcards.input_key,
    activations_cfg=snakemake.params.activations,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out_table=snakemake.output[0],
)
