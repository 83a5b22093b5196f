# The neural stage's plan bound to this run's config (included by rules/neural.smk): constants and thin
# wrappers over neuromotor/neural/plan.py for the rules' inputs, params and resources (no rules here). Its config
# check runs with every other study's (neuromotor.config.STUDY_PLANS, rules/common.smk).
from neuromotor.convnets import plan as _neural_convnets_plan
from neuromotor.neural import plan as neural_plan
from neuromotor.neural.findings import scale as neural_scale

NEURAL = config["neural"]
NEURAL_DIR = neural_plan.NEURAL_DIR
NEURAL_CONVNETS = config["convnets"]
NEURAL_REFERENCE = "resources/reference/published.tsv"
NEURAL_FINAL_TABLE = f"{_neural_convnets_plan.CONVNETS_DIR}/final.tsv"
NEURAL_STATES = neural_plan.planned_states(NEURAL, NEURAL_CONVNETS)
NEURAL_PLANT = neural_plan.plant_state(NEURAL, NEURAL_CONVNETS)
NEURAL_PREDICTION = neural_plan.prediction_params(NEURAL)


def neural_session_file(wildcards):
    return neural_plan.session_path(NEURAL, wildcards.session)


def neural_identity(wildcards):
    return neural_plan.identity(NEURAL, dict(wildcards.items()))


def neural_model_files(wildcards):
    return neural_plan.model_files(neural_plan.wildcard_state(dict(wildcards.items())))


def neural_model_mem_mb(wildcards, attempt):
    return neural_plan.model_memory_mb(NEURAL, NEURAL_CONVNETS, dict(wildcards.items())) * attempt


def neural_model_runtime(wildcards, attempt):
    return neural_plan.model_runtime_min(NEURAL, NEURAL_CONVNETS, dict(wildcards.items())) * attempt


def neural_baseline_mem_mb(wildcards, attempt):
    return neural_plan.baseline_memory_mb(NEURAL, wildcards.session) * attempt
