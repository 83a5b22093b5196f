# Prediction of recorded neurons from the networks' layers (the DeepDraw successor, Marin Vargas et al. 2024):
# sessions (synthetic, or the successor's aligned files) -> per (session, model state) every layer's predictivity
# per neuron, per session the linear baselines -> summary tables -> figures -> vs_paper. Not in the default run:
# target `neural`.


include: "plan/neural.smk"


rule neural_synthetic:
    input:
        **neural_plan.model_files(NEURAL_PLANT),
    output:
        session=neural_plan.synthetic_path("{session}"),
        truth=f"{NEURAL_DIR}/data/{{session}}_truth.json",
    log:
        "logs/neural/synthetic_{session}.log",
    benchmark:
        "benchmarks/neural/synthetic_{session}.tsv"
    wildcard_constraints:
        session=neural_plan.SESSION_PATTERN,
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        synthetic=NEURAL["synthetic"],
        data=NEURAL["data"],
        dt=NEURAL["network_dt_s"],
        seed=config["seed"],
    script:
        "../scripts/neural_synthetic.py"


rule neural_model:
    input:
        unpack(neural_model_files),
        session=neural_session_file,
    output:
        f"{NEURAL_DIR}/{{session}}/{{task}}/{{family}}/seed{{seed}}/{{state}}.tsv",
    log:
        "logs/neural/model/{session}_{task}_{family}_seed{seed}_{state}.log",
    benchmark:
        "benchmarks/neural/model/{session}_{task}_{family}_seed{seed}_{state}.tsv"
    wildcard_constraints:
        session=neural_plan.SESSION_PATTERN,
        task=_neural_convnets_plan.TASK_PATTERN,
        family="S|TS|ST|LSTM",
        seed=r"\d+",
        state="trained|untrained",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=neural_model_mem_mb,
        runtime=neural_model_runtime,
    params:
        data=NEURAL["data"],
        prediction=NEURAL_PREDICTION,
        dt=NEURAL["network_dt_s"],
        identity=neural_identity,
        seed=config["seed"],
        device=NEURAL["device"],
    script:
        "../scripts/neural_model.py"


rule neural_baselines:
    input:
        session=neural_session_file,
    output:
        f"{NEURAL_DIR}/{{session}}/baselines.tsv",
    log:
        "logs/neural/baselines_{session}.log",
    benchmark:
        "benchmarks/neural/baselines_{session}.tsv"
    wildcard_constraints:
        session=neural_plan.SESSION_PATTERN,
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=neural_baseline_mem_mb,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        data=NEURAL["data"],
        prediction=NEURAL_PREDICTION,
        baselines=NEURAL["baselines"],
        identity=neural_identity,
        seed=config["seed"],
    script:
        "../scripts/neural_baselines.py"


rule neural_summary:
    input:
        models=neural_plan.model_tables(NEURAL, NEURAL_CONVNETS),
        baselines=neural_plan.baseline_tables(NEURAL),
        final=NEURAL_FINAL_TABLE,
    output:
        **neural_plan.summary_paths(),
    log:
        "logs/neural/summary.log",
    benchmark:
        "benchmarks/neural/summary.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/neural_summary.py"


rule neural_figures:
    input:
        layers=neural_plan.summary_paths()["layers"],
        models=neural_plan.summary_paths()["models"],
    output:
        layers=report(
            neural_plan.figure_paths()["predictivity_layers"],
            caption="../workflow/report/neural_predictivity_layers.rst",
            category="Neural prediction",
        ),
        performance=report(
            neural_plan.figure_paths()["predictivity_performance"],
            caption="../workflow/report/neural_predictivity_performance.rst",
            category="Neural prediction",
        ),
    log:
        "logs/neural/figures.log",
    benchmark:
        "benchmarks/neural/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/neural_figures.py"


rule neural_vs_paper:
    input:
        reference=NEURAL_REFERENCE,
        models=neural_plan.summary_paths()["models"],
        baselines=neural_plan.summary_paths()["baselines"],
    output:
        table=f"{NEURAL_DIR}/vs_paper.tsv",
        html=report(
            f"{NEURAL_DIR}/vs_paper.html",
            caption="../workflow/report/vs_paper.rst",
            category="Comparison with the papers",
            subcategory="neural",
        ),
        figure=report(
            f"{NEURAL_DIR}/figures/vs_paper.png",
            caption="../workflow/report/vs_paper.rst",
            category="Comparison with the papers",
            subcategory="neural",
        ),
    log:
        "logs/neural/vs_paper.log",
    benchmark:
        "benchmarks/neural/vs_paper.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        scale=neural_scale(NEURAL, NEURAL_STATES, len(neural_plan.sessions(NEURAL))),
    script:
        "../scripts/neural_vs_paper.py"


rule neural:
    input:
        neural_plan.target_paths(NEURAL, NEURAL_CONVNETS),
        f"{NEURAL_DIR}/vs_paper.tsv",
