"""Stage S3 of the PCRT: one generation shard. Thin entry point; the work is in neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_shard

log_to(snakemake.log[0])
make_shard(
    label=int(snakemake.wildcards.label),
    plane=snakemake.wildcards.plane,
    shard=int(snakemake.wildcards.shard),
    characters_path=snakemake.input.characters,
    startpoints_path=snakemake.input.startpoints,
    surrogate_path=snakemake.input.get("surrogate"),
    table_path=snakemake.input.get("table"),
    pcrt_cfg=snakemake.params.pcrt,
    seed=snakemake.params.seed,
    out=snakemake.output[0],
)
