"""EMG step 1: synthetic condition files in the original layout. Thin entry point; see neuromotor.emg.stages."""

from neuromotor.emg.stages import write_synthetic
from neuromotor.logs import log_to

log_to(snakemake.log[0])
write_synthetic(
    snakemake.params.conditions,
    snakemake.params.synthetic,
    snakemake.params.seed,
    out_files=dict(zip(snakemake.params.conditions, snakemake.output.mats)),
    out_planted=snakemake.output.planted,
)
