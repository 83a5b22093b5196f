"""Neural prediction, stage 2: every layer of one network (trained or untrained) against the session's neurons.
Thin entry point; see neuromotor.neural.stages."""

from neuromotor.logs import log_to
from neuromotor.neural.stages import predict_model
from neuromotor.train.runtime import setup_torch

log_to(snakemake.log[0])
predict_model(
    snakemake.input.session,
    snakemake.input.config,
    snakemake.input.weights,
    data=snakemake.params.data,
    prediction=snakemake.params.prediction,
    dt=snakemake.params.dt,
    identity=snakemake.params.identity,
    seed=snakemake.params.seed,
    device=setup_torch(snakemake.params.device, snakemake.threads),
    out=snakemake.output[0],
)
