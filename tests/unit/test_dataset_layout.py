"""The PCRT dataset layout as data (neuromotor.pcrt.layout): read from a store, expected from the config, and the
consumers' checks of it (another window fails at config validation, a store of another layout names itself)."""

import numpy as np
import pytest

from neuromotor.config import validate_config
from neuromotor.errors import ConfigError, DataFormatError
from neuromotor.io.store import write_arrays
from neuromotor.pcrt.layout import DT_S, LABEL_LETTERS, DatasetLayout
from neuromotor.pcrt.muscles import MUSCLE_NAMES


def write_store(path, window=320, n_muscles=25, attrs=None):
    split = {"label": np.arange(1, 5, dtype=np.int32), "spindle_info": np.zeros((4, n_muscles, window, 2), np.float32)}
    layout_attrs = {"dt_s": DT_S, "label_letters": " ".join(LABEL_LETTERS)}
    write_arrays(path, {"train": split, "test": split}, attrs=layout_attrs if attrs is None else attrs)
    return path


def test_layout_of_a_store_and_of_the_config_agree(tmp_path):
    store = write_store(tmp_path / "dataset.zarr")
    layout = DatasetLayout.from_store(store)
    assert layout == DatasetLayout.from_config(validate_config({})["pcrt"])
    assert (layout.window, layout.dt_s, layout.n_labels, layout.n_muscles) == (320, 0.015, 20, 25)
    assert layout.muscles == tuple(MUSCLE_NAMES) and layout.letters[10] == "o"  # label 11 is "o"
    assert layout.duration_s == pytest.approx(4.8)
    assert DatasetLayout.from_store(write_store(tmp_path / "long.zarr", window=400)).window == 400


def test_stores_that_are_not_pcrt_datasets_name_what_they_lack(tmp_path):
    lacks = r"bare\.zarr: not a PCRT dataset store \(lacks \['dt_s', 'label_letters'\]"
    with pytest.raises(DataFormatError, match=lacks):
        DatasetLayout.from_store(write_store(tmp_path / "bare.zarr", attrs={}))
    with pytest.raises(DataFormatError, match="spindle_info has 24 muscles, its muscle names 25"):
        DatasetLayout.from_store(write_store(tmp_path / "few.zarr", n_muscles=24))


def test_a_consumer_built_for_another_layout_fails_naming_the_store(tmp_path):
    store = write_store(tmp_path / "long.zarr", window=400)
    layout = DatasetLayout.from_store(store)
    assert layout.mismatch(320, 25, 20) == ["window 400 (expected 320)"]
    built = r"long\.zarr: the convnets is built for another dataset layout: window 400"
    with pytest.raises(DataFormatError, match=built):
        layout.require(320, 25, consumer="the convnets", store=store)
    from neuromotor.convnets.stages import check_dataset_layout

    # the networks take the dataset's own (C, M, T) (the successor's 39 x 400), but action recognition needs 20 labels
    assert check_dataset_layout(store) == (2, 25, 400)
    assert check_dataset_layout(write_store(tmp_path / "ok.zarr")) == (2, 25, 320)
    ten = {"dt_s": DT_S, "label_letters": " ".join(LABEL_LETTERS[:10])}
    with pytest.raises(DataFormatError, match=r"ten\.zarr: the convnets is built for .*labels 10 \(expected 20\)"):
        check_dataset_layout(write_store(tmp_path / "ten.zarr", attrs=ten))


def test_another_window_fails_at_config_validation():
    """The networks take (C, 25, 320) inputs: a config with another window stops before any job runs."""
    with pytest.raises(ConfigError, match="config key 'pcrt.assembly.window': 400 steps; the convnets"):
        validate_config({"pcrt": {"assembly": {"window": 400}}})
    validate_config({"pcrt": {"assembly": {"window": 320}}})


def test_layout_of_a_successor_config_comes_from_the_model_file_and_the_config():
    from pathlib import Path

    snap = Path(__file__).resolve().parents[3] / "shared" / "models" / "Snap_scaled_fin1.osim"
    if not snap.is_file():
        pytest.skip(f"{snap} not available")
    pcrt = validate_config(
        {"pcrt": {"dt_s": 0.01, "assembly": {"window": 400}, "arm": {"chain": "successor"},
                  "muscle": {"model_path": str(snap), "backend": "opensim", "quantity": "mtu_length"}}}
    )["pcrt"]  # fmt: skip
    layout = DatasetLayout.from_config(pcrt)
    assert (layout.window, layout.dt_s, layout.n_muscles) == (400, 0.01, 39)
    assert layout.muscles[:2] == ("abd_poll_longus", "anconeus")
    assert layout.joints == ("shoulder_flexion", "shoulder_adduction", "shoulder_rotation", "elbow_flexion")
    assert layout.duration_s == pytest.approx(4.0)


def test_store_attributes_round_trip_the_muscles_and_joints(tmp_path):
    layout = DatasetLayout(400, 0.01, LABEL_LETTERS, tuple(f"m{k}" for k in range(39)), ("f", "a", "r", "d"))
    store = write_store(tmp_path / "macaque.zarr", window=400, n_muscles=39, attrs=layout.store_attrs())
    assert DatasetLayout.from_store(store) == layout
    default = DatasetLayout.from_store(write_store(tmp_path / "old.zarr"))  # a store without muscles / joints
    assert default.muscles == tuple(MUSCLE_NAMES) and default.joints[0] == "elv_angle"
