# EMG signatures (Aeles et al. 2021): condition files -> every (experiment, model): 10 folds (or one transfer
# part) with LRP relevance -> accuracy, per-participant signatures -> subject-count subsets -> robustness curves;
# signatures compared across conditions.


include: "plan/emg_signatures.smk"


rule emg_synthetic:
    output:
        mats=[f"{EMG_DIR}/data/{emg_plan.CONDITIONS[c]}.mat" for c in EMG_CONDITIONS],
        planted=directory(f"{EMG_DIR}/data/planted.zarr"),
    log:
        "logs/emg_signatures/synthetic.log",
    benchmark:
        "benchmarks/emg_signatures/synthetic.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        conditions=EMG_CONDITIONS,
        synthetic=EMG["synthetic"],
        seed=SEED,
    script:
        "../scripts/emg_synthetic.py"


rule emg_run_svm:
    input:
        unpack(emg_experiment_files),
    output:
        relevance=directory(f"{EMG_DIR}/runs/{{experiment}}/{{model}}/relevance.zarr"),
        checkpoints=directory(f"{EMG_DIR}/runs/{{experiment}}/{{model}}/checkpoints"),
        scores=f"{EMG_DIR}/runs/{{experiment}}/{{model}}/scores.json",
    log:
        "logs/emg_signatures/runs/{experiment}_{model}.log",
    benchmark:
        "benchmarks/emg_signatures/runs/{experiment}_{model}.tsv"
    wildcard_constraints:
        experiment="|".join(e.name for e in emg_plan.EXPERIMENTS),
        model="|".join(m for m, spec in EMG_MODELS.items() if not spec.trained_by_sgd),
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=emg_svm_mem_mb,
        runtime=emg_svm_runtime,
    params:
        emg=emg_run_params,
        seed=SEED,
    script:
        "../scripts/emg_run.py"


rule emg_run_network:
    input:
        unpack(emg_experiment_files),
    output:
        relevance=directory(f"{EMG_DIR}/runs/{{experiment}}/{{model}}/relevance.zarr"),
        checkpoints=directory(f"{EMG_DIR}/runs/{{experiment}}/{{model}}/checkpoints"),
        scores=f"{EMG_DIR}/runs/{{experiment}}/{{model}}/scores.json",
    log:
        "logs/emg_signatures/runs/{experiment}_{model}.log",
    benchmark:
        "benchmarks/emg_signatures/runs/{experiment}_{model}.tsv"
    wildcard_constraints:
        experiment="|".join(e.name for e in emg_plan.EXPERIMENTS),
        model="|".join(m for m, spec in EMG_MODELS.items() if spec.trained_by_sgd),
    conda:
        "../envs/neuromotor.yaml"
    threads: EMG["training"]["threads"]
    resources:
        mem_mb=emg_network_mem_mb,
        runtime=emg_network_runtime,
        gpu=1,
    params:
        emg=emg_run_params,
        seed=SEED,
    script:
        "../scripts/emg_run.py"


rule emg_accuracy:
    input:
        emg_plan.run_paths(EMG, "scores.json"),
    output:
        table=f"{EMG_DIR}/accuracy.tsv",
        summary=f"{EMG_DIR}/accuracy_summary.tsv",
        figure=report(
            f"{EMG_DIR}/figures/accuracy.png",
            caption="../workflow/report/emg_signatures_accuracy.rst",
            category="EMG signatures (Aeles et al. 2021)",
            subcategory="Identification accuracy (results text)",
        ),
    log:
        "logs/emg_signatures/accuracy.log",
    benchmark:
        "benchmarks/emg_signatures/accuracy.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/emg_accuracy.py"


rule emg_signature:
    input:
        unpack(emg_signature_inputs),
    output:
        store=directory(f"{EMG_DIR}/signatures/{{experiment}}.zarr"),
        table=f"{EMG_DIR}/signatures/{{experiment}}.tsv",
        figure=report(
            f"{EMG_DIR}/figures/signatures_{{experiment}}.png",
            caption="../workflow/report/emg_signatures_signatures.rst",
            category="EMG signatures (Aeles et al. 2021)",
            subcategory="Relevance heatmaps (no paper figure)",
        ),
    log:
        "logs/emg_signatures/signatures_{experiment}.log",
    benchmark:
        "benchmarks/emg_signatures/signatures_{experiment}.tsv"
    wildcard_constraints:
        experiment="|".join(e.name for e in emg_plan.EXPERIMENTS),
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        signatures=EMG["signatures"],
    script:
        "../scripts/emg_signature.py"


rule emg_subsample:
    input:
        unpack(emg_subsample_inputs),
    output:
        directory(f"{EMG_DIR}/subsample/{{task}}/chunk{{chunk}}.zarr"),
    log:
        "logs/emg_signatures/subsample/{task}_chunk{chunk}.log",
    benchmark:
        "benchmarks/emg_signatures/subsample/{task}_chunk{chunk}.tsv"
    wildcard_constraints:
        task="|".join(emg_plan.TASKS),
        chunk=r"\d{3}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=emg_subsample_mem_mb,
        runtime=emg_subsample_runtime,
    params:
        subsets=emg_subsample_items,
        emg={
            "split_seed": EMG["split_seed"],
            "signatures": {"model": EMG["signatures"]["model"]},
            "subsample": {"fit": EMG["subsample"]["fit"], "source": EMG["subsample"]["source"]},
        },
        seed=SEED,
    script:
        "../scripts/emg_subsample.py"


rule emg_robustness:
    input:
        unpack(emg_robustness_inputs),
    output:
        table=f"{EMG_DIR}/robustness/{{task}}.tsv",
        figure=report(
            f"{EMG_DIR}/figures/robustness_{{task}}.png",
            caption="../workflow/report/emg_signatures_robustness.rst",
            category="EMG signatures (Aeles et al. 2021)",
            subcategory="Fig. 3",
        ),
    log:
        "logs/emg_signatures/robustness_{task}.log",
    benchmark:
        "benchmarks/emg_signatures/robustness_{task}.tsv"
    wildcard_constraints:
        task="|".join(emg_plan.TASKS),
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        targets=emg_plan.subsample_targets(EMG),
        sizes=EMG["subsample"]["sizes"],
        repetitions=EMG["subsample"]["repetitions"],
    script:
        "../scripts/emg_robustness.py"


rule emg_cross_condition:
    input:
        **emg_plan.comparison_stores(EMG),
    output:
        table=f"{EMG_DIR}/cross_condition.tsv",
        figure=report(
            f"{EMG_DIR}/figures/cross_condition.png",
            caption="../workflow/report/emg_signatures_cross_condition.rst",
            category="EMG signatures (Aeles et al. 2021)",
            subcategory="Across conditions and days (results text)",
        ),
    log:
        "logs/emg_signatures/cross_condition.log",
    benchmark:
        "benchmarks/emg_signatures/cross_condition.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        comparisons=EMG_COMPARISONS,
    script:
        "../scripts/emg_cross_condition.py"


rule emg_paper_figures:
    input:
        **emg_figures.inputs(EMG_DIR, EMG_FIGURE_TASKS, EMG["signatures"]["model"], emg_data_file),
    output:
        **{name: emg_figure_output(name, path) for name, path in emg_figures.outputs(EMG_DIR, EMG_FIGURE_TASKS).items()},
    log:
        "logs/emg_signatures/paper_figures.log",
    benchmark:
        "benchmarks/emg_signatures/paper_figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        tasks=EMG_FIGURE_TASKS,
        threshold=EMG["signatures"]["relevance_threshold"],
    script:
        "../scripts/emg_paper_figures.py"


rule emg_signatures:
    input:
        emg_plan.target_paths(EMG),
        list(emg_figures.outputs(EMG_DIR, EMG_FIGURE_TASKS).values()),
