"""KD stage 4: train one sEMG student with the KD loss from the ultrasound teacher of the same subject, fold and
network. Thin entry point; see neuromotor.kd.stages.train_distilled."""

from neuromotor.kd.stages import train_distilled
from neuromotor.logs import log_to

log_to(snakemake.log[0])
train_distilled(
    snakemake.input.data,
    snakemake.wildcards.model,
    subject=int(snakemake.wildcards.subject),
    fold=int(snakemake.wildcards.fold),
    train_cfg=snakemake.params.train,
    distillation_cfg=snakemake.params.distillation,
    seed=snakemake.params.seed,
    device=snakemake.params.device,
    threads=snakemake.threads,
    teacher={"best": snakemake.input.teacher_best, "final": snakemake.input.teacher_final},
    out=dict(snakemake.output.items()),
)
