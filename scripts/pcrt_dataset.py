"""Stages S4b and S5 of the PCRT: windows, split and spindle inputs. Thin entry point; see neuromotor.pcrt.stages."""

from neuromotor.logs import log_to
from neuromotor.pcrt.stages import make_dataset

log_to(snakemake.log[0])
make_dataset(
    snakemake.input.selection,
    list(snakemake.input.shards),
    pcrt_cfg=snakemake.params.pcrt,
    seed=snakemake.params.seed,
    config_digest=snakemake.params.digest,
    out=snakemake.output[0],
)
