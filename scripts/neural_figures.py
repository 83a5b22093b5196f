"""Neural prediction, stage 5: predictivity per layer and against task performance. Thin entry point; see
neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import figures

log_to(snakemake.log[0])
figures(snakemake.input.layers, snakemake.input.models, out=dict(snakemake.output.items()))
