"""Shared training utilities: seeds, batches, checkpoints, tables."""

import pytest
import torch

from neuromotor.errors import DataFormatError, ModelFileError
from neuromotor.io.tables import read_tsv, write_tsv
from neuromotor.train.batches import epoch_batches, seeded_generator
from neuromotor.train.checkpoint import load_checkpoint, restore, save_checkpoint
from neuromotor.train.runtime import derived_seed, select_device, setup_torch


def test_derived_seeds_are_stable_and_distinct():
    assert derived_seed(3, "S_model", 1) == derived_seed(3, "S_model", 1)
    assert len({derived_seed(3, "S_model", s) for s in range(50)} | {derived_seed(4, "S_model", 0)}) == 51
    assert 0 <= derived_seed(2**40, "x") < 2**63


def test_epoch_batches_cover_every_sample_once_and_repeat_with_the_seed():
    batches = list(epoch_batches(10, 4, seeded_generator(1)))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    assert all(torch.equal(a, b) for a, b in zip(batches, epoch_batches(10, 4, seeded_generator(1))))
    assert [len(b) for b in epoch_batches(10, 4, seeded_generator(1), drop_last=True)] == [4, 4]
    assert torch.cat(list(epoch_batches(5, 2))).tolist() == [0, 1, 2, 3, 4]


def test_auto_device_falls_back_to_the_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert select_device("auto").type == expected
    with pytest.raises(ValueError, match="device must be one of"):
        select_device("tpu")


def test_setup_torch_on_the_cpu_sets_threads_and_returns_the_device():
    previous, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    try:
        assert setup_torch("cpu", 3) == torch.device("cpu") and torch.get_num_threads() == 3
        assert setup_torch("cpu") == torch.device("cpu") and torch.get_num_threads() == 3  # None: left as it is
        assert torch.are_deterministic_algorithms_enabled() == deterministic  # CPU kernels: nothing global is set
        with pytest.raises(ValueError, match="device must be one of"):
            setup_torch("tpu", 1)
    finally:
        torch.set_num_threads(previous)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_setup_torch_on_a_gpu_requests_deterministic_kernels():
    previous = torch.are_deterministic_algorithms_enabled()
    try:
        assert setup_torch("cuda", 1).type == "cuda"
        assert torch.are_deterministic_algorithms_enabled() and not torch.backends.cudnn.benchmark
        setup_torch("auto", 1, deterministic=False)
        assert torch.backends.cudnn.benchmark
    finally:
        torch.use_deterministic_algorithms(previous)


def test_every_job_sets_torch_up_through_setup_torch():
    """No stage or entry point chooses the device or torch's threads itself (represent.stages' thread limit around
    a stage, restored afterwards, aside)."""
    from pathlib import Path

    sources = [*Path("workflow/neuromotor").rglob("*.py"), *Path("scripts").glob("*.py")]
    calls = ("configure_torch", "select_device(", "use_deterministic_algorithms")
    offenders = [
        str(path) for path in sources if path.name != "runtime.py" and any(call in path.read_text() for call in calls)
    ]
    assert offenders == []


def test_checkpoint_round_trip_and_clear_errors(tmp_path):
    model = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path / "m.pt", model, epoch=4, metrics={"acc": 0.5})
    checkpoint = load_checkpoint(tmp_path / "m.pt", required=("epoch",))
    twin = restore(torch.nn.Linear(3, 2), checkpoint)
    assert checkpoint["metrics"] == {"acc": 0.5}
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), twin.parameters()))
    with pytest.raises(ModelFileError, match="lacks \\['fold'\\]"):
        load_checkpoint(tmp_path / "m.pt", required=("fold",))
    with pytest.raises(ModelFileError, match="do not fit the model"):
        restore(torch.nn.Linear(4, 2), checkpoint, tmp_path / "m.pt")
    (tmp_path / "bad.pt").write_bytes((tmp_path / "m.pt").read_bytes()[:100])
    with pytest.raises(ModelFileError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(ModelFileError, match="not found"):
        load_checkpoint(tmp_path / "none.pt")


def test_tables_round_trip_exactly(tmp_path):
    rows = [{"model": "S_1", "fold": 0, "acc": 1 / 3, "best": True, "loss": float("nan")}]
    write_tsv(tmp_path / "t.tsv", rows)
    back = read_tsv(tmp_path / "t.tsv", columns=["acc"])
    assert back[0]["acc"] == 1 / 3 and back[0]["fold"] == 0 and back[0]["best"] is True and back[0]["model"] == "S_1"
    with pytest.raises(DataFormatError, match="missing columns \\['seed'\\]"):
        read_tsv(tmp_path / "t.tsv", columns=["seed"])
    (tmp_path / "short.tsv").write_text("a\tb\n1\n")
    with pytest.raises(DataFormatError, match="line 2"):
        read_tsv(tmp_path / "short.tsv")


def test_tsv_float_formats_apply_to_their_columns_only(tmp_path):
    rows = [{"acc": 2 / 3, "C": 1e-3, "loss": 0.1 + 0.2, "n": 3}]
    write_tsv(tmp_path / "t.tsv", rows, float_formats={"acc": ".6f", "C": ".4g"})
    header, line = (tmp_path / "t.tsv").read_text().splitlines()
    assert line.split("\t") == ["0.666667", "0.001", repr(0.1 + 0.2), "3"]
    assert read_tsv(tmp_path / "t.tsv")[0]["loss"] == 0.1 + 0.2
