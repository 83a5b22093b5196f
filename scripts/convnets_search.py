"""Convnets: one searched configuration, trained and evaluated. Thin entry point; see neuromotor.convnets.stages."""

from pathlib import Path

from neuromotor.convnets.stages import search_job
from neuromotor.logs import log_to

log_to(snakemake.log[0])
search_job(
    snakemake.input.dataset,
    Path(snakemake.output.metrics).parent,
    task=snakemake.wildcards.task,
    input_key=snakemake.wildcards.input_key,
    configuration=snakemake.wildcards.configuration,
    settings=snakemake.params.settings,
    threads=snakemake.threads,
)
