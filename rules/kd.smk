# Cross-modality knowledge distillation, A-mode ultrasound -> sEMG (Zeng et al. 2022): [synthetic text files] -> samples
# per subject -> per (subject, fold, model): US teacher, sEMG student, sEMG student with KD -> matrices -> table.


include: "plan/kd.smk"


rule kd_synthetic:
    output:
        emg=f"{KD_SYNTHETIC_DIR}/EMG/s{{n}}_synthetic_EMG.txt",
        us=f"{KD_SYNTHETIC_DIR}/US/s{{n}}_synthetic_US.txt",
    log:
        "logs/kd/synthetic_s{n}.log",
    benchmark:
        "benchmarks/kd/synthetic_s{n}.tsv"
    wildcard_constraints:
        n=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=kd_text_mem_mb,
        runtime=lambda wc, attempt: 20 * attempt,
    params:
        subject=lambda wc: int(wc.n),
        layout=KD["layout"],
        synthetic=kd_plan.synthetic_params(KD),
        seed=SEED,
    script:
        "../scripts/kd_synthetic.py"


rule kd_prepare:
    input:
        unpack(kd_subject_files),
    output:
        directory(f"{KD_DIR}/data/s{{subject}}.zarr"),
    log:
        "logs/kd/prepare_s{subject}.log",
    benchmark:
        "benchmarks/kd/prepare_s{subject}.tsv"
    wildcard_constraints:
        subject=r"\d+",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=kd_text_mem_mb,
        runtime=lambda wc, attempt: 20 * attempt,
    params:
        layout=KD["layout"],
        data=kd_plan.data_params(KD),
    script:
        "../scripts/kd_prepare.py"


rule kd_teacher:
    input:
        f"{KD_DIR}/data/s{{subject}}.zarr",
    output:
        **kd_plan.run_outputs("US"),
    log:
        "logs/kd/runs/{model}_s{subject}_fold{fold}_US.log",
    benchmark:
        "benchmarks/kd/runs/{model}_s{subject}_fold{fold}_US.tsv"
    wildcard_constraints:
        **KD_WILDCARDS,
    conda:
        "../envs/neuromotor.yaml"
    threads: KD["threads"]
    resources:
        mem_mb=lambda wc, attempt: kd_train_mem_mb(wc, "US") * attempt,
        runtime=lambda wc, attempt: kd_train_minutes(wc, "US") * attempt,
        gpu=1,
    params:
        role="teacher",
        train=KD["train"],
        seed=SEED,
        device=KD["device"],
    script:
        "../scripts/kd_train.py"


rule kd_student:
    input:
        f"{KD_DIR}/data/s{{subject}}.zarr",
    output:
        **kd_plan.run_outputs("EMG"),
    log:
        "logs/kd/runs/{model}_s{subject}_fold{fold}_EMG.log",
    benchmark:
        "benchmarks/kd/runs/{model}_s{subject}_fold{fold}_EMG.tsv"
    wildcard_constraints:
        **KD_WILDCARDS,
    conda:
        "../envs/neuromotor.yaml"
    threads: KD["threads"]
    resources:
        mem_mb=lambda wc, attempt: kd_train_mem_mb(wc, "EMG") * attempt,
        runtime=lambda wc, attempt: kd_train_minutes(wc, "EMG") * attempt,
        gpu=1,
    params:
        role="student",
        train=KD["train"],
        seed=SEED,
        device=KD["device"],
    script:
        "../scripts/kd_train.py"


rule kd_student_kd:
    input:
        data=f"{KD_DIR}/data/s{{subject}}.zarr",
        teacher_best=f"{KD_DIR}/runs/{{model}}/s{{subject}}/fold{{fold}}/US/best.pt",
        teacher_final=f"{KD_DIR}/runs/{{model}}/s{{subject}}/fold{{fold}}/US/final.pt",
    output:
        **kd_plan.run_outputs("EMG_KD_a{alpha}_T{T}"),
    log:
        "logs/kd/runs/{model}_s{subject}_fold{fold}_EMG_KD_a{alpha}_T{T}.log",
    benchmark:
        "benchmarks/kd/runs/{model}_s{subject}_fold{fold}_EMG_KD_a{alpha}_T{T}.tsv"
    wildcard_constraints:
        **KD_WILDCARDS,
    conda:
        "../envs/neuromotor.yaml"
    threads: KD["threads"]
    resources:
        mem_mb=lambda wc, attempt: kd_train_mem_mb(wc, "EMG", teacher=True) * attempt,
        runtime=lambda wc, attempt: kd_train_minutes(wc, "EMG", teacher=True) * attempt,
        gpu=1,
    params:
        train=KD["train"],
        distillation=kd_distillation,
        seed=SEED,
        device=KD["device"],
    script:
        "../scripts/kd_distil.py"


rule kd_collect:
    input:
        kd_collect_inputs,
    output:
        table=f"{KD_DIR}/accuracy/{{model}}_{{modality}}.tsv",
        paper=f"{KD_DIR}/matrices/{{model}}/{{model}}_{{modality}}_paper.txt",
        honest=f"{KD_DIR}/matrices/{{model}}/{{model}}_{{modality}}_honest.txt",
    log:
        "logs/kd/collect_{model}_{modality}.log",
    benchmark:
        "benchmarks/kd/collect_{model}_{modality}.tsv"
    wildcard_constraints:
        **KD_WILDCARDS,
        modality="US|EMG",
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        n_subjects=len(KD_SUBJECT_FILES),
        n_folds=KD_LAYOUT.n_folds,
    script:
        "../scripts/kd_collect.py"


rule kd_collect_kd:
    input:
        kd_collect_inputs,
    output:
        table=f"{KD_DIR}/accuracy/{{model}}_EMG_KD_a{{alpha}}_T{{T}}.tsv",
        paper=f"{KD_DIR}/matrices/{{model}}-kd-{{model}}/{{model}}-kd-{{model}}_EMG_KD_a{{alpha}}_T{{T}}_paper.txt",
        honest=f"{KD_DIR}/matrices/{{model}}-kd-{{model}}/{{model}}-kd-{{model}}_EMG_KD_a{{alpha}}_T{{T}}_honest.txt",
    log:
        "logs/kd/collect_{model}_EMG_KD_a{alpha}_T{T}.log",
    benchmark:
        "benchmarks/kd/collect_{model}_EMG_KD_a{alpha}_T{T}.tsv"
    wildcard_constraints:
        **KD_WILDCARDS,
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        n_subjects=len(KD_SUBJECT_FILES),
        n_folds=KD_LAYOUT.n_folds,
    script:
        "../scripts/kd_collect.py"


rule kd_stats:
    input:
        kd_plan.collected_tables(KD),
    output:
        accuracy=f"{KD_DIR}/accuracy.tsv",
        subjects=f"{KD_DIR}/subjects.tsv",
        table=report(
            f"{KD_DIR}/table.tsv",
            caption="../workflow/report/kd_table.rst",
            category="KD ultrasound to sEMG (Zeng et al. 2022)",
            subcategory="Results table",
        ),
        table_html=report(
            f"{KD_DIR}/table.html",
            caption="../workflow/report/kd_table.rst",
            category="KD ultrasound to sEMG (Zeng et al. 2022)",
            subcategory="Results table",
        ),
        minds=f"{KD_DIR}/minds_vs_others.tsv",
    log:
        "logs/kd/stats.log",
    benchmark:
        "benchmarks/kd/stats.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        models=KD["models"],
        distillation=kd_plan.distillation_settings(KD),
    script:
        "../scripts/kd_stats.py"


rule kd_figures:
    input:
        subjects=f"{KD_DIR}/subjects.tsv",
        epochs=[f"{run}/epochs.tsv" for _, _, run in KD_RUNS],
    output:
        boxplot=report(
            f"{KD_DIR}/figures/boxplot.png",
            caption="../workflow/report/kd_boxplot.rst",
            category="KD ultrasound to sEMG (Zeng et al. 2022)",
            subcategory="Results figure (boxplots)",
        ),
        curves=report(
            f"{KD_DIR}/figures/curves.png",
            caption="../workflow/report/kd_curves.rst",
            category="KD ultrasound to sEMG (Zeng et al. 2022)",
            subcategory="Learning curves (no paper figure)",
        ),
    log:
        "logs/kd/figures.log",
    benchmark:
        "benchmarks/kd/figures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        runs=[[model, condition] for model, condition, _ in KD_RUNS],
    script:
        "../scripts/kd_figures.py"


rule kd:
    input:
        kd_plan.target_paths(KD),
