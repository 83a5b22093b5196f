"""Stage S0 of the PCRT: source characters. Thin entry point; the work is in neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_characters

log_to(snakemake.log[0])
make_characters(snakemake.params.characters, snakemake.params.seed, snakemake.output[0])
