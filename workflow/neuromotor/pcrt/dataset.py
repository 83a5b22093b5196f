"""Storage of generation shards, the selection table and the assembled dataset store (Sandbrink et al. 2023, Methods;
docs/data.md).

``dataset.zarr`` holds one group per split (``train``, ``test``) with the arrays of docs/data.md; ``plane`` is stored as
codes with its categories (see :mod:`neuromotor.io.store`).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import numpy as np
import zarr

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_directory, atomic_file, open_store, read_arrays, write_array, write_arrays
from neuromotor.pcrt.assemble import (
    draw_start_id,
    first_of_duplicates,
    hold_pad,
    select_lowest_jerk,
    split_indices,
)
from neuromotor.pcrt.augment import LATENT_NAMES
from neuromotor.pcrt.generate import PURPOSE_SPINDLE_NOISE, PURPOSE_WINDOW, ShardResult, item_rng
from neuromotor.pcrt.layout import DT_S
from neuromotor.pcrt.spindles import spindle_firing, spindle_info

SHARD_METADATA = (
    "length", "source_index", "repeat", "n_attempts", *LATENT_NAMES, "startpt",
    "tracing_error", "joint_jerk", "muscle_jerk",
)  # fmt: skip
TRAJECTORY_ARRAYS = {"endeffector": "endeffector_coords", "joints": "joint_coords", "muscles": "muscle_coords"}
ARRAY_ATTRS = {
    "endeffector_coords": {"axes": ["sample", "xyz", "time"], "units": "cm", "frame": "world"},
    "joint_coords": {"axes": ["sample", "joint", "time"], "units": "deg"},
    "muscle_coords": {"axes": ["sample", "muscle", "time"], "units": "mm"},
    "spindle_firing": {"axes": ["sample", "muscle", "time"], "units": "a.u. (deepdraw) or Hz (prochazka)"},
    "spindle_info": {"axes": ["sample", "muscle", "time", "length|velocity"], "units": ["mm", "mm/s"]},
    "startpt": {"axes": ["sample", "xyz"], "units": "cm"},
    "rot": {"units": "rad"},
    "shear_x": {"units": "rad"},
    "shear_y": {"units": "rad"},
}
SELECTION_COLUMNS = (
    "split", "index", "shard", "row", "label", "plane", "source_index", "repeat", "length", "start_id", "muscle_jerk",
)  # fmt: skip


def write_shard(path: str | Path, result: ShardResult, *, label: int, plane: str, attrs: dict) -> None:
    """Write one generation shard; failed items are kept in the attributes (and must be logged by the caller)."""
    failed = [list(item) for item in result.failed]
    write_arrays(path, {"": result.arrays}, attrs={**attrs, "label": label, "plane": plane, "failed_items": failed})


def _shard_attrs(path: Path) -> dict:
    return dict(open_store(path).attrs)


def pool_shard_metadata(shard_paths: Sequence[str | Path]) -> dict[str, np.ndarray]:
    """Concatenate the per-trajectory metadata of all shards, in the given order, with ``shard`` and ``row`` columns."""
    columns: dict[str, list] = {name: [] for name in (*SHARD_METADATA, "label", "plane", "shard", "row")}
    for shard_id, path in enumerate(shard_paths):
        attrs = _shard_attrs(Path(path))
        arrays = read_arrays(path, names=list(SHARD_METADATA))
        n = len(arrays["length"])
        for name in SHARD_METADATA:
            columns[name].append(arrays[name])
        columns["label"].append(np.full(n, int(attrs["label"])))
        columns["plane"].append(np.full(n, str(attrs["plane"]), dtype=object))
        columns["shard"].append(np.full(n, shard_id))
        columns["row"].append(np.arange(n))
    return {name: np.concatenate(parts) if parts else np.zeros(0) for name, parts in columns.items()}


def build_selection(
    pool: dict[str, np.ndarray],
    *,
    n_per_label_plane: int,
    n_train: int,
    n_test: int,
    window: int,
    seed: int,
    split_seed: int = 12,
    dedup_include_source: bool = False,
) -> list[dict]:
    """Rows of the selection table: which pooled trajectory goes where in which split, and its window position."""
    plane = pool["plane"].astype(str)
    kept = select_lowest_jerk(pool["label"], plane, pool["muscle_jerk"], n_per_label_plane)
    key = ("label", "startpt", *LATENT_NAMES, "plane") + (("source_index",) if dedup_include_source else ())
    columns = {name: (plane if name == "plane" else pool[name])[kept] for name in key}
    kept = kept[first_of_duplicates(columns, key)]
    if n_train + n_test > len(kept):
        raise ValueError(
            f"only {len(kept)} distinct trajectories survive selection and de-duplication, but n_train + n_test = "
            f"{n_train + n_test}; raise pcrt.generation.repeats or lower pcrt.assembly.n_train/n_test"
        )
    train, test = split_indices(len(kept), n_train, n_test, split_seed)
    rows = []
    for split, positions in (("train", train), ("test", test)):
        for index, position in enumerate(positions):
            pooled = kept[position]
            ids = (int(pool["label"][pooled]), plane[pooled], int(pool["source_index"][pooled]), int(pool["repeat"][pooled]))
            length = int(pool["length"][pooled])
            rows.append(
                dict(
                    split=split,
                    index=index,
                    shard=int(pool["shard"][pooled]),
                    row=int(pool["row"][pooled]),
                    label=ids[0],
                    plane=ids[1],
                    source_index=ids[2],
                    repeat=ids[3],
                    length=length,
                    start_id=draw_start_id(length, window, item_rng(seed, *ids, purpose=PURPOSE_WINDOW)),
                    muscle_jerk=float(pool["muscle_jerk"][pooled]),
                )
            )
    return rows


def write_selection(path: str | Path, rows: list[dict]) -> None:
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=SELECTION_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})


def read_selection(path: str | Path) -> list[dict]:
    integer = {"index", "shard", "row", "label", "source_index", "repeat", "length", "start_id"}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if reader.fieldnames is None or tuple(reader.fieldnames) != SELECTION_COLUMNS:
            raise DataFormatError(f"{path}: expected the columns {list(SELECTION_COLUMNS)}, got {reader.fieldnames}")
        rows = list(reader)
    for row in rows:
        for name in integer:
            row[name] = int(row[name])
        row["muscle_jerk"] = float(row["muscle_jerk"])
    return rows


def _split_arrays(rows: list[dict], shard_paths: Sequence[str | Path], window: int, dtype) -> dict[str, np.ndarray]:
    """Hold-padded trajectory arrays and per-sample metadata of one split, in selection order."""
    n = len(rows)
    out: dict[str, np.ndarray] = {}
    by_shard: dict[int, list[dict]] = {}
    for row in rows:
        by_shard.setdefault(row["shard"], []).append(row)
    for shard_id, shard_rows in sorted(by_shard.items()):
        stored = read_arrays(shard_paths[shard_id], names=[*TRAJECTORY_ARRAYS, *SHARD_METADATA])
        for source_name, name in TRAJECTORY_ARRAYS.items():
            block = stored[source_name]
            target = out.setdefault(name, np.empty((n, block.shape[1], window), dtype=dtype))
            for row in shard_rows:
                valid = block[row["row"], :, : row["length"]]
                target[row["index"]] = hold_pad(valid, row["start_id"], window)
        for name in (*LATENT_NAMES, "startpt", "n_attempts"):
            values = stored[name]
            target = out.setdefault(name, np.empty((n,) + values.shape[1:], dtype=values.dtype))
            for row in shard_rows:
                target[row["index"]] = values[row["row"]]
    out["label"] = np.array([r["label"] for r in rows], dtype=np.int32)
    out["plane"] = np.array([r["plane"] for r in rows])
    out["start_id"] = np.array([r["start_id"] for r in rows], dtype=np.int32)
    out["end_id"] = out["start_id"] + np.array([r["length"] for r in rows], dtype=np.int32)
    out["source_index"] = np.array([r["source_index"] for r in rows], dtype=np.int32)
    out["repeat"] = np.array([r["repeat"] for r in rows], dtype=np.int32)
    return out


def _reference_lengths(kind: str, muscles: np.ndarray, start_id: np.ndarray, rest_mm: np.ndarray, train_mean):
    if kind == "posture_q0":
        return np.asarray(rest_mm)
    if kind == "first_sample":
        return muscles[np.arange(len(muscles)), :, start_id]
    return train_mean


def write_dataset(
    path: str | Path,
    selection: list[dict],
    shard_paths: Sequence[str | Path],
    *,
    window: int,
    seed: int,
    spindle: dict,
    dtype: str = "float32",
    chunk: int = 256,
    attrs: dict | None = None,
    dt_s: float = DT_S,
) -> None:
    """Assemble both splits with spindle inputs into a new ``dataset.zarr`` (atomically).

    Trajectories are held in memory at the storage precision one split at a time; spindle inputs are computed
    from the stored muscle values (so ``spindle_info[..., 0] == muscle_coords`` exactly) block by block, with
    velocities on ``dt_s``-second steps. The muscle count is that of the shards.
    """
    rest_mm = np.asarray(_shard_attrs(Path(shard_paths[0]))["muscle_at_rest_mm"])
    train_mean = None
    with atomic_directory(path) as tmp:
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        root.attrs.update(dict(attrs or {}))
        for split in ("train", "test"):
            group = root.require_group(split)
            rows = [r for r in selection if r["split"] == split]
            arrays = _split_arrays(rows, shard_paths, window, np.dtype(dtype))
            muscles = arrays["muscle_coords"]
            if split == "train":
                train_mean = muscles.mean(axis=(0, 2), dtype=np.float64) if len(muscles) else None
            for name, values in arrays.items():
                write_array(group, name, values, chunk=chunk, attrs=ARRAY_ATTRS.get(name))
            n, n_muscles = muscles.shape[:2]
            firing = group.create_array("spindle_firing", shape=(n, n_muscles, window), dtype=dtype, chunks=(chunk, n_muscles, window))
            info = group.create_array("spindle_info", shape=(n, n_muscles, window, 2), dtype=dtype, chunks=(chunk, n_muscles, window, 2))
            firing.attrs.update(ARRAY_ATTRS["spindle_firing"] | {"variant": spindle["v1"], "noise": spindle["noise"]})
            info.attrs.update(ARRAY_ATTRS["spindle_info"])
            for start in range(0, n, chunk):
                block = slice(start, min(n, start + chunk))
                lengths = muscles[block].astype(np.float64)
                rngs = [
                    item_rng(seed, r["label"], r["plane"], r["source_index"], r["repeat"], purpose=PURPOSE_SPINDLE_NOISE)
                    for r in rows[block]
                ]
                reference = _reference_lengths(
                    spindle["ref_length"], lengths, arrays["start_id"][block], rest_mm, train_mean
                )
                firing[block] = spindle_firing(
                    lengths, rngs, variant=spindle["v1"], noise=spindle["noise"], reference_mm=reference, dt_s=dt_s
                ).astype(dtype)
                info[block] = spindle_info(lengths, dt_s).astype(dtype)
