"""Convnets: the table of one search run (its models' metrics files, or the part directories of its last rung).
Thin entry point; see neuromotor.convnets.stages."""

from neuromotor.convnets.stages import search_metrics, summarise_search
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarise_search(search_metrics(list(snakemake.input)), snakemake.output[0])
