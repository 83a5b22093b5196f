"""EMG step 3: test accuracy per experiment, model and fold, and its figure. Thin entry point."""

from neuromotor.emg.stages import summarise_accuracy
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarise_accuracy(list(snakemake.input), snakemake.output.table, snakemake.output.summary, snakemake.output.figure)
