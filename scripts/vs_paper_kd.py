"""KD against the paper: the 5 x 2 table, Wilcoxon flags, teacher and KD orderings. Thin entry point; see
neuromotor.fidelity."""

from neuromotor.fidelity import extract
from neuromotor.fidelity.stages import write_vs_paper
from neuromotor.logs import log_to

log_to(snakemake.log[0])
measurements = extract.kd_measurements(snakemake.input.table, snakemake.input.subjects,
                                       gestures=snakemake.params.scale["gestures"])
write_vs_paper(snakemake.input.reference, "kd", measurements, snakemake.params.scale, out_tsv=snakemake.output.table,
               out_png=snakemake.output.figure, out_html=snakemake.output.html)  # fmt: skip
