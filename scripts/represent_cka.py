"""Representations stage, one (family, seed): CKA between trained and untrained networks and task twins. Thin
entry point; see neuromotor.represent.stages."""

from pathlib import Path

from neuromotor.convnets.models import read_config
from neuromotor.logs import log_to
from neuromotor.represent.plan import cka_comparisons
from neuromotor.represent.stages import compare_cka

log_to(snakemake.log[0])
tasks, states = snakemake.params.tasks, snakemake.params.states
keys = [(task, state) for task in tasks for state in states]
configurations = {
    task: read_config(Path(path).parent).get("configuration", "")
    for task, path in zip(tasks, snakemake.input.configs)
}
compare_cka(
    dict(zip(keys, snakemake.input.stores)),
    configurations,
    cka_comparisons(tasks, states),
    family=snakemake.wildcards.family,
    seed=int(snakemake.wildcards.seed),
    cka_cfg=snakemake.params.cka,
    threads=snakemake.threads,
    out_table=snakemake.output.table,
    out_store=snakemake.output.store,
)
