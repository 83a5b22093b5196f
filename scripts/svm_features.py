"""SVM stage 1: one input's training samples grouped by label. Thin entry point; see neuromotor.svm.stages."""

from neuromotor.logs import log_to
from neuromotor.svm.stages import make_features

log_to(snakemake.log[0])
make_features(snakemake.input[0], snakemake.wildcards.input, snakemake.output[0])
