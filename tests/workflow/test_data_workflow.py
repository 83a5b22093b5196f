"""Data acquisition and the released dataset through Snakemake: the released PCRT files are downloaded from a local
HTTP server (127.0.0.1) with their checksums, turned into results/pcrt/dataset.zarr and classified by the SVM stage
without any generation rule; offline and wrong-checksum cases fail with one message."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from neuromotor.io.deepdraw_hdf5 import load_pcr_dataset_hdf5
from neuromotor.io.store import open_store, read_arrays
from neuromotor.svm.stages import read_tsv
from tests.released import FileServer, refused_url, write_released_pair
from tests.conftest import SHARED_MODELS
from tests.runner import TINY_CONFIG, Workflow, merge

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

LABELS = [1, 11, 15]
GENERATION_RULES = ("pcrt_characters", "pcrt_startpoints", "pcrt_surrogate", "pcrt_generate", "pcrt_select")


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def released_config(urls: dict, checksums: dict) -> dict:
    paths = {split: f"downloads/pcr_dataset_{split}.hdf5" for split in ("train", "test")}
    return merge(
        TINY_CONFIG,
        {
            "pcrt": {
                "source": "released",
                "labels": LABELS,
                "assembly": {"n_train": 30, "n_test": 6},
                "released": {"train_path": paths["train"], "test_path": paths["test"]},
            },
            "svm": {"pairs_per_job": 3, "inputs": ["muscle_coords", "spindle_firing"], "variants": ["full"]},
            "data": {
                f"pcrt_released_{split}": {"path": paths[split], "url": urls[split], "sha256": checksums[split]}
                for split in ("train", "test")
            },
        },
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Released-layout files (4 labels, both planes) served from 127.0.0.1."""
    files = write_released_pair(tmp_path_factory.mktemp("published"), 48, 12, labels=[1, 11, 15, 2])
    routes = {f"/{path.name}": path.read_bytes() for path in files.values()}
    with FileServer(routes) as server:
        yield files, server


@pytest.fixture(scope="module")
def released_run(tmp_path_factory, published):
    files, server = published
    config = released_config(
        {split: server.url(f"/{path.name}") for split, path in files.items()},
        {split: sha256(path) for split, path in files.items()},
    )
    workflow = Workflow(tmp_path_factory.mktemp("released"), config)
    workflow.run("svm")
    return workflow


def test_released_files_are_downloaded_verified_and_classified(released_run, published):
    files, _ = published
    for split, source in files.items():
        downloaded = released_run.path / f"downloads/pcr_dataset_{split}.hdf5"
        assert sha256(downloaded) == sha256(source)
        assert (released_run.path / f"logs/data/pcrt_released_{split}.log").is_file()
    assert not list((released_run.path / "downloads").glob(".*partial"))
    dataset = released_run.path / "results/pcrt/dataset.zarr"
    assert open_store(dataset).attrs["source"] == "released"
    source = load_pcr_dataset_hdf5(files["train"])
    rows = np.flatnonzero(np.isin(source["label"], LABELS))[:30]
    stored = read_arrays(dataset, "train", names=["label", "spindle_firing"])
    np.testing.assert_array_equal(stored["label"], source["label"][rows])
    np.testing.assert_array_equal(stored["spindle_firing"], source["spindle_firing"][rows].astype(np.float32))
    pairwise = read_tsv(released_run.path / "results/svm/pairwise.tsv")
    assert {(row["i"], row["j"]) for row in pairwise} == {(1, 11), (1, 15), (11, 15)}
    assert not (released_run.path / "results/pcrt/shards").exists()
    for rule in GENERATION_RULES:
        assert not list((released_run.path / "logs/pcrt").glob(f"{rule.removeprefix('pcrt_')}*"))


def test_files_present_are_used_as_they_are(released_run, published):
    _, server = published
    before = len(server.requests)
    assert released_run.planned_jobs("svm") == {}
    assert len(server.requests) == before


def test_networks_and_representations_plan_on_the_released_dataset(released_run):
    planned = released_run.planned_jobs("convnets", "representations")
    assert planned.get("convnets_final", 0) > 0 and planned.get("representations_network", 0) > 0
    assert not set(planned) & {*GENERATION_RULES, "pcrt_dataset"}


def test_a_present_file_with_another_checksum_stops_the_run(released_run, published):
    files, server = published
    config = released_run.config
    wrong = merge(config, {"data": {"pcrt_released_test": {"sha256": sha256(files["train"])}}})
    released_run.write_config(wrong)
    try:
        result = released_run.run("-n", "svm", check=False)
    finally:
        released_run.write_config(config)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "downloads/pcr_dataset_test.hdf5: sha256" in output and "data.pcrt_released_test.sha256" in output


def test_offline_names_file_place_url_and_checksum(tmp_path, published):
    files, _ = published
    urls = {split: refused_url(f"/{path.name}") for split, path in files.items()}
    checksums = {split: sha256(path) for split, path in files.items()}
    workflow = Workflow(tmp_path, released_config(urls, checksums))
    result = workflow.run("pcrt", cores=1, check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    messages = [line for line in output.splitlines() if "could not be downloaded" in line]
    assert messages
    for message in messages:  # the first download job to fail (either file) stops the run
        split = "train" if "pcr_dataset_train.hdf5 is missing" in message else "test"
        target = tmp_path / f"downloads/pcr_dataset_{split}.hdf5"
        expected = (urls[split], checksums[split], f"put it at {target}", f"data.pcrt_released_{split}.path")
        assert all(part in message for part in expected) and "no connection" in message
    assert not list((tmp_path / "downloads").glob("*")) and not list((tmp_path / "downloads").glob(".*"))


def surrogate_file(output: str) -> str:
    return re.search(r"results/pcrt/surrogate/\S+?\.npz", output).group(0)


@pytest.mark.skipif(
    not (SHARED_MODELS / "MoBL_ARMS_module5_scaleIK.osim").is_file(),
    reason=f"MoBL-ARMS model not found in {SHARED_MODELS} (it lives in ../shared/models)",
)
def test_model_to_download_is_identified_by_its_checksum(tmp_path):
    """MoBL-ARMS with the configured default checksum, served locally: the surrogate cache key is the same before
    (from the checksum) and after the download (from the file)."""
    model = SHARED_MODELS / "MoBL_ARMS_module5_scaleIK.osim"
    with FileServer({"/MoBL.osim": model.read_bytes()}) as server:
        config = merge(
            TINY_CONFIG,
            {
                "pcrt": {"muscle": {"model_path": "downloads/MoBL.osim"}},
                "data": {"mobl_arms": {"path": "downloads/MoBL.osim", "url": server.url("/MoBL.osim")}},
            },
        )
        workflow = Workflow(tmp_path, config)
        before = workflow.run("-n", "pcrt")
        assert workflow.planned_jobs("pcrt")["data_mobl_arms"] == 1
        workflow.run("downloads/MoBL.osim", cores=1)
    assert sha256(tmp_path / "downloads/MoBL.osim") == sha256(model)
    after = workflow.run("-n", "pcrt")
    assert "data_mobl_arms" not in workflow.planned_jobs("pcrt")
    assert surrogate_file(before.stdout + before.stderr) == surrogate_file(after.stdout + after.stderr)


def test_inputs_still_to_download_are_planned_not_rejected(tmp_path):
    """The UCI file and the EEG dataset.mat, missing but downloadable: the up-front data checks let them pass and
    the plan holds one download job each."""
    zeros = "0" * 64
    config = merge(
        TINY_CONFIG,
        {
            "pcrt": {"characters": {"source": "uci", "uci_path": "downloads/uci.mat"}},
            "eeg": {"data": {"source": "mat", "path": "downloads/dataset.mat"}},
            "data": {
                "uci_characters": {"path": "downloads/uci.mat", "url": refused_url("/uci.mat"), "sha256": zeros},
                "eeg_drowsiness": {"path": "downloads/dataset.mat", "url": refused_url("/d.mat"), "sha256": zeros},
            },
        },
    )
    planned = Workflow(tmp_path, config).planned_jobs("pcrt", "eeg")
    assert planned["data_uci_characters"] == 1 and planned["data_eeg_drowsiness"] == 1
    assert planned["pcrt_characters"] == 1 and planned["eeg_train"] >= 1


@pytest.mark.parametrize("served", ["other file", "truncated"])
def test_a_bad_download_is_rejected_and_nothing_is_kept(tmp_path, published, served):
    files, _ = published
    good = files["train"].read_bytes()
    body = files["test"].read_bytes() if served == "other file" else ("truncated", good[: len(good) // 3])
    with FileServer({"/train.hdf5": body}) as server:
        urls = {"train": server.url("/train.hdf5"), "test": server.url("/absent.hdf5")}
        workflow = Workflow(tmp_path, released_config(urls, {split: sha256(path) for split, path in files.items()}))
        result = workflow.run("downloads/pcr_dataset_train.hdf5", cores=1, check=False)
    assert result.returncode != 0
    expected = "sha256 is" if served == "other file" else "truncated response"
    assert expected in result.stdout + result.stderr
    assert not list((tmp_path / "downloads").glob("*")) and not list((tmp_path / "downloads").glob(".*"))
