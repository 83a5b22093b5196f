"""What the EMG study runs: conditions, experiments, comparisons and subsample jobs (Aeles et al. 2021, Methods,
Results; docs/studies.md).

Pure functions of the config section ``emg_signatures``; ``rules/emg_signatures.smk`` calls them to list the jobs.
Nothing here reads data, so planning a paper-scale run is instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from neuromotor.costs import memory_request_mb, runtime_request_min
from neuromotor.emg.catalogue import MODELS, N_FEATURES
from neuromotor.errors import ConfigError
from neuromotor.explain.lrp_configurations import CONV_RULES, TARGETS

EMG_DIR = "results/emg_signatures"
ORIGINAL_CYCLES = 30
"""Cycles per participant of the original files (the cost model's size of real data)."""

CONDITIONS = {
    "pedalling_150W_day1": "Data_Pedalling_150W_Baseline_Day1",
    "pedalling_80W_day1": "Data_Pedalling_80W_Robustness_Day1",
    "pedalling_10perc_day1": "Data_Pedalling_10perc_Robustness_Day1",
    "pedalling_15perc_day1": "Data_Pedalling_15perc_Robustness_Day1",
    "pedalling_150W_day2": "Data_Pedalling_150W_Robustness_Day2",
    "walking_day1": "Data_Walking_Baseline_Day1",
    "walking_day2": "Data_Walking_Robustness_Day2",
}
"""Condition name → file stem of the original data (``.mat``)."""

TASKS = {"pedalling": (1, "pedalling_150W_day1"), "walking": (2, "walking_day1")}
"""Task → (task id entering the subset seeds, baseline condition)."""


@dataclass(frozen=True)
class Experiment:
    """One experiment of Aeles et al. 2021: ``cv`` on one condition, or ``transfer`` (train on ``train``, test on
    ``test``)."""

    name: str
    mode: str
    train: str
    test: str

    @property
    def conditions(self) -> tuple[str, ...]:
        return (self.train,) if self.mode == "cv" else (self.train, self.test)


EXPERIMENTS = (
    Experiment("pedalling_150W_baseline_day1", "cv", "pedalling_150W_day1", "pedalling_150W_day1"),
    Experiment("pedalling_150W_robustness_10perc", "transfer", "pedalling_150W_day1", "pedalling_10perc_day1"),
    Experiment("pedalling_150W_robustness_15perc", "transfer", "pedalling_150W_day1", "pedalling_15perc_day1"),
    Experiment("pedalling_150W_robustness_80W", "transfer", "pedalling_150W_day1", "pedalling_80W_day1"),
    Experiment("pedalling_150W_robustness_day2", "transfer", "pedalling_150W_day1", "pedalling_150W_day2"),
    Experiment("walking_baseline_day1", "cv", "walking_day1", "walking_day1"),
    Experiment("walking_robustness_day2", "transfer", "walking_day1", "walking_day2"),
)

COMPARISONS = {
    "pedalling_day1_vs_day2": ("pedalling_150W_baseline_day1", "pedalling_150W_robustness_day2"),
    "pedalling_150W_vs_10perc": ("pedalling_150W_baseline_day1", "pedalling_150W_robustness_10perc"),
    "pedalling_150W_vs_15perc": ("pedalling_150W_baseline_day1", "pedalling_150W_robustness_15perc"),
    "pedalling_vs_walking": ("pedalling_150W_baseline_day1", "walking_baseline_day1"),
    "walking_day1_vs_day2": ("walking_baseline_day1", "walking_robustness_day2"),
    "pedalling_150W_vs_80W": ("pedalling_150W_baseline_day1", "pedalling_150W_robustness_80W"),
}
"""Cross-condition comparison (Aeles et al. 2021, Results) → the two experiments whose participant signatures are
correlated."""


def experiments(conditions: Sequence[str]) -> list[Experiment]:
    """The experiments whose data files are all among ``conditions``, in the order of :data:`EXPERIMENTS`."""
    present = set(conditions)
    return [experiment for experiment in EXPERIMENTS if set(experiment.conditions) <= present]


def experiment(name: str) -> Experiment:
    for candidate in EXPERIMENTS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown EMG experiment {name!r}; known: {[e.name for e in EXPERIMENTS]}")


def comparisons(names: Sequence[str], conditions: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The configured comparisons whose two experiments both run with ``conditions``."""
    available = {e.name for e in experiments(conditions)}
    return {name: COMPARISONS[name] for name in names if set(COMPARISONS[name]) <= available}


def baseline_experiment(task: str) -> str:
    """The CV experiment of a task's baseline condition (its signatures are the subsample baseline)."""
    return next(e.name for e in EXPERIMENTS if e.mode == "cv" and e.train == TASKS[task][1])


def participant_count(cfg: Mapping) -> int | None:
    """Participant columns of the data files: the synthetic count, or ``data.participants`` for real files (None
    until read from the files: :func:`neuromotor.datacheck.check_emg_files` fills it in)."""
    if cfg["data"]["source"] == "synthetic":
        return int(cfg["synthetic"]["participants"])
    count = cfg["data"]["participants"]
    return None if count is None else int(count)


def subsample_targets(cfg: Mapping) -> list[int]:
    """Target participants (1-based) of the subsample stage: ``subsample.targets``, or all."""
    return list(cfg["subsample"]["targets"]) or list(range(1, participant_count(cfg) + 1))


def subsample_items(targets: Sequence[int], sizes: Sequence[int], repetitions: int) -> list[tuple[int, int, int]]:
    """Every subset of one task as (target k, size N, repetition S), in a fixed order (k, then N, then S)."""
    return [(k, n, s) for k in targets for n in sizes for s in range(1, repetitions + 1)]


def chunk(items: Sequence, per_job: int) -> list[list]:
    """Consecutive pieces of ``per_job`` items (the last one shorter)."""
    return [list(items[start : start + per_job]) for start in range(0, len(items), per_job)]


def subsample_chunks(cfg: Mapping) -> list[list[tuple[int, int, int]]]:
    """The subsets of one task, cut into jobs of ``subsample.fits_per_job`` subset fits (one 10-fold CV each)."""
    sub = cfg["subsample"]
    items = subsample_items(subsample_targets(cfg), sub["sizes"], sub["repetitions"])
    return chunk(items, sub["fits_per_job"])


def subsample_tasks(cfg: Mapping) -> list[str]:
    return list(cfg["subsample"]["tasks"])


def models(cfg: Mapping) -> list[str]:
    """The configured models plus the signature model (always trained: signatures and comparisons need it)."""
    names = list(cfg["models"])
    signature_model = cfg["signatures"]["model"]
    return names if signature_model in names else [signature_model, *names]


def check_config(config: Mapping) -> list[str]:
    """Problems spanning several keys of the ``emg_signatures`` section (each names its keys)."""
    if "emg_signatures" not in config:
        return []
    cfg = config["emg_signatures"]
    problems = []
    conditions = cfg["data"]["conditions"]
    if cfg["data"]["source"] == "files" and not cfg["data"]["directory"]:
        problems.append("config key 'emg_signatures.data.directory': required when 'emg_signatures.data.source' "
                        "is 'files'")
    if not experiments(conditions):
        problems.append(f"config key 'emg_signatures.data.conditions': {list(conditions)} define no experiment; "
                        "include a baseline condition (pedalling_150W_day1 or walking_day1)")
    for task in cfg["subsample"]["tasks"]:
        if TASKS[task][1] not in conditions:
            problems.append(f"config key 'emg_signatures.subsample.tasks': task {task!r} needs condition "
                            f"{TASKS[task][1]!r} in 'emg_signatures.data.conditions'")
    problems += check_participants(cfg)
    synthetic = cfg["synthetic"]
    if synthetic["day2_participants"] > synthetic["participants"]:
        problems.append("config key 'emg_signatures.synthetic.day2_participants': "
                        f"{synthetic['day2_participants']} exceeds 'synthetic.participants' "
                        f"({synthetic['participants']})")
    if len(cfg["training"]["iterations"]) != len(cfg["training"]["learning_rates"]):
        problems.append("config keys 'emg_signatures.training.iterations' and '.learning_rates' must have one "
                        "entry per phase")
    return problems


def check_participants(cfg: Mapping) -> list[str]:
    """Subsample sizes and targets against the participant count (nothing while it is still to be read)."""
    problems = []
    n_participants = participant_count(cfg)
    if n_participants is None:
        return problems
    sizes = list(cfg["subsample"]["sizes"])
    if any(n > n_participants for n in sizes) or sizes != sorted(set(sizes)):
        problems.append(f"config key 'emg_signatures.subsample.sizes': {sizes} must be strictly increasing "
                        f"numbers of participants between 2 and {n_participants}")
    bad_targets = [k for k in cfg["subsample"]["targets"] if not 1 <= k <= n_participants]
    if bad_targets:
        problems.append(f"config key 'emg_signatures.subsample.targets': {bad_targets} are not participants "
                        f"1..{n_participants}")
    return problems


# ---- paths and inputs ------------------------------------------------------------------------------------------


def data_file(cfg: Mapping, condition: str) -> str:
    """The .mat file of a condition: written by emg_synthetic, or found in emg_signatures.data.directory (raises
    ConfigError naming the key when it holds no such file)."""
    stem = CONDITIONS[condition]
    if cfg["data"]["source"] == "synthetic":
        return f"{EMG_DIR}/data/{stem}.mat"
    directory = Path(cfg["data"]["directory"])
    for candidate in (directory / f"{stem}.mat", directory / stem):
        if candidate.is_file():
            return str(candidate)
    raise ConfigError(
        f"config key 'emg_signatures.data.directory': {directory} holds no {stem}.mat, needed because "
        f"'emg_signatures.data.conditions' lists {condition}"
    )


def experiment_names(cfg: Mapping) -> list[str]:
    return [e.name for e in experiments(cfg["data"]["conditions"])]


def run_paths(cfg: Mapping, name: str) -> list[str]:
    """One output of every (experiment, model) run: relevance.zarr, checkpoints or scores.json."""
    return [f"{EMG_DIR}/runs/{e}/{model}/{name}" for e in experiment_names(cfg) for model in models(cfg)]


def subsample_paths(cfg: Mapping, task: str) -> list[str]:
    return [f"{EMG_DIR}/subsample/{task}/chunk{index:03d}.zarr" for index in range(len(subsample_chunks(cfg)))]


def signature_inputs(cfg: Mapping, name: str) -> dict[str, str]:
    """The signature model's run and the experiment's test file (plus the planted masks of synthetic data)."""
    chosen = experiment(name)
    inputs = {
        "relevance": f"{EMG_DIR}/runs/{chosen.name}/{cfg['signatures']['model']}/relevance.zarr",
        "data": data_file(cfg, chosen.test),
    }
    if cfg["data"]["source"] == "synthetic":
        inputs["planted"] = f"{EMG_DIR}/data/planted.zarr"
    return inputs


def robustness_inputs(cfg: Mapping, task: str) -> dict:
    """A task's subsample jobs and the signatures of its full-data baseline run."""
    return {
        "chunks": subsample_paths(cfg, task),
        "baseline": f"{EMG_DIR}/signatures/{baseline_experiment(task)}.zarr",
    }


def comparison_stores(cfg: Mapping) -> dict[str, str]:
    """The signature stores of the experiments that the cross-condition comparisons use, by experiment."""
    chosen = comparisons(cfg["comparisons"], cfg["data"]["conditions"])
    names = sorted({name for pair in chosen.values() for name in pair})
    return {name: f"{EMG_DIR}/signatures/{name}.zarr" for name in names}


def target_paths(cfg: Mapping) -> list[str]:
    """Everything the EMG stage produces."""
    paths = [f"{EMG_DIR}/accuracy.tsv", f"{EMG_DIR}/accuracy_summary.tsv", f"{EMG_DIR}/figures/accuracy.png"]
    for name in experiment_names(cfg):
        paths += [f"{EMG_DIR}/signatures/{name}.tsv", f"{EMG_DIR}/figures/signatures_{name}.png"]
    for task in subsample_tasks(cfg):
        paths += [f"{EMG_DIR}/robustness/{task}.tsv", f"{EMG_DIR}/figures/robustness_{task}.png"]
    if comparisons(cfg["comparisons"], cfg["data"]["conditions"]):
        paths += [f"{EMG_DIR}/cross_condition.tsv", f"{EMG_DIR}/figures/cross_condition.png"]
    return paths


def run_params(cfg: Mapping, model: str) -> dict:
    """The config a model run depends on (SVM runs do not depend on the network schedule)."""
    params = {"split_seed": cfg["split_seed"], "data": {"equalize_population": cfg["data"]["equalize_population"]}}
    if MODELS[model].trained_by_sgd:
        params["training"] = cfg["training"]
    return params


# ---- cost model ------------------------------------------------------------------------------------------------

RELEVANCE_MAPS = len(CONV_RULES) * len(TARGETS)
"""Relevance maps per test cycle of a CNN (every rule configuration, true and predicted class): the most a run
holds."""


def cycles(cfg: Mapping) -> int:
    """Cycles of the largest file: the synthetic count, or the original's 30 per participant."""
    per_participant = cfg["synthetic"]["cycles"] if cfg["data"]["source"] == "synthetic" else ORIGINAL_CYCLES
    return participant_count(cfg) * per_participant


SVM_PROCESS_MB = 450.0
"""Resident MB of an SVM run's interpreter (torch, scikit-learn, the catalogue): the demo run's 12-participant SVM
jobs peak at 470 MB, the validation run's 78-participant ones at 831 MB."""
SVM_DATA_COPIES = 12
"""Peak MB of an SVM run above the interpreter, in float64 copies of the file's features (the recording, its
windows and the folds' splits; fitted to the demo and validation runs)."""
SUBSAMPLE_PROCESS_MB = 480.0
"""Resident MB of a subsample job's interpreter (scikit-learn; the validation run's jobs peak at 493-614 MB)."""
PROCESS_SECONDS = 5.0
"""CPU seconds of a job's start (imports, reading the condition file)."""
SVM_SECONDS_PER_SFC = 1.9e-7
"""CPU seconds per (sample x feature x class) of an SVM run's 10 LinearSVC fits: the validation run's 78
participants (2,340 cycles x 1,600 features) took 40-42 CPU-s at C = 0.01 and 72-95 at C = 1 (more iterations):
their middle."""
SUBSAMPLE_SECONDS_PER_FIT = 8.4e-3
SUBSAMPLE_SECONDS_PER_SIZE_SQ = 6e-6
"""A subset fit (one 10-fold CV) costs 10 x (8.4 ms + 6 us x size^2) CPU-s: samples x classes grow as the subset's
participants squared. Fitted to the demo run's 72-fit jobs of 2-12 participants (11.1-11.5 CPU-s) and the
validation run's of 2-78 (10-35 CPU-s, in two groups at the same sizes: the machine's load; their middle)."""


def svm_sizes(cfg: Mapping) -> dict:
    """What an SVM run's cost model reads: participants and cycles of the largest file."""
    return {"participants": participant_count(cfg), "cycles": cycles(cfg)}


def svm_seconds(participants: int, cycles: int) -> float:
    """Expected CPU seconds of an SVM run: 10 LinearSVC fits over cycles x N_FEATURES x participants (classes)."""
    return PROCESS_SECONDS + SVM_SECONDS_PER_SFC * cycles * N_FEATURES * participants


def svm_peak_mb(participants: int, cycles: int) -> float:
    """Expected peak MB of an SVM run: the interpreter and :data:`SVM_DATA_COPIES` float64 copies of the file's
    features."""
    return SVM_PROCESS_MB + SVM_DATA_COPIES * cycles * N_FEATURES * 8 / 1e6


def svm_runtime_min(cfg: Mapping, attempt: int = 1) -> int:
    """The request of :func:`svm_seconds` (2x headroom, 10-minute floor)."""
    return runtime_request_min(svm_seconds(**svm_sizes(cfg)), attempt)


def svm_mem_mb(cfg: Mapping, attempt: int = 1) -> int:
    """The request of :func:`svm_peak_mb` (40 % headroom, 1 GB floor)."""
    return memory_request_mb(svm_peak_mb(**svm_sizes(cfg)), attempt)


def network_runtime_min(cfg: Mapping, attempt: int = 1) -> int:
    """Minutes on one CPU core (GPU jobs are faster): 10 folds x updates at up to 10 ms, plus the relevance."""
    updates = sum(cfg["training"]["iterations"])
    return int(20 + 10 * updates * 0.01 / 60 + cycles(cfg) * 0.05 / 60) * attempt


def network_mem_mb(cfg: Mapping, attempt: int = 1) -> int:
    """The data, a fold's relevance maps (RELEVANCE_MAPS x test cycles x N_FEATURES float64) and the model's
    activations."""
    return int(2500 + 3 * RELEVANCE_MAPS * cycles(cfg) * N_FEATURES * 8 / 1e6) * attempt


def subsample_sizes(items: Sequence[tuple[int, int, int]]) -> dict:
    """What a subsample job's cost model reads: its subset fits and the sum of their squared sizes."""
    return {"fits": len(items), "size_sq": sum(size**2 for _, size, _ in items)}


def subsample_seconds(fits: int, size_sq: int) -> float:
    """Expected CPU seconds of a subsample job of ``fits`` subsets whose sizes squared sum to ``size_sq``."""
    return PROCESS_SECONDS + 10 * (fits * SUBSAMPLE_SECONDS_PER_FIT + size_sq * SUBSAMPLE_SECONDS_PER_SIZE_SQ)


def subsample_peak_mb(participants: int) -> float:
    """Expected peak MB of a subsample job: the interpreter and three float64 copies of the task's baseline file."""
    return SUBSAMPLE_PROCESS_MB + 3 * participants * ORIGINAL_CYCLES * N_FEATURES * 8 / 1e6


def subsample_runtime_min(cfg: Mapping, items: Sequence[tuple[int, int, int]], attempt: int = 1) -> int:
    """The request of :func:`subsample_seconds` for the job's ``items`` (2x headroom, 10-minute floor)."""
    return runtime_request_min(subsample_seconds(**subsample_sizes(items)), attempt)


def subsample_mem_mb(cfg: Mapping, attempt: int = 1) -> int:
    """The request of :func:`subsample_peak_mb` (40 % headroom, 1 GB floor)."""
    return memory_request_mb(subsample_peak_mb(participant_count(cfg)), attempt)
