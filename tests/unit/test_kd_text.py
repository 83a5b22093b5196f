"""Loaders and writers of the original KD text files (the files of Zeng et al. 2022): exact round trips, and one
clear error for every malformed file (wrong column or row count, ragged rows, text, non-finite values, unpaired
subjects)."""

import numpy as np
import pytest

from neuromotor.errors import DataFormatError
from neuromotor.io.kd_text import (
    EMG_USED_COLUMNS,
    US_COLUMNS,
    find_subject_files,
    read_emg_text,
    read_us_text,
    write_emg_text,
    write_us_text,
)


def test_emg_round_trip_keeps_the_used_columns(tmp_path):
    values = np.random.default_rng(0).normal(size=(300, 8))
    write_emg_text(tmp_path / "s1_x_EMG.txt", values)
    text = (tmp_path / "s1_x_EMG.txt").read_text().splitlines()
    assert len(text) == 300 and all(len(line.split(",")) == 8 for line in text)  # header-less CSV
    read = read_emg_text(tmp_path / "s1_x_EMG.txt", n_rows=300)
    assert read.shape == (300, 4)
    np.testing.assert_allclose(read, values[:, list(EMG_USED_COLUMNS)], rtol=1e-5)
    assert EMG_USED_COLUMNS == (4, 5, 6, 7)


def test_us_round_trip_is_transducer_major(tmp_path):
    frames = np.random.default_rng(1).normal(size=(5, 4, 960))
    write_us_text(tmp_path / "u.txt", frames)
    rows = read_us_text(tmp_path / "u.txt", n_rows=5)
    assert rows.shape == (5, US_COLUMNS) == (5, 3840)
    np.testing.assert_allclose(rows[:, 960:1920], frames[:, 1], rtol=1e-5)  # columns 960-1919 = transducer 1


def _write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("columns", [7, 9])
def test_emg_with_the_wrong_column_count_is_rejected(tmp_path, columns):
    path = tmp_path / "e.txt"
    np.savetxt(path, np.ones((10, columns)), delimiter=",")
    with pytest.raises(DataFormatError, match=rf"e\.txt: EMG file must have 8 comma-separated columns, found {columns}"):
        read_emg_text(path, n_rows=10)


def test_us_with_the_wrong_column_count_is_rejected(tmp_path):
    path = tmp_path / "u.txt"
    np.savetxt(path, np.ones((3, 3839)), delimiter=",")
    with pytest.raises(DataFormatError, match="US file must have 3840 comma-separated columns, found 3839"):
        read_us_text(path, n_rows=3)


def test_wrong_row_counts_are_rejected(tmp_path):
    path = tmp_path / "e.txt"
    np.savetxt(path, np.ones((12, 8)), delimiter=",")
    with pytest.raises(DataFormatError, match="EMG file must have 10 rows, found 12"):
        read_emg_text(path, n_rows=10)
    us = tmp_path / "u.txt"
    np.savetxt(us, np.ones((3, 3840)), delimiter=",")
    with pytest.raises(DataFormatError, match=r"u\.txt: US file must have 4800 rows, found 3"):
        read_us_text(us)


def test_a_ragged_row_is_named(tmp_path):
    path = _write_lines(tmp_path / "e.txt", ["1,2,3,4,5,6,7,8"] * 3 + ["1,2,3,4,5,6,7"] + ["1,2,3,4,5,6,7,8"])
    with pytest.raises(DataFormatError, match=r"e\.txt: EMG file must hold 8 numbers per row: line 4 has 7 columns"):
        read_emg_text(path, n_rows=5)


def test_text_and_non_finite_values_are_rejected(tmp_path):
    path = _write_lines(tmp_path / "e.txt", ["1,2,3,4,5,6,7,8", "1,2,3,x,5,6,7,8"])
    with pytest.raises(DataFormatError, match="EMG file must hold 8 numbers per row: line 2, column 4 holds 'x'"):
        read_emg_text(path, n_rows=2)
    # positions are 1-based lines of the file (blank lines counted) and 1-based columns
    path = _write_lines(tmp_path / "n.txt", ["1,2,3,4,5,6,7,8", "", "1,2,3,4,nan,6,7,8"])
    with pytest.raises(DataFormatError, match="non-finite value at line 3, column 5"):
        read_emg_text(path, n_rows=2)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DataFormatError, match="absent.txt: EMG file not found"):
        read_emg_text(tmp_path / "absent.txt", n_rows=1)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataFormatError, match="empty.txt: file is empty"):
        read_us_text(tmp_path / "empty.txt", n_rows=1)


def test_writers_refuse_other_shapes(tmp_path):
    with pytest.raises(ValueError, match=r"\(rows, 8\)"):
        write_emg_text(tmp_path / "e.txt", np.ones((3, 4)))
    with pytest.raises(ValueError, match="3840"):
        write_us_text(tmp_path / "u.txt", np.ones((3, 4, 959)))
    assert not list(tmp_path.iterdir())


def test_subjects_are_numbered_in_sorted_order_and_must_pair(tmp_path):
    for sub in ("EMG", "US"):
        (tmp_path / sub).mkdir()
    for name in ("s2_b", "s1_a", "s3_c"):
        (tmp_path / "EMG" / f"{name}_EMG.txt").write_text("")
        (tmp_path / "US" / f"{name}_US.txt").write_text("")
    pairs = find_subject_files(tmp_path)
    assert [(e.name, u.name) for e, u in pairs] == [
        ("s1_a_EMG.txt", "s1_a_US.txt"), ("s2_b_EMG.txt", "s2_b_US.txt"), ("s3_c_EMG.txt", "s3_c_US.txt"),
    ]  # fmt: skip
    (tmp_path / "US" / "s4_d_US.txt").write_text("")
    with pytest.raises(DataFormatError, match="3 EMG files but 4 US files"):
        find_subject_files(tmp_path)
    (tmp_path / "US" / "s4_d_US.txt").unlink()
    (tmp_path / "US" / "s3_c_US.txt").rename(tmp_path / "US" / "s5_c_US.txt")
    with pytest.raises(DataFormatError, match="do not pair up"):
        find_subject_files(tmp_path)
    with pytest.raises(DataFormatError, match="expected files EMG/s\\*_EMG.txt"):
        find_subject_files(tmp_path / "nothing")
