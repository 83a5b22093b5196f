"""The job plan of the KD study: which subjects, folds, models and conditions run, and where their files go.

One training job per (subject, fold, model, role): the ultrasound ``teacher`` (condition ``US``), the sEMG
``student`` without distillation (``EMG``) and, per (alpha, T) of ``kd.distillation``, the sEMG ``student_kd``
distilled from the teacher of the same subject and fold (``EMG_KD_a{alpha:.2f}_T{T:g}``). Everything here is
plain Python on the config (no torch), so Snakemake plans quickly.
"""

from __future__ import annotations

from neuromotor.costs import memory_request_mb
from neuromotor.errors import ConfigError
from neuromotor.io.kd_text import find_subject_files
from neuromotor.kd.data import US_DEPTH, US_TRANSDUCERS, Layout
from neuromotor.kd.synthetic import subject_file_names

KD_DIR = "results/kd"
SYNTHETIC_DIR = f"{KD_DIR}/synthetic/data"
PROTOCOLS = {"paper": "best test epoch (best.pt)", "honest": "final epoch (final.pt)"}
"""The two ways of reading out a run: the original's optimistic one and the final epoch."""
MODEL_NAMES = ("MSCNN", "EUNet", "MKCNN", "XceptionTime", "MINDS")
"""The networks in the order of the paper's table (importable without torch, for planning)."""
RUN_FILES = ("best.pt", "final.pt", "epochs.tsv", "result.tsv")
"""Files of every training job."""
WILDCARDS = {
    "model": "|".join(MODEL_NAMES),
    "subject": r"[1-9]\d*",
    "fold": r"\d+",
    "alpha": r"\d+\.\d\d",
    "T": r"[0-9.e+-]+",
}
"""Wildcard constraints of the training and collection rules."""
GFLOPS = 500.0
"""Effective training throughput (FLOP/s / 1e9) assumed for run-time requests: a GPU."""
FORWARD_MMACS = {
    ("MSCNN", "EMG"): 0.90, ("MSCNN", "US"): 8.89,
    ("EUNet", "EMG"): 3.58, ("EUNet", "US"): 16.4,
    ("MKCNN", "EMG"): 22.3, ("MKCNN", "US"): 88.9,
    ("XceptionTime", "EMG"): 51.8, ("XceptionTime", "US"): 207.0,
    ("MINDS", "EMG"): 3702.0, ("MINDS", "US"): 495.0,
}  # fmt: skip
"""Multiply-accumulates of one forward pass per sample, millions (convolutions and dense layers; a unit test
recomputes them), for the run-time requests of the training jobs."""


def kd_tag(alpha: float, temperature: float) -> str:
    """``a0.80_T20``: the original's name of an (alpha, T) setting."""
    return f"a{alpha:.2f}_T{temperature:g}"


def condition_name(role: str, alpha: float | None = None, temperature: float | None = None) -> str:
    """Folder and matrix name of a role's results: ``US``, ``EMG`` or ``EMG_KD_a0.80_T20``."""
    if role == "teacher":
        return "US"
    if role == "student":
        return "EMG"
    if role == "student_kd":
        return f"EMG_KD_{kd_tag(alpha, temperature)}"
    raise ValueError(f"role must be teacher, student or student_kd, got {role!r}")


def kd_layout(kd: dict) -> Layout:
    return Layout.from_config(kd["layout"])


def check_config(config: dict) -> list[str]:
    """Problems of the ``kd`` section that the schema cannot express (each names its key); empty when fine."""
    if "kd" not in config:
        return []
    kd = config["kd"]
    problems = []
    try:
        folds = kd_layout(kd).n_folds
    except ConfigError as error:
        return [f"config key 'kd.layout': {error}"]
    bad = [fold for fold in kd["folds"] if fold >= folds]
    if bad:
        problems.append(
            f"config key 'kd.folds': {bad} do not exist; kd.layout.trials = {kd['layout']['trials']} gives folds "
            f"0..{folds - 1}"
        )
    samples_per_trial = kd["layout"]["gestures"] * kd["layout"]["windows_per_gesture"]
    train = (kd["layout"]["trials"] - 2) * samples_per_trial
    if train < kd["train"]["batch_size"]:
        problems.append(
            f"config key 'kd.train.batch_size': {kd['train']['batch_size']} exceeds the {train} training samples "
            "of a fold (kd.layout)"
        )
    pairs = [(d["alpha"], d["T"]) for d in kd["distillation"]]
    if len({kd_tag(*pair) for pair in pairs}) != len(pairs):
        problems.append(f"config key 'kd.distillation': settings {pairs} repeat (alpha to 2 decimals, T)")
    return problems


def subject_files(kd: dict) -> list[tuple[str, str]]:
    """The (EMG, US) text files of every subject, subject number n at position n - 1 (:func:`subject_index`): the
    synthetic files the workflow writes, or those found under ``kd.data.dir`` (sorted, as the original)."""
    if kd["data"]["source"] == "synthetic":
        names = subject_file_names(kd["synthetic"]["subjects"])
        return [(f"{SYNTHETIC_DIR}/EMG/{emg}", f"{SYNTHETIC_DIR}/US/{us}") for emg, us in names]
    try:
        return [(str(emg), str(us)) for emg, us in find_subject_files(kd["data"]["dir"])]
    except Exception as error:
        raise ConfigError(f"config key 'kd.data.dir': {error}") from None


def subject_numbers(n_subjects: int) -> range:
    """The subject numbers of a plan of ``n_subjects``: 1..n, as the synthetic files ``s{n}`` and the EMG and EEG
    studies number theirs (wildcards, paths, tables)."""
    return range(1, n_subjects + 1)


def subject_index(subject: int) -> int:
    """The 0-based position of subject number ``subject`` (1-based) in :func:`subject_files`. The seeds of a
    subject's synthetic files and training runs derive from it, as they did when the subjects were numbered from 0,
    so the renumbering changed no result."""
    if int(subject) < 1:
        raise ValueError(f"KD subjects are numbered from 1, got {subject}")
    return int(subject) - 1


def subject_inputs(files: list[tuple[str, str]], subject: int) -> dict[str, str]:
    """The (EMG, US) text files of subject number ``subject`` (1-based; of :func:`subject_files`) by name; raises
    ConfigError for a subject that does not exist."""
    if not 1 <= subject <= len(files):
        raise ConfigError(f"kd: subject {subject} does not exist (subjects 1..{len(files)})")
    emg, us = files[subject_index(subject)]
    return {"emg": emg, "us": us}


def run_dir(model: str, subject: int | str, fold: int | str, condition: str) -> str:
    return f"{KD_DIR}/runs/{model}/s{subject}/fold{fold}/{condition}"


def run_outputs(condition: str) -> dict[str, str]:
    """The files of one training job (best.pt, final.pt, epochs.tsv, result.tsv) by stem, with the wildcards
    {model}, {subject} and {fold}."""
    folder = f"{KD_DIR}/runs/{{model}}/s{{subject}}/fold{{fold}}/{condition}"
    return {name.split(".")[0]: f"{folder}/{name}" for name in RUN_FILES}


def runs(kd: dict, n_subjects: int) -> list[tuple[str, str, str]]:
    """(model, condition, folder) of every training job."""
    return [
        (model, condition, run_dir(model, subject, fold, condition))
        for model in kd["models"]
        for condition in conditions(kd)
        for subject in subject_numbers(n_subjects)
        for fold in kd["folds"]
    ]


def collect_inputs(kd: dict, n_subjects: int, model: str, condition: str) -> list[str]:
    """result.tsv of every (subject, fold) of one (model, condition)."""
    return [
        f"{run_dir(model, subject, fold, condition)}/result.tsv"
        for subject in subject_numbers(n_subjects)
        for fold in kd["folds"]
    ]


def collected_tables(kd: dict) -> list[str]:
    return [collected_table(model, condition) for model in kd["models"] for condition in conditions(kd)]


def synthetic_params(kd: dict) -> dict:
    """What a synthetic subject's files depend on (not the number of subjects)."""
    return {key: value for key, value in kd["synthetic"].items() if key != "subjects"}


def data_params(kd: dict) -> dict:
    return {key: kd["data"][key] for key in ("emg_columns", "emg_channels")}


def distillation_settings(kd: dict) -> list[dict]:
    """Every (alpha, T) setting with the KL averaging in force."""
    return [{"alpha": d["alpha"], "T": d["T"], "kl_reduction": kd["kl_reduction"]} for d in kd["distillation"]]


def distillation_setting(kd: dict, alpha: str, temperature: str) -> dict:
    """The setting of a distilled student's folder name (alpha to 2 decimals, T as %g); raises ConfigError when
    no setting of ``kd.distillation`` matches."""
    wanted = f"a{alpha}_T{temperature}"
    for setting in distillation_settings(kd):
        if kd_tag(setting["alpha"], setting["T"]) == wanted:
            return setting
    raise ConfigError(f"kd: no setting of 'kd.distillation' matches {wanted}")


def conditions(kd: dict) -> list[str]:
    """Every condition of the plan: ``US``, ``EMG`` and one ``EMG_KD_...`` per (alpha, T)."""
    return ["US", "EMG"] + [condition_name("student_kd", d["alpha"], d["T"]) for d in kd["distillation"]]


def collected_table(model: str, condition: str) -> str:
    """The long table of one (model, condition): every subject, fold and protocol."""
    return f"{KD_DIR}/accuracy/{model}_{condition}.tsv"


def matrix_path(model: str, condition: str, protocol: str) -> str:
    """The original's result matrix (subjects x folds) of one (model, condition), per protocol:
    ``{Model}/{Model}_{EMG|US}_{protocol}.txt`` or ``{Model}-kd-{Model}/{Model}-kd-{Model}_EMG_KD_a.._T.._{protocol}
    .txt`` under ``results/kd/matrices``."""
    folder = model if condition in ("US", "EMG") else f"{model}-kd-{model}"
    return f"{KD_DIR}/matrices/{folder}/{folder}_{condition}_{protocol}.txt"


SUMMARY_TABLES = ("accuracy.tsv", "subjects.tsv", "table.tsv", "table.html", "minds_vs_others.tsv")
FIGURES = ("boxplot", "curves")


def target_paths(kd: dict) -> list[str]:
    """Everything the ``kd`` target builds (the training runs come in through these)."""
    paths = [f"{KD_DIR}/{name}" for name in SUMMARY_TABLES]
    paths += [f"{KD_DIR}/figures/{name}.png" for name in FIGURES]
    for model in kd["models"]:
        for condition in conditions(kd):
            paths += [matrix_path(model, condition, protocol) for protocol in PROTOCOLS]
    return paths


ACTIVATION_MFLOATS = {
    ("MSCNN", "EMG"): 0.024, ("MSCNN", "US"): 0.153,
    ("EUNet", "EMG"): 0.080, ("EUNet", "US"): 0.343,
    ("MKCNN", "EMG"): 0.602, ("MKCNN", "US"): 2.41,
    ("XceptionTime", "EMG"): 1.00, ("XceptionTime", "US"): 4.00,
    ("MINDS", "EMG"): 6.84, ("MINDS", "US"): 1.18,
}  # fmt: skip
"""Outputs of every layer in one forward pass per sample, millions of floats (what training keeps for the
backward pass; a unit test recomputes them), for the memory requests of the training jobs."""


def text_mem_mb(kd: dict, layout: Layout, attempt: int = 1) -> int:
    """A subject's two text files parsed to float64, about three copies (the US file: one A-mode frame of
    US_TRANSDUCERS x US_DEPTH values per sample)."""
    values = layout.emg_rows * kd["data"]["emg_columns"] + layout.n_samples * US_TRANSDUCERS * US_DEPTH
    return int(1000 + 3 * values * 8 / 1e6) * attempt


TORCH_PROCESS_MB = 350.0
"""Resident MB of a training job's interpreter with torch (the validation run's MSCNN jobs peak at 359-361 MB with
12 MB of data and activations)."""
CUDA_CONTEXT_MB = 2500.0
"""Host MB that a CUDA context adds to a GPU job (the training rules request ``gpu=1``; not measured here)."""
CPU_MACS_PER_S = 2e10
CPU_PROCESS_SECONDS = 3.5
"""The CPU path of a training job: 2e10 multiply-accumulates per CPU-second after 3.5 s of start (the validation
and demo runs' 84 CPU jobs of MSCNN, EUNet and MKCNN)."""


def train_peak_mb(model: str, modality: str, samples: int, batch_size: int, distilled: bool = False) -> float:
    """Expected peak MB of one training job on the CPU: the subject's ``samples`` (both modalities for a distilled
    student; EMG 4 x 256 and US 4 x 1024 floats each, the store's arrays and the tensors made from them), twice
    the activations of a training batch (activations and their gradients), the interpreter with torch."""
    sample_floats = 4 * 256 + (4 * 1024 if distilled or modality == "US" else 0)
    data = samples * sample_floats * 4 * 2
    activations = 2 * batch_size * ACTIVATION_MFLOATS[(model, modality)] * 1e6 * 4
    return TORCH_PROCESS_MB + (data + activations) / 1e6


def train_mem_mb(model: str, modality: str, layout: Layout, batch_size: int, teacher: bool = False) -> int:
    """The request of :func:`train_peak_mb` plus a CUDA context (40 % headroom, 1 GB floor), at attempt 1."""
    return memory_request_mb(train_peak_mb(model, modality, layout.n_samples, batch_size, teacher) + CUDA_CONTEXT_MB)


def train_macs(model: str, modality: str, samples: int, trials: int, epochs: int, teacher: str = "") -> float:
    """Multiply-accumulates of one training job: forward + backward (3x the forward) of every training sample
    (``trials`` - 2 of ``trials``) per epoch plus the test forward; a distilled student (``teacher``: its
    modality) also runs its teacher once over all samples, and trains twice when the teacher's best and final
    checkpoints differ."""
    train = samples * (trials - 2) / trials
    macs = FORWARD_MMACS[(model, modality)] * 1e6 * epochs * (3 * train + (samples - train))
    if teacher:
        macs = 2 * macs + FORWARD_MMACS[(model, teacher)] * 1e6 * samples
    return macs


def train_cpu_seconds(model: str, modality: str, samples: int, trials: int, epochs: int, teacher: str = "") -> float:
    """Expected CPU seconds of one training job on the CPU (:func:`train_macs` at :data:`CPU_MACS_PER_S`)."""
    return CPU_PROCESS_SECONDS + train_macs(model, modality, samples, trials, epochs, teacher) / CPU_MACS_PER_S


def train_minutes(model: str, modality: str, layout: Layout, epochs: int, gflops: float, teacher: str = "") -> int:
    """Estimated minutes of one training job on a GPU: :func:`train_macs` (2 flops each) at ``gflops`` effective
    throughput, plus 10 ms of overhead per step (32 samples), twice for a distilled student, plus 5 minutes."""
    n = layout.n_samples
    train = n * (layout.trials - 2) / layout.trials
    macs = train_macs(model, modality, n, layout.trials, epochs, teacher)
    steps = epochs * (train // 32 + (n - train) // 32 + 1) * (2 if teacher else 1)
    return int(5 + (2 * macs / (gflops * 1e9) + 0.01 * steps) / 60)
