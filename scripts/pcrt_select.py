"""Stage S4a of the PCRT: selection and split table. Thin entry point; the work is in neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_selection

log_to(snakemake.log[0])
make_selection(list(snakemake.input.shards), snakemake.params.assembly, snakemake.params.seed, snakemake.output[0])
