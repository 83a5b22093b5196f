"""KD stage 1 (default config): one synthetic subject's EMG and US text files in the original layout. Thin entry
point; see neuromotor.kd.synthetic."""

from neuromotor.kd.data import Layout
from neuromotor.kd.stages import write_synthetic_subject
from neuromotor.kd.synthetic import SyntheticSpec
from neuromotor.logs import log_to

log_to(snakemake.log[0])
write_synthetic_subject(
    snakemake.params.subject,
    Layout.from_config(snakemake.params.layout),
    SyntheticSpec.from_config(snakemake.params.synthetic),
    snakemake.params.seed,
    out_emg=snakemake.output.emg,
    out_us=snakemake.output.us,
)
