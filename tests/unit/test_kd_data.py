"""Windowing, labels, pairing, folds and normalisation of the KD samples (Zeng et al. 2022), and the synthetic
stand-in written in the original layout (docs/studies.md)."""

import numpy as np
import pytest

from neuromotor.errors import ConfigError, DataFormatError
from neuromotor.io.kd_text import EMG_USED_COLUMNS, read_emg_text, read_us_text
from neuromotor.kd.data import (
    STRIDE,
    WINDOW,
    Layout,
    emg_windows,
    fold_rows,
    normalise_columns,
    sample_labels,
    sample_trials,
    subject_samples,
    us_frames,
    window_indices,
)
from neuromotor.kd.stages import prepare_subject, write_synthetic_subject
from neuromotor.kd.synthetic import SyntheticSpec, subject_file_names, synthetic_emg, synthetic_us
from neuromotor.io.store import read_arrays

ORIGINAL = Layout()
SMALL = Layout(trials=4, gestures=3, windows_per_gesture=4, first_window=1, slot_windows=6, trial_windows=20)


def test_original_layout_counts():
    assert ORIGINAL.emg_rows == 1_000_000
    assert ORIGINAL.n_windows == 10_000
    indices = window_indices(ORIGINAL)
    assert indices.shape == (4800,) and ORIGINAL.n_samples == 4800
    assert indices[:3].tolist() == [10, 11, 12] and indices[30] == 60  # gesture 1 starts 50 frames later
    assert indices[600] == 1250 + 10  # trial 1
    # the last of the 10,000 windows ends at row 1,000,156 of the zero-padded file
    assert (ORIGINAL.n_windows - 1) * STRIDE + WINDOW == 1_000_156
    assert indices.max() == 7 * 1250 + 19 * 50 + 39


def test_labels_trials_and_folds_of_the_original_layout():
    labels, trials = sample_labels(ORIGINAL), sample_trials(ORIGINAL)
    rows = np.arange(4800)
    np.testing.assert_array_equal(labels, (rows // 30) % 20)
    np.testing.assert_array_equal(trials, rows // 600)
    assert np.bincount(labels).tolist() == [240] * 20  # 30 frames x 8 trials per gesture
    for fold in range(4):
        train, test = fold_rows(ORIGINAL, fold)
        assert len(train) == 3600 and len(test) == 1200
        np.testing.assert_array_equal(test, np.arange(1200 * fold, 1200 * fold + 1200))
        assert len(train) // 32 == 112  # iterations per epoch with drop_last
    with pytest.raises(ValueError, match="fold must be in 0..3"):
        fold_rows(ORIGINAL, 4)


def test_invalid_layouts_are_named():
    with pytest.raises(ConfigError, match="trials must be even"):
        Layout(trials=7)
    with pytest.raises(ConfigError, match="do not fit in a slot"):
        Layout(first_window=30, windows_per_gesture=30)
    with pytest.raises(ConfigError, match="exceed trial_windows"):
        Layout(trial_windows=999)


def test_normalisation_is_a_whole_file_z_score_then_global_max():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(500, 3)) * [1.0, 5.0, 0.2] + [3.0, -1.0, 10.0]
    out = normalise_columns(raw)
    expected = np.empty_like(raw)
    for c in range(3):
        column = raw[:, c]
        mean = column.sum() / len(column)
        std = np.sqrt(((column - mean) ** 2).sum() / (len(column) - 1))  # ddof 1
        expected[:, c] = (column - mean) / std
    expected /= np.abs(expected).max()
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-14)
    assert np.abs(out).max() == 1.0 and out.min() >= -1.0
    with pytest.raises(DataFormatError, match="f.txt: column 1 is constant"):
        normalise_columns(np.c_[raw[:, 0], np.ones(500)], "f.txt")


def test_emg_windows_are_channel_first_slices_of_the_padded_rows():
    rows = np.arange(SMALL.emg_rows * 4, dtype=np.float64).reshape(SMALL.emg_rows, 4)
    windows = emg_windows(rows, SMALL)
    assert windows.shape == (SMALL.n_samples, 1, 4, WINDOW) and windows.dtype == np.float32
    for r, frame in zip(range(SMALL.n_samples), window_indices(SMALL)):
        start = frame * STRIDE
        stop = min(start + WINDOW, SMALL.emg_rows)
        np.testing.assert_array_equal(windows[r, 0, :, : stop - start], rows[start:stop].T)
        assert not windows[r, 0, :, stop - start :].any()  # the zero padding (never reached in the original)


def test_us_frames_reshape_transducer_major_and_pad_to_1024():
    rows = np.random.default_rng(2).normal(size=(3, 3840))
    frames = us_frames(rows)
    assert frames.shape == (3, 1, 4, 1024) and frames.dtype == np.float32
    np.testing.assert_allclose(frames[:, 0, 2, :960], rows[:, 1920:2880], rtol=1e-6)
    assert not frames[:, :, :, 960:].any()


def test_subject_samples_pair_rows_and_share_labels():
    emg = synthetic_emg(SMALL, SyntheticSpec(), 3, 0)[:, list(EMG_USED_COLUMNS)]
    us = synthetic_us(SMALL, SyntheticSpec(), 3, 0)
    samples = subject_samples(emg, us, SMALL)
    assert samples["emg"].shape == (SMALL.n_samples, 1, 4, 256)
    assert samples["us"].shape == (SMALL.n_samples, 1, 4, 1024)
    np.testing.assert_array_equal(samples["label"], sample_labels(SMALL))
    for name in ("emg", "us"):
        assert np.abs(samples[name]).max() <= 1.0
    assert np.isclose(np.abs(samples["us"]).max(), 1.0)  # every US row is a sample
    with pytest.raises(DataFormatError, match="expected 48 US rows, found 47"):
        subject_samples(emg, us[:-1], SMALL)


def test_synthetic_files_have_the_original_layout_and_read_back(tmp_path):
    write_synthetic_subject(1, SMALL, SyntheticSpec(), 5, tmp_path / "EMG.txt", tmp_path / "US.txt")
    first_line = (tmp_path / "EMG.txt").read_text().split("\n", 1)[0]
    assert len(first_line.split(",")) == 8
    emg = read_emg_text(tmp_path / "EMG.txt", SMALL.emg_rows)
    us = read_us_text(tmp_path / "US.txt", SMALL.n_samples)
    subject_1 = synthetic_emg(SMALL, SyntheticSpec(), 5, 0)  # subject 1 is drawn with its 0-based index
    np.testing.assert_allclose(emg, subject_1[:, 4:8], rtol=1e-5, atol=1e-6)
    assert us.shape == (SMALL.n_samples, 3840)
    prepare_subject(tmp_path / "EMG.txt", tmp_path / "US.txt", SMALL, {"emg_columns": 8, "emg_channels": [4, 5, 6, 7]},
                    tmp_path / "s1.zarr", subject=1)  # fmt: skip
    stored = read_arrays(tmp_path / "s1.zarr")
    assert stored["emg"].shape == (SMALL.n_samples, 1, 4, 256) and stored["us"].dtype == np.float32
    np.testing.assert_array_equal(stored["trial"], sample_trials(SMALL))


def test_synthetic_subjects_are_seeded_per_subject():
    a = synthetic_us(SMALL, SyntheticSpec(), 9, 0)
    np.testing.assert_array_equal(a, synthetic_us(SMALL, SyntheticSpec(), 9, 0))
    assert not np.allclose(a, synthetic_us(SMALL, SyntheticSpec(), 9, 1))
    assert not np.allclose(a, synthetic_us(SMALL, SyntheticSpec(), 10, 0))
    assert subject_file_names(2) == [("s1_synthetic_EMG.txt", "s1_synthetic_US.txt"),
                                     ("s2_synthetic_EMG.txt", "s2_synthetic_US.txt")]  # fmt: skip
    names = [emg for emg, _ in subject_file_names(12)]
    assert sorted(names) == names  # the loader's sorted order is the subject order


def _nearest_centroid_accuracy(features, labels, trials):
    train, test = trials >= 2, trials < 2
    centroids = np.stack([features[train & (labels == g)].mean(axis=0) for g in np.unique(labels)])
    distance = ((features[test, None, :] - centroids[None]) ** 2).sum(axis=2)
    return float((distance.argmin(axis=1) == labels[test]).mean())


def test_ultrasound_carries_more_gesture_information_than_semg():
    """A classifier-free check of the planted effect: nearest class centroids on simple features (sEMG: the RMS
    of each channel, the best a linear read-out of amplitude can do; US: the echo envelope) from held-out trials."""
    layout = Layout(trials=4, gestures=8, windows_per_gesture=10, first_window=1, slot_windows=12, trial_windows=100)
    spec = SyntheticSpec()
    emg = synthetic_emg(layout, spec, 11, 0)[:, list(EMG_USED_COLUMNS)]
    us = synthetic_us(layout, spec, 11, 0)
    samples = subject_samples(emg, us, layout)
    labels, trials = samples["label"], samples["trial"]
    emg_rms = np.log(np.sqrt((samples["emg"][:, 0] ** 2).mean(axis=2)))
    us_envelope = np.abs(samples["us"][:, 0, :, :960]).reshape(len(labels), 4, 60, 16).mean(axis=3).reshape(len(labels), -1)
    emg_accuracy = _nearest_centroid_accuracy(emg_rms, labels, trials)
    us_accuracy = _nearest_centroid_accuracy(us_envelope, labels, trials)
    assert us_accuracy > 0.9
    assert 1 / 8 < emg_accuracy < us_accuracy - 0.15
