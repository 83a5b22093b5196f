"""Convnets: one part job of a search in rungs (successive halving, or several models per job). Thin entry point;
see neuromotor.convnets.stages."""

from neuromotor.convnets.stages import part_job
from neuromotor.logs import log_to

log_to(snakemake.log[0])
part_job(
    snakemake.input.dataset,
    snakemake.output[0],
    task=snakemake.wildcards.task,
    input_key=snakemake.wildcards.input_key,
    family=snakemake.wildcards.family,
    previous=list(snakemake.input.previous),
    settings=snakemake.params.settings,
    threads=snakemake.threads,
)
