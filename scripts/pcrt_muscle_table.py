"""Stage S2 of the PCRT, table backend: the muscle table of OpenSim values and its trust map. Thin entry point; see
neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_muscle_table

log_to(snakemake.log[0])
make_muscle_table(snakemake.params.muscle, snakemake.output[0], processes=snakemake.threads)
