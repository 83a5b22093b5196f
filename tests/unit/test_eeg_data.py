"""The EEG dataset.mat loader (original layout, clear errors), its mne view and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from neuromotor.eeg.synthetic import SUBJECT_COUNTS, PlantedEffect, subject_counts, synthetic_eeg, synthetic_subject
from neuromotor.errors import DataFormatError
from neuromotor.io.eeg_mat import CHANNELS, N_TIMES, SFREQ, eeg_info, load_eeg_mat, to_epochs, write_eeg_mat

EFFECT = PlantedEffect()


def small_dataset(seed=0):
    return synthetic_eeg([4, 6, 2], EFFECT, seed)


def test_channel_order_and_sampling_of_the_spec():
    assert len(CHANNELS) == 30 and CHANNELS[0] == "Fp1" and CHANNELS[12] == "T3" and CHANNELS[-1] == "O2"
    assert (SFREQ, N_TIMES) == (128.0, 384)


def test_write_then_load_round_trips_the_original_layout(tmp_path):
    dataset = small_dataset()
    path = tmp_path / "dataset.mat"
    write_eeg_mat(path, dataset.data, dataset.state, dataset.subject)
    raw = scipy.io.loadmat(path)
    assert raw["EEGsample"].shape == (12, 30, 384) and raw["substate"].shape == (12, 1)
    assert raw["subindex"].shape == (12, 1)
    loaded = load_eeg_mat(path)
    np.testing.assert_array_equal(loaded.data, dataset.data)
    np.testing.assert_array_equal(loaded.state, dataset.state)
    np.testing.assert_array_equal(loaded.subject, [1] * 4 + [2] * 6 + [3] * 2)
    assert loaded.data.dtype == np.float64 and loaded.state.dtype == np.int64
    assert len(loaded.of_subject(2).state) == 6 and set(loaded.without_subject(2).subject) == {1, 3}


def write_raw(path, **arrays):
    scipy.io.savemat(path, arrays)
    return path


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"EEGsample": np.zeros((3, 29, 384)), "substate": np.zeros((3, 1)), "subindex": np.ones((3, 1))},
         "key 'EEGsample' must have shape (N, 30, 384)"),
        ({"EEGsample": np.zeros((3, 30, 256)), "substate": np.zeros((3, 1)), "subindex": np.ones((3, 1))},
         "found shape (3, 30, 256)"),
        ({"EEGsample": np.zeros((3, 30, 384)), "substate": np.zeros((2, 1)), "subindex": np.ones((3, 1))},
         "key 'substate' must have shape (3, 1)"),
        ({"EEGsample": np.zeros((3, 30, 384)), "substate": np.full((3, 1), 2.0), "subindex": np.ones((3, 1))},
         "key 'substate' must hold 0 (alert) or 1 (drowsy)"),
        ({"EEGsample": np.zeros((3, 30, 384)), "substate": np.zeros((3, 1)), "subindex": np.full((3, 1), 1.5)},
         "key 'subindex' must hold integers"),
        ({"EEGsample": np.zeros((3, 30, 384)), "substate": np.zeros((3, 1))}, "key(s) ['subindex'] missing"),
    ],
)  # fmt: skip
def test_loader_fails_clearly_on_wrong_files(tmp_path, arrays, message):
    path = write_raw(tmp_path / "bad.mat", **arrays)
    with pytest.raises(DataFormatError) as error:
        load_eeg_mat(path)
    assert message in str(error.value) and "bad.mat" in str(error.value)


def test_loader_names_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataFormatError, match="not found"):
        load_eeg_mat(tmp_path / "absent.mat")
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 50)
    with pytest.raises(DataFormatError, match="garbage.mat"):
        load_eeg_mat(garbage)


def test_loader_logs_counts_per_subject_and_class_balance(tmp_path, caplog):
    dataset = small_dataset()
    path = tmp_path / "dataset.mat"
    write_eeg_mat(path, dataset.data, dataset.state, dataset.subject)
    with caplog.at_level("INFO"):
        load_eeg_mat(path)
    assert "{1: 4, 2: 6, 3: 2}" in caplog.text and "subject 2: 3 alert, 3 drowsy" in caplog.text


def test_epochs_array_has_the_montage_events_and_volts():
    dataset = small_dataset()
    epochs = to_epochs(dataset)
    assert epochs.ch_names == list(CHANNELS) and epochs.info["sfreq"] == 128.0
    positions = epochs.get_montage().get_positions()["ch_pos"]
    assert set(positions) == set(CHANNELS) and all(np.all(np.isfinite(p)) for p in positions.values())
    np.testing.assert_allclose(epochs.get_data(), dataset.data * 1e-6)
    assert len(epochs["drowsy"]) == int(dataset.state.sum()) and len(epochs["sub02"]) == 6
    assert len(epochs["drowsy/sub02"]) == 3


def test_montage_places_every_channel_apart():
    positions = np.array([ch["loc"][:3] for ch in eeg_info()["chs"]])
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    assert distances[~np.eye(30, dtype=bool)].min() > 0.01  # metres


def test_subject_counts_are_even_and_scaled():
    assert sum(SUBJECT_COUNTS) == 2022 and subject_counts(1.0) == list(SUBJECT_COUNTS)
    scaled = subject_counts(0.1)
    assert all(n % 2 == 0 and n >= 2 for n in scaled) and scaled[0] == 18
    assert subject_counts(0.001) == [2] * 11


def band_power(data, low=6.0, high=12.0):
    spectrum = np.abs(np.fft.rfft(data, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(data.shape[-1], 1 / SFREQ)
    return spectrum[..., (freqs >= low) & (freqs <= high)].sum(-1)


def test_synthetic_drowsy_epochs_carry_the_planted_burst_only_where_planted():
    data, state = synthetic_subject(3, 200, EFFECT, seed=5)
    assert state.sum() == 100
    first, stop = EFFECT.sample_window
    window, outside = data[..., first:stop], data[..., :first]
    planted = EFFECT.channel_indices
    others = np.setdiff1d(np.arange(30), planted)
    ratio = band_power(window[state == 1]).mean(0) / band_power(window[state == 0]).mean(0)
    assert ratio[planted].min() > 2.0  # strong theta/alpha increase on every planted channel
    assert np.abs(ratio[others] - 1).max() < 0.35  # nothing elsewhere beyond sampling noise
    outside_ratio = band_power(outside[state == 1]).mean(0) / band_power(outside[state == 0]).mean(0)
    assert np.abs(outside_ratio - 1).max() < 0.35  # nothing before the window
    assert EFFECT.mask().sum() == len(planted) * (stop - first)


def test_synthetic_subjects_do_not_depend_on_the_other_subjects():
    one = synthetic_eeg([4, 6], EFFECT, seed=9)
    two = synthetic_eeg([8, 6, 2], EFFECT, seed=9)
    np.testing.assert_array_equal(one.of_subject(2).data, two.of_subject(2).data)
    assert not np.array_equal(synthetic_eeg([4, 6], EFFECT, seed=10).data, one.data)


def test_planted_effect_rejects_unknown_channels_and_windows():
    with pytest.raises(ValueError, match="not EEG channels"):
        PlantedEffect(channels=("Cz", "X1"))
    with pytest.raises(ValueError, match="window"):
        PlantedEffect(window_s=(2.0, 4.0))
