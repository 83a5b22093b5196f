"""Report figures of the pairwise SVM analysis. Thin entry point; the drawing is in neuromotor.plots.svm."""

from neuromotor.logs import log_to
from neuromotor.svm.stages import make_figures

log_to(snakemake.log[0])
make_figures(
    snakemake.input.pairwise,
    snakemake.input.multiclass,
    labels=snakemake.params.labels,
    circle_threshold=snakemake.params.circle_threshold,
    out=dict(snakemake.output.items()),
)
