"""A user's own data end to end (issue 16): per study, files written here in the original layout with a planted
effect, a config that only points the study at them (merged over the demo config, as `--configfile my.yaml`), the
whole study run, the effect recovered; then each user file changed in turn reruns exactly the jobs that read it
and their dependents. The README's user-data example is planned as written."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import yaml

from neuromotor.io.store import read_arrays
from neuromotor.io.tables import read_tsv
from tests.runner import PROJECT_ROOT, TINY_CONFIG, Workflow, merge

pytestmark = [pytest.mark.workflow, pytest.mark.slow]


@contextmanager
def changed(path: Path, content: bytes):
    """``path`` rewritten with ``content`` (Snakemake compares checksums, so a touch alone is no change), then
    restored with its original content and modification time."""
    before, original = path.stat(), path.read_bytes()
    path.write_bytes(content)
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def reruns(workflow: Workflow, path: Path, content: bytes, target: str) -> dict[str, int]:
    with changed(path, content):
        return workflow.planned_jobs(target)


def written(write, suffix: str = ".mat") -> bytes:
    """The bytes ``write(path)`` puts in a file."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"file{suffix}"
        write(path)
        return path.read_bytes()


def first_value_changed(path: Path) -> bytes:
    """A comma-separated text file with its first number replaced."""
    first, rest = path.read_bytes().split(b",", 1)
    return (b"2" if first == b"1" else b"1") + b"," + rest


# --- PCRT: UCI characters and an original start-point file ------------------------------------------------------

SHORT, LONG = 40, 160  # samples of the planted letters: label 1 short strokes, label 11 long ones


def _uci_samples(rng, n):
    samples, labels = [], []
    for label, steps in ((1, SHORT), (11, LONG)):
        for _ in range(n):
            t = np.linspace(0, np.pi, steps)
            vx = np.cos(t) + 0.1 * rng.standard_normal()
            vy = np.sin(t) * (1 + 0.2 * rng.random())
            samples.append(np.stack([vx, vy, np.ones(steps)]))
            labels.append(label)
    return samples, labels


@pytest.fixture(scope="module")
def pcrt_user(tmp_path_factory) -> tuple[Workflow, dict]:
    from neuromotor.io.deepdraw_hdf5 import write_startpoints_hdf5
    from neuromotor.io.uci import write_uci_characters
    from neuromotor.pcrt.workspace import StartpointSearch, find_startpoints

    path = tmp_path_factory.mktemp("pcrt_user")
    data = path / "mine"
    data.mkdir()
    write_uci_characters(data / "characters.mat", *_uci_samples(np.random.default_rng(3), 4))
    search = StartpointSearch(**{k: v for k, v in TINY_CONFIG["pcrt"]["startpoints"].items()})
    points = {plane: find_startpoints(search, plane)[:2] for plane in ("horizontal", "vertical")}
    write_startpoints_hdf5(data / "startpoints.hdf5", points["horizontal"], points["vertical"])
    (data / "arm.osim").write_bytes((PROJECT_ROOT / "resources/arm_model/neuromotor_arm.osim").read_bytes())
    (data / "templates.json").write_bytes((PROJECT_ROOT / "resources/characters/templates.json").read_bytes())
    mine = {
        "characters": {"source": "uci", "uci_path": "mine/characters.mat", "templates_path": "mine/templates.json"},
        "startpoints": {"path": "mine/startpoints.hdf5"},
        "muscle": {"model_path": "mine/arm.osim"},
    }
    workflow = Workflow(path, merge(TINY_CONFIG, {"pcrt": mine}))
    workflow.run("pcrt")
    return workflow, points


def test_pcrt_on_user_characters_and_start_points_recovers_them(pcrt_user):
    workflow, points = pcrt_user
    for split in ("train", "test"):
        data = read_arrays(workflow.path / "results/pcrt/dataset.zarr", split)
        duration = data["end_id"] - data["start_id"]
        short, long = duration[data["label"] == 1], duration[data["label"] == 11]
        assert len(short) and len(long)
        # augmentation scales durations by size / speed in [0.5, 1.625]: the planted lengths stay apart
        assert short.max() <= SHORT * 1.625 + 1 < LONG * 0.5 - 1 <= long.min()
        for plane in ("horizontal", "vertical"):
            used = data["startpt"][data["plane"] == plane]
            assert all(np.isclose(points[plane], p, atol=1e-6).all(axis=1).any() for p in used)


GENERATION_ON = {"pcrt_generate": 4, "pcrt_select": 1, "pcrt_dataset": 1, "pcrt_figures": 1,
                 "pcrt_surrogate_report": 1, "pcrt_surrogate_figure": 1, "pcrt": 1}  # fmt: skip


def _pcrt_change(name: str, path: Path, points: dict) -> bytes:
    from neuromotor.io.deepdraw_hdf5 import write_startpoints_hdf5
    from neuromotor.io.uci import write_uci_characters

    if name == "characters.mat":
        return written(lambda p: write_uci_characters(p, *_uci_samples(np.random.default_rng(4), 4)))
    if name == "startpoints.hdf5":
        return written(lambda p: write_startpoints_hdf5(p, points["horizontal"][::-1], points["vertical"]), ".hdf5")
    return path.read_bytes() + b"\n<!-- changed -->\n" if name == "arm.osim" else path.read_bytes() + b"\n"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("characters.mat", {"pcrt_characters": 1, **GENERATION_ON}),
        ("startpoints.hdf5", {"pcrt_startpoints": 1, **GENERATION_ON}),
        ("arm.osim", {"pcrt_surrogate": 1, **GENERATION_ON}),
        ("templates.json", {}),  # not read with source: uci
    ],
)
def test_changing_a_pcrt_user_file_reruns_exactly_its_readers(pcrt_user, name, expected):
    workflow, points = pcrt_user
    assert workflow.planned_jobs("pcrt") == {}
    path = workflow.path / "mine" / name
    assert reruns(workflow, path, _pcrt_change(name, path, points), "pcrt") == expected


# --- KD: text files of two subjects -----------------------------------------------------------------------------

KD_LAYOUT = {"trials": 4, "gestures": 4, "windows_per_gesture": 20, "first_window": 2, "slot_windows": 24,
             "trial_windows": 100}  # fmt: skip


@pytest.fixture(scope="module")
def kd_user(tmp_path_factory) -> Workflow:
    from neuromotor.io.kd_text import write_emg_text, write_us_text
    from neuromotor.kd.data import Layout
    from neuromotor.kd.synthetic import SyntheticSpec, synthetic_emg, synthetic_us

    path = tmp_path_factory.mktemp("kd_user")
    layout, spec = Layout.from_config(KD_LAYOUT), SyntheticSpec(emg_contrast=0.2)
    for folder in ("EMG", "US"):
        (path / "recordings" / folder).mkdir(parents=True)
    for subject in (1, 2):
        write_emg_text(path / f"recordings/EMG/s{subject}_rec_EMG.txt", synthetic_emg(layout, spec, 11, subject))
        write_us_text(path / f"recordings/US/s{subject}_rec_US.txt", synthetic_us(layout, spec, 11, subject))
    config = {"seed": 7, "kd": {"data": {"source": "files", "dir": "recordings"}, "layout": KD_LAYOUT,
                                "models": ["MSCNN"], "folds": [1], "train": {"epochs": 12}}}  # fmt: skip
    workflow = Workflow(path, config)
    workflow.run("kd")
    return workflow


def test_kd_on_user_files_recovers_the_more_informative_ultrasound(kd_user):
    rows = [r for r in read_tsv(kd_user.path / "results/kd/accuracy.tsv") if r["protocol"] == "honest"]
    assert {r["subject"] for r in rows} == {1, 2}
    mean = {c: np.mean([r["accuracy"] for r in rows if r["condition"] == c]) for c in ("US", "EMG")}
    print("kd accuracy (honest, fold 1):", mean)
    assert mean["US"] > 60 and mean["US"] > mean["EMG"] + 10, mean  # percent; chance: 25 (4 gestures)
    assert not (kd_user.path / "results/kd/synthetic").exists()


@pytest.mark.parametrize("name", ["EMG/s1_rec_EMG.txt", "US/s2_rec_US.txt"])
def test_changing_a_kd_user_file_reruns_exactly_its_subject(kd_user, name):
    assert kd_user.planned_jobs("kd") == {}
    path = kd_user.path / "recordings" / name
    assert reruns(kd_user, path, first_value_changed(path), "kd") == {
        "kd_prepare": 1, "kd_teacher": 1, "kd_student": 1, "kd_student_kd": 1, "kd_collect": 2, "kd_collect_kd": 1,
        "kd_stats": 1, "kd_figures": 1, "kd": 1,
    }  # fmt: skip


# --- EMG signatures: two condition files ------------------------------------------------------------------------

EMG_SETTINGS = {"participants": 5, "cycles": 20, "day2_participants": 3}


@pytest.fixture(scope="module")
def emg_user(tmp_path_factory) -> Workflow:
    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.emg.synthetic import SyntheticSettings, condition_data
    from neuromotor.io.emg_mat import write_emg_mat

    path = tmp_path_factory.mktemp("emg_user")
    (path / "datacloud").mkdir()
    settings = SyntheticSettings(**EMG_SETTINGS)
    for condition in ("pedalling_150W_day1", "pedalling_150W_day2"):
        features, target = condition_data(7, condition, settings)
        write_emg_mat(path / "datacloud" / f"{CONDITIONS[condition]}.mat", features, target)
    config = {"seed": 7, "emg_signatures": {
        "data": {"source": "files", "directory": "datacloud", "conditions": ["pedalling_150W_day1",
                                                                            "pedalling_150W_day2"]},
        "models": ["SvmLinearL2C1em2"],
        "subsample": {"targets": [1], "sizes": [2, 3, 5], "repetitions": 1, "fits_per_job": 2},
        "comparisons": ["pedalling_day1_vs_day2"],
    }}  # fmt: skip
    workflow = Workflow(path, config)
    workflow.run("emg_signatures")
    return workflow


def test_emg_on_user_files_identifies_participants_and_finds_their_planted_regions(emg_user):
    from neuromotor.emg.signatures import recovery
    from neuromotor.emg.synthetic import SyntheticSettings, planted_mask

    results = emg_user.path / "results/emg_signatures"
    summary = read_tsv(results / "accuracy_summary.tsv")
    baseline = [r for r in summary if r["experiment"] == "pedalling_150W_baseline_day1"]
    assert baseline and baseline[0]["accuracy_mean_pct"] > 80
    rows = read_tsv(results / "signatures/pedalling_150W_baseline_day1.tsv")
    assert [r["participant"] for r in rows] == [1, 2, 3, 4, 5]  # participants counted from the files
    store = read_arrays(results / "signatures/pedalling_150W_baseline_day1.zarr", "", ["signature"])
    settings = SyntheticSettings(**EMG_SETTINGS)
    enrichment = [recovery(store["signature"][i], planted_mask(7, p, settings))["enrichment"]
                  for i, p in enumerate(range(1, 6))]  # fmt: skip
    assert np.nanmean(enrichment) > 3, enrichment
    assert not (results / "data").exists()


@pytest.mark.parametrize(
    "stem, expected",
    [
        ("Data_Pedalling_150W_Baseline_Day1", {"emg_run_svm": 2, "emg_accuracy": 1, "emg_signature": 2,
                                               "emg_subsample": 2, "emg_robustness": 1, "emg_cross_condition": 1,
                                               "emg_paper_figures": 1, "emg_signatures": 1}),
        ("Data_Pedalling_150W_Robustness_Day2", {"emg_run_svm": 1, "emg_accuracy": 1, "emg_signature": 1,
                                                 "emg_cross_condition": 1, "emg_signatures": 1}),
    ],
)  # fmt: skip
def test_changing_an_emg_user_file_reruns_exactly_its_readers(emg_user, stem, expected):
    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.emg.synthetic import SyntheticSettings, condition_data
    from neuromotor.io.emg_mat import write_emg_mat

    assert emg_user.planned_jobs("emg_signatures") == {}
    condition = next(c for c, s in CONDITIONS.items() if s == stem)
    content = written(lambda p: write_emg_mat(p, *condition_data(8, condition, SyntheticSettings(**EMG_SETTINGS))))
    assert reruns(emg_user, emg_user.path / "datacloud" / f"{stem}.mat", content, "emg_signatures") == expected


# --- EEG: an original-layout dataset.mat ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eeg_user(tmp_path_factory) -> Workflow:
    from neuromotor.eeg.synthetic import PlantedEffect, write_synthetic_eeg

    path = tmp_path_factory.mktemp("eeg_user")
    write_synthetic_eeg(path / "dataset.mat", [16, 16, 16], PlantedEffect(amplitude_uv=60.0), seed=5)
    config = {"seed": 7, "eeg": {
        "data": {"source": "mat", "path": "dataset.mat"}, "models": ["interpretable_cnn"], "subjects": [2],
        "train": {"epochs": 20}, "attribution": {"methods_per_job": 8, "ig_steps": 10},
        "perturbation": {"patches": 10},
        "figures": {"samples": [{"model": "interpretable_cnn", "subject": 2, "index": 0}]},
    }}  # fmt: skip
    workflow = Workflow(path, config)
    workflow.run("eeg")
    return workflow


def test_eeg_on_a_user_file_detects_the_planted_drowsiness(eeg_user):
    results = eeg_user.path / "results/eeg"
    accuracy = {(r["subject"], r["protocol"]): r["accuracy"] for r in read_tsv(results / "accuracy.tsv")}
    assert accuracy[(2, "honest")] > 0.75, accuracy
    assert not (results / "data").exists()


def test_changing_the_eeg_user_file_reruns_every_eeg_job(eeg_user):
    from neuromotor.eeg.synthetic import PlantedEffect, write_synthetic_eeg

    assert eeg_user.planned_jobs("eeg") == {}
    content = written(lambda p: write_synthetic_eeg(p, [16, 16, 16], PlantedEffect(amplitude_uv=60.0), seed=6))
    assert reruns(eeg_user, eeg_user.path / "dataset.mat", content, "eeg") == {
        "eeg_train": 1, "eeg_probe": 1, "eeg_attribute": 1, "eeg_summary": 1, "eeg_figures": 1, "eeg_cam": 1,
        "eeg_band_power": 1, "eeg": 1,
    }  # fmt: skip


# --- the README's example ---------------------------------------------------------------------------------------


def test_the_readme_user_data_example_is_planned_as_written(tmp_path):
    """The README's `my.yaml` on files in the original layouts (placeholder values; planning reads headers and
    line counts only): the demo's layouts do not apply, nothing synthetic is planned."""
    from neuromotor.emg.plan import CONDITIONS
    from neuromotor.io.eeg_mat import write_eeg_mat
    from neuromotor.io.emg_mat import write_emg_mat
    from neuromotor.io.uci import write_uci_characters

    readme = (PROJECT_ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(# my\.yaml.*?)```", readme, flags=re.S)
    assert block, "README.md: the my.yaml example block is missing"
    example = yaml.safe_load(block.group(1))
    workflow = Workflow(tmp_path, example)
    root = workflow.path
    uci = root / example["pcrt"]["characters"]["uci_path"]
    uci.parent.mkdir(parents=True)
    write_uci_characters(uci, [np.ones((3, 30))] * 20 * 30, np.repeat(np.arange(1, 21), 30))
    kd = root / example["kd"]["data"]["dir"]
    for folder, line, rows in (("EMG", "0,0,0,0,0,0,0,0\n", 1_000_000), ("US", ",".join(["0"] * 3840) + "\n", 4800)):
        (kd / folder).mkdir(parents=True)
        (kd / folder / f"s1_x_{folder}.txt").write_bytes(line.encode() * rows)  # the original layout's rows
    emg = root / example["emg_signatures"]["data"]["directory"]
    emg.mkdir(parents=True)
    write_emg_mat(emg / f"{CONDITIONS['pedalling_150W_day1']}.mat", np.zeros((12, 200, 8)), np.eye(12))
    eeg = root / example["eeg"]["data"]["path"]
    eeg.parent.mkdir(parents=True, exist_ok=True)
    subjects = np.repeat(np.arange(1, 12), 2)
    write_eeg_mat(eeg, np.zeros((22, 30, 384)), np.tile([0, 1], 11), subjects)
    planned = workflow.planned_jobs("pcrt", "kd", "emg_signatures", "eeg")
    assert planned["kd_prepare"] == 1 and planned["pcrt_characters"] == 1 and planned["emg_run_svm"] >= 1
    assert not {"kd_synthetic", "emg_synthetic", "eeg_data"} & set(planned)
