"""EMG signatures against the paper: identification accuracy and the subject-count robustness. Thin entry point; see
neuromotor.fidelity."""

from neuromotor.fidelity import extract
from neuromotor.fidelity.stages import write_vs_paper
from neuromotor.logs import log_to

log_to(snakemake.log[0])
robustness = dict(zip(snakemake.params.tasks, snakemake.input.robustness))
measurements = extract.emg_measurements(snakemake.input.accuracy, robustness, snakemake.params.participants)
write_vs_paper(snakemake.input.reference, "emg_signatures", measurements, snakemake.params.scale,
               out_tsv=snakemake.output.table, out_png=snakemake.output.figure, out_html=snakemake.output.html)  # fmt: skip
