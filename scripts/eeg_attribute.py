"""EEG stage 4: heatmaps, perturbation correlations and deletion test of some methods on one (model, subject). Thin
entry point; see neuromotor.eeg.stages."""

from neuromotor.eeg.stages import attribute_subject
from neuromotor.logs import log_to

log_to(snakemake.log[0])
attribute_subject(
    snakemake.input.dataset,
    snakemake.input.checkpoint,
    snakemake.input.probe,
    model=snakemake.wildcards.model,
    subject=int(snakemake.wildcards.subject),
    methods=snakemake.params.methods,
    cfg={
        "attribution": snakemake.params.attribution,
        "postprocess": snakemake.params.postprocess,
        "deletion": snakemake.params.deletion,
    },
    seed=snakemake.params.seed,
    device=snakemake.params.device,
    threads=snakemake.threads,
    out_store=snakemake.output.heatmaps,
    out_perturbation=snakemake.output.perturbation,
    out_deletion=snakemake.output.deletion,
)
