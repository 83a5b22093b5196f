"""EMG step 8: the paper's signature figures (Figs. 1, 2, 4, 5/8, 6, 7) and the EMG-vs-relevance statistics. Thin
entry point."""

from neuromotor.emg.figures import paper_figures
from neuromotor.logs import log_to

log_to(snakemake.log[0])
paper_figures(
    snakemake.params.tasks,
    dict(snakemake.input.items()),
    snakemake.params.threshold,
    dict(snakemake.output.items()),
)
