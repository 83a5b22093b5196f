"""EEG against the paper: LOSO accuracy and the method rankings of the perturbation and deletion tests. Thin entry
point; see neuromotor.fidelity."""

from neuromotor.fidelity import extract
from neuromotor.fidelity.stages import write_vs_paper
from neuromotor.logs import log_to

log_to(snakemake.log[0])
measurements = extract.eeg_measurements(snakemake.input.accuracy, snakemake.input.ranking, snakemake.input.deletion)
write_vs_paper(snakemake.input.reference, "eeg", measurements, snakemake.params.scale, out_tsv=snakemake.output.table,
               out_png=snakemake.output.figure, out_html=snakemake.output.html)  # fmt: skip
