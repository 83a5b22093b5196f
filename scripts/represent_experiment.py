"""Representations stage, one model set of convnets.experiments: its RDM tables in one, the trained-vs-untrained
tests and the figure. Thin entry point; see neuromotor.represent.summary.summarise_rdm."""

from neuromotor.logs import log_to
from neuromotor.represent.summary import summarise_rdm

log_to(snakemake.log[0])
summarise_rdm(
    [snakemake.input.inputs_rdm, *snakemake.input.rdm],
    ci_level=snakemake.params.ci_level,
    out_rdm=snakemake.output.rdm,
    out_stats=snakemake.output.stats,
    out_figure=snakemake.output.figure,
)
