# The fidelity stage's plan bound to this run's config (included by rules/fidelity.smk): constants and thin
# wrappers over neuromotor/fidelity/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.fidelity import extract as fidelity_extract
from neuromotor.fidelity import plan as fidelity_plan

FIDELITY_REFERENCE = fidelity_plan.REFERENCE
FIDELITY_CATEGORY = "Comparison with the papers"


def fidelity_outputs(study):
    """The vs_paper table (TSV and HTML) and figure of a study, the HTML and figure registered with the report."""
    paths = fidelity_plan.output_paths(study)
    caption = "../workflow/report/vs_paper.rst"
    registered = {
        key: report(paths[key], caption=caption, category=FIDELITY_CATEGORY, subcategory=study)
        for key in ("html", "figure")
    }
    return {"table": paths["table"], **registered}


def fidelity_svm_summaries():
    return svm_plan.summary_paths(SVM, PCRT)


def fidelity_model_sets():
    return fidelity_plan.model_sets(CONVNETS)


def fidelity_rdm_sets():
    return fidelity_plan.rdm_sets(REPRESENT, CONVNETS)


def fidelity_deepdraw_inputs():
    return fidelity_plan.deepdraw_inputs(SVM, PCRT, CONVNETS, REPRESENT)
