"""Stage S2 of the PCRT: muscle surrogate fit and validation. Thin entry point; see neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_surrogate

log_to(snakemake.log[0])
make_surrogate(
    snakemake.params.muscle, snakemake.params.seed, snakemake.output.surrogate, snakemake.output.validation
)
