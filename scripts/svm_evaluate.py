"""SVM stage 3: test accuracies, multiclass voting, summary and decision values. Thin entry point; see
neuromotor.svm.stages."""

from neuromotor.logs import log_to
from neuromotor.svm.stages import evaluate

log_to(snakemake.log[0])
svm = snakemake.params.svm
evaluate(
    snakemake.input.dataset,
    tables=list(snakemake.input.tables),
    weights=list(snakemake.input.weights),
    inputs=svm["inputs"],
    variants=svm["variants"],
    pairs=svm["pairs"],
    suppressed=svm["suppressed"],
    latent_values=svm["latents"],
    out_pairwise=snakemake.output.pairwise,
    out_multiclass=snakemake.output.multiclass,
    out_summary=snakemake.output.summary,
    out_decisions=snakemake.output.decisions,
)
