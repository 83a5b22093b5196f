"""EEG stage 3: frozen BatchNorm, predictions and perturbation drops of one (model, subject). Thin entry point; see
neuromotor.eeg.stages."""

from neuromotor.eeg.stages import probe_subject
from neuromotor.logs import log_to

log_to(snakemake.log[0])
probe_subject(
    snakemake.input.dataset,
    snakemake.input.checkpoint,
    model=snakemake.wildcards.model,
    subject=int(snakemake.wildcards.subject),
    bn_eval=snakemake.params.bn_eval,
    perturbation_cfg=snakemake.params.perturbation,
    seed=snakemake.params.seed,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out_store=snakemake.output[0],
)
