"""EMG step 5: the target participants' signatures from one job's subject-count subsets. Thin entry point."""

from neuromotor.emg.runs import run_subsample_chunk
from neuromotor.logs import log_to

log_to(snakemake.log[0])
run_subsample_chunk(
    snakemake.wildcards.task,
    snakemake.params.subsets,
    snakemake.input[0],
    snakemake.params.emg,
    snakemake.params.seed,
    out_store=snakemake.output[0],
)
