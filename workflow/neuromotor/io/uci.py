"""Reader and writer of the UCI Character Trajectories MATLAB file (UCI Machine Learning Repository).

Layout of the original file (MATLAB v5, ``scipy.io.loadmat``-readable; DeepDraw calls it ``uci_dataset.mat``):

- ``mixout``: 1 × N cell array; cell i is a 3 × T double matrix (rows: pen-tip x velocity, y velocity, pen force;
  one column per 200-Hz sample), zero-padded at the end.
- ``consts``: 1 × 1 struct whose 5th field is ``charlabels`` (1 × N, values 1..20), i.e. ``consts[0][0][4][0]`` in
  ``loadmat`` indexing.

The writer produces exactly this layout, so that synthetic and test files go through the same reader as the real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from neuromotor.errors import DataFormatError
from neuromotor.io.store import atomic_file

N_ROWS = 3
N_LABELS = 20
CHARLABELS_FIELD = "charlabels"
CHARLABELS_FIELD_POSITION = 4  # 0-based: the 5th field of `consts`
CONSTS_FIELDS = ("key", "npen", "datanorm", "charnames", "charlabels")
CHARACTER_KEY = "abcdeghlmnopqrsuvwyz"


def load_uci_characters(path: str | Path) -> tuple[list[np.ndarray], np.ndarray]:
    """Read the pen-tip samples and labels of a UCI Character Trajectories ``.mat`` file.

    Args:
        path: MATLAB v5 file with ``mixout`` and ``consts`` (see the module docstring).

    Returns:
        ``(samples, labels)``: N float64 arrays (3, T_i) (x velocity, y velocity, pen force) with the trailing
        zero padding removed, and the (N,) int64 labels 1..20.

    Raises:
        DataFormatError: missing file, not a MATLAB v5 file or truncated, missing ``mixout``/``consts``, a sample
            that is not 3 × T or is all padding, a label count different from the sample count, or labels outside
            1..20. The message names the file and the key.
    """
    path = Path(path)
    contents = _read_mat(path)
    samples = _samples_from_mixout(_required_variable(contents, "mixout", path), path)
    labels = _labels_from_consts(_required_variable(contents, "consts", path), path)
    if len(labels) != len(samples):
        raise DataFormatError(
            f"{path}: key 'consts.{CHARLABELS_FIELD}' holds {len(labels)} labels, expected one per sample of "
            f"'mixout' ({len(samples)})"
        )
    return samples, labels


def read_uci_labels(path: str | Path) -> np.ndarray:
    """The (N,) int64 labels 1..20 of a UCI file, reading only ``consts`` (not the samples): for checks up front."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: UCI character file not found (expected a MATLAB v5 .mat file)")
    try:
        import scipy.io  # here, not at import: the dry-run imports this module

        contents = scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True, variable_names=["consts"])
    except NotImplementedError as error:
        raise DataFormatError(f"{path}: MATLAB v7.3 file, expected MATLAB v5 (save -v7 or older)") from error
    except Exception as error:
        raise DataFormatError(
            f"{path}: not a readable MATLAB v5 file with 'mixout' and 'consts' (truncated or wrong format: {error})"
        ) from error
    return _labels_from_consts(_required_variable(contents, "consts", path), path)


def write_uci_characters(
    path: str | Path, samples: Sequence[np.ndarray], labels: Sequence[int], pad_to_longest: bool = True
) -> None:
    """Write samples and labels in the layout of the original UCI file.

    Args:
        path: destination ``.mat`` file (written to a temporary name first, then renamed).
        samples: N arrays (3, T_i): x velocity, y velocity, pen force.
        labels: N labels 1..20.
        pad_to_longest: zero-pad every sample at the end to the longest T, as in the original file.
    """
    path = Path(path)
    samples = [np.asarray(sample, dtype=np.float64) for sample in samples]
    labels = np.asarray(labels)
    if any(sample.ndim != 2 or sample.shape[0] != N_ROWS for sample in samples):
        raise ValueError(f"{path}: every sample must be a ({N_ROWS}, T) array")
    if labels.shape != (len(samples),):
        raise ValueError(f"{path}: expected {len(samples)} labels, got shape {labels.shape}")
    if pad_to_longest:
        samples = _zero_padded(samples)
    mixout = np.empty((1, len(samples)), dtype=object)
    for index, sample in enumerate(samples):
        mixout[0, index] = sample
    with atomic_file(path) as temporary:
        with open(temporary, "wb") as handle:
            import scipy.io

            scipy.io.savemat(handle, {"mixout": mixout, "consts": _consts_struct(labels)}, format="5")


def _read_mat(path: Path) -> dict:
    if not path.is_file():
        raise DataFormatError(f"{path}: UCI character file not found (expected a MATLAB v5 .mat file)")
    try:
        import scipy.io

        return scipy.io.loadmat(str(path), squeeze_me=False, struct_as_record=True)
    except NotImplementedError as error:  # loadmat's answer to MATLAB v7.3 (HDF5-based) files
        raise DataFormatError(f"{path}: MATLAB v7.3 file, expected MATLAB v5 (save -v7 or older)") from error
    except Exception as error:  # truncated or foreign files fail deep inside loadmat with assorted exception types
        raise DataFormatError(
            f"{path}: not a readable MATLAB v5 file with 'mixout' and 'consts' (truncated or wrong format: {error})"
        ) from error


def _required_variable(contents: dict, key: str, path: Path) -> np.ndarray:
    if key not in contents:
        present = sorted(k for k in contents if not k.startswith("__"))
        raise DataFormatError(f"{path}: key '{key}' missing, expected 'mixout' and 'consts' (found {present})")
    return contents[key]


def _samples_from_mixout(mixout: np.ndarray, path: Path) -> list[np.ndarray]:
    if not isinstance(mixout, np.ndarray) or mixout.dtype != object:
        raise DataFormatError(f"{path}: key 'mixout' must be a cell array of {N_ROWS} x T matrices")
    samples = []
    for index, cell in enumerate(mixout.ravel(order="F")):
        samples.append(_sample_from_cell(cell, index, path))
    return samples


def _sample_from_cell(cell: object, index: int, path: Path) -> np.ndarray:
    where = f"{path}: key 'mixout', sample {index}"
    if not isinstance(cell, np.ndarray) or cell.dtype.kind not in "biuf":
        raise DataFormatError(f"{where}: expected a numeric {N_ROWS} x T matrix")
    if cell.ndim != 2 or cell.shape[0] != N_ROWS:
        raise DataFormatError(
            f"{where}: expected {N_ROWS} rows (x velocity, y velocity, force), got shape {cell.shape}"
        )
    sample = _without_trailing_zero_columns(cell.astype(np.float64))
    if sample.shape[1] == 0:
        raise DataFormatError(f"{where}: only zero padding, expected at least one non-zero column")
    if not np.all(np.isfinite(sample)):
        raise DataFormatError(f"{where}: expected finite values, found NaN or infinity")
    return sample


def _without_trailing_zero_columns(sample: np.ndarray) -> np.ndarray:
    nonzero_columns = np.flatnonzero(np.any(sample != 0, axis=0))
    length = nonzero_columns[-1] + 1 if nonzero_columns.size else 0
    return sample[:, :length]


def _labels_from_consts(consts: np.ndarray, path: Path) -> np.ndarray:
    names = consts.dtype.names if isinstance(consts, np.ndarray) else None
    if not names or consts.size != 1:
        raise DataFormatError(f"{path}: key 'consts' must be a 1 x 1 struct with field '{CHARLABELS_FIELD}'")
    if CHARLABELS_FIELD in names:
        field = CHARLABELS_FIELD
    elif len(names) > CHARLABELS_FIELD_POSITION:
        field = names[CHARLABELS_FIELD_POSITION]  # the original reader takes the 5th field, whatever its name
    else:
        raise DataFormatError(
            f"{path}: key 'consts' has fields {list(names)}, expected '{CHARLABELS_FIELD}' (its 5th field)"
        )
    raw = np.asarray(consts.ravel()[0][field])
    where = f"{path}: key 'consts.{field}'"
    if raw.dtype.kind not in "biuf":
        raise DataFormatError(f"{where}: expected numeric labels 1..{N_LABELS}")
    labels = raw.astype(np.float64).ravel()
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
        raise DataFormatError(f"{where}: expected integer labels 1..{N_LABELS}")
    if labels.size and (labels.min() < 1 or labels.max() > N_LABELS):
        raise DataFormatError(
            f"{where}: labels span {int(labels.min())}..{int(labels.max())}, expected values in 1..{N_LABELS}"
        )
    return labels.astype(np.int64)


def _consts_struct(labels: np.ndarray) -> np.ndarray:
    consts = np.empty((1, 1), dtype=[(name, object) for name in CONSTS_FIELDS])
    charnames = np.empty((1, len(CHARACTER_KEY)), dtype=object)
    for index, letter in enumerate(CHARACTER_KEY):
        charnames[0, index] = letter
    consts["key"][0, 0] = CHARACTER_KEY
    consts["npen"][0, 0] = np.ones((1, 1))
    consts["datanorm"][0, 0] = np.ones((N_ROWS, 1))
    consts["charnames"][0, 0] = charnames
    consts["charlabels"][0, 0] = labels.astype(np.float64).reshape(1, -1)
    return consts


def _zero_padded(samples: list[np.ndarray]) -> list[np.ndarray]:
    longest = max((sample.shape[1] for sample in samples), default=0)
    return [np.pad(sample, ((0, 0), (0, longest - sample.shape[1]))) for sample in samples]
