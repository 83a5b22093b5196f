"""Neural prediction, stage 4: tables per neuron, layer, model state (with its task performance) and baseline.
Thin entry point; see neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import summarise

log_to(snakemake.log[0])
summarise(snakemake.input.models, snakemake.input.baselines, snakemake.input.final, out=dict(snakemake.output.items()))
