"""Convnets: one final model (a family's best configuration, one task and seed). Thin entry point; see
neuromotor.convnets.stages."""

from pathlib import Path

from neuromotor.convnets.stages import final_job
from neuromotor.logs import log_to

log_to(snakemake.log[0])
settings = snakemake.params.settings
final_job(
    snakemake.input.dataset,
    Path(snakemake.output.metrics).parent,
    task=snakemake.wildcards.task,
    family=snakemake.wildcards.family,
    seed=int(snakemake.wildcards.seed),
    input_key=settings["input_key"],
    summary=snakemake.input.get("summary"),
    settings=settings,
    threads=snakemake.threads,
    control_json=snakemake.output.get("control"),
)
