"""Neural prediction, stage 1: a synthetic session in the successor's layout with planted tuning. Thin entry point;
see neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import write_synthetic

log_to(snakemake.log[0])
write_synthetic(
    snakemake.input.config,
    snakemake.input.weights,
    synthetic=snakemake.params.synthetic | {"session": snakemake.wildcards.session},
    data=snakemake.params.data,
    dt=snakemake.params.dt,
    seed=snakemake.params.seed,
    out={"session": snakemake.output.session, "truth": snakemake.output.truth},
)
