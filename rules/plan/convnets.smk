# The convnets stage's plan bound to this run's config (included by rules/convnets.smk): constants and thin
# wrappers over neuromotor/convnets/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.convnets import plan as convnets_plan
from neuromotor.convnets.architecture import parse_name as convnets_parse_name
from neuromotor.costs import MAX_MEM_MB as CONVNETS_MAX_MB, MAX_RUNTIME_MIN as CONVNETS_MAX_MIN

CONVNETS = config["convnets"]
CONVNETS_DIR = convnets_plan.CONVNETS_DIR
CONVNETS_SHAPE = convnets_plan.input_shape(PCRT)  # (muscles, steps): which configurations a task's head fits


def convnets_search_settings(wildcards):
    """The config a search job depends on (its family's recipe, seeds, device)."""
    family = convnets_parse_name(wildcards.configuration).architecture.family
    return convnets_plan.job_settings(CONVNETS, family, "search", SEED, wildcards.task)


def convnets_final_settings(wildcards):
    return convnets_plan.job_settings(CONVNETS, wildcards.family, "final", SEED, wildcards.task)


def convnets_part_settings(wildcards):
    w = wildcards
    return convnets_plan.part_settings(
        CONVNETS, w.task, w.input_key, w.family, int(w.rung), int(w.part), SEED, CONVNETS_SHAPE
    )


def convnets_experiment_settings(wildcards):
    return convnets_plan.experiment_settings(CONVNETS, wildcards.experiment, wildcards.family, SEED)


def convnets_summary_inputs(wildcards):
    return convnets_plan.summary_inputs(CONVNETS, wildcards.task, wildcards.input_key, CONVNETS_SHAPE)


def convnets_part_inputs(wildcards):
    """The dataset, and every part directory of the previous rung (the ranking this part's slots come from)."""
    w = wildcards
    previous = convnets_plan.previous_parts(CONVNETS, w.task, w.input_key, w.family, int(w.rung))
    return {"dataset": f"{PCRT_DIR}/dataset.zarr", "previous": previous}


def convnets_final_inputs(wildcards):
    return convnets_plan.final_inputs(CONVNETS, wildcards.family, f"{PCRT_DIR}/dataset.zarr", wildcards.task)


def convnets_experiment_files(experiment, name):
    return convnets_plan.experiment_files(CONVNETS, experiment, name)


def _convnets_search_cost(wildcards):
    arch = convnets_parse_name(wildcards.configuration).architecture
    return convnets_plan.job_resources(CONVNETS, PCRT, arch, wildcards.input_key, "search", task=wildcards.task)


def _convnets_final_cost(wildcards, input):
    """Sized for the winner once the search table is there (before: the costliest sampled configuration)."""
    summary = input.get("summary")
    arch = convnets_plan.final_architecture(CONVNETS, wildcards.family, summary, wildcards.task, CONVNETS_SHAPE)
    input_key = CONVNETS["final"]["input_key"]
    return convnets_plan.job_resources(CONVNETS, PCRT, arch, input_key, "final", task=wildcards.task)


def _convnets_part_cost(wildcards, input):
    w = wildcards
    return convnets_plan.part_cost(
        CONVNETS, PCRT, w.task, w.input_key, w.family, int(w.rung), int(w.part), list(input.previous)
    )


def _convnets_experiment_cost(wildcards):
    return convnets_plan.experiment_cost(CONVNETS, PCRT, wildcards.experiment, wildcards.family)


# Requests grow with the attempt, up to what a cluster accepts (7 days, 64 GB: neuromotor.costs).


def convnets_search_mem_mb(wildcards, attempt):
    return convnets_plan.retry_request(_convnets_search_cost(wildcards)[0], attempt, CONVNETS_MAX_MB)


def convnets_search_runtime(wildcards, attempt):
    return convnets_plan.retry_request(_convnets_search_cost(wildcards)[1], attempt, CONVNETS_MAX_MIN)


def convnets_final_mem_mb(wildcards, input, attempt):
    return convnets_plan.retry_request(_convnets_final_cost(wildcards, input)[0], attempt, CONVNETS_MAX_MB)


def convnets_final_runtime(wildcards, input, attempt):
    return convnets_plan.retry_request(_convnets_final_cost(wildcards, input)[1], attempt, CONVNETS_MAX_MIN)


def convnets_part_mem_mb(wildcards, input, attempt):
    return convnets_plan.retry_request(_convnets_part_cost(wildcards, input)[0], attempt, CONVNETS_MAX_MB)


def convnets_part_runtime(wildcards, input, attempt):
    return convnets_plan.retry_request(_convnets_part_cost(wildcards, input)[1], attempt, CONVNETS_MAX_MIN)


def convnets_experiment_mem_mb(wildcards, attempt):
    return convnets_plan.retry_request(_convnets_experiment_cost(wildcards)[0], attempt, CONVNETS_MAX_MB)


def convnets_experiment_runtime(wildcards, attempt):
    return convnets_plan.retry_request(_convnets_experiment_cost(wildcards)[1], attempt, CONVNETS_MAX_MIN)
