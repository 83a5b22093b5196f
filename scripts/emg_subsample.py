"""EMG step 5: the target participants' signatures from one job's subject-count subsets (seeded draws, or the original
subset files with ``emg_signatures.subsample.source: files``). Thin entry point."""

from neuromotor.emg.runs import run_subsample_chunk
from neuromotor.logs import log_to

log_to(snakemake.log[0])
run_subsample_chunk(
    snakemake.wildcards.task,
    snakemake.params.subsets,
    snakemake.input.data,
    snakemake.params.emg,
    snakemake.params.seed,
    out_store=snakemake.output[0],
    subset_files=list(snakemake.input.get("subsets", [])),
)
