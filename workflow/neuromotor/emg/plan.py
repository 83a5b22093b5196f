"""What the EMG study runs: conditions, experiments, comparisons and subsample jobs (spec §1.1, §4.3, §7, §8, §10).

Pure functions of the config section ``emg_signatures``; ``rules/common.smk`` calls them to list the jobs. Nothing
here reads data, so planning a paper-scale run is instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

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
    """One experiment of spec §4.3: ``cv`` on one condition, or ``transfer`` (train on ``train``, test on ``test``)."""

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
"""Cross-condition comparison (spec §8) → the two experiments whose participant signatures are correlated."""


def experiments(conditions: Sequence[str]) -> list[Experiment]:
    """The experiments whose data files are all among ``conditions``, in the spec's order."""
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


def check_config(cfg: Mapping) -> list[str]:
    """Problems spanning several keys of the section (each names its keys)."""
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
