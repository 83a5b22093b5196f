"""EMG step 7: participant signatures compared between conditions, and the figure. Thin entry point."""

from neuromotor.emg.stages import compare_conditions
from neuromotor.logs import log_to

log_to(snakemake.log[0])
compare_conditions(
    snakemake.params.comparisons,
    dict(snakemake.input.items()),
    out_table=snakemake.output.table,
    out_figure=snakemake.output.figure,
)
