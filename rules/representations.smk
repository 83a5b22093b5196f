# Representational analyses of the PCRT networks (Sandbrink et al. 2023): per model state (task, family, seed,
# trained|untrained) the activations and RDMs (network job), then tuning, PDs, invariance, decoding, tSNE (units
# job); CKA per (family, seed); input RDMs; summary tables with the trained-vs-untrained statistics; figures; and
# the RDM-only analysis of the model sets named in representations.experiments (convnets.experiments).


include: "plan/representations.smk"


rule representations_inputs:
    input:
        f"{PCRT_DIR}/dataset.zarr",
    output:
        rdm=f"{REPRESENT_DIR}/inputs/rdm.tsv",
        rdm_store=directory(f"{REPRESENT_DIR}/inputs/rdm.zarr"),
        tsne=directory(f"{REPRESENT_DIR}/inputs/tsne.zarr"),
    log:
        "logs/representations/inputs.log",
    benchmark:
        "benchmarks/representations/inputs.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=represent_inputs_mem_mb,
        runtime=represent_inputs_runtime,
    params:
        rdm=REPRESENT["rdm"],
        tsne=REPRESENT["tsne"],
        subsets={family: REPRESENT["activations"]["fraction"][family] for family in REPRESENT_FAMILIES},
        subset_seed=REPRESENT["activations"]["seed"],
    script:
        "../scripts/represent_inputs.py"


rule representations_network:
    input:
        unpack(represent_model_files),
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        activations=directory(f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/activations.zarr"),
        rdm=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/rdm.tsv",
        rdm_store=directory(f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/rdm.zarr"),
    log:
        "logs/representations/network/{task}_{family}_seed{seed}_{state}.log",
    benchmark:
        "benchmarks/representations/network/{task}_{family}_seed{seed}_{state}.tsv"
    wildcard_constraints:
        task="art|tdt|tdt_pv",
        family="S|TS|ST|LSTM",
        seed=r"\d+",
        state="trained|untrained",
    conda:
        "../envs/neuromotor.yaml"
    threads: 2
    resources:
        mem_mb=represent_network_mem_mb,
        runtime=represent_network_runtime,
    params:
        activations=REPRESENT["activations"],
        rdm=REPRESENT["rdm"],
        device=REPRESENT["device"],
    script:
        "../scripts/represent_network.py"


rule representations_experiment_rdm:
    input:
        unpack(represent_experiment_model_files),
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        rdm=f"{REPRESENT_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/{{state}}/rdm.tsv",
        rdm_store=directory(
            f"{REPRESENT_DIR}/experiments/{{experiment}}/{{task}}/{{family}}/seed{{seed}}/{{state}}/rdm.zarr"
        ),
    log:
        "logs/representations/experiments/{experiment}/{task}_{family}_seed{seed}_{state}.log",
    benchmark:
        "benchmarks/representations/experiments/{experiment}/{task}_{family}_seed{seed}_{state}.tsv"
    wildcard_constraints:
        experiment=r"[A-Za-z][A-Za-z0-9_-]*",
        task="art|tdt|tdt_pv",
        family="S|TS|ST|LSTM",
        seed=r"\d+",
        state="trained|untrained",
    conda:
        "../envs/neuromotor.yaml"
    threads: 2
    resources:
        mem_mb=represent_network_mem_mb,  # the activations are not stored: a bound
        runtime=represent_network_runtime,
    params:
        activations=REPRESENT["activations"],
        rdm=REPRESENT["rdm"],
        device=REPRESENT["device"],
    script:
        "../scripts/represent_network.py"


rule representations_experiment_summary:
    input:
        inputs_rdm=f"{REPRESENT_DIR}/inputs/rdm.tsv",
        rdm=lambda wc: represent_experiment_paths(wc.experiment, "rdm.tsv"),
    output:
        rdm=f"{REPRESENT_DIR}/experiments/{{experiment}}/rdm.tsv",
        stats=f"{REPRESENT_DIR}/experiments/{{experiment}}/stats.tsv",
        figure=report(
            f"{REPRESENT_DIR}/experiments/{{experiment}}/rdm_similarity.png",
            caption="../workflow/report/representations_experiment_rdm.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 4",
        ),
    log:
        "logs/representations/experiments/{experiment}/summary.log",
    benchmark:
        "benchmarks/representations/experiments/{experiment}/summary.tsv"
    wildcard_constraints:
        experiment=r"[A-Za-z][A-Za-z0-9_-]*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        ci_level=REPRESENT["pd"]["ci_level"],
    script:
        "../scripts/represent_experiment.py"


rule representations_units:
    input:
        store=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/activations.zarr",
    output:
        units=directory(f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/units.zarr"),
        units_table=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/units.tsv",
        pd=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/pd.tsv",
        invariance=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/invariance.tsv",
        decoding=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/decoding.tsv",
        tsne=directory(f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/tsne.zarr"),
    log:
        "logs/representations/units/{task}_{family}_seed{seed}_{state}.log",
    benchmark:
        "benchmarks/representations/units/{task}_{family}_seed{seed}_{state}.tsv"
    wildcard_constraints:
        task="art|tdt|tdt_pv",
        family="S|TS|ST|LSTM",
        seed=r"\d+",
        state="trained|untrained",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=represent_units_mem_mb,
        runtime=represent_units_runtime,
    params:
        tuning=REPRESENT["tuning"],
        pd={"bins": REPRESENT["pd"]["bins"]},
        invariance=REPRESENT["invariance"],
        decoding=REPRESENT["decoding"],
        tsne=REPRESENT["tsne"],
    script:
        "../scripts/represent_units.py"


rule representations_cka:
    input:
        unpack(represent_cka_inputs),
    output:
        table=f"{REPRESENT_DIR}/cka/{{family}}/seed{{seed}}.tsv",
        store=directory(f"{REPRESENT_DIR}/cka/{{family}}/seed{{seed}}.zarr"),
    log:
        "logs/representations/cka/{family}_seed{seed}.log",
    benchmark:
        "benchmarks/representations/cka/{family}_seed{seed}.tsv"
    wildcard_constraints:
        family="S|TS|ST|LSTM",
        seed=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 2
    resources:
        mem_mb=represent_cka_mem_mb,
        runtime=represent_cka_runtime,
    params:
        cka=REPRESENT["cka"],
        tasks=REPRESENT_TASKS,
        states=REPRESENT["states"],
    script:
        "../scripts/represent_cka.py"


rule representations_sweep_cka:
    input:
        unpack(represent_sweep_inputs),
        dataset=f"{PCRT_DIR}/dataset.zarr",
    output:
        f"{REPRESENT_DIR}/cka_sweep/{{input_key}}/{{configuration}}.tsv",
    log:
        "logs/representations/cka_sweep/{input_key}_{configuration}.log",
    benchmark:
        "benchmarks/representations/cka_sweep/{input_key}_{configuration}.tsv"
    wildcard_constraints:
        input_key="spindle_info|spindle_firing",
        configuration=r"(spatial_temporal|temporal_spatial|spatiotemporal|lstm)_\d[\d_-]*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 2
    resources:
        mem_mb=represent_sweep_mem_mb,
        runtime=lambda wc, attempt: 30 * attempt,
    params:
        activations=REPRESENT["activations"],
        device=REPRESENT["device"],
        family=represent_sweep_family,
    script:
        "../scripts/represent_sweep_cka.py"


rule representations_summary:
    input:
        inputs_rdm=f"{REPRESENT_DIR}/inputs/rdm.tsv",
        rdm=represent_state_paths("rdm.tsv"),
        units=represent_state_paths("units.tsv"),
        pd=represent_state_paths("pd.tsv"),
        invariance=represent_state_paths("invariance.tsv"),
        decoding=represent_state_paths("decoding.tsv"),
        cka=[f"{REPRESENT_DIR}/cka/{family}/seed{seed}.tsv" for family, seed in REPRESENT_CKA],
        cka_sweep=represent_plan.sweep_paths(REPRESENT, CONVNETS),
    output:
        **{name: f"{REPRESENT_DIR}/summary/{name}.tsv" for name in represent_plan.SUMMARY_TABLES},
    log:
        "logs/representations/summary.log",
    benchmark:
        "benchmarks/representations/summary.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        ci_level=REPRESENT["pd"]["ci_level"],
    script:
        "../scripts/represent_summary.py"


rule representations_figures:
    input:
        **{name: f"{REPRESENT_DIR}/summary/{name}.tsv" for name in represent_plan.SUMMARY_TABLES},
        units_stores=represent_state_paths("units.zarr"),
        tsne_stores=represent_state_paths("tsne.zarr"),
        cka_stores=[f"{REPRESENT_DIR}/cka/{family}/seed{seed}.zarr" for family, seed in REPRESENT_CKA],
        input_tsne=f"{REPRESENT_DIR}/inputs/tsne.zarr",
    output:
        rdm_similarity=report(
            f"{REPRESENT_DIR}/figures/rdm_similarity.png",
            caption="../workflow/report/representations_rdm_similarity.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 4",
        ),
        tuning_violins=report(
            f"{REPRESENT_DIR}/figures/tuning_violins.png",
            caption="../workflow/report/representations_tuning_violins.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 5",
        ),
        pd_histograms=report(
            f"{REPRESENT_DIR}/figures/pd_histograms.png",
            caption="../workflow/report/representations_pd_histograms.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 7",
        ),
        pd_uniformity=report(
            f"{REPRESENT_DIR}/figures/pd_uniformity.png",
            caption="../workflow/report/representations_pd_uniformity.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 7",
        ),
        cka=report(
            f"{REPRESENT_DIR}/figures/cka.png",
            caption="../workflow/report/representations_cka.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 4",
        ),
        cka_sweep=report(
            f"{REPRESENT_DIR}/figures/cka_sweep.png",
            caption="../workflow/report/representations_cka_sweep.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 4",
        ),
        tsne=report(
            f"{REPRESENT_DIR}/figures/tsne.png",
            caption="../workflow/report/representations_tsne.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 4",
        ),
        invariance=report(
            f"{REPRESENT_DIR}/figures/invariance.png",
            caption="../workflow/report/representations_invariance.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 7",
        ),
        decoding=report(
            f"{REPRESENT_DIR}/figures/decoding.png",
            caption="../workflow/report/representations_decoding.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 6",
        ),
    log:
        "logs/representations/figures.log",
    benchmark:
        "benchmarks/representations/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        states=[[state.task, state.family, state.seed, state.state] for state in REPRESENT_STATES],
        cka_jobs=[[family, seed] for family, seed in REPRESENT_CKA],
        figures=REPRESENT["figures"],
        threshold=REPRESENT["tuning"]["threshold"],
        quantile=REPRESENT["tuning"]["quantile"],
        floor=REPRESENT["tuning"]["violin_floor"],
    script:
        "../scripts/represent_figures.py"


rule representations_polar:
    input:
        store=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/activations.zarr",
        units=f"{REPRESENT_DIR}/{{task}}/{{family}}/seed{{seed}}/{{state}}/units.zarr",
    output:
        report(
            f"{represent_plan.POLAR_DIR}/{{task}}_{{family}}_seed{{seed}}_{{state}}.png",
            caption="../workflow/report/representations_polar_tuning.rst",
            category="DeepDraw (Sandbrink et al. 2023)",
            subcategory="Fig. 5",
        ),
    log:
        "logs/representations/polar/{task}_{family}_seed{seed}_{state}.log",
    benchmark:
        "benchmarks/representations/polar/{task}_{family}_seed{seed}_{state}.tsv"
    wildcard_constraints:
        task="art|tdt|tdt_pv",
        family="S|TS|ST|LSTM",
        seed=r"\d+",
        state="trained|untrained",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2500 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        plane=REPRESENT["figures"]["plane"],
        onset=REPRESENT["tuning"]["onset"],
        tcoff=REPRESENT["tuning"]["tcoff"],
    script:
        "../scripts/represent_polar.py"


rule representations:
    input:
        represent_target_inputs(),
