# The representations stage's plan bound to this run's config (included by rules/representations.smk): constants and thin
# wrappers over neuromotor/represent/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.represent import plan as represent_plan

REPRESENT = config["representations"]
REPRESENT_DIR = represent_plan.REPRESENT_DIR
REPRESENT_STATES = represent_plan.planned_states(REPRESENT, CONVNETS)
REPRESENT_CKA = represent_plan.cka_jobs(REPRESENT, CONVNETS)
REPRESENT_TASKS, REPRESENT_FAMILIES, REPRESENT_SEEDS = represent_plan.analysed(REPRESENT, CONVNETS)
REPRESENT_N_RDM = represent_plan.rdm_sample_size(REPRESENT, PCRT)
REPRESENT_EXPERIMENTS = represent_plan.experiment_states(REPRESENT, CONVNETS)


def represent_inputs_mem_mb(wildcards, attempt):
    return represent_plan.inputs_memory_mb(REPRESENT_N_RDM) * attempt


def represent_inputs_runtime(wildcards, attempt):
    return represent_plan.inputs_runtime_min(REPRESENT_N_RDM) * attempt


def represent_model_files(wildcards):
    folder = represent_plan.model_dir(wildcards.task, wildcards.family, wildcards.seed)
    return represent_plan.model_files(folder, wildcards.state)


def represent_experiment_model_files(wildcards):
    w = wildcards
    folder = represent_plan.experiment_model_dir(w.experiment, w.task, w.family, w.seed)
    return represent_plan.model_files(folder, w.state)


def represent_experiment_paths(experiment, name):
    """``name`` (a file of a model state's folder) for every model state of an analysed experiment."""
    return [
        f"{represent_plan.experiment_state_dir(experiment, state)}/{name}"
        for state in REPRESENT_EXPERIMENTS[experiment]
    ]


def represent_state_paths(name):
    """``name`` (a file of a model state's folder) for every analysed model state."""
    return [f"{represent_plan.state_dir(state)}/{name}" for state in REPRESENT_STATES]


def represent_cka_inputs(wildcards):
    return represent_plan.cka_inputs(REPRESENT, CONVNETS, wildcards.family, wildcards.seed)


def represent_sweep_inputs(wildcards):
    return represent_plan.sweep_inputs(wildcards.input_key, wildcards.configuration)


def represent_sweep_family(wildcards):
    return convnets_parse_name(wildcards.configuration).architecture.family


def represent_sweep_mem_mb(wildcards, input, attempt):
    family = represent_sweep_family(wildcards)
    floats = represent_plan.layer_floats(input.art_config, family, CONVNETS)
    n = represent_plan.subset_size(REPRESENT, family, PCRT["assembly"]["n_test"])
    return represent_plan.sweep_memory_mb(floats, n, REPRESENT["activations"]["batch_size"]) * attempt


def _represent_size(wildcards, store=None, config_json=None):
    return represent_plan.job_size(REPRESENT, CONVNETS, PCRT, wildcards.family, store, config_json)


def represent_network_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, config_json=input.config)
    batch = REPRESENT["activations"]["batch_size"]
    return represent_plan.network_memory_mb(floats, n, REPRESENT_N_RDM, batch) * attempt


def represent_network_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, config_json=input.config)
    return represent_plan.network_runtime_min(floats, n, REPRESENT_N_RDM) * attempt


def represent_units_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.store)
    return represent_plan.units_memory_mb(floats, n) * attempt


def represent_units_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.store)
    return represent_plan.units_runtime_min(floats, n, REPRESENT["tuning"]["labels"]) * attempt


def represent_cka_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.stores[0])
    return represent_plan.cka_memory_mb(floats, n, len(input.stores)) * attempt


def represent_cka_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.stores[0])
    return represent_plan.cka_runtime_min(floats, n, len(input.stores)) * attempt


def represent_target_inputs():
    """The summary tables and figures, and the RDM analyses of representations.experiments (a note when no final
    model is analysed)."""
    paths = represent_plan.target_paths(REPRESENT, CONVNETS)
    if not REPRESENT_STATES:
        print(
            "representations: no final model of convnets.final matches representations.tasks/families/seeds; "
            + ("only representations.experiments are analysed" if paths else "the stage is skipped"),
            file=sys.stderr,
        )
    return paths
