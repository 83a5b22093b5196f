# neuromotor: one workflow for four neuromotor studies. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/pcrt.smk"
include: "rules/svm.smk"
include: "rules/convnets.smk"
include: "rules/representations.smk"
include: "rules/emg_signatures.smk"
include: "rules/kd.smk"
include: "rules/eeg.smk"
include: "rules/fidelity.smk"
include: "rules/neural.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        rules.pcrt.input,
        rules.svm.input,
        rules.convnets.input,
        rules.representations.input,
        rules.emg_signatures.input,
        rules.kd.input,
        rules.eeg.input,
        rules.vs_paper.input,
