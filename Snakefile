# neuromotor: one workflow for four neuromotor studies. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/pcrt.smk"
include: "rules/svm.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        rules.pcrt.input,
        rules.svm.input,
