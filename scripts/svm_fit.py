"""SVM stage 2: one job's pairs on every subset of its data variant. Thin entry point; see neuromotor.svm.stages."""

from neuromotor.logs import log_to
from neuromotor.svm.stages import fit_chunk

log_to(snakemake.log[0])
fit_chunk(
    snakemake.input[0],
    variant=snakemake.wildcards.variant,
    pairs=snakemake.params.pairs,
    svm_cfg=snakemake.params.svm,
    latent_values=snakemake.params.latents,
    out_table=snakemake.output.table,
    out_weights=snakemake.output.weights,
)
