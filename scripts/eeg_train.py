"""EEG stage 2: one leave-one-subject-out model. Thin entry point; see neuromotor.eeg.stages."""

from neuromotor.eeg.stages import train_subject
from neuromotor.logs import log_to

log_to(snakemake.log[0])
train_subject(
    snakemake.input[0],
    model=snakemake.wildcards.model,
    subject=int(snakemake.wildcards.subject),
    train_cfg=snakemake.params.train,
    seed=snakemake.params.seed,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out=dict(snakemake.output.items()),
)
