"""Report figure of the muscle-table validation (per-muscle max error and RMSE against OpenSim). Thin entry point."""

import json

from neuromotor.logs import log_to
from neuromotor.plots.pcrt import plot_table_validation

log_to(snakemake.log[0])
with open(snakemake.input[0]) as fh:
    report = json.load(fh)
plot_table_validation(report, snakemake.output[0])
