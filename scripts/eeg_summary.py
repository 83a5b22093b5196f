"""EEG stage 5: merged tables, summaries, ranking of methods, mean channel relevance. Thin entry point; see
neuromotor.eeg.stages."""

from neuromotor.eeg.report import summarise
from neuromotor.logs import log_to

log_to(snakemake.log[0])
summarise(
    snakemake.input.perturbation,
    snakemake.input.deletion,
    snakemake.input.epochs,
    snakemake.input.stores,
    models=snakemake.params.models,
    subjects=snakemake.params.subjects,
    out=dict(snakemake.output.items()),
)
