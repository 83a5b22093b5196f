"""EEG: one sample's relative band power per channel. Thin entry point; see neuromotor.eeg.report.band_power_sample."""

from neuromotor.eeg.report import band_power_sample
from neuromotor.logs import log_to

log_to(snakemake.log[0])
band_power_sample(
    snakemake.input.dataset,
    subject=int(snakemake.wildcards.subject),
    index=int(snakemake.wildcards.sample),
    out={"figure": snakemake.output.figure, "table": snakemake.output.table},
)
