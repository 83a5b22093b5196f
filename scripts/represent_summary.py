"""Representations stage: every model state's tables in one per kind, and the trained-vs-untrained statistics. Thin
entry point; see neuromotor.represent.summary."""

from neuromotor.logs import log_to
from neuromotor.represent.summary import summarise

log_to(snakemake.log[0])
inputs = snakemake.input
summarise(
    {
        "rdm": [inputs.inputs_rdm, *inputs.rdm],
        "units": list(inputs.units),
        "pd": list(inputs.pd),
        "invariance": list(inputs.invariance),
        "decoding": list(inputs.decoding),
        "cka": list(inputs.cka),
        "cka_sweep": list(inputs.cka_sweep),
    },
    ci_level=snakemake.params.ci_level,
    out=dict(snakemake.output.items()),
)
