"""EMG step 2: one model on every fold of one experiment, with LRP relevance. Thin entry point; see
neuromotor.emg.runs."""

from neuromotor.emg.runs import run_model
from neuromotor.logs import log_to

log_to(snakemake.log[0])
run_model(
    snakemake.wildcards.experiment,
    snakemake.wildcards.model,
    files=dict(snakemake.input.items()),
    emg_cfg=snakemake.params.emg,
    seed=snakemake.params.seed,
    threads=snakemake.threads,
    out_relevance=snakemake.output.relevance,
    out_checkpoints=snakemake.output.checkpoints,
    out_scores=snakemake.output.scores,
)
