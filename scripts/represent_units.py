"""Representations stage, one model state: tuning curves, preferred directions, invariance, decoding, tSNE. Thin
entry point; see neuromotor.represent.stages."""

from neuromotor.logs import log_to
from neuromotor.represent.stages import analyse_units

log_to(snakemake.log[0])
analyse_units(
    snakemake.input.store,
    tuning_cfg=snakemake.params.tuning,
    pd_cfg=snakemake.params.pd,
    invariance_cfg=snakemake.params.invariance,
    decoding_cfg=snakemake.params.decoding,
    tsne_cfg=snakemake.params.tsne,
    threads=snakemake.threads,
    out_units=snakemake.output.units,
    out_units_table=snakemake.output.units_table,
    out_pd=snakemake.output.pd,
    out_invariance=snakemake.output.invariance,
    out_decoding=snakemake.output.decoding,
    out_tsne=snakemake.output.tsne,
)
