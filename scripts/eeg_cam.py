"""EEG: one sample's class-activation map traced to the input (InterpretableCNN). Thin entry point; see
neuromotor.eeg.stages.cam_sample."""

from neuromotor.eeg.stages import cam_sample
from neuromotor.logs import log_to

log_to(snakemake.log[0])
cam_sample(
    snakemake.input.dataset,
    snakemake.input.checkpoint,
    snakemake.input.probe,
    model=snakemake.wildcards.model,
    subject=int(snakemake.wildcards.subject),
    index=int(snakemake.wildcards.sample),
    device=snakemake.params.device,
    threads=snakemake.threads,
    out={"figure": snakemake.output.figure, "table": snakemake.output.table},
)
