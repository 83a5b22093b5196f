"""Zarr v3 stores written atomically, with axis names, units and provenance in the attributes.

A store is written under a hidden sibling path and renamed into place only when complete, so a killed job never
leaves a store that looks finished. String arrays (e.g. ``plane``) are stored as small integer codes with their
categories in the attributes, because zarr v3 has no stable string type; :func:`read_arrays` decodes them.
"""

from __future__ import annotations

import os
import shutil
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping

import numpy as np

if TYPE_CHECKING:  # zarr is imported where a store is read or written: importing it costs ~0.5 s of each dry-run
    import zarr

from neuromotor.errors import DataFormatError

CATEGORIES_ATTR = "categories"

# Snakemake leaves a timestamp file inside directory outputs; zarr would warn about it on every listing
warnings.filterwarnings("ignore", message=".*snakemake_timestamp.*")


def _partial_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


@contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` when the block completes without error."""
    path = Path(path)
    partial = _partial_path(path)
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if path.exists():
        shutil.rmtree(path)
    os.replace(partial, path)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file path that replaces ``path`` when the block completes without error."""
    path = Path(path)
    partial = _partial_path(path)
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def write_json(path: str | Path, payload, *, sort_keys: bool = False) -> None:
    """``payload`` as JSON indented by 2 spaces with a final newline, written atomically (:func:`atomic_file`);
    ``sort_keys`` orders every mapping's keys (else they keep their order)."""
    import json

    with atomic_file(path) as tmp:
        Path(tmp).write_text(json.dumps(payload, indent=2, sort_keys=sort_keys) + "\n")


def _encode(values: np.ndarray) -> tuple[np.ndarray, dict]:
    values = np.asarray(values)
    if values.dtype.kind in "US":
        categories = sorted({str(v) for v in values.ravel()})
        lookup = {c: i for i, c in enumerate(categories)}
        codes = np.array([lookup[str(v)] for v in values.ravel()], dtype=np.uint8).reshape(values.shape)
        return codes, {CATEGORIES_ATTR: categories}
    return values, {}


def write_array(
    group: zarr.Group, name: str, values: np.ndarray, *, chunk: int | None = None, attrs: Mapping | None = None
) -> zarr.Array:
    """Write one array into an open group; ``chunk`` samples per chunk along the first axis (default: all)."""
    data, extra_attrs = _encode(values)
    chunks = None
    if data.ndim and chunk:
        chunks = (min(chunk, max(1, data.shape[0])),) + data.shape[1:]
    array = group.create_array(name, shape=data.shape, dtype=data.dtype, chunks=chunks or "auto")
    if data.size:
        array[...] = data
    array.attrs.update({**extra_attrs, **dict(attrs or {})})
    return array


def write_arrays(
    path: str | Path,
    groups: Mapping[str, Mapping[str, np.ndarray]],
    attrs: Mapping | None = None,
    array_attrs: Mapping[str, Mapping] | None = None,
    chunk: int | None = None,
) -> None:
    """Write ``{group: {name: array}}`` to a new zarr v3 store at ``path``, atomically.

    ``groups`` may use the key ``""`` for arrays at the root. ``array_attrs`` maps an array name to its
    attributes (axis names, units), applied wherever that name appears.
    """
    with atomic_directory(path) as tmp:
        import zarr

        root = zarr.open_group(store=str(tmp), mode="w", zarr_format=3)
        root.attrs.update(dict(attrs or {}))
        for group_name, arrays in groups.items():
            group = root if group_name == "" else root.require_group(group_name)
            for name, values in arrays.items():
                write_array(group, name, values, chunk=chunk, attrs=(array_attrs or {}).get(name))


def open_store(path: str | Path) -> zarr.Group:
    """Open an existing store read-only, failing clearly when it is missing or not a zarr group."""
    path = Path(path)
    if not path.exists():
        raise DataFormatError(f"{path}: store not found")
    try:
        import zarr

        return zarr.open_group(store=str(path), mode="r")
    except Exception as exc:  # zarr raises several types for a damaged store
        raise DataFormatError(f"{path}: not a readable zarr group ({exc})") from None


def decode(array: zarr.Array, selection=slice(None)) -> np.ndarray:
    """Read an array (or a selection of it), turning categorical codes back into strings."""
    values = array[selection] if array.ndim else array[...]
    categories = array.attrs.get(CATEGORIES_ATTR)
    if categories is not None:
        return np.asarray(categories)[np.asarray(values, dtype=int)]
    return np.asarray(values)


def read_arrays(path: str | Path, group: str = "", names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Read arrays of one group into memory; ``names`` restricts which (all by default)."""
    root = open_store(path)
    try:
        node = root if group == "" else root[group]
    except KeyError:
        raise DataFormatError(f"{path}: missing group {group!r}") from None
    available = {name for name, _ in node.arrays()}
    wanted = sorted(available) if names is None else list(names)
    missing = [n for n in wanted if n not in available]
    if missing:
        raise DataFormatError(f"{path}: group {group or '/'!r} lacks arrays {missing}; has {sorted(available)}")
    return {name: decode(node[name]) for name in wanted}
