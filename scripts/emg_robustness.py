"""EMG step 6: signature robustness to the number of training participants, and its figure. Thin entry point."""

from neuromotor.emg.stages import summarise_robustness
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarise_robustness(
    snakemake.wildcards.task,
    list(snakemake.input.chunks),
    snakemake.input.baseline,
    snakemake.params.targets,
    snakemake.params.sizes,
    snakemake.params.repetitions,
    out_table=snakemake.output.table,
    out_figure=snakemake.output.figure,
)
