"""EEG stage 6: report figures. Thin entry point; the drawing is in neuromotor.plots.eeg."""

from neuromotor.eeg.report import make_figures
from neuromotor.logs import log_to

log_to(snakemake.log[0])
make_figures(
    snakemake.input.dataset,
    tables={
        key: snakemake.input[key] for key in ("accuracy", "ranking", "channel_relevance", "perturbation", "deletion")
    },
    eeg=snakemake.params.eeg,
    out=dict(snakemake.output.items()),
)
