"""Stage S2b of the PCRT, table backend: validation against OpenSim on accepted trajectories. Thin entry point; see
neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_table_report

log_to(snakemake.log[0])
make_table_report(
    table_path=snakemake.input.table,
    shard_paths=list(snakemake.input.shards),
    muscle_cfg=snakemake.params.muscle,
    seed=snakemake.params.seed,
    out=snakemake.output[0],
)
