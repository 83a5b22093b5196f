"""DeepDraw against the paper: SVM (per solver), networks, representations. Thin entry point; see
neuromotor.fidelity."""

from neuromotor.fidelity import extract
from neuromotor.fidelity.reference import load_reference
from neuromotor.fidelity.stages import write_vs_paper
from neuromotor.logs import log_to


def published_parameter_counts(reference):
    """(configuration, input_key) -> the count of that architecture as this code builds it (conv kernels only)."""
    from neuromotor.convnets.architecture import parse_name
    from neuromotor.convnets.models import build_network, network_config, parameter_counts

    counts = {}
    for row in load_reference(reference, "deepdraw"):
        condition = dict(row.condition)
        if row.quantity == "parameter_count":
            arch = parse_name(condition["configuration"]).architecture
            model = build_network(network_config(arch, "art", condition["input_key"]))
            counts[(condition["configuration"], condition["input_key"])] = parameter_counts(model)["original"]
    return counts


log_to(snakemake.log[0])
inputs = snakemake.input
final = inputs.get("final") if "final" in inputs.keys() else None
rdm = inputs.get("rdm") if "rdm" in inputs.keys() else None
scale = dict(snakemake.params.scale) | extract.final_configurations(final)
measurements = extract.svm_measurements({solver: inputs[f"svm_{solver}"] for solver in snakemake.params.solvers})
measurements += extract.network_measurements(
    final, snakemake.params.final_input_key, list(inputs.search), published_parameter_counts(inputs.reference)
)
measurements += extract.rdm_measurements(rdm)
write_vs_paper(inputs.reference, "deepdraw", measurements, scale, out_tsv=snakemake.output.table,
               out_png=snakemake.output.figure, out_html=snakemake.output.html)  # fmt: skip
