# The kd stage's plan bound to this run's config (included by rules/kd.smk): constants and thin
# wrappers over neuromotor/kd/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.kd import plan as kd_plan

KD = config["kd"]
KD_DIR = kd_plan.KD_DIR
KD_SYNTHETIC_DIR = kd_plan.SYNTHETIC_DIR
KD_WILDCARDS = kd_plan.WILDCARDS
try:  # the config and the files are checked (neuromotor.config); this names an error all the same
    KD_LAYOUT = kd_plan.kd_layout(KD)
    KD_SUBJECT_FILES = kd_plan.subject_files(KD)
except ConfigError as error:
    raise WorkflowError(str(error)) from None


def kd_subject_files(wildcards):
    try:
        return kd_plan.subject_inputs(KD_SUBJECT_FILES, int(wildcards.subject))
    except ConfigError as error:
        raise WorkflowError(str(error)) from None


def kd_text_mem_mb(wildcards, attempt):
    return kd_plan.text_mem_mb(KD, KD_LAYOUT, attempt)


def kd_train_mem_mb(wildcards, modality, teacher=False):
    return kd_plan.train_mem_mb(wildcards.model, modality, KD_LAYOUT, KD["train"]["batch_size"], teacher)


def kd_train_minutes(wildcards, modality, teacher=False):
    teacher_modality = "US" if teacher else ""
    return kd_plan.train_minutes(
        wildcards.model, modality, KD_LAYOUT, KD["train"]["epochs"], kd_plan.GFLOPS, teacher_modality
    )


def kd_distillation(wildcards):
    try:
        return kd_plan.distillation_setting(KD, wildcards.alpha, wildcards.T)
    except ConfigError as error:
        raise WorkflowError(str(error)) from None


def kd_collect_inputs(wildcards):
    """result.tsv of every (subject, fold) of one (model, condition)."""
    if "alpha" in wildcards.keys():
        condition = f"EMG_KD_a{wildcards.alpha}_T{wildcards.T}"
    else:
        condition = wildcards.modality
    return kd_plan.collect_inputs(KD, len(KD_SUBJECT_FILES), wildcards.model, condition)


KD_RUNS = kd_plan.runs(KD, len(KD_SUBJECT_FILES))
