"""Convnets: the table of one search run. Thin entry point; see neuromotor.convnets.stages."""

from neuromotor.convnets.stages import summarize_search
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarize_search(list(snakemake.input), snakemake.output[0])
