# PCRT convnets (Sandbrink et al. 2023): search (run x family x configuration; or, for successive halving, run x family
# x rung x part) -> search tables -> final models (task x family x seed, the family's best ART configuration, with
# their untrained controls) -> figures; the model sets of convnets.experiments (pinned, with controls) -> their tables.


include: "plan/convnets.smk"


rule convnets_search:
    input:
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        init=f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/{{configuration}}/init.pt",
        best=f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/{{configuration}}/best.pt",
        config=f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/{{configuration}}/config.json",
        metrics=f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/{{configuration}}/metrics.json",
        history=f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/{{configuration}}/history.tsv",
    log:
        "logs/convnets/search/{task}_{input_key}_{configuration}.log",
    benchmark:
        "benchmarks/convnets/search/{task}_{input_key}_{configuration}.tsv"
    wildcard_constraints:
        task=convnets_plan.TASK_PATTERN,
        input_key="spindle_info|spindle_firing",
        configuration=r"(spatial_temporal|temporal_spatial|spatiotemporal|lstm)_\d[\d_-]*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=convnets_search_mem_mb,
        runtime=convnets_search_runtime,
        gpu=1,
    params:
        settings=convnets_search_settings,
    script:
        "../scripts/convnets_search.py"


rule convnets_search_part:
    input:
        unpack(convnets_part_inputs),
    output:
        directory(f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/rungs/{{family}}/rung{{rung}}/part{{part}}"),
    log:
        "logs/convnets/search/{task}_{input_key}_{family}_rung{rung}_part{part}.log",
    benchmark:
        "benchmarks/convnets/search/{task}_{input_key}_{family}_rung{rung}_part{part}.tsv"
    wildcard_constraints:
        task=convnets_plan.TASK_PATTERN,
        input_key="spindle_info|spindle_firing",
        family="S|TS|ST|LSTM",
        rung=r"\d+",
        part=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=convnets_part_mem_mb,
        runtime=convnets_part_runtime,
        gpu=1,
    params:
        settings=convnets_part_settings,
    script:
        "../scripts/convnets_part.py"


rule convnets_summary:
    input:
        convnets_summary_inputs,
    output:
        f"{CONVNETS_DIR}/{{task}}/search/{{input_key}}/summary.tsv",
    log:
        "logs/convnets/summary_{task}_{input_key}.log",
    benchmark:
        "benchmarks/convnets/summary_{task}_{input_key}.tsv"
    wildcard_constraints:
        task=convnets_plan.TASK_PATTERN,
        input_key="spindle_info|spindle_firing",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/convnets_summary.py"


rule convnets_final:
    input:
        unpack(convnets_final_inputs),
    output:
        **convnets_plan.control_output(CONVNETS),
        init=f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/init.pt",
        best=f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/best.pt",
        config=f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/config.json",
        metrics=f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/metrics.json",
        history=f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/history.tsv",
    log:
        "logs/convnets/final/{task}_{family}_seed{seed}.log",
    benchmark:
        "benchmarks/convnets/final/{task}_{family}_seed{seed}.tsv"
    wildcard_constraints:
        task=convnets_plan.TASK_PATTERN,
        family="S|TS|ST|LSTM",
        seed=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=convnets_final_mem_mb,
        runtime=convnets_final_runtime,
        gpu=1,
    params:
        settings=convnets_final_settings,
    script:
        "../scripts/convnets_final.py"


rule convnets_experiment:
    input:
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        control=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/control_metrics.json",
        init=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/init.pt",
        best=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/best.pt",
        config=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/config.json",
        metrics=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/metrics.json",
        history=f"{CONVNETS_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/history.tsv",
    log:
        "logs/convnets/experiments/{experiment}/{task}_{family}_seed{seed}.log",
    benchmark:
        "benchmarks/convnets/experiments/{experiment}/{task}_{family}_seed{seed}.tsv"
    wildcard_constraints:
        experiment=r"[A-Za-z][A-Za-z0-9_-]*",
        task=convnets_plan.TASK_PATTERN,
        family="S|TS|ST|LSTM",
        seed=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=convnets_experiment_mem_mb,
        runtime=convnets_experiment_runtime,
        gpu=1,
    params:
        settings=convnets_experiment_settings,
    script:
        "../scripts/convnets_final.py"


rule convnets_experiment_table:
    input:
        metrics=lambda wc: convnets_experiment_files(wc.experiment, "metrics.json"),
        controls=lambda wc: convnets_experiment_files(wc.experiment, "control_metrics.json"),
    output:
        f"{CONVNETS_DIR}/experiments/{{experiment}}/models.tsv",
    log:
        "logs/convnets/experiments/{experiment}/table.log",
    benchmark:
        "benchmarks/convnets/experiments/{experiment}/table.tsv"
    wildcard_constraints:
        experiment=r"[A-Za-z][A-Za-z0-9_-]*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/convnets_experiment_table.py"


rule convnets_figures:
    input:
        **convnets_plan.figure_inputs(CONVNETS),
    output:
        learning_curves=report(
            f"{CONVNETS_DIR}/figures/learning_curves.png",
            caption="../workflow/report/convnets_learning_curves.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Training (no paper figure)",
        ),
        search_accuracy=report(
            f"{CONVNETS_DIR}/figures/search_accuracy.png",
            caption="../workflow/report/convnets_search_accuracy.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 3",
        ),
        trained_vs_untrained=report(
            f"{CONVNETS_DIR}/figures/trained_vs_untrained.png",
            caption="../workflow/report/convnets_trained_vs_untrained.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Training (no paper figure)",
        ),
        table=report(
            f"{CONVNETS_DIR}/final.tsv",
            caption="../workflow/report/convnets_final_table.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Tables",
        ),
    log:
        "logs/convnets/figures.log",
    benchmark:
        "benchmarks/convnets/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        n_classes=len(PCRT["labels"]),
    script:
        "../scripts/convnets_figures.py"


rule convnets:
    input:
        convnets_plan.target_paths(CONVNETS, CONVNETS_SHAPE),
