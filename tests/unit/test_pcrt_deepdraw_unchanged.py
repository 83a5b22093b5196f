"""The DeepDraw plans and outputs stay bit for bit what they were before arm models became data (issue 19).

``tests/fixtures/pcrt_deepdraw_checksums.json`` was recorded at commit 3dd92f1, before the arm model was read from
the model file and the config: the SHA-256 of every array and attribute of a tiny dataset generated through the
stage functions (characters, start points, per-step OpenSim on the project arm, selection, windows, spindles), and
the digests of the params and paths the PCRT rules plan for the shipped DeepDraw configs. Re-record it only for a
change meant to alter DeepDraw results: ``python tests/unit/test_pcrt_deepdraw_unchanged.py --record``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "pcrt_deepdraw_checksums.json"
CONFIGS = ("config/config.yaml", "config/paper/deepdraw.yaml", "config/paper/deepdraw_standin.yaml")
TINY = {
    "labels": [1],
    "characters": {"samples_per_letter": 2},
    "startpoints": {"grid_spacing_cm": 6.0, "fine_half_width": 3, "fine_spacing_cm": 2.0},
    "muscle": {"backend": "opensim"},
    "generation": {"repeats": 2, "shards": 1},
    "assembly": {"n_per_label_plane": 4, "n_train": 6, "n_test": 2},
}


def _sha(value) -> str:
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            value = np.asarray(value.astype(str).tolist())
        payload = f"{value.dtype.str}{value.shape}".encode() + np.ascontiguousarray(value).tobytes()
    else:
        payload = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.sha256(payload).hexdigest()


def _validated(path: str) -> dict:
    from neuromotor.config import layer_configs, validate_config

    demo = yaml.safe_load((PROJECT_ROOT / "config/config.yaml").read_text())
    user = {} if path == "config/config.yaml" else yaml.safe_load((PROJECT_ROOT / path).read_text())
    return validate_config(layer_configs(demo, user))


def plan_checksums() -> dict:
    """Digests of what the PCRT rules plan for each shipped DeepDraw config (params, paths, provenance)."""
    from neuromotor.pcrt import plan

    out = {}
    for path in CONFIGS:
        config = _validated(path)
        pcrt, seed = config["pcrt"], config["seed"]
        out[path] = {
            "generation_params": _sha(plan.generation_params(pcrt)),
            "dataset_params": _sha(plan.dataset_params(pcrt)),
            "dataset_digest": plan.dataset_digest(pcrt, seed),
            "shard_paths": _sha(plan.shard_paths(pcrt)),
            "generate_runtime_min": plan.generate_runtime_min(pcrt),
            "dataset_mem_mb": plan.dataset_job_mem_mb(pcrt),
        }
    return out


def tiny_dataset(directory: Path) -> Path:
    """A tiny DeepDraw dataset generated through the stage functions (label 1, both planes, OpenSim per step)."""
    from neuromotor.config import merge_configs, validate_config
    from neuromotor.pcrt import stages

    config = validate_config({"seed": 11, "pcrt": merge_configs({}, TINY)})
    pcrt, seed = config["pcrt"], config["seed"]
    characters, startpoints = directory / "characters.zarr", directory / "startpoints.zarr"
    stages.make_characters(pcrt["characters"], seed, characters)
    stages.make_startpoints(pcrt["startpoints"], startpoints)
    from neuromotor.pcrt import plan

    shards = []
    for plane in pcrt["planes"]:
        shard = directory / f"{plane}.zarr"
        stages.make_shard(
            label=1, plane=plane, shard=0, characters_path=characters, startpoints_path=startpoints,
            surrogate_path=None, pcrt_cfg=plan.generation_params(pcrt), seed=seed, out=shard,
        )  # fmt: skip
        shards.append(shard)
    selection = directory / "selection.tsv"
    stages.make_selection(shards, pcrt["assembly"], seed, selection)
    dataset = directory / "dataset.zarr"
    stages.make_dataset(
        selection, shards, pcrt_cfg=plan.dataset_params(pcrt), seed=seed, config_digest="fixed", out=dataset
    )
    return dataset


def dataset_checksums(dataset: Path) -> dict:
    """The root attributes, and the SHA-256 of every array (values and attributes) of both splits."""
    from neuromotor.io.store import open_store, read_arrays

    root = open_store(dataset)
    out = {"attrs": json.loads(json.dumps(dict(root.attrs), default=str))}
    for split in ("train", "test"):
        arrays = read_arrays(dataset, split)
        for name, values in sorted(arrays.items()):
            out[f"{split}/{name}"] = _sha(values)
            out[f"{split}/{name}.attrs"] = _sha(dict(root[split][name].attrs))
    return out


@pytest.fixture(scope="module")
def recorded() -> dict:
    return json.loads(FIXTURE.read_text())


def test_deepdraw_plans_are_unchanged(recorded):
    assert plan_checksums() == recorded["plans"]


def test_tiny_deepdraw_dataset_is_bitwise_unchanged(recorded, tmp_path):
    pytest.importorskip("opensim")
    checksums = dataset_checksums(tiny_dataset(tmp_path))
    assert checksums.keys() == recorded["dataset"].keys()
    changed = sorted(key for key in recorded["dataset"] if key != "attrs" and checksums[key] != recorded["dataset"][key])
    assert changed == []
    # the root attributes may describe the layout further (new keys); those recorded keep their values
    attrs, before = checksums["attrs"], recorded["dataset"]["attrs"]
    assert {key: attrs.get(key) for key in before} == before


if __name__ == "__main__" and sys.argv[1:] == ["--record"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        payload = {"plans": plan_checksums(), "dataset": dataset_checksums(tiny_dataset(Path(tmp)))}
    FIXTURE.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote {FIXTURE}")
