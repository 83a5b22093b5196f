"""EEG stage 1: the synthetic dataset.mat in the original layout. Thin entry point; see neuromotor.eeg.stages."""

from neuromotor.eeg.stages import write_dataset
from neuromotor.logs import log_to

log_to(snakemake.log[0])
write_dataset(snakemake.output.mat, snakemake.output.effect, snakemake.params.synthetic, snakemake.params.seed)
