# This run against the published numbers (docs/fidelity.md): one vs_paper table and figure per study, judged by the
# reference table resources/reference/published.tsv at the run's scale (from the config).


include: "plan/fidelity.smk"


rule vs_paper_deepdraw:
    input:
        **fidelity_deepdraw_inputs(),
    output:
        **fidelity_outputs("deepdraw"),
    log:
        "logs/fidelity/vs_paper_deepdraw.log",
    benchmark:
        "benchmarks/fidelity/vs_paper_deepdraw.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1500 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        scale=fidelity_extract.deepdraw_scale(config),
        solvers=list(fidelity_svm_summaries()),
        model_sets=fidelity_model_sets(),
        rdm_sets=fidelity_rdm_sets(),
    script:
        "../scripts/vs_paper_deepdraw.py"


rule vs_paper_kd:
    input:
        reference=FIDELITY_REFERENCE,
        table=f"{KD_DIR}/table.tsv",
        subjects=f"{KD_DIR}/subjects.tsv",
    output:
        **fidelity_outputs("kd"),
    log:
        "logs/fidelity/vs_paper_kd.log",
    benchmark:
        "benchmarks/fidelity/vs_paper_kd.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        scale=fidelity_extract.kd_scale(config, len(KD_SUBJECT_FILES)),
    script:
        "../scripts/vs_paper_kd.py"


rule vs_paper_eeg:
    input:
        reference=FIDELITY_REFERENCE,
        accuracy=f"{EEG_DIR}/accuracy.tsv",
        ranking=f"{EEG_DIR}/ranking.tsv",
        deletion=f"{EEG_DIR}/deletion.tsv",
    output:
        **fidelity_outputs("eeg"),
    log:
        "logs/fidelity/vs_paper_eeg.log",
    benchmark:
        "benchmarks/fidelity/vs_paper_eeg.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        scale=fidelity_extract.eeg_scale(config),
    script:
        "../scripts/vs_paper_eeg.py"


rule vs_paper_emg_signatures:
    input:
        reference=FIDELITY_REFERENCE,
        accuracy=f"{EMG_DIR}/accuracy_summary.tsv",
        robustness=[f"{EMG_DIR}/robustness/{task}.tsv" for task in EMG_TASKS],
    output:
        **fidelity_outputs("emg_signatures"),
    log:
        "logs/fidelity/vs_paper_emg_signatures.log",
    benchmark:
        "benchmarks/fidelity/vs_paper_emg_signatures.tsv"
    conda:
        "../envs/neuromotor.yaml"
    threads: 1
    resources:
        mem_mb=lambda wc, attempt: 1000 * attempt,
        runtime=lambda wc, attempt: 10 * attempt,
    params:
        scale=fidelity_extract.emg_scale(config, EMG_PARTICIPANTS),
        tasks=EMG_TASKS,
        participants=EMG_PARTICIPANTS,
    script:
        "../scripts/vs_paper_emg.py"


rule vs_paper:
    input:
        [
            f"results/{study}/{name}"
            for study in ("deepdraw", "kd", "eeg", "emg_signatures")
            for name in ("vs_paper.tsv", "vs_paper.html", "figures/vs_paper.png")
        ],
