# PCRT dataset generation (Sandbrink et al. 2023): characters -> start points -> surrogate -> shards -> selection ->
# dataset.


include: "plan/pcrt.smk"


rule pcrt_characters:
    input:
        unpack(pcrt_character_inputs),
    output:
        directory(f"{PCRT_DIR}/characters.zarr"),
    log:
        "logs/pcrt/characters.log",
    benchmark:
        "benchmarks/pcrt/characters.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        characters=PCRT["characters"],
        seed=SEED,
    script:
        "../scripts/pcrt_characters.py"


rule pcrt_startpoints:
    input:
        unpack(pcrt_startpoint_inputs),
    output:
        directory(f"{PCRT_DIR}/startpoints.zarr"),
    log:
        "logs/pcrt/startpoints.log",
    benchmark:
        "benchmarks/pcrt/startpoints.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 20 * attempt,
    params:
        startpoints=pcrt_plan.startpoint_params(PCRT),
    script:
        "../scripts/pcrt_startpoints.py"


rule pcrt_surrogate:
    input:
        model=PCRT["muscle"]["model_path"],
    output:
        surrogate=f"{PCRT_DIR}/surrogate/{{name}}.npz",
        validation=f"{PCRT_DIR}/surrogate/{{name}}.uniform_validation.json",
    log:
        "logs/pcrt/surrogate_{name}.log",
    benchmark:
        "benchmarks/pcrt/surrogate_{name}.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        muscle=PCRT["muscle"],
        seed=SEED,
    script:
        "../scripts/pcrt_surrogate.py"


rule pcrt_muscle_table:
    input:
        model=PCRT["muscle"]["model_path"],
    output:
        f"{PCRT_DIR}/muscle_table/{{name}}.npz",
    log:
        "logs/pcrt/muscle_table_{name}.log",
    benchmark:
        "benchmarks/pcrt/muscle_table_{name}.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: PCRT["muscle"]["table"]["processes"]
    resources:
        mem_mb=lambda wc, attempt: 4000 * attempt,
        runtime=lambda wc, attempt: 240 * attempt,
    params:
        muscle=PCRT["muscle"],
    script:
        "../scripts/pcrt_muscle_table.py"


rule pcrt_generate:
    input:
        unpack(pcrt_muscle_inputs),
        characters=f"{PCRT_DIR}/characters.zarr",
        startpoints=f"{PCRT_DIR}/startpoints.zarr",
    output:
        directory(f"{PCRT_DIR}/shards/{{plane}}/label{{label}}_shard{{shard}}.zarr"),
    log:
        "logs/pcrt/generate/{plane}_label{label}_shard{shard}.log",
    benchmark:
        "benchmarks/pcrt/generate/{plane}_label{label}_shard{shard}.tsv"
    wildcard_constraints:
        plane="horizontal|vertical",
        label=r"\d{2}",
        shard=r"\d{3}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1500 * attempt,
        runtime=pcrt_generate_runtime,
    params:
        pcrt=pcrt_plan.generation_params(PCRT),
        seed=SEED,
    script:
        "../scripts/pcrt_generate.py"


rule pcrt_select:
    input:
        shards=pcrt_shard_paths(),
    output:
        f"{PCRT_DIR}/selection.tsv",
    log:
        "logs/pcrt/select.log",
    benchmark:
        "benchmarks/pcrt/select.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        assembly=PCRT["assembly"],
        seed=SEED,
    script:
        "../scripts/pcrt_select.py"


rule pcrt_dataset:
    input:
        unpack(pcrt_dataset_inputs),
    output:
        directory(f"{PCRT_DIR}/dataset.zarr"),
    log:
        "logs/pcrt/dataset.log",
    benchmark:
        "benchmarks/pcrt/dataset.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=pcrt_dataset_mem_mb,
        runtime=lambda wc, attempt: 120 * attempt,
    params:
        pcrt=pcrt_plan.dataset_params(PCRT),
        seed=SEED,
        digest=pcrt_plan.dataset_digest(PCRT, SEED),
    script:
        "../scripts/pcrt_dataset.py"


rule pcrt_surrogate_report:
    input:
        surrogate=pcrt_surrogate_path(),
        uniform=pcrt_surrogate_path().replace(".npz", ".uniform_validation.json"),
        shards=pcrt_shard_paths(),
        model=PCRT["muscle"]["model_path"],
    output:
        f"{PCRT_DIR}/surrogate_validation.json",
    log:
        "logs/pcrt/surrogate_report.log",
    benchmark:
        "benchmarks/pcrt/surrogate_report.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        muscle=PCRT["muscle"],
        seed=SEED,
    script:
        "../scripts/pcrt_surrogate_report.py"


rule pcrt_table_report:
    input:
        table=PCRT_MUSCLE.table or [],
        shards=pcrt_shard_paths(),
        model=PCRT["muscle"]["model_path"],
    output:
        f"{PCRT_DIR}/muscle_table_validation.json",
    log:
        "logs/pcrt/muscle_table_report.log",
    benchmark:
        "benchmarks/pcrt/muscle_table_report.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    params:
        muscle=PCRT["muscle"],
        seed=SEED,
    script:
        "../scripts/pcrt_table_report.py"


rule pcrt_table_figure:
    input:
        f"{PCRT_DIR}/muscle_table_validation.json",
    output:
        report(
            f"{PCRT_DIR}/figures/muscle_table_validation.png",
            caption="../workflow/report/pcrt_muscle_table.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Validation (no paper figure)",
        ),
    log:
        "logs/pcrt/muscle_table_figure.log",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/pcrt_table_figure.py"


rule pcrt_figures:
    input:
        characters=f"{PCRT_DIR}/characters.zarr",
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        characters=report(
            f"{PCRT_DIR}/figures/characters.png",
            caption="../workflow/report/pcrt_characters.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 2",
        ),
        arm=report(
            f"{PCRT_DIR}/figures/arm_trajectory.png",
            caption="../workflow/report/pcrt_arm.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 2",
        ),
        muscles=report(
            f"{PCRT_DIR}/figures/muscles_spindles.png",
            caption="../workflow/report/pcrt_muscles.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 2",
        ),
        latents=report(
            f"{PCRT_DIR}/figures/latents.png",
            caption="../workflow/report/pcrt_latents.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 2",
        ),
    log:
        "logs/pcrt/figures.log",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 20 * attempt,
    params:
        example=0,
    script:
        "../scripts/pcrt_figures.py"


rule pcrt_surrogate_figure:
    input:
        f"{PCRT_DIR}/surrogate_validation.json",
    output:
        uniform=report(
            f"{PCRT_DIR}/figures/surrogate_uniform.png",
            caption="../workflow/report/pcrt_surrogate.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Validation (no paper figure)",
        ),
        trajectories=report(
            f"{PCRT_DIR}/figures/surrogate_trajectories.png",
            caption="../workflow/report/pcrt_surrogate.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Validation (no paper figure)",
        ),
    log:
        "logs/pcrt/surrogate_figure.log",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/pcrt_surrogate_figure.py"


rule pcrt:
    input:
        pcrt_plan.target_paths(PCRT, PCRT_MUSCLE),
