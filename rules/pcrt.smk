# PCRT dataset generation (spec pcrt.md): characters -> start points -> surrogate -> shards -> selection -> dataset.


rule pcrt_characters:
    input:
        templates=PCRT["characters"]["templates_path"],
    output:
        directory(f"{PCRT_DIR}/characters.zarr"),
    params:
        characters=PCRT["characters"],
        seed=SEED,
    log:
        "logs/pcrt/characters.log",
    benchmark:
        "benchmarks/pcrt/characters.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_characters.py"


rule pcrt_startpoints:
    output:
        directory(f"{PCRT_DIR}/startpoints.zarr"),
    params:
        startpoints=PCRT["startpoints"],
    log:
        "logs/pcrt/startpoints.log",
    benchmark:
        "benchmarks/pcrt/startpoints.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 20 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_startpoints.py"


rule pcrt_surrogate:
    input:
        model=PCRT["muscle"]["model_path"],
    output:
        surrogate=f"{PCRT_DIR}/surrogate/{{name}}.npz",
        validation=f"{PCRT_DIR}/surrogate/{{name}}.uniform_validation.json",
    params:
        muscle=PCRT["muscle"],
        seed=SEED,
    log:
        "logs/pcrt/surrogate_{name}.log",
    benchmark:
        "benchmarks/pcrt/surrogate_{name}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_surrogate.py"


rule pcrt_generate:
    input:
        unpack(pcrt_muscle_inputs),
        characters=f"{PCRT_DIR}/characters.zarr",
        startpoints=f"{PCRT_DIR}/startpoints.zarr",
    output:
        directory(f"{PCRT_DIR}/shards/{{plane}}/label{{label}}_shard{{shard}}.zarr"),
    wildcard_constraints:
        plane="horizontal|vertical",
        label=r"\d{2}",
        shard=r"\d{3}",
    params:
        pcrt=pcrt_generation_params(),
        seed=SEED,
    log:
        "logs/pcrt/generate/{plane}_label{label}_shard{shard}.log",
    benchmark:
        "benchmarks/pcrt/generate/{plane}_label{label}_shard{shard}.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1500 * attempt,
        runtime=lambda wc, attempt: 60 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_generate.py"


rule pcrt_select:
    input:
        shards=pcrt_shard_paths(),
    output:
        f"{PCRT_DIR}/selection.tsv",
    params:
        assembly=PCRT["assembly"],
        seed=SEED,
    log:
        "logs/pcrt/select.log",
    benchmark:
        "benchmarks/pcrt/select.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_select.py"


rule pcrt_dataset:
    input:
        selection=f"{PCRT_DIR}/selection.tsv",
        shards=pcrt_shard_paths(),
    output:
        directory(f"{PCRT_DIR}/dataset.zarr"),
    params:
        pcrt={key: PCRT[key] for key in ("spindle", "storage", "assembly", "muscle")},
        seed=SEED,
        digest=digest([PCRT, SEED]),
    log:
        "logs/pcrt/dataset.log",
    benchmark:
        "benchmarks/pcrt/dataset.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, input, attempt: max(2000, 60 * PCRT["assembly"]["n_train"] // 1000) * attempt,
        runtime=lambda wc, attempt: 120 * attempt,
    conda:
        "../envs/neuromotor.yaml"
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
    params:
        muscle=PCRT["muscle"],
        seed=SEED,
    log:
        "logs/pcrt/surrogate_report.log",
    benchmark:
        "benchmarks/pcrt/surrogate_report.tsv"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 30 * attempt,
    conda:
        "../envs/neuromotor.yaml"
    script:
        "../scripts/pcrt_surrogate_report.py"


rule pcrt:
    input:
        f"{PCRT_DIR}/dataset.zarr",
        pcrt_report_inputs(),
