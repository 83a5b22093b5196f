"""Representations stage, one model state: polar tuning maps of example units (Sandbrink et al. 2023, Fig. 5A-B).
Thin entry point; see neuromotor.represent.polar."""

from neuromotor.logs import log_to
from neuromotor.represent.polar import polar_tuning_figure

log_to(snakemake.log[0])
polar_tuning_figure(
    snakemake.input.store,
    snakemake.input.units,
    plane=snakemake.params.plane,
    onset=snakemake.params.onset,
    tcoff=snakemake.params.tcoff,
    threads=snakemake.threads,
    out_png=snakemake.output[0],
)
