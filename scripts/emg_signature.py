"""EMG step 4: per-participant signatures of one experiment, and their heatmaps. Thin entry point."""

from neuromotor.emg.stages import extract_signatures
from neuromotor.logs import log_to

log_to(snakemake.log[0])
extract_signatures(
    snakemake.wildcards.experiment,
    snakemake.input.relevance,
    snakemake.input.data,
    snakemake.params.signatures,
    out_store=snakemake.output.store,
    out_table=snakemake.output.table,
    out_figure=snakemake.output.figure,
    planted_store=snakemake.input.get("planted"),
)
