# The eeg stage's plan bound to this run's config (included by rules/eeg.smk): constants and thin
# wrappers over neuromotor/eeg/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.eeg import plan as eeg_plan

EEG = config["eeg"]
EEG_DIR = eeg_plan.EEG_DIR
EEG_CHUNKS = eeg_plan.method_chunks(EEG["attribution"]["methods"], EEG["attribution"]["methods_per_job"])


def eeg_checkpoint(wildcards):
    return eeg_plan.checkpoint_path(EEG, wildcards.model, int(wildcards.subject))


def eeg_chunk_methods(wildcards):
    return EEG_CHUNKS[int(wildcards.chunk)]


def eeg_mem_mb(wildcards, attempt):
    return eeg_plan.mem_mb(EEG, attempt)


def eeg_attribute_runtime(wildcards, attempt):
    return eeg_plan.attribute_runtime_min(len(EEG_CHUNKS[int(wildcards.chunk)]), attempt)
