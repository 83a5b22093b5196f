# The emg_signatures stage's plan bound to this run's config (included by rules/emg_signatures.smk): constants and thin
# wrappers over neuromotor/emg/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.emg import plan as emg_plan
from neuromotor.emg.catalogue import MODELS as EMG_MODELS

EMG = config["emg_signatures"]
EMG_DIR = emg_plan.EMG_DIR
EMG_CONDITIONS = EMG["data"]["conditions"]
EMG_EXPERIMENTS = emg_plan.experiment_names(EMG)
EMG_COMPARISONS = emg_plan.comparisons(EMG["comparisons"], EMG_CONDITIONS)
EMG_TASKS = emg_plan.subsample_tasks(EMG)
EMG_CHUNKS = emg_plan.subsample_chunks(EMG)
EMG_PARTICIPANTS = emg_plan.participant_count(EMG)


def _emg_planned(function, *args):
    """A neuromotor.emg.plan function of this run's config, its ConfigError as Snakemake's error."""
    try:
        return function(*args)
    except ConfigError as error:
        raise WorkflowError(str(error)) from None


def emg_data_file(condition):
    return _emg_planned(emg_plan.data_file, EMG, condition)


def emg_experiment_files(wildcards):
    """The condition files of one experiment, by condition."""
    experiment = emg_plan.experiment(wildcards.experiment)
    return {condition: emg_data_file(condition) for condition in experiment.conditions}


def emg_task_file(wildcards):
    """The baseline condition file of a subsample task."""
    return emg_data_file(emg_plan.TASKS[wildcards.task][1])


def emg_signature_inputs(wildcards):
    return _emg_planned(emg_plan.signature_inputs, EMG, wildcards.experiment)


def emg_robustness_inputs(wildcards):
    return emg_plan.robustness_inputs(EMG, wildcards.task)


def emg_run_params(wildcards):
    return emg_plan.run_params(EMG, wildcards.model)


def emg_subsample_items(wildcards):
    return [list(item) for item in EMG_CHUNKS[int(wildcards.chunk)]]


def emg_svm_runtime(wildcards, attempt):
    return emg_plan.svm_runtime_min(EMG, attempt)


def emg_network_runtime(wildcards, attempt):
    return emg_plan.network_runtime_min(EMG, attempt)


def emg_network_mem_mb(wildcards, attempt):
    return emg_plan.network_mem_mb(EMG, attempt)


def emg_subsample_runtime(wildcards, attempt):
    return emg_plan.subsample_runtime_min(EMG, len(EMG_CHUNKS[int(wildcards.chunk)]), attempt)
