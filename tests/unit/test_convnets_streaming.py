"""Convnet jobs read their data block by block onto the device (issue 15.2: a GPU job's host memory holds one
block, not the 12.8 GB dataset): the tensors equal those made from the whole arrays, and a job trained on them
gives the same model bit for bit on the CPU."""

import json

import torch

from neuromotor.convnets.data import load_input_tensor, load_inputs, load_task_data, load_task_tensors
from neuromotor.convnets.models import parse_name
from neuromotor.convnets.stages import _tensors, train_model
from neuromotor.convnets.train import Recipe
from tests.unit.convnets_synthetic import write_synthetic_dataset

SMALL_S = "spatial_temporal_1_8_8_3232"


def test_block_by_block_tensors_equal_the_whole_arrays(tmp_path):
    dataset = write_synthetic_dataset(tmp_path / "dataset.zarr")
    for key in ("spindle_info", "spindle_firing"):
        whole = torch.as_tensor(load_inputs(dataset, "train", key))
        blocks = load_input_tensor(dataset, "train", key, "cpu", torch.channels_last, block=7)
        assert torch.equal(blocks, whole) and blocks.is_contiguous(memory_format=torch.channels_last)
    for task in ("art", "tdt"):
        steps = None if task == "art" else 8
        expected = _tensors(load_task_data(dataset, "spindle_info", task, steps, 0.1), torch.device("cpu"))
        streamed = load_task_tensors(dataset, "spindle_info", task, steps, 0.1, "cpu", torch.channels_last)
        assert list(streamed) == list(expected) == ["train", "val", "test"]
        for split in expected:
            for a, b in zip(expected[split], streamed[split]):
                assert torch.equal(a, b) and a.stride() == b.stride() and a.dtype == b.dtype


def test_a_job_on_streamed_tensors_trains_the_same_model(tmp_path):
    dataset = write_synthetic_dataset(tmp_path / "dataset.zarr")
    recipe = Recipe(epochs=2, batch_size=16, learning_rate=1e-2, val_interval=5, eval_batch_size=64)
    common = dict(arch=parse_name(SMALL_S).architecture, task="art", input_key="spindle_info", seed=1, config_seed=3,
                  recipe=recipe, device="cpu")  # fmt: skip
    streamed = train_model(dataset, tmp_path / "streamed", **common)
    whole = train_model(dataset, tmp_path / "whole", **common, data=load_task_data(dataset, "spindle_info", "art", None))
    for split in ("train", "val", "test"):
        assert streamed[split] == whole[split]
    assert streamed["n_samples"] == whole["n_samples"] == {"train": 180, "val": 20, "test": 50}
    a = torch.load(tmp_path / "streamed/best.pt", weights_only=False)
    b = torch.load(tmp_path / "whole/best.pt", weights_only=False)
    state_a = a.get("state_dict", a) if isinstance(a, dict) else a
    state_b = b.get("state_dict", b) if isinstance(b, dict) else b
    assert json.dumps(sorted(state_a)) == json.dumps(sorted(state_b))
    for name, value in state_a.items():
        if torch.is_tensor(value):
            assert torch.equal(value, state_b[name]), name
