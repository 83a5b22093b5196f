# Config validation, paths and input functions shared by all rule files (no rules here).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from neuromotor.config import digest, layer_configs, validate_config
from neuromotor.errors import ConfigError
from neuromotor.pcrt.muscles import file_digest
from neuromotor.pcrt import plan as pcrt_plan
from neuromotor.costs import GPU_FLOPS, runtime_request_min


def _layered_config():
    """The user's config over the Snakefile's demo config, without the demo's data-layout keys of a study the
    user points at real files (neuromotor.config.layer_configs)."""
    from snakemake.common.configfile import load_configfile

    settings = workflow.config_settings
    if not settings.overwrite_config or settings.replace_workflow_config:
        return config
    cli = {str(Path(f)) for f in workflow.overwrite_configfiles}
    demo = {}
    for path in workflow.configfiles:
        if str(Path(path)) not in cli:
            demo = layer_configs(demo, load_configfile(path))
    return layer_configs(demo, settings.overwrite_config)


try:
    _validated = validate_config(_layered_config())
except ConfigError as error:
    raise WorkflowError(str(error)) from None
from neuromotor.datacheck import check_data_files

_data_problems = check_data_files(_validated, text_files=workflow.is_main_process)
if _data_problems:
    raise WorkflowError("the data files do not fit the configuration:\n  " + "\n  ".join(_data_problems))
config.clear()
config.update(_validated)

PCRT = config["pcrt"]
SEED = config["seed"]
PCRT_DIR = "results/pcrt"


def pcrt_label_ids():
    return [f"{label:02d}" for label in PCRT["labels"]]


def pcrt_shard_paths():
    """Every generation shard, in the (label, plane, shard) order the assembly pools them in."""
    return [
        f"{PCRT_DIR}/shards/{plane}/label{label}_shard{shard:03d}.zarr"
        for label in pcrt_label_ids()
        for plane in PCRT["planes"]
        for shard in range(PCRT["generation"]["shards"])
    ]


def pcrt_surrogate_path():
    """Surrogates are cached per (model file content, quantity, fit settings)."""
    model = PCRT["muscle"]["model_path"]
    known = data_sha256(model)  # a file still to be downloaded is identified by its configured checksum
    if not known and not Path(model).is_file():
        raise WorkflowError(
            f"config key 'pcrt.muscle.model_path': {model} does not exist; expected an OpenSim .osim file"
        )
    key = digest(
        [
            known or file_digest(model),
            PCRT["muscle"]["quantity"],
            PCRT["muscle"]["surrogate"],
            SEED,
        ]
    )
    return f"{PCRT_DIR}/surrogate/{Path(model).stem}-{PCRT['muscle']['quantity']}-{key}.npz"


def pcrt_table_path():
    """Muscle tables are cached per (model file content, quantity, grid and trust-map settings)."""
    from neuromotor.pcrt.muscle_table import table_file_name

    model = PCRT["muscle"]["model_path"]
    known = data_sha256(model)  # a file still to be downloaded is identified by its configured checksum
    if not known and not Path(model).is_file():
        raise WorkflowError(
            f"config key 'pcrt.muscle.model_path': {model} does not exist; expected an OpenSim .osim file"
        )
    name = table_file_name(model, known or file_digest(model), PCRT["muscle"]["quantity"], PCRT["muscle"]["table"])
    return f"{PCRT_DIR}/muscle_table/{name}"


def pcrt_muscle_inputs(wildcards):
    """The surrogate when generation uses it, the model file otherwise (and the table with the table backend)."""
    if PCRT["muscle"]["backend"] == "surrogate":
        return {"surrogate": pcrt_surrogate_path()}
    if PCRT["muscle"]["backend"] == "table":
        return {"table": pcrt_table_path(), "model": PCRT["muscle"]["model_path"]}
    return {"model": PCRT["muscle"]["model_path"]}


def pcrt_character_inputs(wildcards):
    """The file the characters are read from: the UCI .mat file or the template JSON (`pcrt.characters.source`)."""
    characters = PCRT["characters"]
    if characters["source"] == "uci":
        return {"uci": characters["uci_path"]}
    return {"templates": characters["templates_path"]}


def pcrt_startpoint_inputs(wildcards):
    """The original start-point file when `pcrt.startpoints.path` is set (nothing when the grid is searched)."""
    path = PCRT["startpoints"]["path"]
    return {"startpoints": path} if path else {}


def pcrt_generation_params():
    """The config a generation shard depends on (a change reruns the shards)."""
    return {key: PCRT[key] for key in ("generation", "augmentation", "muscle")} | {
        "window": PCRT["assembly"]["window"]
    }


def pcrt_dataset_mem_mb(wildcards, attempt):
    """One split of windows is held in memory (neuromotor.pcrt.plan.dataset_mem_mb: the measured 57 MB per 1,000
    training windows, 40 % headroom; the released files are copied block by block: a fixed amount)."""
    if PCRT["source"] == "released":
        return 2000 * attempt
    return pcrt_plan.dataset_mem_mb(PCRT["assembly"]["n_train"], attempt)


def pcrt_generate_runtime(wildcards, attempt):
    """Minutes per generation shard from its items and the muscle backend (neuromotor.pcrt.plan)."""
    return pcrt_plan.generate_runtime_min(PCRT, attempt)


def data_sha256(path):
    """The configured sha256 of a file that a `data` entry downloads and that is not there yet, else None."""
    from neuromotor.io.fetch import entry_for_path, fetchable

    entry = entry_for_path(config["data"], path)
    return entry.sha256 if fetchable(config["data"], path) and entry.sha256 else None


def pcrt_dataset_inputs(wildcards):
    """The generated shards and their selection, or the released files (`pcrt.source: released`)."""
    if PCRT["source"] == "released":
        return {
            "train": PCRT["released"]["train_path"],
            "test": PCRT["released"]["test_path"],
        }
    return {"selection": f"{PCRT_DIR}/selection.tsv", "shards": pcrt_shard_paths()}


def pcrt_dataset_params():
    """The config the dataset depends on (the generated store's keys, or those the released files are read with)."""
    if PCRT["source"] == "released":
        keys = ("labels", "planes", "assembly", "storage", "augmentation", "released")
        return {"source": "released"} | {key: PCRT[key] for key in keys}
    return {key: PCRT[key] for key in ("spindle", "storage", "assembly", "muscle")}


def pcrt_dataset_digest():
    """Provenance of the dataset store (its root attribute `config_digest`)."""
    if PCRT["source"] == "released":
        return digest([pcrt_dataset_params(), SEED])
    return digest([PCRT, SEED])


def pcrt_report_inputs():
    """Validation and figures of the PCRT stage (the surrogate report only when the surrogate is used; nothing
    but the dataset for the released data, which hold no characters to draw)."""
    if PCRT["source"] == "released":
        return []
    inputs = [
        f"{PCRT_DIR}/figures/{name}.png"
        for name in ("characters", "arm_trajectory", "muscles_spindles", "latents")
    ]
    if PCRT["muscle"]["backend"] == "surrogate":
        inputs.append(f"{PCRT_DIR}/surrogate_validation.json")
        inputs += [
            f"{PCRT_DIR}/figures/surrogate_{name}.png"
            for name in ("uniform", "trajectories")
        ]
    if PCRT["muscle"]["backend"] == "table":
        inputs += [f"{PCRT_DIR}/muscle_table_validation.json", f"{PCRT_DIR}/figures/muscle_table_validation.png"]
    return inputs


# ---- SVM (spec svm.md): pairs, jobs, params and resources ---------------------------------------------------
from neuromotor.svm.data import INPUTS as SVM_INPUT_SHAPES
from neuromotor.svm.data import chunk_pairs, label_pairs, variant_subsets

SVM = config["svm"]
SVM_DIR = "results/svm"
SVM_PAIRS = label_pairs(PCRT["labels"])
SVM_CHUNKS = chunk_pairs(SVM_PAIRS, SVM["pairs_per_job"])
SVM_FIGURES = ("pairwise_matrix", "multiclass", "circle", "pairwise_distribution")


def svm_latent_values():
    """The plane, size and speed values the dataset was generated with (the subsets of the suppressed variant)."""
    return {
        "plane": list(PCRT["planes"]),
        "size": list(PCRT["augmentation"]["size"]),
        "speed": list(PCRT["augmentation"]["speed"]),
    }


def svm_fit_paths(extension):
    """Every fitting job's output with this extension (tsv: partial table, zarr: classifiers)."""
    return [
        f"{SVM_DIR}/fits/{name}/{variant}/pairs{chunk:03d}.{extension}"
        for name in SVM["inputs"]
        for variant in SVM["variants"]
        for chunk in range(len(SVM_CHUNKS))
    ]


def svm_chunk_pairs(wildcards):
    return [list(pair) for pair in SVM_CHUNKS[int(wildcards.chunk)]]


def svm_fit_params(wildcards):
    """The config a fitting job depends on: the fitting keys, the active solver's settings and, for the
    suppressed variant, its subsets (a change reruns the fits, never the PCRT stage)."""
    keys = ("C_grid", "fit_fraction", "refit", "intercept_scaling", "solver")
    params = {key: SVM[key] for key in keys} | {SVM["solver"]: SVM[SVM["solver"]]}
    if wildcards.variant == "suppressed":
        params["suppressed"] = SVM["suppressed"]
    return params


def svm_fit_latents(wildcards):
    return svm_latent_values() if wildcards.variant == "suppressed" else {}


def svm_evaluate_params():
    """The config the evaluation depends on: which inputs, variants, pairs and subsets it collects."""
    return {
        "inputs": SVM["inputs"],
        "variants": SVM["variants"],
        "pairs": [list(pair) for pair in SVM_PAIRS],
        "suppressed": SVM["suppressed"],
        "latents": svm_latent_values(),
    }


def _svm_features(name):
    return SVM_INPUT_SHAPES[name][0] * PCRT["assembly"]["window"]


def _svm_item_bytes():
    return 8 if PCRT["storage"]["dtype"] == "float64" else 4


def svm_features_mem_mb(wildcards, attempt):
    """The train split of one input, twice (read and regrouped)."""
    data = (
        PCRT["assembly"]["n_train"] * _svm_features(wildcards.input) * _svm_item_bytes()
    )
    return int(1000 + 2.2 * data / 1e6) * attempt


def svm_fit_mem_mb(wildcards, attempt):
    """The job's labels (features), one pair in float64 with its Q (dense n x n, or factored n x D above
    svm.exact.gram_limit), and the classifiers kept."""
    pairs = SVM_CHUNKS[int(wildcards.chunk)]
    per_label = PCRT["assembly"]["n_train"] / len(PCRT["labels"])
    n_pair = 2 * per_label
    features = _svm_features(wildcards.input)
    if n_pair > SVM["exact"]["gram_limit"] and features + 1 < n_pair:
        solver = 4 * n_pair * (features + 1) * 8 + 3 * (features + 1) ** 2 * 8
    else:
        solver = 6 * n_pair**2 * 8
    subsets = len(
        variant_subsets(wildcards.variant, SVM["suppressed"], svm_latent_values())
    )
    data = (
        len({label for pair in pairs for label in pair})
        * per_label
        * features
        * _svm_item_bytes()
    )
    pair = n_pair * features * 8 + solver
    kept = subsets * len(pairs) * features * 8
    return int(1000 + 1.2 * (data + pair + kept) / 1e6) * attempt


def svm_fit_runtime(wildcards, attempt):
    """Minutes, on one core: per pair, 8 C x about 20 interior-point iterations of min(n^3 / 3, 2 n r^2) flops
    (dense or factored Q, r = features + 1) at 3e10 flop/s, plus the Gram matrix; the suppressed variant's 15
    subsets cost about as much again. The liblinear solver: 8 fits x 1000 epochs x n x features at 1 ns each.
    """
    pairs = len(SVM_CHUNKS[int(wildcards.chunk)])
    n = 2 * PCRT["assembly"]["n_train"] / len(PCRT["labels"])
    r = _svm_features(wildcards.input) + 1
    if SVM["solver"] == "liblinear":
        per_pair_s = 8 * 1000 * n * r * 1e-9
    else:
        per_pair_s = 0.01 + (160 * min(n**3 / 3, 2 * n * r**2) + 2 * n * n * r) / 3e10
        if n > 2000:  # the working-set solver (WORKING_SET_FROM): 102-110 s per paper pair measured (8 C, n =
            # 14,388, end-effector, muscles, spindles), joints > 300 s (docs/performance.md): 600 s x (n / 14,400)^2
            per_pair_s = 600 * (n / 14_400) ** 2
    factor = 2 if wildcards.variant == "suppressed" else 1
    return int(10 + pairs * per_pair_s * factor / 60) * attempt


def svm_evaluate_mem_mb(wildcards, attempt):
    """The largest input's test split, the decision values of every subset, all classifiers."""
    features = max(_svm_features(name) for name in SVM["inputs"])
    n_test = PCRT["assembly"]["n_test"]
    subsets = sum(
        len(variant_subsets(variant, SVM["suppressed"], svm_latent_values()))
        for variant in SVM["variants"]
    )
    test = n_test * features * (_svm_item_bytes() + 8)
    decisions = len(SVM["inputs"]) * 5 * n_test * len(SVM_PAIRS) * 8
    kept = subsets * len(SVM_PAIRS) * features * 8
    return int(1000 + 1.5 * (test + decisions + kept) / 1e6) * attempt


def svm_target_inputs():
    """Everything the SVM stage produces (nothing with fewer than 2 labels: no pair to classify)."""
    if not SVM_PAIRS:
        print(
            f"svm: config key 'pcrt.labels' holds {len(PCRT['labels'])} label; the SVM stage needs at least 2 "
            "and is skipped",
            file=sys.stderr,
        )
        return []
    return [
        f"{SVM_DIR}/pairwise.tsv",
        f"{SVM_DIR}/multiclass.tsv",
        f"{SVM_DIR}/summary.tsv",
        f"{SVM_DIR}/decisions.zarr",
        *[f"{SVM_DIR}/figures/{name}.png" for name in SVM_FIGURES],
    ]


# --- kd (spec kd.md): subjects, runs, params and resources ---------------------------------------------------
from neuromotor.kd import plan as kd_plan

KD = config["kd"]
KD_DIR = kd_plan.KD_DIR
KD_SYNTHETIC_DIR = kd_plan.SYNTHETIC_DIR
try:
    kd_plan.check_config(KD)
    KD_LAYOUT = kd_plan.kd_layout(KD)
    KD_SUBJECT_FILES = kd_plan.subject_files(KD)
except ConfigError as error:
    raise WorkflowError(str(error)) from None
KD_WILDCARDS = {
    "model": "|".join(kd_plan.MODEL_NAMES),
    "subject": r"\d+",
    "fold": r"\d+",
    "alpha": r"\d+\.\d\d",
    "T": r"[0-9.e+-]+",
}
KD_GFLOPS = 500.0  # effective training throughput (FLOP/s / 1e9) assumed for run-time requests: a GPU


def kd_synthetic_params():
    """What a synthetic subject's files depend on (not the number of subjects)."""
    return {key: value for key, value in KD["synthetic"].items() if key != "subjects"}


def kd_data_params():
    return {key: KD["data"][key] for key in ("emg_columns", "emg_channels")}


def kd_subject_files(wildcards):
    subject = int(wildcards.subject)
    if subject >= len(KD_SUBJECT_FILES):
        raise WorkflowError(
            f"kd: subject {subject} does not exist ({len(KD_SUBJECT_FILES)} subjects)"
        )
    emg, us = KD_SUBJECT_FILES[subject]
    return {"emg": emg, "us": us}


def kd_text_mem_mb(wildcards, attempt):
    """A subject's two text files parsed to float64, about three copies."""
    values = KD_LAYOUT.emg_rows * KD["data"]["emg_columns"] + KD_LAYOUT.n_samples * 3840
    return int(1000 + 3 * values * 8 / 1e6) * attempt


def kd_run_outputs(condition):
    """The files of one training job: best.pt, final.pt, epochs.tsv, result.tsv."""
    folder = f"{KD_DIR}/runs/{{model}}/s{{subject}}/fold{{fold}}/{condition}"
    return {Path(name).stem: f"{folder}/{name}" for name in kd_plan.RUN_FILES}


def kd_train_mem_mb(wildcards, modality, teacher=False):
    return kd_plan.train_mem_mb(
        wildcards.model, modality, KD_LAYOUT, KD["train"]["batch_size"], teacher
    )


def kd_train_minutes(wildcards, modality, teacher=False):
    return kd_plan.train_minutes(
        wildcards.model,
        modality,
        KD_LAYOUT,
        KD["train"]["epochs"],
        KD_GFLOPS,
        "US" if teacher else "",
    )


def kd_distillation_settings():
    """Every (alpha, T) setting with the KL averaging in force."""
    return [
        {"alpha": d["alpha"], "T": d["T"], "kl_reduction": KD["kl_reduction"]}
        for d in KD["distillation"]
    ]


def kd_distillation(wildcards):
    """The setting of a distilled student's folder name (alpha to 2 decimals, T as %g)."""
    wanted = f"a{wildcards.alpha}_T{wildcards.T}"
    for setting in kd_distillation_settings():
        if kd_plan.kd_tag(setting["alpha"], setting["T"]) == wanted:
            return setting
    raise WorkflowError(
        f"kd: no setting of 'kd.distillation' matches a{wildcards.alpha}_T{wildcards.T}"
    )


def kd_collect_inputs(wildcards):
    """result.tsv of every (subject, fold) of one (model, condition)."""
    if "alpha" in wildcards.keys():
        condition = f"EMG_KD_a{wildcards.alpha}_T{wildcards.T}"
    else:
        condition = wildcards.modality
    return [
        f"{kd_plan.run_dir(wildcards.model, subject, fold, condition)}/result.tsv"
        for subject in range(len(KD_SUBJECT_FILES))
        for fold in KD["folds"]
    ]


def kd_collected_tables():
    return [
        kd_plan.collected_table(model, condition)
        for model in KD["models"]
        for condition in kd_plan.conditions(KD)
    ]


def kd_runs():
    """(model, condition, folder) of every training job."""
    return [
        (model, condition, kd_plan.run_dir(model, subject, fold, condition))
        for model in KD["models"]
        for condition in kd_plan.conditions(KD)
        for subject in range(len(KD_SUBJECT_FILES))
        for fold in KD["folds"]
    ]


def kd_target_inputs():
    return kd_plan.target_paths(KD)


# --- eeg (spec eeg_interpretation.md): held-out subjects, method jobs, params and resources ---------------------
from neuromotor.eeg import plan as eeg_plan
from neuromotor.eeg.synthetic import subject_counts as eeg_subject_counts

EEG = config["eeg"]
EEG_DIR = eeg_plan.EEG_DIR
EEG_CHUNKS = eeg_plan.method_chunks(
    EEG["attribution"]["methods"], EEG["attribution"]["methods_per_job"]
)
_eeg_problems = eeg_plan.check_config(EEG)  # the file itself: neuromotor.datacheck, above
if _eeg_problems:
    raise WorkflowError("invalid configuration:\n  " + "\n  ".join(_eeg_problems))


def eeg_checkpoint(wildcards):
    """The explained weights (protocol `eeg.attribution.protocol`) of one (model, subject)."""
    folder = eeg_plan.model_dir(wildcards.model, int(wildcards.subject))
    return f"{folder}/{EEG['attribution']['protocol']}.pt"


def eeg_chunk_methods(wildcards):
    return EEG_CHUNKS[int(wildcards.chunk)]


def _eeg_dataset_mb():
    """float64 epochs of the whole file (the original's 2,022 when reading it)."""
    if EEG["data"]["source"] == "synthetic":
        n = sum(
            eeg_subject_counts(EEG["synthetic"]["scale"], EEG["synthetic"]["counts"])
        )
    else:
        n = 2022
    return n * 30 * 384 * 8 / 1e6


def eeg_mem_mb(wildcards, attempt):
    """The dataset a few times over (loaded, as tensors, training split) plus torch and the batches."""
    return int(1500 + 4 * _eeg_dataset_mb()) * attempt


def eeg_attribute_runtime(wildcards, attempt):
    """Minutes: integrated gradients (100 passes per sample) dominates, about 10 min per method on a CPU at the
    largest subject (314 epochs)."""
    return (10 + 10 * len(EEG_CHUNKS[int(wildcards.chunk)])) * attempt


def eeg_target_inputs():
    tables = ("accuracy", "perturbation", "deletion", "summary", "ranking")
    figures = ("accuracy", "ranking", "topomaps")
    return [
        *[f"{EEG_DIR}/{name}.tsv" for name in (*tables, "channel_relevance")],
        *[f"{EEG_DIR}/figures/{name}.png" for name in figures],
        f"{EEG_DIR}/figures/samples",
    ]


def eeg_figure_params():
    """The config the figures depend on (which jobs hold which method, the settings printed on them)."""
    keys = ("models", "subjects", "postprocess", "deletion", "figures")
    return {key: EEG[key] for key in keys} | {
        "attribution": {
            key: EEG["attribution"][key] for key in ("methods", "methods_per_job")
        },
        "perturbation": {"levels": EEG["perturbation"]["levels"]},
    }


# --- emg_signatures (spec emg_signatures.md) ---------------------------------------------------------------------
from neuromotor.emg import plan as emg_plan
from neuromotor.emg.catalogue import MODELS as EMG_MODELS

EMG = config["emg_signatures"]
EMG_DIR = "results/emg_signatures"
EMG_CONDITIONS = EMG["data"]["conditions"]
EMG_EXPERIMENTS = [e.name for e in emg_plan.experiments(EMG_CONDITIONS)]
EMG_MODEL_NAMES = emg_plan.models(EMG)
EMG_SVMS = [m for m in EMG_MODEL_NAMES if EMG_MODELS[m].family == "svm"]
EMG_NETWORKS = [m for m in EMG_MODEL_NAMES if EMG_MODELS[m].family != "svm"]
EMG_COMPARISONS = emg_plan.comparisons(EMG["comparisons"], EMG_CONDITIONS)
EMG_TASKS = emg_plan.subsample_tasks(EMG)
EMG_CHUNKS = emg_plan.subsample_chunks(EMG)
EMG_PARTICIPANTS = emg_plan.participant_count(EMG)


def emg_data_file(condition):
    """The .mat file of a condition: written by emg_synthetic, or found in emg_signatures.data.directory."""
    stem = emg_plan.CONDITIONS[condition]
    if EMG["data"]["source"] == "synthetic":
        return f"{EMG_DIR}/data/{stem}.mat"
    directory = Path(EMG["data"]["directory"])
    for candidate in (directory / f"{stem}.mat", directory / stem):
        if candidate.is_file():
            return str(candidate)
    raise WorkflowError(
        f"config key 'emg_signatures.data.directory': {directory} holds no {stem}.mat, needed because "
        f"'emg_signatures.data.conditions' lists {condition}"
    )


def emg_experiment_files(wildcards):
    """The condition files of one experiment, by condition."""
    experiment = emg_plan.experiment(wildcards.experiment)
    return {condition: emg_data_file(condition) for condition in experiment.conditions}


def emg_run_params(wildcards):
    """The config a model run depends on (SVM runs do not depend on the network schedule)."""
    params = {
        "split_seed": EMG["split_seed"],
        "data": {"equalize_population": EMG["data"]["equalize_population"]},
    }
    if EMG_MODELS[wildcards.model].family != "svm":
        params["training"] = EMG["training"]
    return params


def emg_run_paths(name):
    """One output of every (experiment, model) run: relevance.zarr, checkpoints or scores.json."""
    return [
        f"{EMG_DIR}/runs/{experiment}/{model}/{name}"
        for experiment in EMG_EXPERIMENTS
        for model in EMG_MODEL_NAMES
    ]


def _emg_cycles():
    """Cycles of the largest file: the synthetic count, or the original's 30 per participant."""
    cycles = EMG["synthetic"]["cycles"] if EMG["data"]["source"] == "synthetic" else 30
    return EMG_PARTICIPANTS * cycles


def emg_svm_runtime(wildcards, attempt):
    """Minutes: 10 LinearSVC fits of about 2e-9 s per (sample x feature x class x epoch), 100 epochs at most."""
    n = _emg_cycles()
    return int(10 + 10 * 2e-9 * n * 1600 * EMG_PARTICIPANTS * 100 / 60) * attempt


def emg_network_runtime(wildcards, attempt):
    """Minutes on one CPU core (GPU jobs are faster): 10 folds x updates at up to 10 ms, plus the relevance."""
    updates = sum(EMG["training"]["iterations"])
    return int(20 + 10 * updates * 0.01 / 60 + _emg_cycles() * 0.05 / 60) * attempt


def emg_network_mem_mb(wildcards, attempt):
    """The data, a fold's relevance maps (18 x test cycles x 1600 float64) and the model's activations."""
    n = _emg_cycles()
    return int(2500 + 3 * 18 * n * 1600 * 8 / 1e6) * attempt


def emg_subsample_items(wildcards):
    return [list(item) for item in EMG_CHUNKS[int(wildcards.chunk)]]


def emg_subsample_runtime(wildcards, attempt):
    """Minutes: per subset, 10 LinearSVC fits at most about 6 s each at 78 participants (cost ~ participants^2)."""
    fits = len(EMG_CHUNKS[int(wildcards.chunk)])
    return int(10 + fits * 10 * 6 * (EMG_PARTICIPANTS / 78) ** 2 / 60) * attempt


def emg_subsample_paths(task):
    return [
        f"{EMG_DIR}/subsample/{task}/chunk{index:03d}.zarr"
        for index in range(len(EMG_CHUNKS))
    ]


def emg_signature_inputs(wildcards):
    """The signature model's run and the experiment's test file (plus the planted masks of synthetic data)."""
    experiment = emg_plan.experiment(wildcards.experiment)
    inputs = {
        "relevance": f"{EMG_DIR}/runs/{experiment.name}/{EMG['signatures']['model']}/relevance.zarr",
        "data": emg_data_file(experiment.test),
    }
    if EMG["data"]["source"] == "synthetic":
        inputs["planted"] = f"{EMG_DIR}/data/planted.zarr"
    return inputs


def emg_target_inputs():
    """Everything the EMG stage produces."""
    inputs = [
        f"{EMG_DIR}/accuracy.tsv",
        f"{EMG_DIR}/accuracy_summary.tsv",
        f"{EMG_DIR}/figures/accuracy.png",
    ]
    for experiment in EMG_EXPERIMENTS:
        inputs += [
            f"{EMG_DIR}/signatures/{experiment}.tsv",
            f"{EMG_DIR}/figures/signatures_{experiment}.png",
        ]
    for task in EMG_TASKS:
        inputs += [
            f"{EMG_DIR}/robustness/{task}.tsv",
            f"{EMG_DIR}/figures/robustness_{task}.png",
        ]
    if EMG_COMPARISONS:
        inputs += [
            f"{EMG_DIR}/cross_condition.tsv",
            f"{EMG_DIR}/figures/cross_condition.png",
        ]
    return inputs


def emg_task_file(wildcards):
    """The baseline condition file of a subsample task."""
    return emg_data_file(emg_plan.TASKS[wildcards.task][1])


def emg_robustness_inputs(wildcards):
    """A task's subsample jobs and the signatures of its full-data baseline run."""
    baseline = emg_plan.baseline_experiment(wildcards.task)
    return {
        "chunks": emg_subsample_paths(wildcards.task),
        "baseline": f"{EMG_DIR}/signatures/{baseline}.zarr",
    }


def emg_comparison_stores():
    """The signature stores of the experiments that the cross-condition comparisons use, by experiment."""
    names = sorted({name for pair in EMG_COMPARISONS.values() for name in pair})
    return {name: f"{EMG_DIR}/signatures/{name}.zarr" for name in names}


# --- convnets (spec convnets.md): search and final jobs, params and resources --------------------------------------
from neuromotor.convnets import plan as convnets_plan
from neuromotor.convnets.architecture import parse_name as convnets_parse_name

CONVNETS = config["convnets"]
CONVNETS_DIR = convnets_plan.RESULTS
CONVNETS_N_SAMPLES = PCRT["assembly"]["n_train"] + PCRT["assembly"]["n_test"]


def convnets_search_settings(wildcards):
    """The config a search job depends on (its family's recipe, seeds, device)."""
    family = convnets_parse_name(wildcards.configuration).architecture.family
    return convnets_plan.job_settings(CONVNETS, family, "search", SEED)


def convnets_final_settings(wildcards):
    return convnets_plan.job_settings(CONVNETS, wildcards.family, "final", SEED)


def convnets_summary_inputs(wildcards):
    """The metrics of every model of one search run (or the part directories of its last rung)."""
    run = convnets_plan.run_of(CONVNETS, wildcards.task, wildcards.input_key)
    if convnets_plan.uses_rungs(CONVNETS, run):
        return convnets_plan.last_rung_parts(CONVNETS, run)
    return [
        f"{convnets_plan.search_dir(job['task'], job['input_key'], job['configuration'])}/metrics.json"
        for job in convnets_plan.search_models(CONVNETS)
        if (job["task"], job["input_key"]) == (wildcards.task, wildcards.input_key)
    ]


def convnets_part_settings(wildcards):
    return convnets_plan.part_settings(
        CONVNETS, wildcards.task, wildcards.input_key, wildcards.family, int(wildcards.rung), int(wildcards.part), SEED
    )


def convnets_part_inputs(wildcards):
    """The dataset, and every part directory of the previous rung (the ranking this part's slots come from)."""
    previous = convnets_plan.previous_parts(
        CONVNETS, wildcards.task, wildcards.input_key, wildcards.family, int(wildcards.rung)
    )
    return {"dataset": f"{PCRT_DIR}/dataset.zarr", "previous": previous}


def _convnets_part_cost(wildcards, input):
    """(MB, minutes) of a part job: its models one after the other (the data in memory once)."""
    archs = convnets_plan.part_architectures(
        CONVNETS, wildcards.task, wildcards.input_key, wildcards.family, int(wildcards.rung), int(wildcards.part),
        list(input.previous),
    )  # fmt: skip
    epochs = convnets_plan.rung_epochs(CONVNETS, convnets_plan.run_of(CONVNETS, wildcards.task, wildcards.input_key))
    costs = [
        _convnets_resources(arch, wildcards.input_key, "search", epochs[int(wildcards.rung)]) for arch in archs
    ]
    return max(c[0] for c in costs), sum(c[1] for c in costs)


def convnets_part_mem_mb(wildcards, input, attempt):
    return _convnets_part_cost(wildcards, input)[0] * attempt


def convnets_part_runtime(wildcards, input, attempt):
    return _convnets_part_cost(wildcards, input)[1] * attempt


def convnets_experiment_settings(wildcards):
    return convnets_plan.experiment_settings(CONVNETS, wildcards.experiment, wildcards.family, SEED)


def _convnets_experiment_cost(wildcards):
    spec = CONVNETS["experiments"][wildcards.experiment]
    arch = convnets_parse_name(spec["models"][wildcards.family]).architecture
    return _convnets_resources(arch, spec["input_key"], "final", spec["epochs"] or CONVNETS["train"]["epochs"])


def convnets_experiment_mem_mb(wildcards, attempt):
    return _convnets_experiment_cost(wildcards)[0] * attempt


def convnets_experiment_runtime(wildcards, attempt):
    return _convnets_experiment_cost(wildcards)[1] * attempt


def convnets_experiment_files(experiment, name):
    """``name`` of every model folder of one set of convnets.experiments."""
    return [
        f"{convnets_plan.experiment_dir(j['experiment'], j['task'], j['family'], j['seed'])}/{name}"
        for j in convnets_plan.experiment_models(CONVNETS, experiment)
    ]


def convnets_final_inputs(wildcards):
    """The dataset, and the search table the family's configuration comes from (none when pinned)."""
    summary = convnets_plan.selection_summary(CONVNETS, wildcards.family)
    return {"dataset": f"{PCRT_DIR}/dataset.zarr"} | (
        {"summary": summary} if summary else {}
    )


def _convnets_resources(arch, input_key, role, epochs=None):
    family = arch.family
    epochs = epochs if epochs is not None else CONVNETS[role]["epochs"]
    recipe = convnets_plan.recipe_settings(CONVNETS, family, epochs)
    memory = convnets_plan.job_memory_mb(
        arch,
        input_key,
        CONVNETS_N_SAMPLES,
        recipe["batch_size"],
        recipe["eval_batch_size"],
    )
    if CONVNETS["device"] == "cpu":
        runtime = convnets_plan.job_runtime_min(
            arch, input_key, CONVNETS_N_SAMPLES, recipe["epochs"]
        )
    else:  # a GPU job: its FLOPs at a sustained rate (neuromotor.costs.GPU_FLOPS), plus loading
        flops = convnets_plan.model_flops(
            arch,
            CONVNETS,
            input_key,
            recipe["epochs"],
            PCRT["assembly"]["n_train"],
            PCRT["assembly"]["n_test"],
        )
        runtime = runtime_request_min(300 + flops / GPU_FLOPS)
    return memory, runtime


def _convnets_final_arch(family):
    pinned = CONVNETS["final"]["models"].get(family)
    if pinned:
        return convnets_parse_name(pinned).architecture
    return convnets_plan.largest_architecture(family, CONVNETS)


def convnets_search_mem_mb(wildcards, attempt):
    arch = convnets_parse_name(wildcards.configuration).architecture
    return _convnets_resources(arch, wildcards.input_key, "search")[0] * attempt


def convnets_search_runtime(wildcards, attempt):
    arch = convnets_parse_name(wildcards.configuration).architecture
    return _convnets_resources(arch, wildcards.input_key, "search")[1] * attempt


def convnets_final_mem_mb(wildcards, attempt):
    """The family's pinned configuration, or the costliest of its search space (the winner is known only at run time)."""
    arch = _convnets_final_arch(wildcards.family)
    return (
        _convnets_resources(arch, CONVNETS["final"]["input_key"], "final")[0] * attempt
    )


def convnets_final_runtime(wildcards, attempt):
    arch = _convnets_final_arch(wildcards.family)
    return (
        _convnets_resources(arch, CONVNETS["final"]["input_key"], "final")[1] * attempt
    )


def convnets_control_output():
    """The untrained control's metrics, written by the final model's job when controls are on."""
    if not CONVNETS["final"]["controls"]:
        return {}
    return {
        "control": f"{CONVNETS_DIR}/{{task}}/final/{{family}}/seed{{seed}}/control_metrics.json"
    }


def convnets_figure_inputs():
    """The ART search tables and every final model's metrics, history and control."""
    runs = convnets_plan.search_runs(CONVNETS)
    finals = [
        convnets_plan.final_dir(job["task"], job["family"], job["seed"])
        for job in convnets_plan.final_models(CONVNETS)
    ]
    controls = CONVNETS["final"]["controls"]
    return {
        "summaries": [
            convnets_plan.summary_path(run["task"], run["input_key"])
            for run in runs
            if run["task"] == "art"
        ],
        "metrics": [f"{d}/metrics.json" for d in finals],
        "histories": [f"{d}/history.tsv" for d in finals],
        "controls": [f"{d}/control_metrics.json" for d in finals] if controls else [],
    }


# --- representations (spec representations.md): model states, CKA groups, params and resources -------------------
from neuromotor.represent import plan as represent_plan

REPRESENT = config["representations"]
REPRESENT_DIR = represent_plan.OUT_DIR
REPRESENT_STATES = represent_plan.planned_states(REPRESENT, CONVNETS)
REPRESENT_CKA = represent_plan.cka_jobs(REPRESENT, CONVNETS)
REPRESENT_TASKS, REPRESENT_FAMILIES, REPRESENT_SEEDS = represent_plan.analysed(
    REPRESENT, CONVNETS
)
REPRESENT_N_RDM = REPRESENT["rdm"]["per_class"] * len(PCRT["labels"])
REPRESENT_SWEEP = represent_plan.sweep_pairs(REPRESENT, CONVNETS)


def represent_inputs_mem_mb(wildcards, attempt):
    """The RDM sample of the largest input (spindle_info: 16,000 floats each) and the n x n RDM matrices."""
    data = REPRESENT_N_RDM * 16000 * 8 + 10 * REPRESENT_N_RDM**2 * 8
    return int(1500 + 1.2 * data / 1e6) * attempt


def represent_inputs_runtime(wildcards, attempt):
    """Minutes: five RDMs (Gram matrices and Kendall's tau) and a tSNE per family subset."""
    return int(10 + 5 * REPRESENT_N_RDM**2 * 1e-6 / 60) * attempt


def represent_model_files(wildcards):
    """The final model's config.json and the weights of the state (trained: best.pt, untrained: init.pt)."""
    folder = represent_plan.model_dir(wildcards.task, wildcards.family, wildcards.seed)
    weights = represent_plan.STATES[wildcards.state]
    return {"config": f"{folder}/config.json", "weights": f"{folder}/{weights}.pt"}


REPRESENT_EXPERIMENTS = represent_plan.experiment_states(REPRESENT, CONVNETS)


def represent_experiment_model_files(wildcards):
    """An experiment model's config.json and the weights of the state."""
    folder = represent_plan.experiment_model_dir(
        wildcards.experiment, wildcards.task, wildcards.family, wildcards.seed
    )
    weights = represent_plan.STATES[wildcards.state]
    return {"config": f"{folder}/config.json", "weights": f"{folder}/{weights}.pt"}


def represent_experiment_paths(experiment, name):
    """``name`` (a file of a model state's folder) for every model state of an analysed experiment."""
    return [
        f"{represent_plan.experiment_state_dir(experiment, state)}/{name}"
        for state in REPRESENT_EXPERIMENTS[experiment]
    ]


def represent_state_paths(name):
    """``name`` (a file of a model state's folder) for every analysed model state."""
    return [f"{represent_plan.state_dir(state)}/{name}" for state in REPRESENT_STATES]


def represent_cka_inputs(wildcards):
    """The activations of every (task, state) of one family and seed, and each task's config.json."""
    return {
        "stores": [
            f"{REPRESENT_DIR}/{task}/{wildcards.family}/seed{wildcards.seed}/{state}/activations.zarr"
            for task in REPRESENT_TASKS
            for state in REPRESENT["states"]
        ],
        "configs": [
            f"{represent_plan.model_dir(task, wildcards.family, wildcards.seed)}/config.json"
            for task in REPRESENT_TASKS
        ],
    }


def represent_sweep_inputs(wildcards):
    """The trained ART and TDT networks of one searched configuration."""
    return {
        f"{task}_{key}": f"{represent_plan.search_dir(task, wildcards.input_key, wildcards.configuration)}/{name}"
        for task in ("art", "tdt")
        for key, name in (("config", "config.json"), ("weights", "best.pt"))
    }


def represent_sweep_family(wildcards):
    return convnets_parse_name(wildcards.configuration).architecture.family


def represent_sweep_paths():
    return [
        f"{REPRESENT_DIR}/cka_sweep/{pair['input_key']}/{pair['configuration']}.tsv"
        for pair in REPRESENT_SWEEP
    ]


def represent_sweep_mem_mb(wildcards, input, attempt):
    family = represent_sweep_family(wildcards)
    floats = represent_plan.layer_floats(input.art_config, family, CONVNETS)
    n = represent_plan.subset_size(REPRESENT, family, PCRT["assembly"]["n_test"])
    return represent_plan.cka_memory_mb(floats, n, 2) * attempt


def _represent_size(wildcards, store=None, config_json=None):
    """(trajectories, floats per layer): from the job's activations store or model config when they exist (jobs'
    resources are evaluated again when their inputs are there), else the configuration's bound.
    """
    known = represent_plan.store_layers(store)
    if known:
        return known
    floats = represent_plan.layer_floats(config_json, wildcards.family, CONVNETS)
    n_test = PCRT["assembly"]["n_test"]
    return represent_plan.subset_size(REPRESENT, wildcards.family, n_test), floats


def represent_network_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, config_json=input.config)
    batch = REPRESENT["activations"]["batch_size"]
    return represent_plan.network_memory_mb(floats, n, REPRESENT_N_RDM, batch) * attempt


def represent_network_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, config_json=input.config)
    return represent_plan.network_runtime_min(floats, n, REPRESENT_N_RDM) * attempt


def represent_units_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.store)
    return represent_plan.units_memory_mb(floats, n) * attempt


def represent_units_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.store)
    labels = REPRESENT["tuning"]["labels"]
    return represent_plan.units_runtime_min(floats, n, labels) * attempt


def represent_cka_mem_mb(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.stores[0])
    return represent_plan.cka_memory_mb(floats, n, len(input.stores)) * attempt


def represent_cka_runtime(wildcards, input, attempt):
    n, floats = _represent_size(wildcards, store=input.stores[0])
    return represent_plan.cka_runtime_min(floats, n, len(input.stores)) * attempt


def represent_target_inputs():
    """The summary tables and figures (nothing when no final model is analysed), and the RDM analyses of the
    model sets of representations.experiments."""
    experiments = [
        path
        for name in REPRESENT_EXPERIMENTS
        for path in represent_plan.experiment_outputs(name).values()
    ]
    if not REPRESENT_STATES:
        print(
            "representations: no final model of convnets.final matches representations.tasks/families/seeds; "
            + ("only representations.experiments are analysed" if experiments else "the stage is skipped"),
            file=sys.stderr,
        )
        return experiments
    return experiments + [
        f"{REPRESENT_DIR}/summary/{name}.tsv" for name in represent_plan.SUMMARY_TABLES
    ] + [f"{REPRESENT_DIR}/figures/{name}.png" for name in represent_plan.FIGURES]


# --- svm solver comparison and fidelity (issue 14; docs/fidelity.md) ------------------------------------------------
from neuromotor.fidelity import extract as fidelity_extract


def svm_solver_fit_params(wildcards):
    """svm_fit_params with the compared solver and its settings in place of svm.solver's."""
    params = {k: v for k, v in svm_fit_params(wildcards).items() if k != SVM["solver"]}
    return params | {
        "solver": wildcards.solver,
        wildcards.solver: SVM[wildcards.solver],
    }


def svm_solver_fit_runtime(wildcards, attempt):
    """Minutes: svm_fit_runtime's model for the compared solver (liblinear: 8 fits x 1000 epochs x n x features at
    1 ns each, twice for the suppressed variant's subsets)."""
    if wildcards.solver != "liblinear":
        return svm_fit_runtime(wildcards, attempt)
    pairs = len(SVM_CHUNKS[int(wildcards.chunk)])
    n = 2 * PCRT["assembly"]["n_train"] / len(PCRT["labels"])
    r = _svm_features(wildcards.input) + 1
    factor = 2 if wildcards.variant == "suppressed" else 1
    return int(10 + pairs * 8 * 1000 * n * r * 1e-9 * factor / 60) * attempt


def svm_solver_fit_paths(wildcards, extension):
    return [
        path.replace(f"{SVM_DIR}/", f"{SVM_DIR}/solvers/{wildcards.solver}/", 1)
        for path in svm_fit_paths(extension)
    ]


FIDELITY_REFERENCE = "resources/reference/published.tsv"
FIDELITY_CATEGORY = "Comparison with the papers"


def fidelity_outputs(study):
    """The vs_paper table (TSV and HTML) and figure of a study, registered with the report."""
    caption = "../workflow/report/vs_paper.rst"
    return {
        "table": f"results/{study}/vs_paper.tsv",
        "html": report(
            f"results/{study}/vs_paper.html",
            caption=caption,
            category=FIDELITY_CATEGORY,
            subcategory=study,
        ),
        "figure": report(
            f"results/{study}/figures/vs_paper.png",
            caption=caption,
            category=FIDELITY_CATEGORY,
            subcategory=study,
        ),
    }


def fidelity_svm_summaries():
    """solver -> summary.tsv of every SVM run of this plan (none when the SVM stage is skipped)."""
    if not svm_target_inputs():
        return {}
    return {SVM["solver"]: f"{SVM_DIR}/summary.tsv"} | {
        solver: f"{SVM_DIR}/solvers/{solver}/summary.tsv"
        for solver in SVM["compare_solvers"]
        if solver != SVM["solver"]
    }


def fidelity_model_sets():
    """Every model set of this plan with a table (``final``: convnets/final.tsv; each of convnets.experiments: its
    models.tsv) -> its network input."""
    sets = {}
    if f"{CONVNETS_DIR}/final.tsv" in convnets_plan.target_paths(CONVNETS):
        sets["final"] = CONVNETS["final"]["input_key"]
    for name, spec in CONVNETS.get("experiments", {}).items():
        sets[name] = spec.get("input_key", "spindle_info")
    return sets


def fidelity_rdm_sets():
    """The model sets with an RDM table: final (when its models are analysed) and representations.experiments."""
    sets = ["final"] if REPRESENT_STATES and "final" in fidelity_model_sets() else []
    return sets + [name for name in REPRESENT_EXPERIMENTS if name in fidelity_model_sets()]


def fidelity_deepdraw_inputs():
    """The result tables of the DeepDraw stages this plan runs (SVM per solver, the model sets' tables, the search
    summaries, the RDM tables)."""
    inputs = {"reference": FIDELITY_REFERENCE}
    inputs |= {
        f"svm_{solver}": path for solver, path in fidelity_svm_summaries().items()
    }
    for name in fidelity_model_sets():
        inputs[f"models_{name}"] = (
            f"{CONVNETS_DIR}/final.tsv"
            if name == "final"
            else convnets_plan.experiment_table(name)
        )
    for name in fidelity_rdm_sets():
        inputs[f"rdm_{name}"] = (
            f"{REPRESENT_DIR}/summary/rdm.tsv"
            if name == "final"
            else f"{REPRESENT_DIR}/experiments/{name}/rdm.tsv"
        )
    inputs["search"] = [
        convnets_plan.summary_path(run["task"], run["input_key"])
        for run in convnets_plan.search_runs(CONVNETS)
    ]
    return inputs
