"""KD stage 3: train one ultrasound teacher or one sEMG student without KD (one subject, fold and network).
Thin entry point; see neuromotor.kd.stages.train_single."""

from neuromotor.kd.stages import train_single
from neuromotor.logs import log_to

log_to(snakemake.log[0])
train_single(
    snakemake.input[0],
    snakemake.wildcards.model,
    snakemake.params.role,
    subject=int(snakemake.wildcards.subject),
    fold=int(snakemake.wildcards.fold),
    train_cfg=snakemake.params.train,
    seed=snakemake.params.seed,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out=dict(snakemake.output.items()),
)
