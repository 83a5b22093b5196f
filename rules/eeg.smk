# Interpreting EEG drowsiness classifiers (Cui et al. 2023): data -> LOSO training (model, subject) ->
# probe (frozen BatchNorm, predictions, perturbation drops) -> attribution (model, subject, methods) -> summary -> figures;
# per configured sample the class-activation map (InterpretableCNN) and the relative band power (VisTechnique.py).


include: "plan/eeg.smk"


rule eeg_data:
    output:
        mat=f"{EEG_DIR}/data/dataset.mat",
        effect=f"{EEG_DIR}/data/synthetic.json",
    log:
        "logs/eeg/data.log",
    benchmark:
        "benchmarks/eeg/data.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        synthetic=EEG["synthetic"],
        seed=SEED,
    script:
        "../scripts/eeg_data.py"


rule eeg_train:
    input:
        eeg_plan.dataset_path(EEG),
    output:
        honest=f"{EEG_DIR}/models/{{model}}/sub{{subject}}/honest.pt",
        best_test_epoch=f"{EEG_DIR}/models/{{model}}/sub{{subject}}/best_test_epoch.pt",
        epochs=f"{EEG_DIR}/models/{{model}}/sub{{subject}}/epochs.tsv",
        predictions=f"{EEG_DIR}/models/{{model}}/sub{{subject}}/predictions.tsv",
    log:
        "logs/eeg/train/{model}_sub{subject}.log",
    benchmark:
        "benchmarks/eeg/train/{model}_sub{subject}.tsv"
    wildcard_constraints:
        model="interpretable_cnn|eegnet",
        subject=r"\d{2}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=lambda wc, attempt: 60 * attempt,
        gpu=1,
    params:
        train=EEG["train"],
        seed=SEED,
        device=EEG["device"],
    script:
        "../scripts/eeg_train.py"


rule eeg_probe:
    input:
        dataset=eeg_plan.dataset_path(EEG),
        checkpoint=eeg_checkpoint,
    output:
        directory(f"{EEG_DIR}/probe/{{model}}/sub{{subject}}.zarr"),
    log:
        "logs/eeg/probe/{model}_sub{subject}.log",
    benchmark:
        "benchmarks/eeg/probe/{model}_sub{subject}.tsv"
    wildcard_constraints:
        model="interpretable_cnn|eegnet",
        subject=r"\d{2}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=lambda wc, attempt: 30 * attempt,
        gpu=1,
    params:
        bn_eval=EEG["train"]["bn_eval"],
        perturbation=EEG["perturbation"],
        seed=SEED,
        device=EEG["device"],
    script:
        "../scripts/eeg_probe.py"


rule eeg_attribute:
    input:
        dataset=eeg_plan.dataset_path(EEG),
        checkpoint=eeg_checkpoint,
        probe=f"{EEG_DIR}/probe/{{model}}/sub{{subject}}.zarr",
    output:
        heatmaps=directory(f"{EEG_DIR}/attribution/{{model}}/sub{{subject}}/methods{{chunk}}.zarr"),
        perturbation=f"{EEG_DIR}/attribution/{{model}}/sub{{subject}}/methods{{chunk}}_perturbation.tsv",
        deletion=f"{EEG_DIR}/attribution/{{model}}/sub{{subject}}/methods{{chunk}}_deletion.tsv",
    log:
        "logs/eeg/attribute/{model}_sub{subject}_methods{chunk}.log",
    benchmark:
        "benchmarks/eeg/attribute/{model}_sub{subject}_methods{chunk}.tsv"
    wildcard_constraints:
        model="interpretable_cnn|eegnet",
        subject=r"\d{2}",
        chunk=r"\d{2}",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=eeg_attribute_runtime,
        gpu=1,
    params:
        methods=eeg_chunk_methods,
        attribution={
            key: EEG["attribution"][key] for key in ("batch_size", "ig_steps", "epsilon", "deeplift_threshold")
        },
        postprocess=EEG["postprocess"],
        deletion=EEG["deletion"],
        seed=SEED,
        device=EEG["device"],
    script:
        "../scripts/eeg_attribute.py"


rule eeg_summary:
    input:
        perturbation=eeg_plan.attribution_tables(EEG, "perturbation"),
        deletion=eeg_plan.attribution_tables(EEG, "deletion"),
        epochs=eeg_plan.epochs_tables(EEG),
        stores=eeg_plan.attribution_stores(EEG),
    output:
        perturbation=f"{EEG_DIR}/perturbation.tsv",
        deletion=f"{EEG_DIR}/deletion.tsv",
        accuracy=report(
            f"{EEG_DIR}/accuracy.tsv",
            caption="../workflow/report/eeg_accuracy_table.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Accuracy",
        ),
        summary=f"{EEG_DIR}/summary.tsv",
        ranking=report(
            f"{EEG_DIR}/ranking.tsv",
            caption="../workflow/report/eeg_ranking_table.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Method comparison",
        ),
        channel_relevance=f"{EEG_DIR}/channel_relevance.tsv",
    log:
        "logs/eeg/summary.log",
    benchmark:
        "benchmarks/eeg/summary.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        models=EEG["models"],
        subjects=EEG["subjects"],
    script:
        "../scripts/eeg_summary.py"


rule eeg_figures:
    input:
        dataset=eeg_plan.dataset_path(EEG),
        accuracy=f"{EEG_DIR}/accuracy.tsv",
        ranking=f"{EEG_DIR}/ranking.tsv",
        channel_relevance=f"{EEG_DIR}/channel_relevance.tsv",
        perturbation=f"{EEG_DIR}/perturbation.tsv",
        deletion=f"{EEG_DIR}/deletion.tsv",
        stores=eeg_plan.figure_samples_inputs(EEG),
    output:
        accuracy=report(
            f"{EEG_DIR}/figures/accuracy.png",
            caption="../workflow/report/eeg_accuracy.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Accuracy",
        ),
        ranking=report(
            f"{EEG_DIR}/figures/ranking.png",
            caption="../workflow/report/eeg_ranking.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Method comparison",
        ),
        topomaps=report(
            f"{EEG_DIR}/figures/topomaps.png",
            caption="../workflow/report/eeg_topomaps.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Average topomaps",
        ),
        samples=report(
            directory(f"{EEG_DIR}/figures/samples"),
            patterns=["{name}.png"],
            caption="../workflow/report/eeg_sample.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Sample figure",
        ),
    log:
        "logs/eeg/figures.log",
    benchmark:
        "benchmarks/eeg/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 2000 * attempt,
        runtime=lambda wc, attempt: 15 * attempt,
    params:
        eeg=eeg_plan.figure_params(EEG),
    script:
        "../scripts/eeg_figures.py"


rule eeg_cam:
    input:
        dataset=eeg_plan.dataset_path(EEG),
        checkpoint=eeg_checkpoint,
        probe=f"{EEG_DIR}/probe/{{model}}/sub{{subject}}.zarr",
    output:
        figure=report(
            f"{EEG_DIR}/figures/cam/{{model}}_sub{{subject}}_sample{{sample}}.png",
            caption="../workflow/report/eeg_cam.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Class-activation map (VisTechnique.py, InterpretableCNN paper)",
        ),
        table=f"{EEG_DIR}/cam/{{model}}_sub{{subject}}_sample{{sample}}.tsv",
    log:
        "logs/eeg/cam/{model}_sub{subject}_sample{sample}.log",
    benchmark:
        "benchmarks/eeg/cam/{model}_sub{subject}_sample{sample}.tsv"
    wildcard_constraints:
        model="interpretable_cnn",
        subject=r"\d{2}",
        sample=r"\d{3}\d*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        device=EEG["device"],
    script:
        "../scripts/eeg_cam.py"


rule eeg_band_power:
    input:
        dataset=eeg_plan.dataset_path(EEG),
    output:
        figure=report(
            f"{EEG_DIR}/figures/band_power/sub{{subject}}_sample{{sample}}.png",
            caption="../workflow/report/eeg_band_power.rst",
            category="EEG interpretation (Cui et al. 2023)",
            subcategory="Relative band power (VisTechnique.py)",
        ),
        table=f"{EEG_DIR}/band_power/sub{{subject}}_sample{{sample}}.tsv",
    log:
        "logs/eeg/band_power/sub{subject}_sample{sample}.log",
    benchmark:
        "benchmarks/eeg/band_power/sub{subject}_sample{sample}.tsv"
    wildcard_constraints:
        subject=r"\d{2}",
        sample=r"\d{3}\d*",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=eeg_mem_mb,
        runtime=lambda wc, attempt: 10 * attempt,
    script:
        "../scripts/eeg_band_power.py"


rule eeg:
    input:
        eeg_plan.target_paths(EEG),
