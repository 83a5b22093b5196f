"""KD stage 6: all accuracies, per-subject means, the paper's table with exact Wilcoxon tests, MINDS against the
other networks. Thin entry point; see neuromotor.kd.stages.summarise."""

from neuromotor.kd.stages import summarise
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarise(
    snakemake.input,
    models=snakemake.params.models,
    distillation=snakemake.params.distillation,
    out=dict(snakemake.output.items()),
)
