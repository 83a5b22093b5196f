"""Report figures of the representational analyses. Thin entry point; the drawing is in
neuromotor.plots.represent."""

from neuromotor.logs import log_to
from neuromotor.represent.figures import make_figures
from neuromotor.represent.plan import SUMMARY_TABLES

log_to(snakemake.log[0])
inputs, params = snakemake.input, snakemake.params
states = [tuple(state) for state in params.states]
make_figures(
    summary={name: inputs[name] for name in SUMMARY_TABLES},
    units_stores=dict(zip(states, inputs.units_stores)),
    cka_stores=dict(zip([tuple(job) for job in params.cka_jobs], inputs.cka_stores)),
    tsne_stores=dict(zip(states, inputs.tsne_stores)),
    input_tsne=inputs.input_tsne,
    plane=params.figures["plane"],
    orientation=params.figures["orientation"],
    threshold=params.threshold,
    quantile=params.quantile,
    floor=params.floor,
    out=dict(snakemake.output.items()),
)
