"""Neural prediction, stage 3: the linear baselines (muscles, hand, joints) against the session's neurons. Thin
entry point; see neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import predict_baselines

log_to(snakemake.log[0])
predict_baselines(
    snakemake.input.session,
    data=snakemake.params.data,
    prediction=snakemake.params.prediction,
    baselines=snakemake.params.baselines,
    identity=snakemake.params.identity,
    seed=snakemake.params.seed,
    out=snakemake.output[0],
)
