"""KD stage 2: read one subject's EMG and US text files, normalise, window and pair them into a zarr store.
Thin entry point; see neuromotor.kd.stages.prepare_subject."""

from neuromotor.kd.data import Layout
from neuromotor.kd.stages import prepare_subject
from neuromotor.logs import log_to

log_to(snakemake.log[0])
prepare_subject(
    snakemake.input.emg,
    snakemake.input.us,
    Layout.from_config(snakemake.params.layout),
    snakemake.params.data,
    snakemake.output[0],
    subject=int(snakemake.wildcards.subject),
)
