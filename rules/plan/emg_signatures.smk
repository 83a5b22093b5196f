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


def emg_subsample_inputs(wildcards):
    """The task's baseline file and, with subsample.source: files, the original subset file of each subset of the
    job (<directory>/Robustness/<Task>/Data_<Task>_Baseline_Day1_P{k}_N{m}_S{n}.mat)."""
    inputs = {"data": emg_task_file(wildcards)}
    if EMG["subsample"]["source"] != "files":
        return inputs
    directory = EMG["subsample"]["directory"] or EMG["data"]["directory"]
    if not directory:
        raise WorkflowError(
            "config key 'emg_signatures.subsample.directory': required (or "
            "'emg_signatures.data.directory') when 'emg_signatures.subsample.source' is 'files'"
        )
    files, missing = emg_subset_file_paths(directory, wildcards.task, EMG_CHUNKS[int(wildcards.chunk)])
    if missing:
        raise WorkflowError(
            f"config key 'emg_signatures.subsample.directory': {directory} lacks {len(missing)} "
            f"subset file(s) of subsample.source 'files', e.g. {missing[0]}"
        )
    return inputs | {"subsets": files}


def emg_svm_runtime(wildcards, attempt):
    return emg_plan.svm_runtime_min(EMG, attempt)


def emg_network_runtime(wildcards, attempt):
    return emg_plan.network_runtime_min(EMG, attempt)


def emg_network_mem_mb(wildcards, attempt):
    return emg_plan.network_mem_mb(EMG, attempt)


def emg_subsample_runtime(wildcards, attempt):
    return emg_plan.subsample_runtime_min(EMG, EMG_CHUNKS[int(wildcards.chunk)], attempt)


def emg_svm_mem_mb(wildcards, attempt):
    return emg_plan.svm_mem_mb(EMG, attempt)


def emg_subsample_mem_mb(wildcards, attempt):
    return emg_plan.subsample_mem_mb(EMG, attempt)


# The paper's signature figures (Aeles et al. 2021, Figs. 1, 2, 4, 5/8, 6, 7) and the EMG-vs-relevance statistics (Aeles
# et al. 2021, Methods), one job over the tasks whose baseline CV experiment runs (the config check guarantees at least
# one).
from neuromotor.emg import figures as emg_figures
from neuromotor.io.emg_mat import subset_file_paths as emg_subset_file_paths

EMG_FIGURE_TASKS = emg_figures.tasks_with_baseline(EMG_EXPERIMENTS)
EMG_FIGURE_CATEGORY = "EMG signatures (Aeles et al. 2021)"
EMG_FIGURE_CAPTIONS = {
    "fig1": "emg_signatures_fig1.rst",
    "fig2": "emg_signatures_fig2.rst",
    "fig4": "emg_signatures_fig4.rst",
    "fig5": "emg_signatures_fig5_8.rst",
    "fig8": "emg_signatures_fig5_8.rst",
    "fig6": "emg_signatures_fig6.rst",
    "fig7": "emg_signatures_fig7.rst",
}


def emg_figure_output(name, path):
    """A figure of the paper as a report entry under its figure number (the statistics table under Fig. 7)."""
    figure = name.split("_")[0]
    if figure == "statistics":
        return report(
            path,
            caption="../workflow/report/emg_signatures_statistics.rst",
            category=EMG_FIGURE_CATEGORY,
            subcategory="Fig. 7 and EMG-vs-relevance statistics",
        )
    return report(
        path,
        caption=f"../workflow/report/{EMG_FIGURE_CAPTIONS[figure]}",
        category=EMG_FIGURE_CATEGORY,
        subcategory=f"Fig. {figure[3:]}",
    )
