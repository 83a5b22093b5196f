"""Stages S4b and S5 of the PCRT: windows, split and spindle inputs (generated), or the same store from the released
files (`pcrt.source: released`). Thin entry point; see neuromotor.pcrt.stages and neuromotor.pcrt.released."""

from neuromotor.logs import log_to

log_to(snakemake.log[0])
if snakemake.params.pcrt.get("source") == "released":
    from neuromotor.pcrt.released import make_released_dataset

    make_released_dataset(
        snakemake.input.train,
        snakemake.input.test,
        pcrt_cfg=snakemake.params.pcrt,
        seed=snakemake.params.seed,
        config_digest=snakemake.params.digest,
        out=snakemake.output[0],
    )
else:
    from neuromotor.pcrt.stages import make_dataset

    make_dataset(
        snakemake.input.selection,
        list(snakemake.input.shards),
        pcrt_cfg=snakemake.params.pcrt,
        seed=snakemake.params.seed,
        config_digest=snakemake.params.digest,
        out=snakemake.output[0],
    )
