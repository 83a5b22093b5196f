"""Stage S2b of the PCRT: surrogate validation on accepted trajectories. Thin entry point; see neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_surrogate_report

log_to(snakemake.log[0])
make_surrogate_report(
    surrogate_path=snakemake.input.surrogate,
    uniform_report_path=snakemake.input.uniform,
    shard_paths=list(snakemake.input.shards),
    muscle_cfg=snakemake.params.muscle,
    seed=snakemake.params.seed,
    out=snakemake.output[0],
)
