"""Pairs, job chunks, data variants (which samples each subset selects), the fit/validation split, feature stores."""

import numpy as np
import pytest

from neuromotor.errors import DataFormatError
from neuromotor.io.store import write_arrays
from neuromotor.svm.data import (
    INPUTS,
    FeatureStore,
    chunk_pairs,
    fit_val_split,
    label_pairs,
    read_split,
    variant_subsets,
    write_feature_store,
)
from neuromotor.svm.synthetic import synthetic_split, write_synthetic_dataset

VALUES = {"plane": ["horizontal", "vertical"], "size": [0.7, 1.0, 1.3], "speed": [0.8, 1.0, 1.2, 1.4]}
ALL = ["plane", "size", "speed", "size_plane"]


def test_190_pairs_in_order_and_every_pair_in_exactly_one_job():
    pairs = label_pairs(range(20, 0, -1))
    assert len(pairs) == 190 and pairs[0] == (1, 2) and pairs[-1] == (19, 20) and pairs == sorted(pairs)
    for per_job in (1, 7, 19, 190, 500):
        chunks = chunk_pairs(pairs, per_job)
        assert len(chunks) == -(-190 // per_job)
        assert [pair for chunk in chunks for pair in chunk] == pairs
    with pytest.raises(ValueError):
        chunk_pairs(pairs, 0)


def test_the_spec_subsets():
    assert [s.name for s in variant_subsets("full", ALL, VALUES)] == ["all"]
    subsets = variant_subsets("suppressed", ALL, VALUES)
    assert len(subsets) == 15
    assert [s.name for s in subsets] == [
        "plane=horizontal", "plane=vertical", "size=0.7", "size=1", "size=1.3",
        "speed=0.8", "speed=1", "speed=1.2", "speed=1.4",
        "size=0.7,plane=horizontal", "size=0.7,plane=vertical", "size=1,plane=horizontal",
        "size=1,plane=vertical", "size=1.3,plane=horizontal", "size=1.3,plane=vertical",
    ]  # fmt: skip
    assert [s.suppressed for s in subsets] == ["plane"] * 2 + ["size"] * 3 + ["speed"] * 4 + ["size_plane"] * 6
    with pytest.raises(ValueError, match="suppressed variable"):
        variant_subsets("suppressed", ["colour"], VALUES)


def test_subsets_select_exactly_the_right_samples():
    data = synthetic_split([1, 2, 3], 60, seed=4)
    for subset in variant_subsets("suppressed", ALL, VALUES):
        expected = np.ones(len(data["label"]), dtype=bool)
        for latent, value in subset.conditions:
            expected &= data[latent] == value
        np.testing.assert_array_equal(subset.mask(data), expected, err_msg=subset.name)
        assert expected.any()
    for variable, count in (("plane", 2), ("size", 3), ("speed", 4), ("size_plane", 6)):
        masks = [s.mask(data) for s in variant_subsets("suppressed", [variable], VALUES)]
        assert len(masks) == count
        np.testing.assert_array_equal(np.sum(masks, axis=0), 1)  # a partition of the samples
    assert variant_subsets("full", ALL, VALUES)[0].mask(data).all()


def test_float_latents_match_with_rounding_noise():
    data = {"label": np.array([1, 1, 2]), "size": np.array([0.7, 0.7 + 1e-14, 1.3])}
    (subset,) = [s for s in variant_subsets("suppressed", ["size"], VALUES) if s.name == "size=0.7"]
    np.testing.assert_array_equal(subset.mask(data), [True, True, False])


def test_fit_set_is_the_first_90_percent():
    assert [fit_val_split(n, 0.9) for n in (1, 9, 10, 11, 96, 100, 16000)] == [0, 8, 9, 9, 86, 90, 14400]


def test_feature_store_groups_labels_and_keeps_file_order(tmp_path):
    dataset = tmp_path / "dataset.zarr"
    write_synthetic_dataset(dataset, [1, 5, 9], 20, 5, seed=2)
    train = read_split(dataset, "train", "joint_coords")
    out = tmp_path / "features.zarr"
    write_feature_store(dataset, "joint_coords", out)
    store = FeatureStore(out)
    assert store.labels() == [1, 5, 9] and store.n_features == 4 * 20
    for labels in ([5], [1, 9], [1, 5, 9]):
        part = store.read(labels)
        rows = np.flatnonzero(np.isin(train["label"], labels))
        np.testing.assert_array_equal(part["index"], rows)  # file order
        np.testing.assert_array_equal(part["X"], train["X"][rows])
        for name in ("label", "plane", "size", "speed"):
            np.testing.assert_array_equal(part[name], train[name][rows])
    raw = synthetic_split([1, 5, 9], 20, seed=2)["joint_coords"]
    np.testing.assert_array_equal(train["X"][:, 3 * 20 + 7], raw[:, 3, 7])  # feature c * T + t
    with pytest.raises(DataFormatError, match="labels \\[2\\]"):
        store.read([1, 2])


def test_bad_datasets_are_named(tmp_path):
    path = tmp_path / "bad.zarr"
    write_arrays(path, {"train": {"label": np.ones(3, dtype=np.int32), "plane": np.array(["horizontal"] * 3)}})
    with pytest.raises(DataFormatError, match="bad.zarr.*lacks arrays \\['muscle_coords', 'size', 'speed'\\]"):
        read_split(path, "train", "muscle_coords")
    with pytest.raises(DataFormatError, match="missing group 'test'"):
        read_split(path, "test", "muscle_coords")
    data = synthetic_split([1, 2], 3)
    data["muscle_coords"] = data["muscle_coords"][:, :24]
    write_arrays(tmp_path / "shape.zarr", {"train": data})
    with pytest.raises(DataFormatError, match="expected \\(N, 25, T\\)"):
        read_split(tmp_path / "shape.zarr", "train", "muscle_coords")
    assert set(INPUTS) == {"endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing"}
