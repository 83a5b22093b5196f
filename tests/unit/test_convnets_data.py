"""Network inputs and targets read from a dataset store (Sandbrink et al. 2023, Methods)."""

import numpy as np
import pytest

from neuromotor.convnets.data import (
    load_inputs,
    load_labels,
    load_task_data,
    load_targets,
    n_fit,
    trajectory_targets,
)
from neuromotor.errors import DataFormatError
from neuromotor.io.store import read_arrays, write_arrays
from tests.unit.convnets_synthetic import write_synthetic_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_synthetic_dataset(tmp_path_factory.mktemp("convnets_data") / "dataset.zarr", labels=(2, 7, 20))


def test_inputs_in_pytorch_layout(dataset):
    stored = read_arrays(dataset, "train", ["spindle_info", "spindle_firing"])
    info = load_inputs(dataset, "train", "spindle_info", block=7)
    assert info.shape == (120, 2, 25, 320) and info.dtype == np.float32
    np.testing.assert_array_equal(info[5, 1, 3], stored["spindle_info"][5, 3, :, 1])  # velocity of muscle 3
    np.testing.assert_array_equal(info, np.moveaxis(stored["spindle_info"], -1, 1))
    firing = load_inputs(dataset, "test", "spindle_firing")
    assert firing.shape == (30, 1, 25, 320)
    with pytest.raises(ValueError, match="input_key"):
        load_inputs(dataset, "train", "muscle_coords")


def test_labels_targets_and_split(dataset):
    labels = load_labels(dataset, "train")
    assert set(labels.tolist()) == {1, 6, 19} and labels.dtype == np.int64
    ee = read_arrays(dataset, "test", ["endeffector_coords"])["endeffector_coords"]
    position = load_targets(dataset, "test", "tdt", output_steps=4)
    assert position.shape == (30, 4, 3)
    np.testing.assert_allclose(position[3, 2], ee[3, :, 212])
    both = load_targets(dataset, "test", "tdt_pv", output_steps=320)
    np.testing.assert_allclose(
        both[:, :, 3:], np.gradient(ee.astype(np.float64), axis=-1).transpose(0, 2, 1), rtol=1e-6
    )
    data = load_task_data(dataset, "spindle_info", "art", None, val_fraction=0.1)
    assert (len(data.fit_x), len(data.val_x), len(data.test_x)) == (108, 12, 30)
    np.testing.assert_array_equal(data.val_y, labels[108:])  # the last 10 % in file order, no reshuffle
    assert n_fit(160_000, 0.1) == 144_000


def test_trajectory_targets_subsample_at_the_spec_indices():
    ee = np.arange(2 * 3 * 320, dtype=np.float32).reshape(2, 3, 320)
    targets = trajectory_targets(ee, 4)
    np.testing.assert_array_equal(targets[1, :, 0], ee[1, 0, [0, 106, 212, 318]])


def test_bad_stores_name_the_file_and_key(tmp_path):
    path = tmp_path / "bad.zarr"
    write_arrays(
        path,
        {"train": {"label": np.array([0, 21], dtype=np.int32), "spindle_info": np.zeros((2, 25, 300, 3), np.float32)}},
    )
    with pytest.raises(DataFormatError, match=r"bad\.zarr.*label must hold 1\.\.20, found 0\.\.21"):
        load_labels(path, "train")
    with pytest.raises(
        DataFormatError, match=r"bad\.zarr.*spindle_info must have shape \(N, M, T, 2\), found \(2, 25, 300, 3\)"
    ):
        load_inputs(path, "train")
    with pytest.raises(DataFormatError, match="missing group 'test'"):
        load_labels(path, "test")
    with pytest.raises(DataFormatError, match="lacks the array 'endeffector_coords'"):
        load_targets(path, "train", "tdt", 4)
    with pytest.raises(DataFormatError, match="store not found"):
        load_labels(tmp_path / "absent.zarr", "train")
