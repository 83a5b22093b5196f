"""Convnets: the table of one model set of convnets.experiments (trained and untrained metrics of every model).
Thin entry point; see neuromotor.convnets.stages."""

from pathlib import Path

from neuromotor.convnets.stages import final_table
from neuromotor.logs import log_to

log_to(snakemake.log[0])
final_table([Path(path).parent for path in snakemake.input.metrics], snakemake.output[0])
