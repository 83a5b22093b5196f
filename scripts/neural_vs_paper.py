"""Neural prediction, stage 6: the successor's published findings against this run. Thin entry point; see
neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import vs_paper

log_to(snakemake.log[0])
vs_paper(
    snakemake.input.reference,
    snakemake.input.models,
    snakemake.input.baselines,
    scale=snakemake.params.scale,
    out=dict(snakemake.output.items()),
)
