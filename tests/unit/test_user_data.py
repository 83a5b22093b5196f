"""A user's own data (issue 16): demo layouts do not leak into real-file studies, the data files are checked before
any job runs (headers and line counts), truncated MATLAB files are called truncated."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import scipy.io

from neuromotor.config import layer_configs, validate_config
from neuromotor.datacheck import check_data_files, count_lines
from neuromotor.errors import DataFormatError
from neuromotor.io.eeg_mat import load_eeg_mat, write_eeg_mat
from neuromotor.io.emg_mat import load_emg_mat, write_emg_mat
from neuromotor.io.matfile import mat_shapes, truncation
from neuromotor.io.uci import write_uci_characters
from neuromotor.pcrt.characters import load_templates

DEMO = {"kd": {"layout": {"gestures": 6, "trial_windows": 74}, "models": ["MSCNN"]}, "seed": 2023}


def test_a_real_file_source_drops_the_demo_layout_but_keeps_the_demo_plan():
    user = {"kd": {"data": {"source": "files", "dir": "recordings"}}}
    layered = layer_configs(DEMO, user)
    assert "layout" not in layered["kd"] and layered["kd"]["models"] == ["MSCNN"]
    assert validate_config(layered)["kd"]["layout"]["trial_windows"] == 1250  # the original layout
    assert DEMO["kd"]["layout"] == {"gestures": 6, "trial_windows": 74}  # the demo config is not changed


@pytest.mark.parametrize(
    "user, layout",
    [
        ({"kd": {"data": {"source": "files"}, "layout": {"trials": 4}}}, {"trials": 4}),  # the user's own keys only
        ({"kd": {"data": {"source": "synthetic"}}}, DEMO["kd"]["layout"]),
        ({"kd": {"models": ["EUNet"]}}, DEMO["kd"]["layout"]),
    ],
)
def test_the_demo_layout_stays_with_synthetic_data_and_user_keys_always_apply(user, layout):
    assert layer_configs(DEMO, user)["kd"]["layout"] == layout


def test_count_lines_counts_rows_as_numpy_reads_them(tmp_path):
    path = tmp_path / "t.txt"
    for text, n in (("", 0), ("1\n", 1), ("1\n2", 2), ("1\n\n2\n\n", 2), ("\n1\n", 1)):
        path.write_text(text)
        assert count_lines(path) == n, repr(text)
    path.write_bytes(b"1,2\n" * 3_000_000)  # across 4-MB chunks
    assert count_lines(path) == 3_000_000


def _emg_file(path, participants, cycles=3, empty=()):
    columns = [p for p in range(participants) if p not in empty]
    rows = np.repeat(columns, cycles)
    target = np.zeros((len(rows), participants))
    target[np.arange(len(rows)), rows] = 1
    write_emg_mat(path, np.random.default_rng(0).random((len(rows), 200, 8)), target)


def test_truncated_matlab_files_are_called_truncated(tmp_path):
    _emg_file(tmp_path / "full.mat", 3)
    data = (tmp_path / "full.mat").read_bytes()
    (tmp_path / "cut.mat").write_bytes(data[: len(data) // 2])
    assert truncation(tmp_path / "full.mat") is None
    with pytest.raises(DataFormatError, match=r"cut\.mat: truncated EMG \.mat file: the file ends at byte"):
        load_emg_mat(tmp_path / "cut.mat")
    write_eeg_mat(tmp_path / "dataset.mat", np.zeros((4, 30, 384)), np.array([0, 1, 0, 1]), np.array([1, 1, 2, 2]))
    data = (tmp_path / "dataset.mat").read_bytes()
    (tmp_path / "dataset.mat").write_bytes(data[:-100])
    with pytest.raises(DataFormatError, match=r"dataset\.mat: truncated EEG dataset file"):
        load_eeg_mat(tmp_path / "dataset.mat")
    with pytest.raises(DataFormatError, match="truncated EEG dataset file"):
        mat_shapes(tmp_path / "dataset.mat", "EEG dataset")
    (tmp_path / "text.mat").write_text("not MATLAB at all")
    with pytest.raises(DataFormatError, match=r"text\.mat: not a readable MATLAB"):
        load_emg_mat(tmp_path / "text.mat")


def test_template_json_errors_give_1_based_line_and_column(tmp_path):
    path = tmp_path / "templates.json"
    path.write_text('{\n  "format": "x",\n  "letters" {}\n}\n')
    with pytest.raises(DataFormatError, match=r"templates\.json: not a readable JSON .*\(line 3, column 13: "):
        load_templates(path)


SMALL_PCRT = {"pcrt": {"characters": {"samples_per_letter": 40},
                       "assembly": {"n_per_label_plane": 30, "n_train": 960, "n_test": 240}}}  # fmt: skip


def _config(change):
    return validate_config(layer_configs(SMALL_PCRT, change))


def test_kd_files_that_do_not_fit_the_layout_name_the_key_and_the_file(tmp_path):
    for folder in ("EMG", "US"):
        (tmp_path / folder).mkdir()
    (tmp_path / "EMG/s1_a_EMG.txt").write_bytes(b"0,0,0,0,0,0,0,0\n" * 1000)
    (tmp_path / "US/s1_a_US.txt").write_bytes((",".join(["0"] * 3840) + "\n").encode() * 4800)
    config = _config({"kd": {"data": {"source": "files", "dir": str(tmp_path)}}})
    problems = check_data_files(config)
    assert problems == [
        f"config key 'kd.layout': {tmp_path}/EMG/s1_a_EMG.txt has 1000 rows, but kd.layout gives trials x "
        "trial_windows x 100 = 8 x 1250 x 100 = 1000000 (the original layout: 1000000)"
    ]
    assert check_data_files(config, text_files=False) == []


def test_emg_participants_come_from_the_files_and_a_wrong_count_names_the_key(tmp_path):
    _emg_file(tmp_path / "Data_Pedalling_150W_Baseline_Day1.mat", 5)
    change = {"emg_signatures": {"data": {"source": "files", "directory": str(tmp_path)},
                                 "subsample": {"sizes": [2, 3, 5]}}}  # fmt: skip
    config = _config(change)
    assert config["emg_signatures"]["data"]["participants"] is None
    assert check_data_files(config) == []
    assert config["emg_signatures"]["data"]["participants"] == 5
    wrong = copy.deepcopy(change)
    wrong["emg_signatures"]["data"]["participants"] = 78
    [problem] = check_data_files(_config(wrong))
    assert problem.startswith("config key 'emg_signatures.data.participants': 78, but ")
    assert "Data_Pedalling_150W_Baseline_Day1.mat has 5 participant columns" in problem
    too_big = copy.deepcopy(change)
    too_big["emg_signatures"]["subsample"]["sizes"] = [2, 4, 6]
    [problem] = check_data_files(_config(too_big))
    assert problem.startswith("config key 'emg_signatures.subsample.sizes': [2, 4, 6] must be strictly increasing")
    _emg_file(tmp_path / "Data_Pedalling_150W_Baseline_Day1.mat", 5, empty=(3,))  # participant 4 has no cycle
    targets, sizes = check_data_files(_config(change))
    assert targets.startswith("config key 'emg_signatures.subsample.targets': participants [4] have no cycle in")
    assert sizes.startswith("config key 'emg_signatures.subsample.sizes': [5] exceed the 4 participants with cycles")
    (tmp_path / "Data_Pedalling_150W_Baseline_Day1.mat").unlink()
    [problem] = check_data_files(_config(change))
    assert "config key 'emg_signatures.data.directory'" in problem and "holds no Data_Pedalling" in problem


def test_eeg_subjects_and_figure_samples_are_checked_against_the_file(tmp_path):
    path = tmp_path / "dataset.mat"
    write_eeg_mat(path, np.zeros((6, 30, 384)), np.array([0, 1] * 3), np.array([1, 1, 2, 2, 2, 2]))
    change = {"eeg": {"data": {"source": "mat", "path": str(path)}, "subjects": [1, 3],
                      "figures": {"samples": [{"model": "eegnet", "subject": 1, "index": 2}]}}}  # fmt: skip
    problems = check_data_files(_config(change))
    assert problems == [
        f"config key 'eeg.subjects': subjects [3] have no epoch in {path} (subjects found: [1, 2])",
        f"config key 'eeg.figures.samples[0].index': subject 1 has 2 epochs in {path} (indices 0..1), got 2",
    ]
    scipy.io.savemat(path, {"EEGsample": np.zeros((2, 32, 384)), "substate": np.zeros((2, 1)),
                            "subindex": np.ones((2, 1))})  # fmt: skip
    [problem] = check_data_files(_config(change))
    assert problem == f"config key 'eeg.data.path': {path}: key 'EEGsample' must have shape (N, 30, 384), found (2, 32, 384)"


def test_pcrt_trajectories_needed_are_checked_before_generation(tmp_path):
    change = {"pcrt": {"labels": [1, 2], "characters": {"samples_per_letter": 3, "source": "templates"}, "generation": {"repeats": 2},
                       "assembly": {"n_per_label_plane": 10, "n_train": 20, "n_test": 5}}}  # fmt: skip
    [problem] = check_data_files(_config(change))
    assert problem.startswith("config keys 'pcrt.assembly.n_train' + 'pcrt.assembly.n_test' = 25 exceed the at most "
                              "24 trajectories generation can give")
    uci = tmp_path / "uci.mat"
    write_uci_characters(uci, [np.ones((3, 20))] * 3, [1, 1, 3])
    change["pcrt"]["characters"] = {"source": "uci", "uci_path": str(uci)}
    change["pcrt"]["assembly"].update(n_train=3, n_test=1)
    assert check_data_files(_config(change)) == [
        f"config key 'pcrt.labels': letters [2] have no sample in {uci} (pcrt.characters.uci_path)"
    ]
    change["pcrt"]["startpoints"] = {"path": str(tmp_path / "absent.hdf5")}
    change["pcrt"]["labels"] = [1, 3]
    assert check_data_files(_config(change)) == [
        f"config key 'pcrt.startpoints.path': {tmp_path}/absent.hdf5 does not exist; expected the original "
        "pcr_startingpoints.hdf5"
    ]
