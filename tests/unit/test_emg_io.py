"""The EMG .mat loader and writer (the original layout of Aeles et al. 2021) and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from neuromotor.emg import plan
from neuromotor.emg.synthetic import SyntheticSettings, condition_data, day2_participants, planted_mask, template
from neuromotor.errors import DataFormatError
from neuromotor.io.emg_mat import (
    MUSCLES,
    EmgRecording,
    load_emg_mat,
    load_emg_subset,
    resolve_mat_path,
    subset_file_name,
    write_emg_mat,
)


def one_hot(columns, n_columns):
    target = np.zeros((len(columns), n_columns))
    target[np.arange(len(columns)), columns] = 1
    return target


def original_file(path, feature, target, names=MUSCLES):
    """A file written the way MATLAB stores it (not through write_emg_mat): Feature N x 8 x 200, the label cell."""
    inner = np.empty((1, len(names)), dtype=object)
    inner[0, :] = list(names)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = inner
    content = {"Feature": feature, "Feature_EMG_Label": cell, "Target_Subject": target}
    scipy.io.savemat(path, content)


def test_loader_transposes_the_original_layout(tmp_path):
    rng = np.random.default_rng(0)
    feature = rng.uniform(-0.01, 1, (6, 8, 200))  # muscle x time, as in the files
    target = one_hot([0, 0, 2, 2, 3, 3], 5)  # columns 1 and 4 (0-based) empty
    original_file(tmp_path / "Data_X.mat", feature, target)

    recording = load_emg_mat(tmp_path / "Data_X")  # the extension is optional
    assert recording.features.shape == (6, 200, 8)
    np.testing.assert_array_equal(recording.features[4, 17, 5], feature[4, 5, 17])  # cycle 4, time 17, SOL
    assert recording.muscles == MUSCLES
    assert recording.participants.tolist() == [1, 3, 4]
    assert recording.column.tolist() == [0, 0, 2, 2, 3, 3]
    assert recording.path.endswith("Data_X.mat")


def test_writer_round_trips_and_writes_the_original_keys(tmp_path):
    rng = np.random.default_rng(1)
    features = rng.uniform(0, 1, (4, 200, 8))
    target = one_hot([1, 1, 0, 0], 3)
    path = tmp_path / "Data_Y.mat"
    write_emg_mat(path, features, target)

    raw = scipy.io.loadmat(path)
    assert raw["Feature"].shape == (4, 8, 200)
    assert raw["Target_Subject"].shape == (4, 3)
    assert [str(np.ravel(name)[0]) for name in raw["Feature_EMG_Label"][0][0].ravel()] == list(MUSCLES)
    recording = load_emg_mat(path)
    np.testing.assert_array_equal(recording.features, features)
    np.testing.assert_array_equal(recording.target, target)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"Feature": np.zeros((6, 200, 8))}, r"key 'Feature' must be numeric N x 8 x 200 .* found shape \(6, 200, 8\)"),
        ({"Feature": np.zeros((6, 8, 199))}, r"key 'Feature' .* found shape \(6, 8, 199\)"),
        ({"Target_Subject": np.ones((5, 4))}, r"key 'Target_Subject' must be N x P with N = 6 .* found shape \(5, 4\)"),
        ({"Target_Subject": np.ones((6, 4))}, r"'Target_Subject' must be one-hot"),
    ],
)
def test_wrong_shapes_fail_naming_file_key_and_shapes(tmp_path, change, message):
    content = {"Feature": np.zeros((6, 8, 200)), "Target_Subject": one_hot([0, 1, 2, 3, 0, 1], 4)} | change
    path = tmp_path / "Data_bad.mat"
    original_file(path, content["Feature"], content["Target_Subject"])
    with pytest.raises(DataFormatError, match=message) as error:
        load_emg_mat(path)
    assert "Data_bad.mat" in str(error.value)


def test_missing_key_fails_naming_it(tmp_path):
    path = tmp_path / "Data_nolabels.mat"
    scipy.io.savemat(path, {"Feature": np.zeros((2, 8, 200)), "Feature_EMG_Label": np.zeros((1, 1))})
    with pytest.raises(DataFormatError, match=r"Data_nolabels.mat: missing key\(s\) \['Target_Subject'\]"):
        load_emg_mat(path)


def test_bad_label_cell_non_finite_values_and_foreign_files_fail_clearly(tmp_path):
    target = one_hot([0, 1], 2)
    original_file(tmp_path / "labels.mat", np.zeros((2, 8, 200)), target, names=("VL", "RF", "VM"))
    with pytest.raises(DataFormatError, match="'Feature_EMG_Label' must be a 1x1 cell holding a cell of 8"):
        load_emg_mat(tmp_path / "labels.mat")
    feature = np.zeros((2, 8, 200))
    feature[1, 3, 10] = np.nan
    original_file(tmp_path / "nan.mat", feature, target)
    with pytest.raises(DataFormatError, match="1 non-finite values"):
        load_emg_mat(tmp_path / "nan.mat")
    (tmp_path / "text.mat").write_text("not a MATLAB file")
    with pytest.raises(DataFormatError, match="text.mat: not a readable MATLAB"):
        load_emg_mat(tmp_path / "text.mat")
    with pytest.raises(DataFormatError, match="absent: EMG .mat file not found"):
        resolve_mat_path(tmp_path / "absent")


# --- synthetic stand-in -----------------------------------------------------------------------------------------


def test_synthetic_files_have_the_original_layout_and_day2_is_a_subset(tmp_path):
    settings = SyntheticSettings(participants=6, cycles=12, day2_participants=4)
    for condition in ("pedalling_150W_day1", "pedalling_150W_day2"):
        features, target = condition_data(11, condition, settings)
        write_emg_mat(tmp_path / f"{plan.CONDITIONS[condition]}.mat", features, target)
    day1 = load_emg_mat(tmp_path / "Data_Pedalling_150W_Baseline_Day1.mat")
    day2 = load_emg_mat(tmp_path / "Data_Pedalling_150W_Robustness_Day2")
    assert day1.features.shape == (6 * 12, 200, 8) and day1.target.shape == (72, 6)
    assert day2.target.shape == (4 * 12, 6)  # every column kept, only the returning participants' rows
    assert day2.participants.tolist() == day2_participants(11, settings).tolist()
    assert np.all(np.bincount(day1.column) == 12)
    assert -0.3 < day1.features.min() < 0 and day1.features.max() < 1.6  # envelopes ~[0, 1], small negatives


def test_synthetic_data_are_seeded_per_participant_and_carry_the_planted_bumps():
    settings = SyntheticSettings(participants=5, cycles=10)
    a, _ = condition_data(3, "walking_day1", settings)
    b, _ = condition_data(3, "walking_day1", SyntheticSettings(participants=7, cycles=10))
    np.testing.assert_array_equal(a, b[: len(a)])  # participant 1..5 do not depend on how many others exist
    for participant in range(1, 6):
        mask = planted_mask(3, participant, settings)
        assert mask.sum() > 0
        with_bump = template(3, participant, "pedalling_150W_day1", settings)
        without = template(3, participant, "pedalling_150W_day1", SyntheticSettings(participants=5,
                                                                                       signature_amplitude=1e-9))
        difference = with_bump - without
        assert difference[mask].min() > 0.5 * settings.signature_amplitude * np.exp(-0.5 * 1.5**2)
        assert np.abs(difference[~mask]).max() < 0.33 * settings.signature_amplitude
    regions = {tuple(np.argwhere(planted_mask(3, p, settings)).mean(0).round()) for p in range(1, 6)}
    assert len(regions) == 5  # the participants' planted regions differ


# --- the original subject-count subset files (Aeles et al. 2021) ----------------------------------------------------


def _baseline(n_participants=6, cycles=12):
    """A condition recording of n participants x cycles (participant p's cycles carry the value p)."""
    columns = np.repeat(np.arange(n_participants), cycles)
    features = np.repeat(columns[:, None, None] + 1.0, 200, axis=1).repeat(8, axis=2) / n_participants
    return EmgRecording(features, one_hot(columns, n_participants).astype(np.uint8))


def _subset_file(path, baseline, target, members, swap=True):
    """A subset file written the way the original MATLAB script stores it: rows of ``members`` in file order, all
    label columns, columns 1 and ``target`` swapped (unless ``swap`` is False)."""
    rows = np.flatnonzero(np.isin(baseline.column + 1, members))
    target_matrix = baseline.target[rows].astype(float)
    if swap:
        target_matrix[:, [0, target - 1]] = target_matrix[:, [target - 1, 0]]
    path.parent.mkdir(parents=True, exist_ok=True)
    original_file(path, baseline.features[rows].transpose(0, 2, 1), target_matrix)


def test_subset_file_names_follow_the_original():
    assert subset_file_name("pedalling", 7, 22, 3) == \
        "Robustness/Pedalling/Data_Pedalling_Baseline_Day1_P7_N22_S3.mat"
    assert subset_file_name("walking", 1, 2, 10) == "Robustness/Walking/Data_Walking_Baseline_Day1_P1_N2_S10.mat"
    with pytest.raises(ValueError, match="task must be one of"):
        subset_file_name("running", 1, 2, 1)


def test_subset_files_in_the_original_layout_load_with_their_members(tmp_path):
    baseline = _baseline()
    path = tmp_path / subset_file_name("pedalling", 4, 3, 1)
    _subset_file(path, baseline, 4, [1, 4, 6])
    subset = load_emg_subset(path, 4, 3)
    assert subset.members.tolist() == [1, 4, 6]  # column 1 holds participant 4, column 4 participant 1
    assert subset.recording.target.shape == (36, 6)
    assert subset.recording.participants.tolist() == [1, 4, 6]  # as columns: target first
    np.testing.assert_array_equal(subset.recording.features[subset.recording.column == 0], 4 / 6)
    _subset_file(tmp_path / "target1.mat", baseline, 1, [1, 2])  # target 1: nothing to swap
    assert load_emg_subset(tmp_path / "target1", 1, 2).members.tolist() == [1, 2]  # extension optional


def test_subset_files_with_a_missing_key_a_wrong_label_column_or_truncated_fail_naming_the_file(tmp_path):
    baseline = _baseline()
    missing = tmp_path / "Data_Pedalling_Baseline_Day1_P2_N3_S1.mat"
    scipy.io.savemat(missing, {"Feature": np.zeros((2, 8, 200)), "Target_Subject": one_hot([0, 1], 6)})
    with pytest.raises(DataFormatError, match=r"P2_N3_S1.mat: missing key\(s\) \['Feature_EMG_Label'\]"):
        load_emg_subset(missing, 2, 3)

    unswapped = tmp_path / "Data_Pedalling_Baseline_Day1_P5_N3_S1.mat"
    _subset_file(unswapped, baseline, 5, [2, 3, 5], swap=False)  # participant 1 absent: column 1 empty
    with pytest.raises(DataFormatError, match=r"P5_N3_S1.mat: key 'Target_Subject' column 1 must hold target "
                                              r"participant 5's cycles .* found 0 cycles there"):
        load_emg_subset(unswapped, 5, 3)

    wrong_size = tmp_path / "Data_Pedalling_Baseline_Day1_P2_N4_S1.mat"
    _subset_file(wrong_size, baseline, 2, [1, 2, 3])
    with pytest.raises(DataFormatError, match=r"P2_N4_S1.mat: key 'Target_Subject' has cycles of 3 participants; "
                                              r"the file name says N = 4"):
        load_emg_subset(wrong_size, 2, 4)
    with pytest.raises(DataFormatError, match=r"has 6 label columns; target participant 9 needs at least 9"):
        load_emg_subset(wrong_size, 9, 3)

    good = tmp_path / "good.mat"
    _subset_file(good, baseline, 3, [1, 3, 6])
    truncated = tmp_path / "Data_Pedalling_Baseline_Day1_P3_N3_S1.mat"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataFormatError, match="P3_N3_S1.mat: truncated EMG .mat file: the file ends at byte"):
        load_emg_subset(truncated, 3, 3)


def test_the_generator_writes_the_original_layout_seeded_with_the_planted_rows(tmp_path):
    from neuromotor.emg.subsamples import draw_participants, subset_generator, write_subset_files

    settings = SyntheticSettings(participants=6, cycles=12, day2_participants=4)
    features, target = condition_data(5, "pedalling_150W_day1", settings)
    recording = EmgRecording(features, target.astype(np.uint8))
    items = [(2, 3, 1), (2, 3, 2), (6, 6, 1)]
    paths = write_subset_files(recording, "pedalling", items, tmp_path, seed=99)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [subset_file_name("pedalling", *i) for i in items]
    for (k, n, s), path in zip(items, paths):
        subset = load_emg_subset(path, k, n)
        expected = draw_participants(recording.participants, k, n, subset_generator(99, 1, k, n, s))
        assert subset.members.tolist() == expected.tolist()
        rows = np.flatnonzero(np.isin(recording.column + 1, expected))
        np.testing.assert_allclose(subset.recording.features, recording.features[rows])  # rows in file order
        np.testing.assert_array_equal(subset.recording.features[subset.recording.column == 0],
                                      recording.features[recording.column == k - 1])  # the target's own cycles
    again = write_subset_files(recording, "pedalling", items[:1], tmp_path / "again", seed=99)
    first, second = (load_emg_mat(p) for p in (paths[0], again[0]))  # the header holds a timestamp: compare content
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(first.target, second.target)


def test_subset_file_paths_find_files_with_or_without_the_extension(tmp_path):
    from neuromotor.io.emg_mat import subset_file_paths

    with_ext = tmp_path / subset_file_name("walking", 1, 2, 1)
    without = tmp_path / subset_file_name("walking", 1, 2, 2)[: -len(".mat")]
    for path in (with_ext, without):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    found, missing = subset_file_paths(tmp_path, "walking", [(1, 2, 1), (1, 2, 2), (1, 2, 3)])
    assert found == [str(with_ext), str(without)]
    assert missing == [str(tmp_path / subset_file_name("walking", 1, 2, 3))]
