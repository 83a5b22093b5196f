"""Report figures of the muscle-surrogate validation (uniform postures and accepted trajectories). Thin entry point."""

import json

from neuromotor.logs import log_to
from neuromotor.plots.pcrt import plot_surrogate_validation

log_to(snakemake.log[0])
with open(snakemake.input[0]) as fh:
    report = json.load(fh)
plot_surrogate_validation(report["uniform_postures"], snakemake.output.uniform)
plot_surrogate_validation(report["trajectories"], snakemake.output.trajectories)
