"""The released DeepDraw files as the PCRT dataset store (neuromotor.pcrt.released): the writer's layout, the rows,
arrays and attributes of the store, and bad files failing with the file and the key."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from neuromotor.errors import DataFormatError
from neuromotor.io.deepdraw_hdf5 import PCR_DATASET_KEYS, PcrDatasetReader, load_pcr_dataset_hdf5
from neuromotor.io.store import open_store, read_arrays
from neuromotor.pcrt.augment import LATENT_NAMES
from neuromotor.pcrt.dataset import ARRAY_ATTRS, TRAJECTORY_ARRAYS
from neuromotor.pcrt.released import write_released_dataset
from tests.released import WINDOW, released_arrays, write_released_pair

AUGMENTATION = {"size": [0.7, 1.0, 1.3], "speed": [0.8, 1.0, 1.2, 1.4]}
GENERATED_ARRAYS = {
    *TRAJECTORY_ARRAYS.values(), *LATENT_NAMES, "startpt", "n_attempts", "label", "plane", "start_id", "end_id",
    "source_index", "repeat", "spindle_firing", "spindle_info",
}  # fmt: skip
"""The arrays of a generated split (neuromotor.pcrt.dataset.write_dataset)."""


def convert(paths, out, **change):
    settings = dict(labels=[1, 11, 15], planes=["horizontal", "vertical"], n_train=20, n_test=5, window=WINDOW,
                    augmentation=AUGMENTATION, chunk=8)  # fmt: skip
    settings.update(change)
    return write_released_dataset(paths["train"], paths["test"], out, **settings)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_released_pair(tmp_path_factory.mktemp("released"), 40, 12, labels=[1, 11, 15, 2])


def test_writer_gives_the_original_layout(files):
    with h5py.File(files["train"], "r") as file:
        assert sorted(file.keys()) == sorted(PCR_DATASET_KEYS)
        for key in PCR_DATASET_KEYS:
            dataset = file[key]
            assert dataset.compression is None and dataset.chunks is None  # contiguous, uncompressed
            assert dataset.dtype.kind == "S" if key == "plane" else dataset.dtype == np.float64
        assert file["spindle_info"].shape == (40, 25, WINDOW, 2) and file["startpt"].shape == (40, 3)
        assert set(file["plane"][()]) == {b"horizontal", b"vertical"}


def test_store_holds_the_configured_rows_in_file_order(files, tmp_path):
    counts = convert(files, tmp_path / "dataset.zarr")
    assert counts == {"train": 20, "test": 5}
    for split, n in counts.items():
        source = load_pcr_dataset_hdf5(files[split])
        rows = np.flatnonzero(np.isin(source["label"], [1, 11, 15]))[:n]
        stored = read_arrays(tmp_path / "dataset.zarr", split)
        assert GENERATED_ARRAYS <= set(stored) and set(stored) - GENERATED_ARRAYS == {"file_row"}
        np.testing.assert_array_equal(stored["file_row"], rows)
        np.testing.assert_array_equal(stored["label"], source["label"][rows])
        np.testing.assert_array_equal(stored["plane"], source["plane"][rows])
        for key in ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing", "spindle_info"):
            assert stored[key].dtype == np.float32
            np.testing.assert_array_equal(stored[key], source[key][rows].astype(np.float32))
        for key in ("startpt", "size", "rot", "shear_x", "shear_y", "speed", "start_id", "end_id"):
            np.testing.assert_array_equal(stored[key], source[key][rows])
        assert stored["label"].dtype == np.int32 and stored["start_id"].dtype == np.int32
        assert (stored["noise"] == -1).all() and (stored["source_index"] == -1).all()
    root = open_store(tmp_path / "dataset.zarr")
    assert root.attrs["source"] == "released" and root.attrs["dt_s"] == 0.015
    assert root.attrs["muscle_model"] == "MoBL_ARMS_module5_scaleIK.osim"
    assert root.attrs["released_files"]["train"] == {"file": "pcr_dataset_train.hdf5", "rows_in_file": 40}
    train = root["train"]
    assert train["spindle_info"].chunks == (8, 25, WINDOW, 2)
    assert dict(train["muscle_coords"].attrs) == ARRAY_ATTRS["muscle_coords"]
    assert train["noise"].attrs["missing"].startswith("not in the released file")
    assert not list(tmp_path.glob(".*.partial"))


def test_plane_filter_and_float64_storage(files, tmp_path):
    convert(files, tmp_path / "d.zarr", planes=["vertical"], n_train=5, n_test=2, dtype="float64")
    stored = read_arrays(tmp_path / "d.zarr", "train")
    assert set(stored["plane"]) == {"vertical"} and stored["muscle_coords"].dtype == np.float64


def damaged(files, tmp_path, change):
    """A copy of the training file with one change (made with h5py, bypassing the writer's checks)."""
    path = tmp_path / "pcr_dataset_train.hdf5"
    path.write_bytes(files["train"].read_bytes())
    if change == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return {"train": path, "test": files["test"]}
    with h5py.File(path, "r+") as file:
        if change == "missing":
            del file["joint_coords"]
        elif change == "shape":
            values = file["muscle_coords"][:, :24]
            del file["muscle_coords"]
            file["muscle_coords"] = values
        elif change in ("label0", "label21"):
            file["label"][3] = 0 if change == "label0" else 21
        elif change == "nan":
            file["spindle_info"][17, 4, 100, 1] = np.nan
        elif change == "inf":
            file["startpt"][2, 0] = np.inf
        elif change == "index":
            file["end_id"][1] = WINDOW + 5
        elif change == "size":
            file["size"][0] = 0.5
    return {"train": path, "test": files["test"]}


@pytest.mark.parametrize(
    "change, expected",
    [
        ("missing", "key 'joint_coords' missing"),
        ("shape", "key 'muscle_coords' has shape (40, 24, 320), expected (N, 25, T)"),
        ("label0", "key 'label' spans 0.."),
        ("label21", "key 'label' spans 1..21"),
        ("nan", "key 'spindle_info' holds NaN or infinity (sample 17)"),
        ("inf", "key 'startpt' holds NaN or infinity (sample 2)"),
        ("index", "keys 'start_id'/'end_id' of sample 1"),
        ("size", "key 'size' holds [0.5]"),
        ("truncated", "truncated"),
    ],
)
def test_bad_file_fails_with_the_file_and_the_key(files, tmp_path, change, expected):
    paths = damaged(files, tmp_path, change)
    with pytest.raises(DataFormatError) as error:
        convert(paths, tmp_path / "dataset.zarr")
    message = str(error.value)
    assert str(paths["train"]) in message and expected in message
    assert not (tmp_path / "dataset.zarr").exists() and not list(tmp_path.glob(".*.partial"))


def test_window_and_row_counts_name_their_config_keys(files, tmp_path):
    with pytest.raises(DataFormatError, match="'pcrt.assembly.window' is 400; set it to 320"):
        convert(files, tmp_path / "d.zarr", window=400)
    expected = r"holds 30 samples of labels \[1, 11, 15\].*'pcrt.assembly.n_train' asks for 31"
    with pytest.raises(DataFormatError, match=expected):
        convert(files, tmp_path / "d.zarr", n_train=31)


def test_reader_reads_blocks_and_optional_keys(tmp_path):
    from neuromotor.io.deepdraw_hdf5 import write_pcr_dataset_hdf5

    path = tmp_path / "f.hdf5"
    arrays = released_arrays(10, [4, 5], seed=3, noise=True)
    write_pcr_dataset_hdf5(path, arrays)
    with PcrDatasetReader(path) as reader:
        assert (reader.n, reader.window) == (10, WINDOW) and "noise" in reader.keys
        rows = np.array([1, 4, 7])
        np.testing.assert_array_equal(reader.read("joint_coords", rows), arrays["joint_coords"][rows])
        np.testing.assert_array_equal(reader.metadata()["noise"], arrays["noise"])


def test_up_front_checks_of_the_released_files(files, tmp_path):
    from neuromotor.pcrt.released import check_released_files

    pcrt = {
        "labels": [1, 11, 15], "planes": ["horizontal", "vertical"],
        "assembly": {"window": WINDOW, "n_train": 30, "n_test": 9},
        "released": {"train_path": str(files["train"]), "test_path": str(files["test"])},
    }  # fmt: skip
    assert check_released_files(pcrt) == []
    too_many = {**pcrt, "assembly": {**pcrt["assembly"], "n_train": 31}}
    assert check_released_files(too_many) == [
        f"config key 'pcrt.assembly.n_train': 31 samples wanted, but {files['train']} holds 30 of labels "
        "[1, 11, 15] in planes ['horizontal', 'vertical']"
    ]
    window = {**pcrt, "assembly": {**pcrt["assembly"], "window": 400}}
    assert all("'pcrt.assembly.window': 400" in problem for problem in check_released_files(window))
    absent = {**pcrt, "released": {**pcrt["released"], "test_path": str(tmp_path / "absent.hdf5")}}
    assert "config key 'pcrt.released.test_path'" in check_released_files(absent)[0]
    assert check_released_files(absent, pending=lambda path: path.name == "absent.hdf5") == []


def test_generation_capacity_checks_do_not_apply_to_the_released_data():
    from neuromotor.config import validate_config
    from neuromotor.errors import ConfigError

    change = {"labels": [1, 2], "assembly": {"n_train": 18000, "n_test": 3000}}
    with pytest.raises(ConfigError, match="exceed the 20200 trajectories selected"):
        validate_config({"pcrt": change})
    validate_config({"pcrt": {**change, "source": "released"}})  # checked against the files instead
