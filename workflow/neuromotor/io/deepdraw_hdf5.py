"""Readers and writers of the original DeepDraw HDF5 files (Sandbrink et al. 2023, Methods; docs/data.md).

Files (h5py, one dataset per key at the root, float64, uncompressed unless noted):

- ``pcr_startingpoints.hdf5``: ``horizontal`` (N, 3), ``vertical`` (M, 3) start points (cm, world frame).
- ``pcr_dataset_train.hdf5`` / ``pcr_dataset_test.hdf5``: the keys of :data:`PCR_DATASET_KEYS`, ``plane`` as bytes.
- ``pcr_dataset_diy.hdf5``: the keys of :data:`PCR_DIY_KEYS` (gzip 9).
- ``pcr_trajectories.hdf5``: ``trajectories`` (N, 2, T_max) NaN-padded positions (cm) and ``labels`` (N,).

The writers exist so that tests and synthetic data produce files in exactly these layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_file

PLANES = ("horizontal", "vertical")
N_LABELS = 20

# Expected shape per key: "N" = samples, "T" = time steps of the window, integers = fixed sizes.
PCR_DATASET_SHAPES: dict[str, tuple] = {
    "endeffector_coords": ("N", 3, "T"),
    "joint_coords": ("N", 4, "T"),
    "muscle_coords": ("N", 25, "T"),
    "spindle_firing": ("N", 25, "T"),
    "spindle_info": ("N", 25, "T", 2),
    "label": ("N",),
    "plane": ("N",),
    "startpt": ("N", 3),
    "size": ("N",),
    "rot": ("N",),
    "shear_x": ("N",),
    "shear_y": ("N",),
    "speed": ("N",),
    "noise": ("N",),
    "start_id": ("N",),
    "end_id": ("N",),
    "n_attempts": ("N",),
}
PCR_DATASET_KEYS = (
    "endeffector_coords", "joint_coords", "muscle_coords", "spindle_firing", "spindle_info", "label", "plane",
    "startpt", "size", "rot", "shear_x", "shear_y", "speed", "start_id", "end_id",
)  # fmt: skip
"""Keys of ``pcr_dataset_train.hdf5`` / ``pcr_dataset_test.hdf5``."""
PCR_DIY_KEYS = (
    "endeffector_coords", "label", "plane", "startpt", "size", "rot", "shear_x", "shear_y", "speed",
    "start_id", "end_id",
)  # fmt: skip
"""Keys of ``pcr_dataset_diy.hdf5`` (end-effector, latents, start/end)."""
OPTIONAL_PCR_KEYS = ("noise", "n_attempts")
INTEGER_KEYS = ("label", "start_id", "end_id", "n_attempts")
STARTPOINT_KEYS = PLANES


# --------------------------------------------------------------------------------------------------------------
# Start points
# --------------------------------------------------------------------------------------------------------------


def load_startpoints_hdf5(path: str | Path) -> dict[str, np.ndarray]:
    """Read ``pcr_startingpoints.hdf5``.

    Returns:
        ``{"horizontal": (N, 3), "vertical": (M, 3)}`` float64 start points (cm, world frame).

    Raises:
        DataFormatError: missing/unreadable file, a missing key, a shape other than (N, 3), non-finite values.
    """
    path = Path(path)
    with _open_for_reading(path) as file:
        points = {key: _read_float_array(file, key, path) for key in STARTPOINT_KEYS}
    for key, array in points.items():
        _check_shape(array, ("N", 3), key, path)
        if not np.all(np.isfinite(array)):
            raise DataFormatError(f"{path}: key '{key}' holds NaN or infinity, expected finite positions (cm)")
    return points


def write_startpoints_hdf5(path: str | Path, horizontal: np.ndarray, vertical: np.ndarray) -> None:
    """Write start points in the original layout: (N, 3) and (M, 3) float64, cm."""
    arrays = {
        "horizontal": np.asarray(horizontal, dtype=np.float64),
        "vertical": np.asarray(vertical, dtype=np.float64),
    }
    for key, array in arrays.items():
        _check_shape(array, ("N", 3), key, Path(path))
    _write_datasets(Path(path), arrays, gzip_level=None)


# --------------------------------------------------------------------------------------------------------------
# Assembled dataset
# --------------------------------------------------------------------------------------------------------------


def load_pcr_dataset_hdf5(path: str | Path, keys: Iterable[str] | None = None) -> dict[str, np.ndarray]:
    """Read an original assembled PCR dataset file (train/test, or the DIY file with ``keys=PCR_DIY_KEYS``).

    Args:
        path: HDF5 file.
        keys: keys to read, all required. ``None``: the :data:`PCR_DATASET_KEYS` (required) plus ``noise`` and
            ``n_attempts`` where present. Other datasets in the file are ignored.

    Returns:
        ``{key: array}`` with the shapes of :data:`PCR_DATASET_SHAPES`: coordinates float64 (cm, deg, mm),
        ``label``/``start_id``/``end_id``/``n_attempts`` int64, ``plane`` str (``horizontal``/``vertical``),
        other latents float64.

    Raises:
        DataFormatError: missing/unreadable file, a missing key, a shape that does not fit (including sample counts
            or window lengths that differ between keys), labels outside 1..20, unknown planes.
    """
    path = Path(path)
    with _open_for_reading(path) as file:
        if keys is None:
            keys = list(PCR_DATASET_KEYS) + [key for key in OPTIONAL_PCR_KEYS if key in file]
        keys = list(keys)
        unknown = [key for key in keys if key not in PCR_DATASET_SHAPES]
        if unknown:
            raise ValueError(f"unknown PCR dataset keys {unknown}; known: {list(PCR_DATASET_SHAPES)}")
        raw = {key: (_read_plane(file, path) if key == "plane" else _read_float_array(file, key, path)) for key in keys}
    return _checked_pcr_arrays(raw, path)


def write_pcr_dataset_hdf5(path: str | Path, arrays: Mapping[str, np.ndarray], gzip_level: int | None = None) -> None:
    """Write an assembled PCR dataset in the original layout.

    Args:
        path: destination HDF5 file (written to a temporary name first, then renamed).
        arrays: ``{key: array}`` for keys of :data:`PCR_DATASET_SHAPES`; numbers are stored as float64 and
            ``plane`` as fixed-length bytes, like the original.
        gzip_level: ``None`` = uncompressed (train/test files); 9 reproduces ``pcr_dataset_diy.hdf5``.
    """
    path = Path(path)
    unknown = [key for key in arrays if key not in PCR_DATASET_SHAPES]
    if unknown:
        raise ValueError(f"{path}: unknown PCR dataset keys {unknown}; known: {list(PCR_DATASET_SHAPES)}")
    checked = _checked_pcr_arrays(dict(arrays), path)
    stored = {
        key: (np.char.encode(value.astype(str), "ascii") if key == "plane" else value.astype(np.float64))
        for key, value in checked.items()
    }
    _write_datasets(path, stored, gzip_level)


def _checked_pcr_arrays(raw: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    sizes: dict[str, int] = {}
    for key, array in raw.items():
        _check_shape(np.asarray(array), PCR_DATASET_SHAPES[key], key, path, sizes)
    checked = {}
    for key, array in raw.items():
        if key == "plane":
            checked[key] = _checked_planes(np.asarray(array), path)
        elif key in INTEGER_KEYS:
            checked[key] = _integer_values(np.asarray(array, dtype=np.float64), key, path)
        else:
            checked[key] = np.asarray(array, dtype=np.float64)
    for key, array in checked.items():
        if key != "plane" and key not in INTEGER_KEYS:
            _check_finite(array, key, path)
    if "label" in checked:
        _check_labels(checked["label"], "label", path)
    return checked


class PcrDatasetReader:
    """Block-wise reader of an original ``pcr_dataset_{train,test}.hdf5`` (the released files hold up to 20 GB).

    Opening checks the layout without reading the large arrays: every key of :data:`PCR_DATASET_KEYS` present as a
    numeric dataset (``plane`` as strings), shapes as in :data:`PCR_DATASET_SHAPES` with one sample count ``n`` and
    one window length ``window`` across keys. :meth:`metadata` reads and checks the per-sample keys;
    :meth:`read` reads rows of a key and checks they are finite. Use as a context manager.

    Raises (on opening and reading):
        DataFormatError: naming the file and the key: missing or truncated file, a missing key, a wrong shape or
            dtype, labels outside 1..20, unknown planes, non-integer indices, NaN or infinity.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataFormatError(f"{self.path}: HDF5 file not found")
        try:
            self._file = h5py.File(self.path, "r")
        except OSError as error:
            raise DataFormatError(
                f"{self.path}: not a readable HDF5 file (truncated or wrong format: {error})"
            ) from error
        try:
            self.keys = list(PCR_DATASET_KEYS) + [key for key in OPTIONAL_PCR_KEYS if key in self._file]
            sizes: dict[str, int] = {}
            for key in self.keys:
                dataset = _dataset(self._file, key, self.path)
                kinds = "SOU" if key == "plane" else "biuf"
                if dataset.dtype.kind not in kinds:
                    expected = "bytes (horizontal/vertical)" if key == "plane" else "numbers"
                    raise DataFormatError(f"{self.path}: key '{key}' has dtype {dataset.dtype}, expected {expected}")
                _check_shape(_Shape(dataset.shape), PCR_DATASET_SHAPES[key], key, self.path, sizes)
            self.n = int(sizes["N"])
            self.window = int(sizes["T"])
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> "PcrDatasetReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def _raw(self, key: str, rows) -> np.ndarray:
        try:
            return np.asarray(self._file[key][rows])
        except (OSError, RuntimeError) as error:
            raise DataFormatError(f"{self.path}: key '{key}' cannot be read (truncated file? {error})") from error

    def metadata(self) -> dict[str, np.ndarray]:
        """Every per-sample key (latents, ``label``, ``plane``, ``startpt``, ``start_id``, ``end_id``, optional
        ``noise``/``n_attempts``), checked: labels 1..20, known planes, integer indices with
        0 <= start_id < end_id <= window, finite latents. Integers int64, planes str, others float64."""
        small = [key for key in self.keys if len(PCR_DATASET_SHAPES[key]) == 1 or key == "startpt"]
        raw = {key: self._raw(key, slice(None)) for key in small}
        checked = _checked_pcr_arrays(raw, self.path)
        start, end = checked["start_id"], checked["end_id"]
        bad = np.flatnonzero((start < 0) | (end <= start) | (end > self.window))
        if bad.size:
            row = int(bad[0])
            raise DataFormatError(
                f"{self.path}: keys 'start_id'/'end_id' of sample {row} are {start[row]}/{end[row]}, expected "
                f"0 <= start_id < end_id <= {self.window} (the window)"
            )
        return checked

    def read(self, key: str, rows: slice | np.ndarray) -> np.ndarray:
        """Rows of one key as float64 (``rows``: a slice or increasing sample indices), checked to be finite."""
        if key not in PCR_DATASET_SHAPES or key not in self.keys:
            raise ValueError(f"{self.path}: no key {key!r} to read; present: {self.keys}")
        values = np.asarray(self._raw(key, rows), dtype=np.float64)
        finite = np.isfinite(values).reshape(len(values), -1).all(axis=1)
        if not finite.all():
            first = int(np.flatnonzero(~finite)[0])
            sample = (np.arange(self.n)[rows])[first]
            raise DataFormatError(
                f"{self.path}: key '{key}' holds NaN or infinity (sample {sample}), expected finite values"
            )
        return values


class _Shape:
    """Stands in for an array in :func:`_check_shape` (only ``shape`` and ``ndim`` are used)."""

    def __init__(self, shape: tuple):
        self.shape = tuple(shape)
        self.ndim = len(self.shape)


def _check_finite(values: np.ndarray, key: str, path: Path) -> None:
    finite = np.isfinite(values)
    if not finite.all():
        sample = int(np.argwhere(~finite)[0][0]) if values.ndim else 0
        raise DataFormatError(f"{path}: key '{key}' holds NaN or infinity (sample {sample}), expected finite values")


def _checked_planes(planes: np.ndarray, path: Path) -> np.ndarray:
    if planes.dtype.kind == "S":
        planes = np.char.decode(planes, "utf-8")
    elif planes.dtype.kind == "O":
        planes = np.array([p.decode("utf-8") if isinstance(p, bytes) else str(p) for p in planes], dtype=str)
    planes = planes.astype(str)
    unknown = sorted(set(planes.tolist()) - set(PLANES))
    if unknown:
        raise DataFormatError(f"{path}: key 'plane' holds {unknown}, expected only {list(PLANES)}")
    return planes


# --------------------------------------------------------------------------------------------------------------
# Character trajectories
# --------------------------------------------------------------------------------------------------------------


def load_pcr_trajectories_hdf5(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``pcr_trajectories.hdf5``.

    Returns:
        ``(trajectories, labels)``: (N, 2, T_max) float64 positions (cm), NaN after each character's end, and
        (N,) int64 labels 1..20.

    Raises:
        DataFormatError: missing/unreadable file, a missing key, wrong shapes or label count, labels outside 1..20.
    """
    path = Path(path)
    with _open_for_reading(path) as file:
        trajectories = _read_float_array(file, "trajectories", path)
        labels = _read_float_array(file, "labels", path)
    sizes: dict[str, int] = {}
    _check_shape(trajectories, ("N", 2, "T"), "trajectories", path, sizes)
    _check_shape(labels, ("N",), "labels", path, sizes)
    labels = _integer_values(labels, "labels", path)
    _check_labels(labels, "labels", path)
    return trajectories, labels


def write_pcr_trajectories_hdf5(path: str | Path, trajectories: np.ndarray, labels: np.ndarray) -> None:
    """Write ``trajectories`` (N, 2, T_max) and ``labels`` (N,) as float64, like the original file."""
    path = Path(path)
    arrays = {
        "trajectories": np.asarray(trajectories, dtype=np.float64),
        "labels": np.asarray(labels, dtype=np.float64),
    }
    sizes: dict[str, int] = {}
    _check_shape(arrays["trajectories"], ("N", 2, "T"), "trajectories", path, sizes)
    _check_shape(arrays["labels"], ("N",), "labels", path, sizes)
    _write_datasets(path, arrays, gzip_level=None)


# --------------------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------------------


@contextmanager
def _open_for_reading(path: Path) -> Iterator[h5py.File]:
    if not path.is_file():
        raise DataFormatError(f"{path}: HDF5 file not found")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise DataFormatError(f"{path}: not a readable HDF5 file (truncated or wrong format: {error})") from error
    with file:
        yield file


def _dataset(file: h5py.File, key: str, path: Path) -> h5py.Dataset:
    if key not in file:
        raise DataFormatError(f"{path}: key '{key}' missing (found {sorted(file.keys())})")
    node = file[key]
    if not isinstance(node, h5py.Dataset):
        raise DataFormatError(f"{path}: key '{key}' is a group, expected a dataset")
    return node


def _read_float_array(file: h5py.File, key: str, path: Path) -> np.ndarray:
    dataset = _dataset(file, key, path)
    if dataset.dtype.kind not in "biuf":
        raise DataFormatError(f"{path}: key '{key}' has dtype {dataset.dtype}, expected numbers")
    try:
        return np.asarray(dataset[()], dtype=np.float64)
    except OSError as error:
        raise DataFormatError(f"{path}: key '{key}' cannot be read (truncated file? {error})") from error


def _read_plane(file: h5py.File, path: Path) -> np.ndarray:
    dataset = _dataset(file, "plane", path)
    if dataset.dtype.kind not in "SOU":
        raise DataFormatError(f"{path}: key 'plane' has dtype {dataset.dtype}, expected bytes (horizontal/vertical)")
    try:
        return np.asarray(dataset[()])
    except OSError as error:
        raise DataFormatError(f"{path}: key 'plane' cannot be read (truncated file? {error})") from error


def _check_shape(array: np.ndarray, expected: tuple, key: str, path: Path, sizes: dict | None = None) -> None:
    """Check ``array.shape`` against ``expected``; symbolic sizes ("N", "T") agree across calls sharing ``sizes``."""
    sizes = {} if sizes is None else sizes
    readable = "(" + ", ".join(str(s) for s in expected) + ")"
    if array.ndim != len(expected):
        raise DataFormatError(f"{path}: key '{key}' has shape {array.shape}, expected {readable}")
    for axis, (actual, wanted) in enumerate(zip(array.shape, expected)):
        if isinstance(wanted, int) and actual != wanted:
            raise DataFormatError(f"{path}: key '{key}' has shape {array.shape}, expected {readable}")
        if isinstance(wanted, str):
            if sizes.setdefault(wanted, actual) != actual:
                raise DataFormatError(
                    f"{path}: key '{key}' has {wanted} = {actual} on axis {axis}, expected {sizes[wanted]} like the "
                    f"other keys (shape {readable})"
                )


def _integer_values(values: np.ndarray, key: str, path: Path) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise DataFormatError(f"{path}: key '{key}' holds non-integer values, expected integers")
    return values.astype(np.int64)


def _check_labels(labels: np.ndarray, key: str, path: Path) -> None:
    if labels.size and (labels.min() < 1 or labels.max() > N_LABELS):
        raise DataFormatError(
            f"{path}: key '{key}' spans {labels.min()}..{labels.max()}, expected labels in 1..{N_LABELS}"
        )


def _write_datasets(path: Path, arrays: Mapping[str, np.ndarray], gzip_level: int | None) -> None:
    compression = {} if gzip_level is None else {"compression": "gzip", "compression_opts": int(gzip_level)}
    with atomic_file(path) as temporary:
        with h5py.File(temporary, "w") as file:
            for key, array in arrays.items():
                file.create_dataset(key, data=array, **compression)
