"""Representations stage: RDMs of the input representations and tSNE of the end-effector trajectories. Thin entry
point; see neuromotor.represent.stages."""

from neuromotor.logs import log_to
from neuromotor.represent.stages import input_representations

log_to(snakemake.log[0])
input_representations(
    snakemake.input[0],
    rdm_cfg=snakemake.params.rdm,
    tsne_cfg=snakemake.params.tsne,
    subsets=snakemake.params.subsets,
    subset_seed=snakemake.params.subset_seed,
    threads=snakemake.threads,
    out_rdm_table=snakemake.output.rdm,
    out_rdm_store=snakemake.output.rdm_store,
    out_tsne=snakemake.output.tsne,
)
