# The pcrt stage's plan bound to this run's config (included by rules/pcrt.smk): constants and thin
# wrappers over neuromotor/pcrt/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.pcrt import plan as pcrt_plan

PCRT_DIR = pcrt_plan.PCRT_DIR


def _pcrt_planned(function, *args):
    """A neuromotor.pcrt.plan function of this run's config, its ConfigError as Snakemake's error."""
    try:
        return function(*args)
    except ConfigError as error:
        raise WorkflowError(str(error)) from None


def pcrt_shard_paths():
    return pcrt_plan.shard_paths(PCRT)


def pcrt_surrogate_path():
    return _pcrt_planned(pcrt_plan.surrogate_path, PCRT, SEED, config["data"])


PCRT_MUSCLE = _pcrt_planned(pcrt_plan.muscle_plan, PCRT, SEED, config["data"])  # pcrt.muscle.backend's files


def pcrt_muscle_inputs(wildcards):
    return PCRT_MUSCLE.inputs


def pcrt_character_inputs(wildcards):
    return pcrt_plan.character_inputs(PCRT)


def pcrt_startpoint_inputs(wildcards):
    return pcrt_plan.startpoint_inputs(PCRT)


def pcrt_dataset_inputs(wildcards):
    return pcrt_plan.dataset_inputs(PCRT)


def pcrt_dataset_mem_mb(wildcards, attempt):
    return pcrt_plan.dataset_job_mem_mb(PCRT, attempt)


def pcrt_generate_runtime(wildcards, attempt):
    return pcrt_plan.generate_runtime_min(PCRT, attempt)
