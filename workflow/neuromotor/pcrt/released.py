"""The released DeepDraw dataset as the PCRT dataset store (``pcrt.source: released``; docs/data.md).

:func:`write_released_dataset` turns ``pcr_dataset_train.hdf5`` / ``pcr_dataset_test.hdf5`` (the original layout,
read block by block by :class:`neuromotor.io.deepdraw_hdf5.PcrDatasetReader`) into ``dataset.zarr`` with the groups,
array names, dtypes, chunking and attributes of a generated store (:func:`neuromotor.pcrt.dataset.write_dataset`),
so every downstream stage reads either the same way.

What is kept: the rows of the configured labels and planes, in file order (the files are already in the order of
the original RandomState(12) split), the first ``n_train`` of the training file and the first ``n_test`` of the
test file; the arrays as they are in the files (the original spindle inputs included), cast to the storage dtype.
What the files do not hold is stored with a sentinel and an attribute saying so: ``noise`` (-1.0) and
``n_attempts`` (-1) when absent, ``source_index`` and ``repeat`` (-1, always). ``file_row`` records each sample's
row in its file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import zarr

from neuromotor.errors import DataFormatError
from neuromotor.io.deepdraw_hdf5 import PcrDatasetReader
from neuromotor.io.store import atomic_directory, write_array
from neuromotor.pcrt.dataset import ARRAY_ATTRS
from neuromotor.pcrt.layout import DT_S, LABEL_LETTERS

log = logging.getLogger(__name__)

LARGE_KEYS = ("endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing", "spindle_info")
LATENT_KEYS = ("size", "rot", "shear_x", "shear_y", "speed")
MISSING = {"noise": -1.0, "n_attempts": -1, "source_index": -1, "repeat": -1}
MISSING_ATTRS = {"missing": "not in the released file; -1 stands for unknown"}
DEEPDRAW_ATTRS = {
    "dt_s": DT_S,
    "muscle_quantity": "fiber_length",
    "muscle_model": "MoBL_ARMS_module5_scaleIK.osim",
    "muscle_backend": "opensim",
    "label_letters": " ".join(LABEL_LETTERS),
}
"""What the released data were made with (Sandbrink et al. 2023, Methods): MoBL-ARMS fiber lengths evaluated by
OpenSim."""


def select_rows(
    metadata: Mapping[str, np.ndarray], labels: Sequence[int], planes: Sequence[str], count: int
) -> np.ndarray:
    """Indices of the first ``count`` rows whose label and plane are configured (increasing; may be fewer)."""
    keep = np.isin(metadata["label"], np.asarray(labels)) & np.isin(metadata["plane"], np.asarray(planes))
    return np.flatnonzero(keep)[:count]


def _check_latents(metadata: Mapping[str, np.ndarray], choices: Mapping[str, Sequence[float]], path: Path) -> None:
    """Latents the SVM subsets rely on must be among the configured choices (Sandbrink et al. 2023, Methods)."""
    for key, config_key in (("size", "size"), ("speed", "speed")):
        values = np.unique(metadata[key])
        allowed = np.asarray(choices[config_key], dtype=np.float64)
        unknown = [float(v) for v in values if not np.any(np.isclose(v, allowed, rtol=0, atol=1e-9))]
        if unknown:
            raise DataFormatError(
                f"{path}: key '{key}' holds {unknown}, which config key 'pcrt.augmentation.{config_key}' "
                f"({allowed.tolist()}) lacks; set it to the values the data were made with"
            )


def _write_split(
    group: zarr.Group,
    reader: PcrDatasetReader,
    metadata: Mapping[str, np.ndarray],
    rows: np.ndarray,
    *,
    dtype: np.dtype,
    chunk: int,
) -> None:
    n = len(rows)
    small = {
        "label": metadata["label"][rows].astype(np.int32),
        "plane": metadata["plane"][rows].astype(str),
        "startpt": metadata["startpt"][rows].astype(np.float64),
        **{key: metadata[key][rows].astype(np.float64) for key in LATENT_KEYS},
        "start_id": metadata["start_id"][rows].astype(np.int32),
        "end_id": metadata["end_id"][rows].astype(np.int32),
        "file_row": rows.astype(np.int64),
    }
    missing_attrs = {}
    for key, sentinel in MISSING.items():
        if key in metadata:
            small[key] = metadata[key][rows].astype(np.float64 if key == "noise" else np.int32)
        else:
            small[key] = np.full(n, sentinel, dtype=np.float64 if key == "noise" else np.int32)
            missing_attrs[key] = MISSING_ATTRS
    for name, values in small.items():
        attrs = {**ARRAY_ATTRS.get(name, {}), **missing_attrs.get(name, {})}
        if name == "file_row":
            attrs = {"description": f"row of the sample in {reader.path.name}"}
        write_array(group, name, values, chunk=chunk, attrs=attrs)
    window = reader.window
    tails = {"endeffector_coords": (3, window), "joint_coords": (4, window), "muscle_coords": (25, window),
             "spindle_firing": (25, window), "spindle_info": (25, window, 2)}  # fmt: skip
    arrays = {}
    for key in LARGE_KEYS:
        shape = (n, *tails[key])
        chunks = (min(chunk, max(1, n)), *tails[key])
        arrays[key] = group.create_array(key, shape=shape, dtype=dtype, chunks=chunks)
        attrs = dict(ARRAY_ATTRS[key])
        if key == "spindle_firing":
            attrs |= {"variant": "deepdraw", "noise": 0.3, "origin": "released file"}
        arrays[key].attrs.update(attrs)
    for start in range(0, n, chunk):
        block = rows[start : start + chunk]
        if block[-1] - block[0] + 1 == len(block):
            selection = slice(int(block[0]), int(block[-1]) + 1)
        else:
            selection = block
        for key in LARGE_KEYS:
            arrays[key][start : start + len(block)] = reader.read(key, selection).astype(dtype)


def write_released_dataset(
    train_path: str | Path,
    test_path: str | Path,
    out: str | Path,
    *,
    labels: Sequence[int],
    planes: Sequence[str],
    n_train: int,
    n_test: int,
    window: int,
    augmentation: Mapping[str, Sequence[float]],
    dtype: str = "float32",
    chunk: int = 256,
    attrs: Mapping | None = None,
) -> dict[str, int]:
    """Build ``dataset.zarr`` from the released files (atomically; block by block, so memory stays small).

    Args:
        train_path, test_path: the released ``pcr_dataset_train.hdf5`` / ``pcr_dataset_test.hdf5``.
        out: the store to write.
        labels, planes: the rows kept (``pcrt.labels``, ``pcrt.planes``).
        n_train, n_test: rows kept per split, the first ones of each file that pass the filter.
        window: the configured window (``pcrt.assembly.window``); the files' time axis must have this length.
        augmentation: ``pcrt.augmentation``; the files' sizes and speeds must be among its choices.
        dtype, chunk: storage dtype and samples per chunk (``pcrt.storage``).
        attrs: extra root attributes (seed, config digest).

    Returns:
        ``{"train": rows, "test": rows}`` written.

    Raises:
        DataFormatError: naming the file and key (see :class:`PcrDatasetReader`), a window other than ``window``,
            fewer matching rows than requested.
    """
    wanted = {"train": (Path(train_path), n_train), "test": (Path(test_path), n_test)}
    counts = {}
    with atomic_directory(out) as tmp:
        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        root.attrs.update({**DEEPDRAW_ATTRS, "source": "released", **dict(attrs or {})})
        files = {}
        for split, (path, count) in wanted.items():
            with PcrDatasetReader(path) as reader:
                if reader.window != window:
                    raise DataFormatError(
                        f"{path}: the time axis of its arrays has {reader.window} steps, but config key "
                        f"'pcrt.assembly.window' is {window}; set it to {reader.window}"
                    )
                metadata = reader.metadata()
                _check_latents(metadata, augmentation, path)
                rows = select_rows(metadata, labels, planes, count)
                if len(rows) < count:
                    raise DataFormatError(
                        f"{path}: holds {len(rows)} samples of labels {list(labels)} in planes {list(planes)}, "
                        f"but config key 'pcrt.assembly.n_{split}' asks for {count}"
                    )
                _write_split(root.require_group(split), reader, metadata, rows, dtype=np.dtype(dtype), chunk=chunk)
                counts[split] = len(rows)
                files[split] = {"file": path.name, "rows_in_file": reader.n}
                log.info("%s: %d of %d rows -> %s/%s", path, len(rows), reader.n, out, split)
        root.attrs["released_files"] = files
    return counts


def make_released_dataset(
    train_path: str | Path,
    test_path: str | Path,
    *,
    pcrt_cfg: Mapping,
    seed: int,
    config_digest: str,
    out: str | Path,
) -> None:
    """Stage S4-S5 for ``pcrt.source: released``: the store of :func:`write_released_dataset` from the config."""
    assembly, storage = pcrt_cfg["assembly"], pcrt_cfg["storage"]
    write_released_dataset(
        train_path,
        test_path,
        out,
        labels=pcrt_cfg["labels"],
        planes=pcrt_cfg["planes"],
        n_train=assembly["n_train"],
        n_test=assembly["n_test"],
        window=assembly["window"],
        augmentation=pcrt_cfg["augmentation"],
        dtype=storage["dtype"],
        chunk=storage["chunk"],
        attrs={"seed": seed, "config_digest": config_digest},
    )


def check_released_files(pcrt_cfg: Mapping, pending=lambda path: False) -> list[str]:
    """Up-front checks of the released files (before any job runs): layout, window and enough rows of the
    configured labels and planes. Reads the file headers and the per-sample keys only (a few MB).

    Args:
        pcrt_cfg: the validated ``pcrt`` section (``source: released``).
        pending: tells whether a path is still to be downloaded (its checks then wait for the job).

    Returns:
        Problems, each naming the config key and the file (empty when the files fit the config).
    """
    problems = []
    assembly = pcrt_cfg["assembly"]
    for split in ("train", "test"):
        key = f"config key 'pcrt.released.{split}_path'"
        path = Path(pcrt_cfg["released"][f"{split}_path"])
        if pending(path):
            continue
        if not path.is_file():
            problems.append(f"{key}: {path} does not exist; expected DeepDraw's pcr_dataset_{split}.hdf5")
            continue
        try:
            with PcrDatasetReader(path) as reader:
                if reader.window != assembly["window"]:
                    problems.append(
                        f"config key 'pcrt.assembly.window': {assembly['window']}, but the arrays of {path} have "
                        f"{reader.window} steps; set it to {reader.window}"
                    )
                    continue
                metadata = reader.metadata()
        except DataFormatError as error:
            problems.append(f"{key}: {error}")
            continue
        found = len(select_rows(metadata, pcrt_cfg["labels"], pcrt_cfg["planes"], reader.n))
        if found < assembly[f"n_{split}"]:
            problems.append(
                f"config key 'pcrt.assembly.n_{split}': {assembly[f'n_{split}']} samples wanted, but {path} holds "
                f"{found} of labels {list(pcrt_cfg['labels'])} in planes {list(pcrt_cfg['planes'])}"
            )
    return problems
