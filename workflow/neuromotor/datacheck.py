"""Checks of the users' data files that can be made before any job runs.

The workflow calls :func:`check_data_files` once the config is valid, in Snakemake's main process only: every
configured data file must exist and its sizes and counts must fit the config (participants, subjects, trajectories
needed). Only headers, a few small variables and line counts are read, never a whole dataset. Every message names
the config key and the file. ``emg_signatures.data.participants`` left null is filled in from the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from neuromotor.errors import DataFormatError

CHUNK_BYTES = 1 << 22


def count_lines(path: str | Path) -> int:
    """Non-empty lines of a text file (as ``numpy.loadtxt`` counts rows), reading it in 4-MB chunks."""
    count, previous = 0, ord("\n")
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            data = np.frombuffer(chunk, dtype=np.uint8)
            newline = data == ord("\n")
            before = np.concatenate(([previous], data[:-1]))
            count += int(np.count_nonzero(newline & (before != ord("\n"))))
            previous = int(data[-1])
    return count + (previous != ord("\n"))


def first_line_columns(path: str | Path) -> int:
    """Comma-separated fields of the first non-empty line (0 for an empty file)."""
    with open(path) as fh:
        for line in fh:
            if line.strip():
                return len(line.rstrip("\r\n").split(","))
    return 0


def check_data_files(config: dict, text_files: bool = True) -> list[str]:
    """Every problem with the configured data files of all studies (empty when they fit the config).

    ``text_files=False`` skips the line counts of the KD text files (the costliest check: Snakemake's job
    processes, which parse the workflow again, leave it to the main process).
    """
    pending = _pending_downloads(config)
    problems = check_pcrt_files(config["pcrt"], pending)
    if "kd" in config and text_files:
        problems += check_kd_files(config["kd"])
    if "emg_signatures" in config:
        problems += check_emg_files(config["emg_signatures"])
    if "eeg" in config:
        problems += check_eeg_files(config["eeg"], pending)
    return problems


def _pending_downloads(config: Mapping):
    """Whether a path is missing and a `data` entry downloads it: a job fetches it, its checks must wait (the
    download verifies it, the job reading it checks its content)."""
    from neuromotor.io.fetch import fetchable

    data = config.get("data", {})
    return lambda path: fetchable(data, path)


# --- PCRT ---------------------------------------------------------------------------------------------------------


def check_pcrt_files(pcrt: Mapping, pending=lambda path: False) -> list[str]:
    """The character source, the start-point file and whether enough trajectories can be generated (or the
    released files, with ``source: released``). ``pending(path)``: the file is still to be downloaded."""
    from neuromotor.io.uci import read_uci_labels

    if pcrt.get("source") == "released":
        from neuromotor.pcrt.released import check_released_files

        return check_released_files(pcrt, pending)
    characters = pcrt["characters"]
    problems: list[str] = []
    sources: dict[int, int] | None = None
    if characters["source"] == "uci":
        path = characters["uci_path"]
        if not path:
            return problems  # reported by the config check
        if not pending(path):  # a file still to be downloaded is checked by the characters stage
            try:
                labels = read_uci_labels(path)
            except DataFormatError as error:
                return [f"config key 'pcrt.characters.uci_path': {error}"]
            sources = {label: int(np.sum(labels == label)) for label in pcrt["labels"]}
            absent = [label for label, n in sources.items() if n == 0]
            if absent:
                problems.append(
                    f"config key 'pcrt.labels': letters {absent} have no sample in {path} (pcrt.characters.uci_path)"
                )
    else:
        path = characters["templates_path"]
        if not Path(path).is_file():
            problems.append(f"config key 'pcrt.characters.templates_path': {path} does not exist")
        sources = {label: characters["samples_per_letter"] for label in pcrt["labels"]}
    startpoints = pcrt["startpoints"]["path"]
    if startpoints and not pending(startpoints):
        problems += _check_startpoint_file(startpoints, pcrt["planes"])
    if sources is not None:
        problems += _check_trajectories(pcrt, sources)
    return problems


def _check_startpoint_file(path: str, planes) -> list[str]:
    import h5py

    key = "config key 'pcrt.startpoints.path'"
    if not Path(path).is_file():
        return [f"{key}: {path} does not exist; expected the original pcr_startingpoints.hdf5"]
    try:
        with h5py.File(path, "r") as file:
            shapes = {name: file[name].shape for name in planes if isinstance(file.get(name), h5py.Dataset)}
    except OSError as error:
        return [f"{key}: {path}: not a readable HDF5 file (truncated or wrong format: {error})"]
    problems = []
    for plane in planes:
        shape = shapes.get(plane)
        if shape is None:
            problems.append(f"{key}: {path} has no dataset '{plane}' (start points of the {plane} plane)")
        elif len(shape) != 2 or shape[1] != 3 or shape[0] == 0:
            problems.append(f"{key}: {path}: dataset '{plane}' has shape {shape}, expected (N, 3) with N >= 1")
    return problems


def _check_trajectories(pcrt: Mapping, sources: Mapping[int, int]) -> list[str]:
    """n_train + n_test against the most trajectories selection can keep: per (label, plane), at most
    n_per_label_plane and at most one accepted trajectory per (source character, repeat)."""
    assembly = pcrt["assembly"]
    repeats = pcrt["generation"]["repeats"]
    most = sum(min(assembly["n_per_label_plane"], n * repeats) for n in sources.values()) * len(pcrt["planes"])
    wanted = assembly["n_train"] + assembly["n_test"]
    if wanted <= most:
        return []
    source = "pcrt.characters.uci_path" if pcrt["characters"]["source"] == "uci" else "pcrt.characters.samples_per_letter"
    return [
        f"config keys 'pcrt.assembly.n_train' + 'pcrt.assembly.n_test' = {wanted} exceed the at most {most} "
        f"trajectories generation can give (per label and plane: at most pcrt.assembly.n_per_label_plane = "
        f"{assembly['n_per_label_plane']}, and one per source character ({source}) and repeat "
        f"(pcrt.generation.repeats = {repeats})); raise pcrt.generation.repeats or lower n_train/n_test"
    ]


# --- KD -----------------------------------------------------------------------------------------------------------


def check_kd_files(kd: Mapping) -> list[str]:
    """Every subject's EMG and US files against ``kd.layout`` and ``kd.data.emg_columns`` (line counts)."""
    from neuromotor.errors import ConfigError
    from neuromotor.io.kd_text import US_COLUMNS
    from neuromotor.kd import plan

    if kd["data"]["source"] != "files":
        return []
    try:
        files = plan.subject_files(kd)
        layout = plan.kd_layout(kd)
    except ConfigError as error:
        return [str(error)]
    problems = []
    emg_rows = (
        f"kd.layout gives trials x trial_windows x 100 = {layout.trials} x {layout.trial_windows} x 100 = "
        f"{layout.emg_rows} (the original layout: 1000000)"
    )
    us_rows = (
        f"kd.layout gives trials x gestures x windows_per_gesture = {layout.trials} x {layout.gestures} x "
        f"{layout.windows_per_gesture} = {layout.n_samples} (the original layout: 4800)"
    )
    for emg, us in files:
        columns = first_line_columns(emg)
        if columns != kd["data"]["emg_columns"]:
            problems.append(
                f"config key 'kd.data.emg_columns': {emg} has {columns} comma-separated columns on line 1, "
                f"expected {kd['data']['emg_columns']}"
            )
        lines = count_lines(emg)
        if lines != layout.emg_rows:
            problems.append(f"config key 'kd.layout': {emg} has {lines} rows, but {emg_rows}")
        columns = first_line_columns(us)
        if columns != US_COLUMNS:
            problems.append(f"config key 'kd.data.dir': {us} has {columns} comma-separated columns on line 1, "
                            f"expected {US_COLUMNS} (4 transducers x 960 depth samples)")
        lines = count_lines(us)
        if lines != layout.n_samples:
            problems.append(f"config key 'kd.layout': {us} has {lines} rows, but {us_rows}")
    return problems


# --- EMG signatures -----------------------------------------------------------------------------------------------


def check_emg_files(emg: dict) -> list[str]:
    """The condition files' shapes (headers), the participant count, and the subsample targets' cycles.

    Fills ``emg["data"]["participants"]`` from the files when it is null.
    """
    import scipy.io

    from neuromotor.emg import plan
    from neuromotor.io.emg_mat import FEATURE_KEY, LABEL_KEY, N_MUSCLES, N_TIME, TARGET_KEY
    from neuromotor.io.matfile import mat_shapes

    data = emg["data"]
    if data["source"] != "files" or not data["directory"]:
        return []
    directory = Path(data["directory"])
    problems, files, columns = [], {}, {}
    for condition in data["conditions"]:
        stem = plan.CONDITIONS[condition]
        found = [p for p in (directory / f"{stem}.mat", directory / stem) if p.is_file()]
        if not found:
            problems.append(
                f"config key 'emg_signatures.data.directory': {directory} holds no {stem}.mat, needed because "
                f"'emg_signatures.data.conditions' lists {condition}"
            )
            continue
        path = files[condition] = found[0]
        try:
            shapes = mat_shapes(path, "EMG .mat")
        except DataFormatError as error:
            problems.append(f"config key 'emg_signatures.data.directory': {error}")
            continue
        missing = [key for key in (FEATURE_KEY, LABEL_KEY, TARGET_KEY) if key not in shapes]
        if missing:
            problems.append(f"config key 'emg_signatures.data.directory': {path}: missing key(s) {missing}")
            continue
        feature, target = shapes[FEATURE_KEY], shapes[TARGET_KEY]
        if len(feature) != 3 or feature[1:] != (N_MUSCLES, N_TIME) or len(target) != 2 or target[0] != feature[0]:
            problems.append(
                f"config key 'emg_signatures.data.directory': {path}: '{FEATURE_KEY}' {feature} and "
                f"'{TARGET_KEY}' {target} must be N x {N_MUSCLES} x {N_TIME} and N x P"
            )
            continue
        columns[condition] = target[1]
    if problems:
        return problems
    counts = sorted(set(columns.values()))
    if len(counts) > 1:
        listed = ", ".join(f"{files[c].name}: {n}" for c, n in columns.items())
        return [f"config key 'emg_signatures.data.directory': the files of {directory} have different numbers of "
                f"participant columns ('{TARGET_KEY}' N x P): {listed}"]
    found = counts[0]
    if data["participants"] is None:
        data["participants"] = found
    elif data["participants"] != found:
        first = next(iter(files.values()))
        return [f"config key 'emg_signatures.data.participants': {data['participants']}, but {first} has "
                f"{found} participant columns ('{TARGET_KEY}' is N x {found}); remove the key to take it from "
                "the files"]
    problems = plan.check_participants(emg)
    if problems:
        return problems
    targets = plan.subsample_targets(emg)
    for task in emg["subsample"]["tasks"]:
        baseline = plan.TASKS[task][1]
        path = files[baseline]
        target = scipy.io.loadmat(str(path), variable_names=[TARGET_KEY])[TARGET_KEY]
        present = set((np.flatnonzero(np.asarray(target).sum(axis=0) > 0) + 1).tolist())
        absent = [k for k in targets if k not in present]
        if absent:
            problems.append(
                f"config key 'emg_signatures.subsample.targets': participants {absent[:10]} have no cycle in {path} "
                f"(the baseline file of task {task!r}; {len(present)} participants present)"
            )
        too_big = [n for n in emg["subsample"]["sizes"] if n > len(present)]
        if too_big:
            problems.append(
                f"config key 'emg_signatures.subsample.sizes': {too_big} exceed the {len(present)} participants "
                f"with cycles in {path}"
            )
    return problems


# --- EEG ----------------------------------------------------------------------------------------------------------


def check_eeg_files(eeg: Mapping, pending=lambda path: False) -> list[str]:
    """The original dataset.mat's shapes (headers) and subjects (``subindex`` only) against the plan
    (nothing yet for a file still to be downloaded: ``pending(path)``)."""
    import scipy.io

    from neuromotor.io.eeg_mat import CHANNELS, N_TIMES
    from neuromotor.io.matfile import mat_shapes

    if eeg["data"]["source"] != "mat" or not eeg["data"]["path"] or pending(eeg["data"]["path"]):
        return []
    path = eeg["data"]["path"]
    key = "config key 'eeg.data.path'"
    if not Path(path).is_file():
        return [f"{key}: {path} does not exist; expected the original dataset.mat"]
    try:
        shapes = mat_shapes(path, "EEG dataset")
    except DataFormatError as error:
        return [f"{key}: {error}"]
    missing = [name for name in ("EEGsample", "substate", "subindex") if name not in shapes]
    if missing:
        return [f"{key}: {path}: key(s) {missing} missing; expected EEGsample, substate, subindex"]
    samples = shapes["EEGsample"]
    if len(samples) != 3 or samples[1:] != (len(CHANNELS), N_TIMES):
        return [f"{key}: {path}: key 'EEGsample' must have shape (N, {len(CHANNELS)}, {N_TIMES}), found {samples}"]
    for name in ("substate", "subindex"):
        if shapes[name] not in ((samples[0], 1), (samples[0],), (1, samples[0])):
            return [f"{key}: {path}: key '{name}' must hold one value per epoch ({samples[0]}), found {shapes[name]}"]
    subindex = np.asarray(scipy.io.loadmat(str(path), variable_names=["subindex"])["subindex"]).ravel()
    if subindex.dtype.kind not in "biuf":
        return [f"{key}: {path}: key 'subindex' must hold subject numbers, found dtype {subindex.dtype}"]
    subjects, counts = np.unique(subindex.astype(np.int64), return_counts=True)
    per_subject = dict(zip(subjects.tolist(), counts.tolist()))
    problems = []
    absent = [s for s in eeg["subjects"] if s not in per_subject]
    if absent:
        problems.append(f"config key 'eeg.subjects': subjects {absent} have no epoch in {path} "
                        f"(subjects found: {sorted(per_subject)})")
    for number, sample in enumerate(eeg["figures"]["samples"]):
        n = per_subject.get(sample["subject"], 0)
        if n and sample["index"] >= n:
            problems.append(
                f"config key 'eeg.figures.samples[{number}].index': subject {sample['subject']} has {n} epochs in "
                f"{path} (indices 0..{n - 1}), got {sample['index']}"
            )
    if len(per_subject) < 2:
        problems.append(f"config key 'eeg.data.path': {path} holds {len(per_subject)} subject; leave-one-subject-out "
                        "training needs at least 2")
    return problems
