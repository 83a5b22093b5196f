"""Stage S1 of the PCRT: start points. Thin entry point; the work is in neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_startpoints

log_to(snakemake.log[0])
make_startpoints(snakemake.params.startpoints, snakemake.output[0])
