"""Convnets: report figures and the table of final models. Thin entry point; the drawing is in
neuromotor.plots.convnets."""

from neuromotor.convnets.stages import make_figures
from neuromotor.logs import log_to

log_to(snakemake.log[0])
make_figures(
    summaries=list(snakemake.input.summaries),
    metrics=list(snakemake.input.metrics),
    histories=list(snakemake.input.histories),
    controls=list(snakemake.input.controls),
    n_classes=snakemake.params.n_classes,
    out=dict(snakemake.output.items()),
)
