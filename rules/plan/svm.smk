# The svm stage's plan bound to this run's config (included by rules/svm.smk): constants and thin
# wrappers over neuromotor/svm/plan.py for the rules' inputs, params and resources (no rules here).
from neuromotor.svm import plan as svm_plan
from neuromotor.svm.data import INPUTS as SVM_INPUT_SHAPES

SVM = config["svm"]
SVM_DIR = svm_plan.SVM_DIR
SVM_CHUNKS = svm_plan.chunks(SVM, PCRT)


def svm_fit_paths(extension):
    return svm_plan.fit_paths(SVM, len(SVM_CHUNKS), extension)


def svm_solver_fit_paths(wildcards, extension):
    return svm_plan.fit_paths(SVM, len(SVM_CHUNKS), extension, svm_plan.solver_dir(wildcards.solver))


def svm_chunk_pairs(wildcards):
    return [list(pair) for pair in SVM_CHUNKS[int(wildcards.chunk)]]


def svm_fit_params(wildcards):
    return svm_plan.fit_params(SVM, wildcards.variant)


def svm_solver_fit_params(wildcards):
    return svm_plan.fit_params(SVM, wildcards.variant, wildcards.solver)


def svm_fit_latents(wildcards):
    return svm_plan.fit_latents(PCRT, wildcards.variant)


def svm_features_mem_mb(wildcards, attempt):
    return svm_plan.features_mem_mb(PCRT, wildcards.input, attempt)


def svm_fit_mem_mb(wildcards, attempt):
    pairs = SVM_CHUNKS[int(wildcards.chunk)]
    return svm_plan.fit_mem_mb(SVM, PCRT, wildcards.input, wildcards.variant, pairs, attempt)


def svm_fit_runtime(wildcards, attempt):
    pairs = len(SVM_CHUNKS[int(wildcards.chunk)])
    return svm_plan.fit_runtime_min(SVM, PCRT, wildcards.input, wildcards.variant, pairs, attempt)


def svm_solver_fit_runtime(wildcards, attempt):
    """The compared solver's minutes: liblinear's own model, any other solver svm.solver's."""
    pairs = len(SVM_CHUNKS[int(wildcards.chunk)])
    solver = "liblinear" if wildcards.solver == "liblinear" else None
    return svm_plan.fit_runtime_min(SVM, PCRT, wildcards.input, wildcards.variant, pairs, attempt, solver)


def svm_evaluate_mem_mb(wildcards, attempt):
    return svm_plan.evaluate_mem_mb(SVM, PCRT, attempt)


def svm_evaluate_runtime(wildcards, attempt):
    return svm_plan.evaluate_runtime_min(SVM, PCRT, attempt)


def svm_target_inputs():
    """Everything the SVM stage produces (nothing with fewer than 2 labels: no pair to classify)."""
    paths = svm_plan.target_paths(PCRT)
    if not paths:
        print(
            f"svm: config key 'pcrt.labels' holds {len(PCRT['labels'])} label; the SVM stage needs at least 2 "
            "and is skipped",
            file=sys.stderr,
        )
    return paths
