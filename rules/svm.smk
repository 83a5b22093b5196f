# Pairwise linear SVMs on the PCRT inputs (Sandbrink et al. 2023): features -> fits (per input, variant, pairs) ->
# evaluation -> figures.


include: "plan/svm.smk"


rule svm_features:
    input:
        f"{PCRT_DIR}/dataset.zarr",
    output:
        directory(f"{SVM_DIR}/features/{{input}}.zarr"),
    log:
        "logs/svm/features_{input}.log",
    benchmark:
        "benchmarks/svm/features_{input}.tsv"
    wildcard_constraints:
        input="|".join(SVM_INPUT_SHAPES),
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=svm_features_mem_mb,
        runtime=lambda wc, attempt: 20 * attempt,
    script:
        "../scripts/svm_features.py"


rule svm_fit:
    input:
        f"{SVM_DIR}/features/{{input}}.zarr",
    output:
        table=f"{SVM_DIR}/fits/{{input}}/{{variant}}/pairs{{chunk}}.tsv",
        weights=directory(f"{SVM_DIR}/fits/{{input}}/{{variant}}/pairs{{chunk}}.zarr"),
    log:
        "logs/svm/fit/{input}_{variant}_pairs{chunk}.log",
    benchmark:
        "benchmarks/svm/fit/{input}_{variant}_pairs{chunk}.tsv"
    wildcard_constraints:
        input="|".join(SVM_INPUT_SHAPES),
        variant="full|suppressed",
        chunk=r"\d{3}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=svm_fit_mem_mb,
        runtime=svm_fit_runtime,
    params:
        svm=svm_fit_params,
        pairs=svm_chunk_pairs,
        latents=svm_fit_latents,
    script:
        "../scripts/svm_fit.py"


rule svm_evaluate:
    input:
        dataset=f"{PCRT_DIR}/dataset.zarr",
        tables=svm_fit_paths("tsv"),
        weights=svm_fit_paths("zarr"),
    output:
        pairwise=f"{SVM_DIR}/pairwise.tsv",
        multiclass=f"{SVM_DIR}/multiclass.tsv",
        summary=f"{SVM_DIR}/summary.tsv",
        decisions=directory(f"{SVM_DIR}/decisions.zarr"),
    log:
        "logs/svm/evaluate.log",
    benchmark:
        "benchmarks/svm/evaluate.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=svm_evaluate_mem_mb,
        runtime=svm_evaluate_runtime,
    params:
        svm=svm_plan.evaluate_params(SVM, PCRT),
    script:
        "../scripts/svm_evaluate.py"


rule svm_figures:
    input:
        pairwise=f"{SVM_DIR}/pairwise.tsv",
        multiclass=f"{SVM_DIR}/multiclass.tsv",
        summary=f"{SVM_DIR}/summary.tsv",
    output:
        pairwise_matrix=report(
            f"{SVM_DIR}/figures/pairwise_matrix.png",
            caption="../workflow/report/svm_pairwise_matrix.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 3",
        ),
        multiclass=report(
            f"{SVM_DIR}/figures/multiclass.png",
            caption="../workflow/report/svm_multiclass.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 3",
        ),
        circle=report(
            f"{SVM_DIR}/figures/circle.png",
            caption="../workflow/report/svm_circle.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 3",
        ),
        pairwise_distribution=report(
            f"{SVM_DIR}/figures/pairwise_distribution.png",
            caption="../workflow/report/svm_pairwise_distribution.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 3",
        ),
    log:
        "logs/svm/figures.log",
    benchmark:
        "benchmarks/svm/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        circle_threshold=SVM["circle_threshold"],
        labels=PCRT["labels"],
    script:
        "../scripts/svm_figures.py"


rule svm:
    input:
        svm_target_inputs(),


# ---- solver comparison (svm.compare_solvers, issue 14): the same fits with another solver, own folder -------------


rule svm_fit_solver:
    input:
        f"{SVM_DIR}/features/{{input}}.zarr",
    output:
        table=f"{SVM_DIR}/solvers/{{solver}}/fits/{{input}}/{{variant}}/pairs{{chunk}}.tsv",
        weights=directory(f"{SVM_DIR}/solvers/{{solver}}/fits/{{input}}/{{variant}}/pairs{{chunk}}.zarr"),
    log:
        "logs/svm/solvers/{solver}/fit/{input}_{variant}_pairs{chunk}.log",
    benchmark:
        "benchmarks/svm/solvers/{solver}/fit/{input}_{variant}_pairs{chunk}.tsv"
    wildcard_constraints:
        solver="exact|liblinear",
        input="|".join(SVM_INPUT_SHAPES),
        variant="full|suppressed",
        chunk=r"\d{3}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=svm_fit_mem_mb,
        runtime=svm_solver_fit_runtime,
    params:
        svm=svm_solver_fit_params,
        pairs=svm_chunk_pairs,
        latents=svm_fit_latents,
    script:
        "../scripts/svm_fit.py"


rule svm_evaluate_solver:
    input:
        dataset=f"{PCRT_DIR}/dataset.zarr",
        tables=lambda wc: svm_solver_fit_paths(wc, "tsv"),
        weights=lambda wc: svm_solver_fit_paths(wc, "zarr"),
    output:
        pairwise=f"{SVM_DIR}/solvers/{{solver}}/pairwise.tsv",
        multiclass=f"{SVM_DIR}/solvers/{{solver}}/multiclass.tsv",
        summary=f"{SVM_DIR}/solvers/{{solver}}/summary.tsv",
        decisions=directory(f"{SVM_DIR}/solvers/{{solver}}/decisions.zarr"),
    log:
        "logs/svm/solvers/{solver}/evaluate.log",
    benchmark:
        "benchmarks/svm/solvers/{solver}/evaluate.tsv"
    wildcard_constraints:
        solver="exact|liblinear",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=svm_evaluate_mem_mb,
        runtime=svm_evaluate_runtime,
    params:
        svm=svm_plan.evaluate_params(SVM, PCRT),
    script:
        "../scripts/svm_evaluate.py"
