"""KD report figures: per-subject accuracy box plot and test accuracy per epoch. Thin entry point; the drawing is
in neuromotor.plots.kd."""

from neuromotor.kd.stages import make_figures
from neuromotor.logs import log_to

log_to(snakemake.log[0])
make_figures(
    snakemake.input.subjects,
    [(model, condition, path) for (model, condition), path in zip(snakemake.params.runs, snakemake.input.epochs)],
    out=dict(snakemake.output.items()),
)
