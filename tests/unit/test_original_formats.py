import h5py
import numpy as np
import pytest
import scipy.io

from neuromotor.errors import DataFormatError
from neuromotor.io.deepdraw_hdf5 import (
    PCR_DATASET_KEYS,
    PCR_DIY_KEYS,
    load_pcr_dataset_hdf5,
    load_pcr_trajectories_hdf5,
    load_startpoints_hdf5,
    write_pcr_dataset_hdf5,
    write_pcr_trajectories_hdf5,
    write_startpoints_hdf5,
)
from neuromotor.io.uci import load_uci_characters, write_uci_characters


def uci_like_samples(lengths=(7, 12, 5), seed=0):
    rng = np.random.default_rng(seed)
    return [np.vstack([rng.normal(size=(2, t)), rng.uniform(0.1, 1.0, (1, t))]) for t in lengths]


# --- UCI Character Trajectories ------------------------------------------------------------------------------------


def test_uci_file_round_trips_in_the_original_layout(tmp_path):
    path = tmp_path / "uci_dataset.mat"
    samples, labels = uci_like_samples(), [3, 20, 1]
    write_uci_characters(path, samples, labels)

    raw = scipy.io.loadmat(path)
    assert raw["mixout"].shape == (1, 3)
    assert all(cell.shape == (3, 12) for cell in raw["mixout"].ravel())  # zero-padded to the longest sample
    assert raw["consts"].dtype.names[4] == "charlabels"
    assert raw["consts"][0][0][4][0].tolist() == labels

    loaded, loaded_labels = load_uci_characters(path)
    assert loaded_labels.tolist() == labels and loaded_labels.dtype == np.int64
    for original, read_back in zip(samples, loaded):
        np.testing.assert_array_equal(read_back, original)  # trailing zero padding stripped


def test_uci_labels_are_taken_from_the_fifth_consts_field_when_unnamed(tmp_path):
    path = tmp_path / "renamed.mat"
    samples = uci_like_samples()
    mixout = np.empty((1, 3), dtype=object)
    for index, sample in enumerate(samples):
        mixout[0, index] = sample
    consts = np.empty((1, 1), dtype=[(name, object) for name in ("f1", "f2", "f3", "f4", "labels_here")])
    for name in consts.dtype.names:
        consts[name][0, 0] = np.zeros((1, 1))
    consts["labels_here"][0, 0] = np.array([[2.0, 4.0, 6.0]])
    scipy.io.savemat(path, {"mixout": mixout, "consts": consts})
    assert load_uci_characters(path)[1].tolist() == [2, 4, 6]


def test_uci_wrong_row_count_names_file_key_and_sample(tmp_path):
    path = tmp_path / "two_rows.mat"
    samples = uci_like_samples()
    write_uci_characters(path, samples, [1, 2, 3])
    raw = scipy.io.loadmat(path)
    raw["mixout"][0, 1] = raw["mixout"][0, 1][:2]
    scipy.io.savemat(path, {"mixout": raw["mixout"], "consts": raw["consts"]})
    with pytest.raises(DataFormatError, match=r"two_rows\.mat.*'mixout', sample 1.*3 rows"):
        load_uci_characters(path)


def test_uci_missing_key_names_file_and_key(tmp_path):
    path = tmp_path / "no_consts.mat"
    write_uci_characters(path, uci_like_samples(), [1, 2, 3])
    raw = scipy.io.loadmat(path)
    scipy.io.savemat(path, {"mixout": raw["mixout"]})
    with pytest.raises(DataFormatError, match=r"no_consts\.mat.*'consts' missing"):
        load_uci_characters(path)


def test_uci_truncated_or_foreign_file_names_file(tmp_path):
    path = tmp_path / "truncated.mat"
    write_uci_characters(path, uci_like_samples(), [1, 2, 3])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DataFormatError, match=r"truncated\.mat"):
        load_uci_characters(path)
    text = tmp_path / "notes.mat"
    text.write_text("not a MATLAB file at all")
    with pytest.raises(DataFormatError, match=r"notes\.mat.*MATLAB v5"):
        load_uci_characters(text)
    with pytest.raises(DataFormatError, match=r"absent\.mat.*not found"):
        load_uci_characters(tmp_path / "absent.mat")


@pytest.mark.parametrize(
    ("labels", "message"),
    [([1, 2], r"2 labels.*\(3\)"), ([0, 2, 3], r"expected values in 1\.\.20"), ([1, 2, 21], "1..20")],
)
def test_uci_bad_labels_name_file_and_key(tmp_path, labels, message):
    path = tmp_path / "labels.mat"
    write_uci_characters(path, uci_like_samples(), [1, 2, 3])
    raw = scipy.io.loadmat(path)
    raw["consts"]["charlabels"][0, 0] = np.array([labels], dtype=float)
    scipy.io.savemat(path, {"mixout": raw["mixout"], "consts": raw["consts"]})
    with pytest.raises(DataFormatError, match=rf"labels\.mat.*consts\.charlabels.*{message}"):
        load_uci_characters(path)


# --- DeepDraw HDF5 files --------------------------------------------------------------------------------------------


def pcr_dataset(n=4, window=320, seed=0):
    rng = np.random.default_rng(seed)
    data = {
        "endeffector_coords": rng.normal(size=(n, 3, window)),
        "joint_coords": rng.normal(size=(n, 4, window)),
        "muscle_coords": rng.normal(size=(n, 25, window)),
        "spindle_firing": rng.normal(size=(n, 25, window)),
        "spindle_info": rng.normal(size=(n, 25, window, 2)),
        "label": rng.integers(1, 21, n),
        "plane": np.array(["horizontal", "vertical"] * (n // 2)),
        "startpt": rng.normal(size=(n, 3)),
        "start_id": rng.integers(0, 20, n),
    }
    for key in ("size", "rot", "shear_x", "shear_y", "speed"):
        data[key] = rng.normal(size=n)
    data["end_id"] = data["start_id"] + 100
    return data


def test_startpoints_round_trip_and_errors(tmp_path):
    path = tmp_path / "pcr_startingpoints.hdf5"
    horizontal, vertical = np.arange(12.0).reshape(4, 3), -np.arange(6.0).reshape(2, 3)
    write_startpoints_hdf5(path, horizontal, vertical)
    loaded = load_startpoints_hdf5(path)
    np.testing.assert_array_equal(loaded["horizontal"], horizontal)
    np.testing.assert_array_equal(loaded["vertical"], vertical)
    with h5py.File(path, "a") as file:
        del file["vertical"]
        file["vertical"] = np.zeros((2, 2))
    with pytest.raises(DataFormatError, match=r"pcr_startingpoints\.hdf5.*'vertical'.*\(N, 3\)"):
        load_startpoints_hdf5(path)


def test_pcr_dataset_round_trips_in_the_original_layout(tmp_path):
    path = tmp_path / "pcr_dataset_train.hdf5"
    data = pcr_dataset()
    write_pcr_dataset_hdf5(path, data)
    with h5py.File(path) as file:
        assert sorted(file) == sorted(PCR_DATASET_KEYS)
        assert file["plane"].dtype.kind == "S" and file["spindle_info"].dtype == np.float64
        assert file["label"].dtype == np.float64 and file["spindle_info"].compression is None
    loaded = load_pcr_dataset_hdf5(path)
    assert loaded["plane"].tolist() == data["plane"].tolist()
    assert loaded["label"].dtype == np.int64 and loaded["start_id"].dtype == np.int64
    for key in PCR_DATASET_KEYS:
        np.testing.assert_array_equal(loaded[key], data[key])


def test_diy_file_with_gzip_and_fewer_keys(tmp_path):
    path = tmp_path / "pcr_dataset_diy.hdf5"
    data = {key: value for key, value in pcr_dataset().items() if key in PCR_DIY_KEYS}
    write_pcr_dataset_hdf5(path, data, gzip_level=9)
    with h5py.File(path) as file:
        assert file["endeffector_coords"].compression == "gzip"
    loaded = load_pcr_dataset_hdf5(path, keys=PCR_DIY_KEYS)
    np.testing.assert_array_equal(loaded["endeffector_coords"], data["endeffector_coords"])
    with pytest.raises(DataFormatError, match=r"pcr_dataset_diy\.hdf5.*'joint_coords' missing"):
        load_pcr_dataset_hdf5(path)


def test_pcr_dataset_missing_key_and_wrong_shapes_fail_clearly(tmp_path):
    path = tmp_path / "pcr_dataset_test.hdf5"
    write_pcr_dataset_hdf5(path, pcr_dataset())
    with h5py.File(path, "a") as file:
        del file["speed"]
    with pytest.raises(DataFormatError, match=r"pcr_dataset_test\.hdf5.*'speed' missing"):
        load_pcr_dataset_hdf5(path)

    write_pcr_dataset_hdf5(path, pcr_dataset())
    with h5py.File(path, "a") as file:
        del file["muscle_coords"]
        file["muscle_coords"] = np.zeros((4, 24, 320))
    with pytest.raises(DataFormatError, match=r"'muscle_coords'.*\(N, 25, T\)"):
        load_pcr_dataset_hdf5(path)

    write_pcr_dataset_hdf5(path, pcr_dataset())
    with h5py.File(path, "a") as file:
        del file["joint_coords"]
        file["joint_coords"] = np.zeros((4, 4, 300))
    with pytest.raises(DataFormatError, match=r"'joint_coords' has T = 300.*expected 320"):
        load_pcr_dataset_hdf5(path)


def test_trajectories_round_trip_with_nan_padding_and_errors(tmp_path):
    path = tmp_path / "pcr_trajectories.hdf5"
    trajectories = np.full((3, 2, 6), np.nan)
    trajectories[:, :, :4] = np.arange(24.0).reshape(3, 2, 4)
    write_pcr_trajectories_hdf5(path, trajectories, np.array([1, 11, 20]))
    loaded, labels = load_pcr_trajectories_hdf5(path)
    np.testing.assert_array_equal(loaded, trajectories)
    assert labels.tolist() == [1, 11, 20]

    with h5py.File(path, "a") as file:
        del file["labels"]
    with pytest.raises(DataFormatError, match=r"pcr_trajectories\.hdf5.*'labels' missing"):
        load_pcr_trajectories_hdf5(path)
    not_hdf5 = tmp_path / "fake.hdf5"
    not_hdf5.write_text("plain text")
    with pytest.raises(DataFormatError, match=r"fake\.hdf5.*not a readable HDF5"):
        load_pcr_trajectories_hdf5(not_hdf5)
