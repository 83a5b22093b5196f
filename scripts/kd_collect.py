"""KD stage 5: one (network, condition)'s accuracies of every subject and fold, as a long table and the
original's subjects x folds matrices. Thin entry point; see neuromotor.kd.stages.collect."""

from neuromotor.kd.stages import collect
from neuromotor.logs import log_to

log_to(snakemake.log[0])
collect(
    snakemake.input,
    n_subjects=snakemake.params.n_subjects,
    n_folds=snakemake.params.n_folds,
    out_table=snakemake.output.table,
    out_matrices={"paper": snakemake.output.paper, "honest": snakemake.output.honest},
)
