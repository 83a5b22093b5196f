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
inputs, params = snakemake.input, snakemake.params
model_sets = {name: (inputs[f"models_{name}"], key) for name, key in params.model_sets.items()}
rdm_sets = {name: (inputs[f"rdm_{name}"], *model_sets[name]) for name in params.rdm_sets}
measurements = extract.svm_measurements({solver: inputs[f"svm_{solver}"] for solver in params.solvers})
counts = published_parameter_counts(inputs.reference)
measurements += extract.network_measurements(model_sets, list(inputs.search), counts)
measurements += extract.rdm_measurements(rdm_sets)
write_vs_paper(inputs.reference, "deepdraw", measurements, params.scale, out_tsv=snakemake.output.table,
               out_png=snakemake.output.figure, out_html=snakemake.output.html)  # fmt: skip
